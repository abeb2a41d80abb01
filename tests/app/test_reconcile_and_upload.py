"""Reconcile, Dashboard and Upload pages through AppTest, with grid events injected (docs/reference/streamlit-aggrid.md §3).

The grid sends back a delta (CUSTOM return): the selected result ids and the edited cell. AppTest cannot
render AgGrid, so the tests put that delta in session state under the grid's key, as the browser would.
"""

from __future__ import annotations

import json

import polars as pl
import pytest

from recon.match import reconcile
from recon.match.result import CATEGORIES, CATEGORY_LABELS
from views._suggestions import SUGGESTIONS

PAGE = "views/reconcile.py"


def grid_event(selected=(), edit=None, nonce="n1"):
    event = {
        "trigger": "cellValueChanged" if edit else "selectionChanged",
        "nonce": nonce,
        "selected": list(selected),
    }
    if edit:
        event["edit"] = edit
    return event


def review_of(workspace, client):
    return workspace.review(client.id, client.return_period)


def open_tab(at, category):
    """Open a tab as a click on it would (only the open tab's grid is mounted)."""
    at.session_state["recon_category"] = category
    at.run()
    assert not at.exception, at.exception
    return at


def click_in_dialog(at, key):
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


def test_tab_labels_carry_the_engines_counts(app, workspace, loaded_client):
    period = loaded_client.return_period
    books = workspace.documents(loaded_client.id, period, "books")
    portal = workspace.documents(loaded_client.id, period, "ims")
    engine = reconcile(books, portal).filter(pl.col("not_in_ims_reason").is_null())
    at = app(PAGE)
    assert not at.exception
    labels = [t.label for t in at.tabs if t.label.split(" · ")[0] in CATEGORY_LABELS.values()]
    assert [label.split(" · ")[0] for label in labels] == [CATEGORY_LABELS[c] for c in CATEGORIES]
    for category, label in zip(CATEGORIES, labels, strict=True):
        count = engine.filter(pl.col("category") == category).height
        assert label.split(" · ")[1] == f"{count:,}", (category, label)
        assert label.split(" · ")[2].startswith("₹ ")


def test_bulk_accept_of_selected_rows_is_saved_at_once(app, workspace, loaded_client):
    review = review_of(workspace, loaded_client)
    chosen = review.filter(
        (pl.col("category") == "matched") & (pl.col("doc_kind") == "invoice") & (pl.col("filing") == "Filed")
    ).head(25)
    at = app(PAGE)
    at.session_state["grid_matched_0"] = grid_event(selected=chosen["result_id"].to_list())
    at.run()
    assert any("25 selected" in m.value for m in at.markdown)
    at.button(key="bulk_A_matched").click().run()
    assert any("**Accept** for **25**" in m.value for m in at.markdown)  # the dialog states what it does
    click_in_dialog(at, "confirm_go")

    saved = workspace.decisions(loaded_client.id)
    assert sorted(saved["portal_doc_id"].to_list()) == sorted(chosen["portal_doc_id"].to_list())
    assert set(saved["action"].to_list()) == {"A"}
    assert set(saved["source"].to_list()) == {"bulk"}
    # A fresh session (browser refresh, second tab) shows the saved actions as set by the user.
    fresh = app(PAGE)
    assert not fresh.exception
    again = review_of(workspace, loaded_client).filter(
        pl.col("portal_doc_id").is_in(chosen["portal_doc_id"].to_list())
    )
    assert set(again["action"].to_list()) == {"Accept"}
    assert set(again["action_source"].to_list()) == {"user"}


