"""Suggested IMS actions (docs/reference/matching-practice.md §11), guards (§12) and decisions over suggestions."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from recon import model
from recon.actions import Decision, check_decision, decision_cautions, effective_actions, suggest
from recon.match.result import RESULT_SCHEMA

SUPPLIER = "27AAPFU0939F1ZV"
TODAY = date(2025, 12, 5)


def portal_doc(doc_id: str, **fields) -> dict:
    row = {
        "doc_id": doc_id,
        "source": "ims",
        "section": "b2b",
        "doc_kind": "invoice",
        "supplier_gstin": SUPPLIER,
        "doc_no": doc_id.upper(),
        "doc_date": date(2025, 11, 7),
        "fy": "2025-26",
        "supplier_period": "112025",
        "supplier_filed": True,
        "ims_action": "N",
        "pending_blocked": False,
        "remarks_blocked": False,
        "itc_red_blocked": False,
        "taxable_value": 50000.0,
        "igst": 0.0,
        "cgst": 4500.0,
        "sgst": 4500.0,
        "cess": 0.0,
        "content_hash": f"h-{doc_id}",
    }
    row.update(fields)
    return row


def books_doc(doc_id: str, **fields) -> dict:
    row = {
        "doc_id": doc_id,
        "source": "books",
        "doc_kind": "invoice",
        "supplier_gstin": SUPPLIER,
        "doc_no": doc_id.upper(),
        "doc_date": date(2025, 11, 7),
        "fy": "2025-26",
        "taxable_value": 50000.0,
        "igst": 0.0,
        "cgst": 4500.0,
        "sgst": 4500.0,
        "cess": 0.0,
    }
    row.update(fields)
    return row


def frame(rows: list[dict]) -> pl.DataFrame:
    return model.conform(pl.DataFrame(rows, schema={k: model.SCHEMA[k] for k in rows[0]}))


def result(category: str, books_id: str | None, portal_id: str | None, *, differences=(), **fields) -> dict:
    row = {c: None for c in RESULT_SCHEMA}
    row.update(
        result_id=f"{books_id}~{portal_id}",
        category=category,
        books_doc_id=books_id,
        portal_doc_id=portal_id,
        basis="exact" if books_id and portal_id else None,
        score=100.0 if books_id and portal_id else None,
        differences=[{"field": f, "books": "x", "portal": "y", "difference": None} for f in differences],
        differences_text="; ".join(differences) or None,
        needs_review=False,
        action_warnings=[],
    )
    row.update(fields)
    return row


def run(results: list[dict], books: list[dict], portal: list[dict], today: date = TODAY) -> list[dict]:
    table = pl.DataFrame(results, schema=RESULT_SCHEMA)
    books_frame = frame(books) if books else model.empty()
    return suggest(table, books_frame, frame(portal), today=today).to_dicts()


def one(category, books, portal, today=TODAY, **result_fields) -> dict:
    books_id = books["doc_id"] if books else None
    portal_id = portal["doc_id"] if portal else None
    (row,) = run(
        [result(category, books_id, portal_id, **result_fields)],
        [books] if books else [],
        [portal] if portal else [portal_doc("unused")],
        today,
    )
    return row


# ------------------------------------------------------------------------------------------- matched


def test_matched_and_filed_is_accepted():
    row = one("matched", books_doc("b1"), portal_doc("p1"))
    assert row["suggested_action"] == "A"
    assert "supplier has filed" in row["action_reason"]
    assert row["action_warnings"] == []


def test_matched_but_unfiled_is_pending_with_a_warning():
    row = one("matched", books_doc("b1"), portal_doc("p1", supplier_filed=False))
    assert row["suggested_action"] == "P"
    assert any(w.startswith("Supplier has not filed") for w in row["action_warnings"])


def test_pending_blocked_falls_back_to_no_action_with_a_warning():
    row = one("matched", books_doc("b1"), portal_doc("p1", supplier_filed=False, pending_blocked=True))
    assert row["suggested_action"] == "N"
    assert "portal blocks Pending" in row["action_reason"]
    assert any("before the 14th" in w for w in row["action_warnings"])


# ------------------------------------------------------------------------------------------- mismatched


def test_date_only_difference_is_accepted_because_the_supplier_date_governs():
    row = one(
        "mismatched", books_doc("b1", doc_date=date(2025, 11, 8)), portal_doc("p1"), differences=["doc_date"]
    )
    assert row["suggested_action"] == "A"
    assert "supplier's date governs" in row["action_reason"]


def test_small_amount_difference_is_pending_while_the_supplier_amends():
    row = one(
        "mismatched",
        books_doc("b1", cgst=4400.0, sgst=4400.0),
        portal_doc("p1"),
        differences=["cgst", "sgst"],
    )
    assert row["suggested_action"] == "P"
    assert "amends" in row["action_reason"]


def test_place_of_supply_difference_on_a_filed_document_is_rejected_with_its_cost():
    row = one("mismatched", books_doc("b1", pos="29"), portal_doc("p1", pos="27"), differences=["pos"])
    assert row["suggested_action"] == "R"
    assert "place of supply" in row["action_reason"]
    assert any("Rejecting loses this ITC" in w for w in row["action_warnings"])


def test_clear_supplier_error_on_an_unfiled_document_is_pending_to_fix_before_filing():
    row = one(
        "mismatched", books_doc("b1"), portal_doc("p1", supplier_filed=False, pos="29"), differences=["pos"]
    )
    assert row["suggested_action"] == "P"
    assert "before filing" in row["action_reason"]


def test_tax_on_the_wrong_head_is_rejected():
    books = books_doc("b1", igst=9000.0, cgst=0.0, sgst=0.0)
    row = one("mismatched", books, portal_doc("p1"), differences=["igst", "cgst", "sgst"])
    assert row["suggested_action"] == "R"
    assert "wrong head" in row["action_reason"]


def test_amounts_far_apart_are_rejected():
    row = one(
        "mismatched", books_doc("b1", cgst=450.0, sgst=450.0), portal_doc("p1"), differences=["cgst", "sgst"]
    )
    assert row["suggested_action"] == "R"
    assert "(the number, taxable value and date agree)" in row["action_reason"]


def test_a_reject_on_a_manual_link_names_the_link_as_its_evidence():
    row = one(
        "mismatched",
        books_doc("b1", pos="29"),
        portal_doc("p1", pos="27"),
        differences=["pos"],
        basis="manual",
    )
    assert row["suggested_action"] == "R"
    assert "(you linked the two, and the taxable value and date agree)" in row["action_reason"]


def test_unrelated_amounts_on_one_number_are_pending_not_rejected():
    # A ₹44.64 invoice that shares the number of a ₹59,000 purchase: maybe not the same document at all.
    row = one(
        "mismatched",
        books_doc("b1"),
        portal_doc("p1", taxable_value=37.83, cgst=3.40, sgst=3.41, doc_date=date(2025, 6, 12)),
        differences=["taxable", "cgst", "sgst", "date"],
    )
    assert row["suggested_action"] == "P"
    assert "the taxable value and the date differ as well" in row["action_reason"]
    assert "A Reject needs the number, taxable value and date to agree" in row["action_reason"]
    assert not any("Rejecting" in w for w in row["action_warnings"])


def test_a_supplier_error_with_another_date_is_pending_and_says_the_date_differs():
    row = one(
        "mismatched",
        books_doc("b1", pos="29", doc_date=date(2025, 10, 2)),
        portal_doc("p1", pos="27"),
        differences=["pos", "doc_date"],
    )
    assert row["suggested_action"] == "P"
    assert "(the place of supply differs), but the date differs as well" in row["action_reason"]


def test_mismatches_of_strong_and_weak_evidence_are_told_apart_in_one_table():
    # Rows are suggested once per kind: two mismatches alike but for the taxable value must not share one.
    strong = result("mismatched", "b1", "p1", differences=["cgst", "sgst"])
    weak = result("mismatched", "b2", "p2", differences=["taxable", "cgst", "sgst"])
    rows = run(
        [strong, weak],
        [
            books_doc("b1", cgst=450.0, sgst=450.0),
            books_doc("b2", taxable_value=5000.0, cgst=450.0, sgst=450.0),
        ],
        [portal_doc("p1"), portal_doc("p2")],
    )
    assert [r["suggested_action"] for r in rows] == ["R", "P"]


# ------------------------------------------------------------------------------------------- suggestions


def test_fuzzy_pair_keeps_the_portal_action_until_confirmed():
    for held in ("N", "A"):
        row = one("matched", books_doc("b1"), portal_doc("p1", ims_action=held), basis="fuzzy", score=92.0)
        assert row["suggested_action"] == held
        assert "Confirm or unlink" in row["action_reason"]


# ------------------------------------------------------------------------------------------- leftovers


def test_only_in_ims_is_pending_never_rejected_and_says_inaction_accepts():
    row = one("ims_only", None, portal_doc("p1"))
    assert row["suggested_action"] == "P"
    assert "deemed accepted" in row["action_reason"]
    assert "never rejected" in row["action_reason"]


def test_only_in_ims_where_pending_is_blocked_is_no_action_not_reject():
    row = one("ims_only", None, portal_doc("p1", pending_blocked=True))
    assert row["suggested_action"] == "N"


def test_only_in_books_and_not_ims_records_get_no_action():
    assert one("books_only", books_doc("b1"), None)["suggested_action"] is None
    row = one("matched", books_doc("b1"), portal_doc("p1"), not_in_ims_reason="reverse charge")
    assert row["suggested_action"] is None
    assert "GSTR-2B" in row["action_reason"]


# ------------------------------------------------------------------------------------------- credit notes


def credit_note(doc_id: str, period: str) -> dict:
    return portal_doc(
        doc_id,
        section="b2bcn",
        doc_kind="credit_note",
        supplier_period=period,
        igst=360.0,
        cgst=0.0,
        sgst=0.0,
    )


def test_credit_note_before_october_2025_cannot_be_pending():
    row = one("ims_only", None, credit_note("c1", "092025"))
    assert row["suggested_action"] == "N"
    assert "October-2025" in row["action_reason"]


def test_credit_note_from_october_2025_is_pending_for_one_tax_period_only():
    inside = one("ims_only", None, credit_note("c1", "102025"), today=date(2025, 12, 20))
    assert inside["suggested_action"] == "P"
    # October-2025 note: Pending until 20-12-2025 (FAQ25 example), gone the day after.
    after = one("ims_only", None, credit_note("c1", "102025"), today=date(2025, 12, 21))
    assert after["suggested_action"] == "N"
    assert "20-12-2025" in after["action_reason"]


def test_matched_credit_note_is_accepted_with_a_reduction_declaration():
    books = books_doc("b1", doc_kind="credit_note", igst=300.0, cgst=0.0, sgst=0.0)
    row = one("matched", books, credit_note("c1", "112025"))
    assert row["suggested_action"] == "A"
    assert "ITC reduction" in row["action_reason"]


# ------------------------------------------------------------------------------------------- imports


def test_imports_are_never_rejected_even_when_clearly_wrong():
    boe = portal_doc("i1", section="impg", doc_kind="bill_of_entry", igst=18000.0, cgst=0.0, sgst=0.0)
    books = books_doc("b1", doc_kind="bill_of_entry", igst=1000.0, cgst=0.0, sgst=0.0)
    assert one("mismatched", books, boe, differences=["igst"])["suggested_action"] == "P"
    assert one("ims_only", None, boe)["suggested_action"] == "P"


# ------------------------------------------------------------------------------------------- s.16(4)


def test_s16_deadline_warns_on_open_items_near_or_past_it():
    old = portal_doc("p1", fy="2024-25", doc_date=date(2025, 3, 10))
    near = one("ims_only", None, old, today=date(2025, 10, 15))
    assert any("30-11-2025" in w and "46 days left" in w for w in near["action_warnings"])
    past = one("ims_only", None, old, today=date(2025, 12, 1))
    assert any("passed on 30-11-2025" in w for w in past["action_warnings"])
    accepted = one("matched", books_doc("b1", fy="2024-25"), old, today=date(2025, 10, 15))
    assert not any("s.16(4)" in w for w in accepted["action_warnings"])
    fresh = one("ims_only", None, portal_doc("p2"), today=date(2025, 10, 15))
    assert not any("s.16(4)" in w for w in fresh["action_warnings"])


def test_rows_keep_their_order_and_other_columns():
    rows = run(
        [
            result("ims_only", None, "p2", explanation="second"),
            result("matched", "b1", "p1", explanation="first"),
            result("books_only", "b3", None, explanation="third"),
        ],
        [books_doc("b1"), books_doc("b3")],
        [portal_doc("p1"), portal_doc("p2")],
    )
    assert [(r["explanation"], r["suggested_action"]) for r in rows] == [
        ("second", "P"),
        ("first", "A"),
        ("third", None),
    ]


# ------------------------------------------------------------------------------------------- decisions


def decided(results, books, portal, decisions, today=TODAY) -> dict[str, dict]:
    table = suggest(pl.DataFrame(results, schema=RESULT_SCHEMA), frame(books), frame(portal), today=today)
    eff = effective_actions(table, frame(portal), decisions, books=frame(books), today=today)
    return {r["portal_doc_id"]: r for r in eff.to_dicts()}


def test_a_decision_wins_over_the_suggestion():
    rows = decided(
        [result("ims_only", None, "p1")],
        [books_doc("b9")],
        [portal_doc("p1")],
        [Decision("p1", "R", remarks="Not our purchase", content_hash="h-p1")],
    )
    row = rows["p1"]
    assert (row["suggested_action"], row["wanted_action"], row["action_source"]) == ("P", "R", "user")
    assert row["remarks"] == "Not our purchase"
    assert row["changed"] and not row["stale"] and row["guard_problems"] == []


def test_a_decision_on_a_changed_document_is_flagged_and_not_exported():
    rows = decided(
        [result("ims_only", None, "p1")],
        [books_doc("b9")],
        [portal_doc("p1", content_hash="new")],
        [Decision("p1", "R", content_hash="old")],
    )
    row = rows["p1"]
    assert row["stale"] is True
    assert row["stale_reason"] == "supplier changed this document since you decided — review"
    assert row["decision_action"] == "R"
    assert row["wanted_action"] == "N" and row["changed"] is False


def test_suggested_credit_note_accept_declares_books_amounts_capped_at_the_note():
    note = portal_doc("c1", section="b2bcn", doc_kind="credit_note", cgst=90.0, sgst=90.0)
    books = books_doc("b1", doc_kind="credit_note", cgst=100.0, sgst=100.0)
    row = decided([result("matched", "b1", "c1")], [books], [note], [])["c1"]
    assert row["wanted_action"] == "A"
    assert (row["itc_red_req"], row["decl_igst"], row["decl_cgst"], row["decl_sgst"]) == (
        "Y",
        0.0,
        90.0,
        90.0,
    )


def test_suggested_remarks_are_left_out_where_the_portal_blocks_them():
    rows = decided(
        [result("ims_only", None, "p1"), result("ims_only", None, "p2")],
        [books_doc("b9")],
        [portal_doc("p1"), portal_doc("p2", remarks_blocked=True)],
        [],
    )
    assert rows["p1"]["remarks"].startswith("Not found in our purchase records")
    assert rows["p2"]["remarks"] is None


def test_user_decision_breaking_a_guard_is_reported_per_row():
    rows = decided(
        [result("ims_only", None, "p1")],
        [books_doc("b9")],
        [portal_doc("p1", pending_blocked=True)],
        [Decision("p1", "P")],
    )
    assert rows["p1"]["guard_problems"] == [
        "Pending is not allowed: the portal blocks Pending for this document."
    ]


@pytest.mark.parametrize(
    ("doc", "decision", "expected"),
    [
        (portal_doc("p1", pending_blocked=True), Decision("p1", "P"), "blocks Pending"),
        (
            portal_doc("i1", section="impg", doc_kind="bill_of_entry"),
            Decision("i1", "R", remarks="no"),
            "never rejected",
        ),
        (portal_doc("p1"), Decision("p1", "R"), "needs a remark"),
        (portal_doc("p1"), Decision("p1", "R", remarks="   "), "needs a remark"),
        (credit_note("c1", "112025"), Decision("c1", "A"), "IMSSAV0054"),
        (credit_note("c1", "112025"), Decision("c1", "A", itc_red_req="Y", decl_igst=361.0), "more than"),
        (portal_doc("p1"), Decision("p1", "R", remarks="x" * 251), "250 characters"),
        (portal_doc("p1", remarks_blocked=True), Decision("p1", "R", remarks="no"), "blocks remarks"),
        (portal_doc("p1"), Decision("p1", "X"), "not an IMS action"),
    ],
)
def test_check_decision_names_each_guard(doc, decision, expected):
    problems = check_decision(doc, decision, today=TODAY)
    assert len(problems) == 1 and expected in problems[0]


def test_a_reject_goes_without_a_remark_only_where_the_portal_blocks_remarks():
    assert check_decision(portal_doc("p1", remarks_blocked=True), Decision("p1", "R"), today=TODAY) == []


def test_check_decision_passes_a_valid_decision():
    assert (
        check_decision(credit_note("c1", "112025"), Decision("c1", "A", itc_red_req="Y", decl_igst=360.0))
        == []
    )
    assert check_decision(portal_doc("p1"), Decision("p1", "R", remarks="Rate not agreed")) == []


def test_cautions_before_accepting_unfiled_or_rejecting():
    assert "not filed" in decision_cautions(portal_doc("p1", supplier_filed=False), Decision("p1", "A"))[0]
    assert "supplier's liability" in decision_cautions(credit_note("c1", "112025"), Decision("c1", "R"))[0]


def test_a_suggestion_that_would_change_an_action_taken_on_the_portal_is_flagged():
    row = one("ims_only", None, portal_doc("p1", ims_action="R"))
    assert row["suggested_action"] == "P"
    assert any("portal already holds Reject" in w for w in row["action_warnings"])
    same = one("matched", books_doc("b1"), portal_doc("p1", ims_action="A"))
    assert not any("already holds" in w for w in same["action_warnings"])


def test_a_document_already_pending_is_not_reset_by_a_suggestion():
    # Pending now blocked (e.g. the portal froze it): suggesting No Action would send an unasked RESET.
    row = one("ims_only", None, portal_doc("p1", ims_action="P", pending_blocked=True))
    assert row["suggested_action"] == "P"
    fuzzy = one(
        "matched",
        books_doc("b1"),
        portal_doc("p1", ims_action="P", supplier_filed=False, pending_blocked=True),
        basis="fuzzy",
        score=91.0,
    )
    assert fuzzy["suggested_action"] == "P"


def test_row_positions_give_the_same_suggestions_as_doc_ids():
    books = frame([books_doc("b1"), books_doc("b2", cgst=4000.0), books_doc("b3")])
    portal = frame([portal_doc("p9", supplier_filed=False), portal_doc("p1"), portal_doc("p2", sgst=5000.0)])
    table = pl.DataFrame(
        [
            result("matched", "b1", "p1"),
            result("mismatched", "b2", "p2", differences=("cgst", "sgst")),
            result("ims_only", None, "p9"),
            result("books_only", "b3", None),
        ],
        schema=RESULT_SCHEMA,
    )
    by_id = suggest(table, books, portal, today=TODAY)
    by_position = suggest(
        table,
        books,
        portal,
        today=TODAY,
        books_rows=pl.Series([0, 1, None, 2], dtype=pl.UInt32),
        portal_rows=pl.Series([1, 2, 0, None], dtype=pl.UInt32),
    )
    assert by_position.equals(by_id)


def test_a_rows_suggestion_does_not_depend_on_the_other_rows():
    """suggest works out its rules once per kind of row; a row suggested alone must read the same as in the
    whole result (a fact a rule reads but the kinds leave out would make rows borrow each other's text)."""
    from recon.match import reconcile
    from recon.synth import generate

    corpus = generate(seed=5, n_docs=1500)
    today = date(2025, 12, 5)
    results = reconcile(corpus.books, corpus.ims, today=today)
    together = suggest(results, corpus.books, corpus.ims, today)
    # Two rows of every distinct reason, and of every combination of the portal facts the rules read.
    facts = ["section", "doc_kind", "supplier_period", "supplier_filed", "ims_action", "pending_blocked"]
    portal_facts = corpus.ims.select(pl.col("doc_id").alias("portal_doc_id"), *facts)
    rows = together.with_row_index("_at").join(
        portal_facts, on="portal_doc_id", how="left", maintain_order="left"
    )
    sample = rows.filter(
        (pl.int_range(pl.len()).over("category", "action_reason") < 2)
        | (pl.int_range(pl.len()).over("category", *facts) < 2)
    )
    assert sample["category"].n_unique() == 4 and sample.height > 60
    columns = ["suggested_action", "action_reason", "action_warnings"]
    for at in sample["_at"]:
        alone = suggest(results.slice(at, 1), corpus.books, corpus.ims, today)
        assert alone.select(columns).row(0) == together.select(columns).row(at), results["result_id"][at]