def test_select_all_accept_asks_for_credit_note_reduction_and_warns_on_unfiled(app, workspace, loaded_client):
    review = review_of(workspace, loaded_client)
    matched = review.filter(pl.col("category") == "matched")
    notes = matched.filter(pl.col("doc_kind") == "credit_note")
    unfiled = matched.filter(pl.col("filing") == "Not filed")
    assert notes.height and unfiled.height, "the demo corpus has both; the guards must be exercised"
    at = app(PAGE)
    at.session_state["grid_matched_0"] = grid_event(selected=matched["result_id"].to_list())
    at.run()
    at.button(key="bulk_A_matched").click().run()
    warnings = " ".join(w.value for w in at.warning)
    assert f"{unfiled.height} supplier return(s) are not filed" in warnings
    assert any(f"{notes.height} credit note(s)" in m.value for m in at.markdown)
    click_in_dialog(at, "confirm_go")

    saved = workspace.decisions(loaded_client.id)
    decided_notes = saved.filter(pl.col("portal_doc_id").is_in(notes["portal_doc_id"].to_list()))
    assert decided_notes.height == notes.height
    assert set(decided_notes["itc_red_req"].to_list()) == {"Y"}  # the declaration went with the decision
    assert set(saved.filter(pl.col("portal_doc_id").is_in(unfiled["portal_doc_id"].to_list()))["action"]) == {
        "A"
    }


def test_reject_in_the_grid_needs_a_remark_and_is_audited(app, workspace, loaded_client):
    review = review_of(workspace, loaded_client)
    row = review.filter(pl.col("category") == "mismatched").row(0, named=True)
    at = app(PAGE)
    st_key = "grid_mismatched_0"
    # Open the Mismatched tab as a click would, then send the edit the grid makes.
    open_tab(at, "mismatched")
    at.session_state[st_key] = grid_event(
        edit={"result_id": row["result_id"], "field": "action", "value": "Reject"}
    )
    at.run()
    assert any("Rejecting loses this ITC" in w.value for w in at.warning)  # what a Reject costs
    at.text_area(key="confirm_remarks").input("").run()  # no remark (whatever was prefilled)
    click_in_dialog(at, "confirm_go")
    assert any("needs a remark" in e.value for e in at.error)
    assert workspace.decisions(loaded_client.id).is_empty()

    at.text_area(key="confirm_remarks").input("Rate charged 18% instead of 12%").run()
    click_in_dialog(at, "confirm_go")
    saved = workspace.decisions(loaded_client.id).row(0, named=True)
    assert (saved["portal_doc_id"], saved["action"], saved["remarks"]) == (
        row["portal_doc_id"],
        "R",
        "Rate charged 18% instead of 12%",
    )
    trail = workspace.audit_trail(loaded_client.id).row(-1, named=True)
    assert (trail["new_action"], trail["source"]) == ("R", "user")


def test_pending_is_refused_where_the_portal_blocks_it(app, workspace, loaded_client):
    review = review_of(workspace, loaded_client)
    blocked = review.filter(pl.col("pending_blocked") & (pl.col("category") == "matched"))
    assert blocked.height, "the demo corpus has records with ispendactblocked = Y"
    at = app(PAGE)
    at.session_state["grid_matched_0"] = grid_event(selected=blocked["result_id"].to_list())
    at.run()
    at.button(key="bulk_P_matched").click().run()
    click_in_dialog(at, "confirm_go")
    assert workspace.decisions(loaded_client.id).is_empty()
    assert any("not set to Pending" in e.value for e in at.error)  # said in the dialog, which stays open


def test_upload_page_counts_only_decisions_and_the_files_hold_that_many(app, workspace, loaded_client):
    import json

    period = loaded_client.return_period
    # Before anyone decides, nothing is sent, however many Accepts, Rejects and Pendings are suggested.
    at = app("views/upload.py")
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Documents to change"] == "0"
    wanted = workspace.wanted_actions(loaded_client.id, period)
    assert wanted.filter(pl.col("changed") & pl.col("wanted_action").is_in(["R", "P"])).height > 0

    accepted = workspace.accept_matched(loaded_client.id, period)
    rejected = workspace.matched_to_accept(loaded_client.id, period, filed_only=False).head(1)
    workspace.set_action(
        loaded_client.id,
        period,
        rejected["portal_doc_id"].to_list(),
        "R",
        remarks="Goods returned",
        confirmed=True,
    )
    at.run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    expected = accepted.saved + 1
    assert metrics["Documents to change"] == f"{expected:,}"
    assert (metrics["Accept"], metrics["Reject"], metrics["Pending"]) == (f"{accepted.saved:,}", "1", "0")
    files = workspace.build_upload(loaded_client.id, period).to_files()
    records = [r for content in files.values() for rs in json.loads(content)["invdata"].values() for r in rs]
    assert len(records) == expected
    assert [r["remarks"] for r in records if r.get("action") == "R"] == ["Goods returned"]
    names = [b.label for b in at.get("download_button")]
    assert any(f"IMS_SAVE_{loaded_client.gstin}_{period}" in name for name in names), names


def test_linking_a_books_only_row_with_an_ims_only_row_pairs_them(app, workspace, loaded_client):
    period = loaded_client.return_period
    review = review_of(workspace, loaded_client)
    books_row = review.filter(pl.col("category") == "books_only").row(0, named=True)
    ims_row = review.filter(pl.col("category") == "ims_only").row(0, named=True)
    at = app(PAGE)
    assert at.button(key="link_pair").disabled
    # One row selected in each tab, one tab open at a time, as a consultant clicks through them.
    open_tab(at, "books_only")
    at.session_state["grid_books_only_0"] = grid_event(selected=[books_row["result_id"]], nonce="b")
    at.run()
    open_tab(at, "ims_only")
    at.session_state["grid_ims_only_0"] = grid_event(selected=[ims_row["result_id"]], nonce="i")
    at.run()
    assert not at.button(key="link_pair").disabled
    at.button(key="link_pair").click().run()
    assert not at.exception
    assert workspace.store.links(loaded_client.id, period) == (
        [(books_row["books_doc_id"], ims_row["portal_doc_id"])],
        [],
    )
    after = workspace.results(loaded_client.id, period)
    pair = after.filter(pl.col("portal_doc_id") == ims_row["portal_doc_id"]).row(0, named=True)
    assert pair["books_doc_id"] == books_row["books_doc_id"]
    assert pair["category"] in ("matched", "mismatched") and pair["basis"] == "manual"
    # The tab counts moved with it: one fewer leftover on each side.
    at.run()
    counts = {t.label.split(" · ")[0]: int(t.label.split(" · ")[1].replace(",", "")) for t in at.tabs}
    before = {c: review.filter(pl.col("category") == c).height for c in ("books_only", "ims_only")}
    assert counts["New invoice in ITC"] == before["books_only"] - 1
    assert counts["Not found in ITC"] == before["ims_only"] - 1


def test_switching_client_never_shows_the_other_clients_grid(app, workspace, loaded_client, demo_files):
    _, files = demo_files
    other = workspace.create_client("Other Client", "27AAPFU0939F1ZV", loaded_client.return_period)
    at = app(PAGE)
    at.session_state["grid_matched_0"] = grid_event(selected=["r-of-first-client"])
    at.run()
    at.selectbox(key="sidebar_client").select(other.id).run()
    assert not at.exception
    # The other client has nothing imported: no grid, no selection carried over.
    assert any("Import the purchase books" in i.value for i in at.info)
    at.selectbox(key="sidebar_client").select(loaded_client.id).run()
    assert at.session_state["grid_versions"]["matched"] >= 1  # remounted under a new key
    assert not any(m.value.startswith("**1 selected") for m in at.markdown)


def test_apply_suggestions_lists_them_first_then_saves_them_as_decisions(app, workspace, loaded_client):
    period = loaded_client.return_period
    listed = workspace.suggestions_to_apply(loaded_client.id, period)
    rejects = listed.filter(pl.col("suggested_action") == "R").height
    assert rejects > 0
    at = app(PAGE)
    assert not at.exception
    [panel] = [e for e in at.expander if e.label.startswith("Open suggestions nobody has decided yet")]
    assert f"Reject {rejects:,}" in panel.label
    # Closed, the panel sends no rows (they cost every visit); opened, it lists them above its button.
    assert not [d for d in at.dataframe if "Remark to the supplier" in d.value.columns]
    with pytest.raises(KeyError):
        at.button(key="apply_suggestions")
    at.session_state[SUGGESTIONS] = True
    at.run()
    [table] = [d for d in at.dataframe if "Remark to the supplier" in d.value.columns]
    assert len(table.value) == listed.height
    assert workspace.decisions(loaded_client.id).is_empty()  # listing saved nothing
    at.button(key="apply_suggestions").click().run()
    assert not at.exception
    decided = workspace.decisions(loaded_client.id)
    assert decided.height == listed.height
    assert decided.filter(pl.col("action") == "R").height == rejects
    # Each Reject carries the remark that was listed for it, and nothing else got one.
    remarks = dict(zip(listed["portal_doc_id"], listed["suggested_remark"], strict=True))
    for row in decided.iter_rows(named=True):
        assert row["remarks"] == remarks[row["portal_doc_id"]]
    assert workspace.suggestions_to_apply(loaded_client.id, period).is_empty()


def test_matching_settings_are_drawn_when_opened_and_the_rerun_uses_what_was_typed(
    app, workspace, loaded_client
):
    period = loaded_client.return_period
    at = app(PAGE)
    assert not at.exception
    [panel] = [e for e in at.expander if e.label == "Matching settings"]
    # Closed, the panel sends no form (every visit would draw it); opened, the saved settings fill it.
    assert not [w for w in at.number_input if w.label == "Date window (days)"]
    at.session_state["settings_open"] = True
    at.run()
    [window] = [w for w in at.number_input if w.label == "Date window (days)"]
    assert window.value == workspace.settings(loaded_client.id, period).date_window_days
    wider = window.value + 7
    window.set_value(wider)
    [rerun] = [b for b in at.button if b.label == "Re-run reconciliation with these settings"]
    rerun.click().run()
    assert not at.exception, at.exception
    assert workspace.settings(loaded_client.id, period).date_window_days == wider
    assert any("Reconciled again with the new settings" in m.value for m in at.success)


# --- the review grid on files written by hand (a Tally register with a title block, two rate rows for one
# invoice, a supplier GSTIN mistyped in the books) -----------------------------------------------------


def _gstin(body14: str) -> str:
    from recon.gstin import check_char

    return body14 + check_char(body14)


CLIENT_GSTIN = _gstin("27AAHCH4321K1Z")
KAVERI = _gstin("27AAGFK1234A1Z")
MALABAR = _gstin("29AAJCM5678B1Z")
MALABAR_TYPO = MALABAR[:7] + ("N" if MALABAR[7] != "N" else "P") + MALABAR[8:]  # one letter off


def _tally_register(folder):
    """A Tally purchase register as exported: company, title and period rows above the header."""
    lines = [
        "Hind Tools Pvt Ltd,,,,,,,,,,,,",
        "Purchase Register,,,,,,,,,,,,",
        "1-Nov-2025 to 30-Nov-2025,,,,,,,,,,,,",
        "Date,Particulars,Voucher Type,Voucher No.,Supplier Invoice No.,Supplier Invoice Date,GSTIN/UIN,"
        "Taxable Value,Integrated Tax Amount,Central Tax Amount,State Tax Amount,Cess Amount,Gross Total",
        f"5-Nov-2025,Kaveri Traders,Purchase,PUR/11,KT-501,5-Nov-2025,{KAVERI},10000,,250,250,,10500",
        f"5-Nov-2025,Kaveri Traders,Purchase,PUR/11,KT-501,5-Nov-2025,{KAVERI},20000,,1800,1800,,23600",
        f"8-Nov-2025,Malabar Steel,Purchase,PUR/12,MS-77,8-Nov-2025,{MALABAR_TYPO},50000,9000,,,,59000",
    ]
    path = folder / "purchase_register_nov.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _ims_download(folder):
    def record(stin, inum, idt, pos, txval, iamt, camt, samt):
        return {
            "stin": stin,
            "inum": inum,
            "idt": idt,
            "inv_typ": "R",
            "pos": pos,
            "val": round(txval + iamt + camt + samt, 2),
            "txval": txval,
            "iamt": iamt,
            "camt": camt,
            "samt": samt,
            "cess": 0,
            "rtnprd": "112025",
            "srcform": "R1",
            "srcfilstatus": "Filed",
            "action": "N",
            "ispendactblocked": "N",
        }

    payload = {
        "b2b": [
            record(KAVERI, "KT-501", "05-11-2025", "27", 30000.0, 0, 2050.0, 2050.0),
            record(MALABAR, "MS-77", "08-11-2025", "27", 50000.0, 9000.0, 0, 0),
        ]
    }
    path = folder / "ims_nov.json"
    path.write_text(json.dumps(payload, indent=1))
    return path


@pytest.fixture
def typo_client(workspace, tmp_path):
    client = workspace.create_client("Hind Tools Pvt Ltd", CLIENT_GSTIN, "112025")
    books = _tally_register(tmp_path)
    outcome = workspace.import_file(client.id, "112025", books.read_bytes(), books.name, kind="books")
    ims = _ims_download(tmp_path)
    workspace.import_file(client.id, "112025", ims.read_bytes(), ims.name, kind="ims")
    return client, outcome


def test_a_mistyped_gstin_is_said_to_pair_as_a_suggestion_and_it_does(workspace, typo_client):
    client, outcome = typo_client
    [warning] = [w for w in outcome.warnings if MALABAR_TYPO in w]
    assert "will not pair" not in warning
    assert "suggestion you confirm" in warning
    review = review_of(workspace, client)
    steel = review.filter(pl.col("portal_doc_no") == "MS-77").row(0, named=True)
    assert steel["books_doc_no"] == "MS-77"  # paired, across the typo
    assert steel["pair_to_confirm"] and steel["diff_gstin"]
    kaveri = review.filter(pl.col("portal_doc_no") == "KT-501").row(0, named=True)
    assert kaveri["category"] == "matched" and not kaveri["pair_to_confirm"]  # two rate rows, one invoice


def test_confirm_pair_records_the_suggested_pair_as_the_users_link(app, workspace, typo_client):
    client, _ = typo_client
    review = review_of(workspace, client)
    steel = review.filter(pl.col("portal_doc_no") == "MS-77").row(0, named=True)
    at = app(PAGE)
    open_tab(at, steel["category"])
    key = f"grid_{steel['category']}_0"
    at.session_state[key] = grid_event(selected=[steel["result_id"]])
    at.run()
    button = at.button(key=f"confirm_pair_{steel['category']}")
    assert not button.disabled
    button.click().run()
    assert not at.exception, at.exception
    after = review_of(workspace, client).filter(pl.col("portal_doc_id") == steel["portal_doc_id"])
    row = after.row(0, named=True)
    assert (row["books_doc_id"], row["basis"], row["pair_to_confirm"]) == (
        steel["books_doc_id"],
        "manual",
        False,
    )
    assert any("confirmed" in s.value for s in at.success) or any("confirmed" in t.value for t in at.toast)


def test_confirm_pair_is_off_for_a_pair_the_engine_is_sure_of(app, workspace, typo_client):
    client, _ = typo_client
    kaveri = review_of(workspace, client).filter(pl.col("portal_doc_no") == "KT-501").row(0, named=True)
    at = app(PAGE)
    at.session_state["grid_matched_0"] = grid_event(selected=[kaveri["result_id"]])
    at.run()
    assert at.button(key="confirm_pair_matched").disabled


def test_reject_dialog_keeps_cancel_after_a_missing_remark(app, workspace, loaded_client):
    row = review_of(workspace, loaded_client).filter(pl.col("category") == "mismatched").row(0, named=True)
    at = app(PAGE)
    open_tab(at, "mismatched")
    at.session_state["grid_mismatched_0"] = grid_event(
        edit={"result_id": row["result_id"], "field": "action", "value": "Reject"}
    )
    at.run()
    at.text_area(key="confirm_remarks").input("   ").run()
    click_in_dialog(at, "confirm_go")
    assert any("needs a remark" in e.value for e in at.error)
    assert at.text_area(key="confirm_remarks").value == "   "  # what was typed is still there
    click_in_dialog(at, "confirm_cancel")
    assert "pending_action" not in at.session_state
    assert workspace.decisions(loaded_client.id).is_empty()


def test_the_grid_gets_dates_as_dd_mm_yyyy_and_amounts_as_numbers(workspace, typo_client):
    from views._grid import snapshot

    client, _ = typo_client
    review = review_of(workspace, client)
    rows = json.loads(snapshot(review).to_json())
    kaveri = next(r for r in rows if r["portal_doc_no"] == "KT-501")
    assert (kaveri["books_doc_date"], kaveri["portal_doc_date"]) == ("05-11-2025", "05-11-2025")
    assert kaveri["books_taxable_value"] == 30000.0 and kaveri["portal_tax"] == 4100.0


def test_a_record_the_portal_would_refuse_reaches_the_grid_with_its_reason(workspace, typo_client):
    from recon.present import grid_options
    from views._grid import snapshot

    client, _ = typo_client
    reason = "document number longer than 16 characters"
    review = review_of(workspace, client).with_columns(
        pl.when(pl.col("portal_doc_no") == "MS-77").then(pl.lit(reason)).alias("portal_would_refuse")
    )
    data = snapshot(review)
    steel = next(r for r in json.loads(data.to_json()) if r["portal_doc_no"] == "MS-77")
    assert steel["portal_would_refuse"] == reason
    fields = [c["field"] for c in grid_options("mismatched", columns=data.fields)["columnDefs"]]
    assert "portal_would_refuse" in fields
    without = snapshot(review_of(workspace, client).drop("portal_would_refuse", strict=False))
    assert "portal_would_refuse" not in [
        c["field"] for c in grid_options("mismatched", columns=without.fields)["columnDefs"]
    ]


# --- a tab larger than a page: searched, sorted and paged on the server ----------------------------------


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of 50 rows, so the demo client's Matched tab (a few hundred rows) is paged as a lakh would be."""
    from recon import paging

    monkeypatch.setattr(paging, "PAGE_SIZE", 50)
    return 50


def grid_rows(at, category: str) -> list[str]:
    """The result ids of the rows handed to the open grid, in their order."""
    version = at.session_state["grid_versions"].get(category, 0) if "grid_versions" in at.session_state else 0
    data = at.session_state["grid_snapshots"][f"grid_{category}_{version}"]
    return [row["result_id"] for row in json.loads(data.to_json())]


def test_a_large_tab_sends_the_grid_one_page_and_pages_through_the_whole_tab(
    app, workspace, loaded_client, small_pages
):
    matched = review_of(workspace, loaded_client).filter(
        (pl.col("category") == "matched") & ~pl.col("not_ims_record")
    )
    pages = -(-matched.height // small_pages)
    assert pages >= 3, "the demo corpus has a few hundred matched rows"
    at = app(PAGE)
    assert not at.exception, at.exception
    assert any(f"Page 1 of {pages}" in c.value for c in at.caption)
    first = grid_rows(at, "matched")
    assert len(first) == small_pages
    at.button(key="view_next_matched").click().run()
    assert any(f"Page 2 of {pages}" in c.value for c in at.caption)
    second = grid_rows(at, "matched")
    assert len(second) == small_pages and not set(first) & set(second)
    at.number_input(key="view_page_matched").set_value(pages).run()
    last = grid_rows(at, "matched")
    assert len(first) + len(second) + len(last) + small_pages * (pages - 3) == matched.height
    # The order chosen applies to the whole tab: the first page holds the largest tax amounts.
    at.selectbox(key="view_sort_matched").select("Tax (₹)").run()
    at.toggle(key="view_descending_matched").set_value(True).run()
    tax = pl.coalesce("portal_tax", "books_tax")
    largest = matched.sort(tax, descending=True, maintain_order=True)["result_id"].head(small_pages)
    assert grid_rows(at, "matched") == largest.to_list()
    assert any("Page 1 of" in c.value for c in at.caption)  # a new order starts on its first page


def searched_matched_tab(workspace, client) -> tuple[pl.DataFrame, str, pl.DataFrame]:
    """(the Matched tab's rows, a search, the rows it finds): the state code most suppliers share, which
    finds more rows than one page holds and fewer than the tab."""
    matched = review_of(workspace, client).filter(
        (pl.col("category") == "matched") & ~pl.col("not_ims_record")
    )
    needle = matched["supplier_gstin"].str.slice(0, 2).mode().sort()[0]
    fields = ("supplier_name", "supplier_gstin", "books_doc_no", "portal_doc_no")
    found = matched.filter(pl.any_horizontal(pl.col(f).str.contains(needle, literal=True) for f in fields))
    return matched, needle, found


def test_accept_all_in_a_searched_tab_acts_on_every_row_found_and_says_how_many(
    app, workspace, loaded_client, small_pages
):
    matched, needle, found = searched_matched_tab(workspace, loaded_client)
    assert small_pages < found.height < matched.height
    at = app(PAGE)
    # Rows selected on the page are "on this page"; the button for all names the tab's count.
    at.session_state["grid_matched_0"] = grid_event(selected=matched["result_id"].head(3).to_list())
    at.run()
    assert any(m.value == "**3 selected** on this page" for m in at.markdown)
    assert at.button(key="bulk_all_A_matched").label == f"Accept all {matched.height:,} in this tab"
    at.text_input(key="view_search_matched").input(needle).run()
    assert not at.exception, at.exception
    button = at.button(key="bulk_all_A_matched")
    assert button.label == f"Accept the {found.height:,} found (of {matched.height:,} in this tab)"
    assert any(m.value == "**0 selected** on this page" for m in at.markdown)  # a new search, a new grid
    button.click().run()
    assert any(f"**Accept** for **{found.height:,}**" in m.value for m in at.markdown)
    assert workspace.decisions(loaded_client.id).is_empty()  # nothing saved before the confirmation
    click_in_dialog(at, "confirm_go")
    saved = workspace.decisions(loaded_client.id)
    assert sorted(saved["portal_doc_id"].to_list()) == sorted(found["portal_doc_id"].to_list())
    assert set(saved["action"].to_list()) == {"A"}


def test_reject_for_every_row_a_search_finds_asks_for_the_remark_and_saves_them_all(
    app, workspace, loaded_client, small_pages
):
    matched, needle, found = searched_matched_tab(workspace, loaded_client)
    assert small_pages < found.height < matched.height  # more than the page shows, less than the tab
    at = app(PAGE)
    [more] = [p.proto.popover for p in at.get("popover") if "or No action" in p.proto.popover.label]
    assert more.label == f"Reject, Pending or No action for all {matched.height:,}"
    at.text_input(key="view_search_matched").input(needle).run()
    [more] = [p.proto.popover for p in at.get("popover") if "or No action" in p.proto.popover.label]
    assert more.label == f"Reject, Pending or No action for the {found.height:,} found"
    at.button(key="bulk_all_R_matched").click().run()
    assert not at.exception, at.exception
    assert any(f"**Reject** for **{found.height:,}**" in m.value for m in at.markdown)
    at.text_area(key="confirm_remarks").input("").run()
    click_in_dialog(at, "confirm_go")  # a Reject without a remark: refused, all of it, said in the dialog
    assert any("needs a remark" in e.value for e in at.error)
    assert workspace.decisions(loaded_client.id).is_empty()
    at.text_area(key="confirm_remarks").input("Not our purchase: goods never received").run()
    click_in_dialog(at, "confirm_go")
    saved = workspace.decisions(loaded_client.id)
    assert sorted(saved["portal_doc_id"].to_list()) == sorted(found["portal_doc_id"].to_list())
    assert set(saved["action"].to_list()) == {"R"}
    assert set(saved["remarks"].to_list()) == {"Not our purchase: goods never received"}
