"""``python -m recon reconcile --history 2B ...``: a register over months, earlier GSTR-2Bs and the inbox.

The generated timeline (recon.synth.timeline) is run through the CLI and its CSV is held against the truth;
a hand-written Tally register with a title row, rate-wise rows and hand-written portal files checks the
columns and sentences a consultant reads.
"""

from __future__ import annotations

import json
from datetime import datetime

import openpyxl
import polars as pl
import pytest
import xlsxwriter
from engine_docs import OTHER, SUPPLIER

from recon.cli import main
from recon.cli.reconcile import export_frame, write
from recon.match import reconcile
from recon.match.view import joined
from recon.pool import POOL_COLUMNS, reconcile_open_pool
from recon.readers import read
from recon.synth import generate, write_files
from recon.synth.timeline import (
    IMS_FILE,
    TRUTH_FILE,
    books_file_name,
    generate_timeline,
    gstr2b_file,
    write_timeline,
)

PAIRED = ("matched", "mismatched", "settled")


@pytest.fixture(scope="module")
def timeline_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("timeline")
    timeline = generate_timeline(seed=20251, n_docs=400)
    write_timeline(timeline, folder)
    out = folder / "result.csv"
    history = [arg for m in timeline.months[:-1] for arg in ("--history", str(folder / gstr2b_file(m)))]
    args = ["reconcile", "--books", str(folder / books_file_name("generic", timeline.months))]
    code = main([*args, "--ims", str(folder / IMS_FILE), *history, "--out", str(out)])
    assert code == 0
    result = pl.read_csv(out, infer_schema=False)
    truth = pl.read_csv(folder / TRUTH_FILE, infer_schema=False)
    return folder, timeline, result, truth


def _pairs(frame: pl.DataFrame, portal_col: str) -> set[tuple[str, str]]:
    both = frame.filter(pl.col("books_doc_id").is_not_null() & pl.col(portal_col).is_not_null())
    return set(both.select("books_doc_id", portal_col).iter_rows())


def test_pairs_through_the_cli_meet_the_precision_and_recall_bar(timeline_run):
    _, _, result, truth = timeline_run
    found = _pairs(result, "ims_doc_id")
    expected = _pairs(truth.filter(pl.col("expected_category").is_in(PAIRED)), "portal_doc_id")
    right = len(found & expected)
    assert right / len(found) >= 0.999
    assert right / len(expected) >= 0.995


def test_every_case_is_present_and_settled_documents_are_never_new_invoices(timeline_run):
    _, _, result, truth = timeline_run
    assert {
        "filed_late",
        "booked_late",
        "pending_carried",
        "never_filed",
        "portal_only",
        "unbooked_2b",
        "fy_reuse",
    } <= set(truth["case"])
    settled = truth.filter(pl.col("expected_category") == "settled")["books_doc_id"]
    assert settled.len() > 100
    shown_as_new = result.filter(
        (pl.col("category") == "books_only") & pl.col("books_doc_id").is_in(settled.implode())
    )
    assert shown_as_new.height == 0
    got = result.filter(pl.col("books_doc_id").is_in(settled.implode()))
    assert set(got["category"]) == {"settled"} and set(got["portal_source"]) == {"gstr2b"}
    assert got.height == settled.len()


def test_records_that_pair_with_an_earlier_months_booking_are_not_ims_only(timeline_run):
    _, _, result, truth = timeline_run
    across = truth.filter((pl.col("cross_period") == "true") & (pl.col("portal_source") == "ims"))
    assert across.height >= 3
    rows = result.filter(pl.col("ims_doc_id").is_in(across["portal_doc_id"].implode()))
    assert rows.height == across.height
    assert set(rows["category"]) <= {"matched", "mismatched"}
    assert (
        rows["explanation"]
        .str.contains(r"^booked \w{3} 2025; in IMS from the supplier's \w{3} 2025 GSTR-1")
        .all()
    )


def test_a_pending_record_carried_from_an_earlier_month_pairs_with_its_booking(timeline_run):
    _, timeline, result, truth = timeline_run
    carried = truth.filter(pl.col("case") == "pending_carried")
    rows = result.join(carried.select("books_doc_id", "portal_doc_id"), on="books_doc_id")
    assert rows.height == carried.height
    assert (rows["ims_doc_id"] == rows["portal_doc_id"]).all()
    assert set(rows["portal_period"]) <= set(timeline.months[:-1])
    assert set(rows["category"]) == {"matched"}


def test_the_same_number_of_last_financial_year_never_pairs(timeline_run):
    _, _, result, truth = timeline_run
    reuse = truth.filter(pl.col("case") == "fy_reuse")
    last_year = reuse.filter(pl.col("portal_doc_id").is_null())["books_doc_id"]
    this_year = reuse.filter(pl.col("portal_doc_id").is_not_null())["portal_doc_id"]
    rows = result.filter(pl.col("books_doc_id").is_in(last_year.implode()))
    assert rows.height == last_year.len() and set(rows["category"]) == {"books_only"}
    assert rows["ims_doc_id"].null_count() == rows.height
    paired_with = result.filter(pl.col("ims_doc_id").is_in(this_year.implode()))["books_doc_id"]
    assert not set(paired_with.drop_nulls()) & set(last_year)


def test_history_documents_never_booked_are_not_reported(timeline_run):
    _, _, result, truth = timeline_run
    history = truth.filter(pl.col("expected_category") == "history")["portal_doc_id"]
    assert history.len() > 0
    assert result.filter(pl.col("ims_doc_id").is_in(history.implode())).is_empty()


def test_the_csv_keeps_every_column_and_adds_the_three_months_columns(timeline_run):
    folder, timeline, result, _ = timeline_run
    plain = folder / "plain.csv"
    args = ["reconcile", "--books", str(folder / books_file_name("generic", timeline.months))]
    assert main([*args, "--ims", str(folder / IMS_FILE), "--out", str(plain)]) == 0
    before = pl.read_csv(plain, infer_schema=False).columns
    assert result.columns == [*before, *POOL_COLUMNS]
    assert not set(POOL_COLUMNS) & set(before)
    settled = result.filter(pl.col("category") == "settled")
    assert settled["ims_doc_no"].null_count() == 0 and settled["ims_section"].null_count() == 0
    assert set(settled["portal_period"]) == set(timeline.months[:-1])


def test_without_history_the_csv_is_the_single_period_one_byte_for_byte(tmp_path):
    corpus = generate(seed=77, n_docs=600, period="102025")
    files = write_files(corpus, tmp_path, layouts=("busy",), formats=("csv",))
    books_path, ims_path = files["books_busy.csv"], files["ims.json"]
    plain = tmp_path / "plain.csv"
    assert main(["reconcile", "--books", str(books_path), "--ims", str(ims_path), "--out", str(plain)]) == 0
    assert "books_period" not in plain.read_text(encoding="utf-8").splitlines()[0]
    books, ims = read(books_path, kind="books").docs, read(ims_path, kind="ims").docs
    # The single-period path as it has always been (engine → joined view → export), and the open pool
    # given no history: both must write the very bytes the command wrote.
    engine_csv, pooled_csv = tmp_path / "engine.csv", tmp_path / "pooled.csv"
    write(export_frame(joined(reconcile(books, ims), books, ims)), engine_csv)
    pooled = reconcile_open_pool(books, ims, []).drop(POOL_COLUMNS)
    write(export_frame(joined(pooled, books, ims)), pooled_csv)
    assert plain.read_bytes() == engine_csv.read_bytes() == pooled_csv.read_bytes()


# ---------------------------------------------------------------------------------------------------
# Hand-written files: a Tally register with a title row, a September 2B and the October inbox
# ---------------------------------------------------------------------------------------------------

CLIENT = "27AAACR5055K1Z7"
TALLY_HEADER = [
    "Date",
    "Particulars",
    "Voucher Type",
    "Voucher No.",
    "Supplier Invoice No.",
    "Supplier Invoice Date",
    "GSTIN/UIN",
    "Taxable Value",
    "Integrated Tax Amount",
    "Central Tax Amount",
    "State Tax Amount",
    "Cess Amount",
    "Gross Total",
]


def write_tally(path):
    rows = [
        # In the September 2B, booked in October, at two rates (one register row per rate).
        [datetime(2025, 10, 3), "Udyog Traders", "Purchase", "PUR/25-26/0101", "UT/1041", datetime(2025, 9, 12), SUPPLIER, 10000.0, None, 900.0, 900.0, None, 11800.0],
        [datetime(2025, 10, 3), "Udyog Traders", "Purchase", "PUR/25-26/0101", "UT/1041", datetime(2025, 9, 12), SUPPLIER, 2000.0, None, 60.0, 60.0, None, 2120.0],
        # Booked in September; the supplier put it in the October GSTR-1.
        [datetime(2025, 9, 29), "Sagar Steels", "Purchase", "PUR/25-26/0090", "SS-77", datetime(2025, 9, 29), OTHER, 5000.0, 900.0, None, None, None, 5900.0],
        # Last year's bill of the same number as this year's SS-12: never the same document.
        [datetime(2025, 2, 11), "Sagar Steels", "Purchase", "PUR/24-25/0400", "SS-12", datetime(2025, 2, 11), OTHER, 3000.0, 540.0, None, None, None, 3540.0],
    ]  # fmt: skip
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Purchase Register")
    day = book.add_format({"num_format": "d-mmm-yy"})
    sheet.write_row(0, 0, ["Rao Engineering Pvt Ltd"])
    sheet.write_row(1, 0, ["Purchase Register"])
    sheet.write_row(2, 0, ["1-Apr-2025 to 31-Oct-2025"])
    sheet.write_row(3, 0, TALLY_HEADER)
    for r, row in enumerate(rows, start=4):
        for c, value in enumerate(row):
            if isinstance(value, datetime):
                sheet.write_datetime(r, c, value, day)
            elif value is not None:
                sheet.write(r, c, value)
    book.close()


def write_2b(path, *, gstin=CLIENT, period: str | None = "092025"):
    invoice = {
        "inum": "UT/1041",
        "typ": "R",
        "dt": "12-09-2025",
        "val": 13920,
        "pos": "27",
        "rev": "N",
        "itcavl": "Y",
        "diffprcnt": 1,
        "txval": 12000,
        "igst": 0,
        "cgst": 960,
        "sgst": 960,
        "cess": 0,
        "srctyp": "Upload",
        "imsStatus": "N",
    }
    supplier = {
        "ctin": SUPPLIER,
        "trdnm": "Udyog Traders",
        "supfildt": "11-10-2025",
        "supprd": "092025",
        "inv": [invoice],
    }
    data = {"gstin": gstin, "version": "GSTR2B_V4.0", "gendt": "14-10-2025", "docdata": {"b2b": [supplier]}}
    if period:
        data["rtnprd"] = period
    path.write_text(json.dumps({"chksum": "0" * 64, "data": data}), encoding="utf-8")


def write_inbox(path):
    def record(number, day, month, txval, iamt):
        return {
            "stin": OTHER,
            "inum": number,
            "idt": f"{day}-{month}-2025",
            "inv_typ": "R",
            "pos": "27",
            "val": txval + iamt,
            "txval": txval,
            "iamt": iamt,
            "camt": 0,
            "samt": 0,
            "cess": 0,
            "rtnprd": "102025",
            "srcform": "R1",
            "srcfilstatus": "Filed",
            "action": "N",
            "ispendactblocked": "N",
            "hash": "cd" * 32,
        }

    payload = {"b2b": [record("SS-77", "29", "09", 5000, 900), record("SS-12", "06", "10", 8000, 1440)]}
    path.write_text(json.dumps(payload), encoding="utf-8")


@pytest.fixture
def hand_written(tmp_path):
    books, two_b, inbox = (
        tmp_path / "purchase_register.xlsx",
        tmp_path / "2B_092025.json",
        tmp_path / "ims.json",
    )
    write_tally(books)
    write_2b(two_b)
    write_inbox(inbox)
    return tmp_path, ["reconcile", "--books", str(books), "--ims", str(inbox), "--gstin", CLIENT]


def test_a_tally_register_with_an_earlier_2b_reads_as_one_story(hand_written, capsys):
    folder, args = hand_written
    out = folder / "r.csv"
    assert main([*args, "--history", str(folder / "2B_092025.json"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    rows = {
        (r["books_doc_no"], r["ims_doc_no"]): r
        for r in pl.read_csv(out, infer_schema=False).iter_rows(named=True)
    }
    settled = rows[("UT/1041", "UT/1041")]
    assert settled["category"] == "settled" and settled["books_row"] == "5;6"
    assert (settled["portal_source"], settled["portal_period"], settled["ims_section"]) == (
        "gstr2b",
        "092025",
        "b2b",
    )
    # Dated September, booked (voucher date) on 3 October: October's books, settled by September's 2B.
    assert settled["books_period"] == "102025"
    assert settled["explanation"].startswith("booked Oct 2025; in GSTR-2B of Sep 2025.")
    late = rows[("SS-77", "SS-77")]
    assert late["category"] == "matched" and late["portal_period"] == "102025"
    assert late["explanation"].startswith("booked Sep 2025; in IMS from the supplier's Oct 2025 GSTR-1.")
    assert rows[("SS-12", None)]["category"] == "books_only"
    assert rows[(None, "SS-12")]["category"] == "ims_only"
    assert len(rows) == 4
    assert "Settled in an earlier period (GSTR-2B 092025): 1 documents, ITC ₹1,920.00" in printed


def test_another_clients_2b_is_refused_naming_the_file(hand_written, capsys):
    folder, args = hand_written
    stranger = folder / "2B_other.json"
    write_2b(stranger, gstin="29AAACR5055K1ZJ")
    assert main([*args, "--history", str(stranger), "--out", str(folder / "r.csv")]) == 2
    err = capsys.readouterr().err
    assert "2B_other.json" in err and "29AAACR5055K1ZJ" in err
    assert not (folder / "r.csv").exists()


def test_a_2b_that_does_not_say_its_period_is_refused(hand_written, capsys):
    folder, args = hand_written
    undated = folder / "2B_undated.json"
    write_2b(undated, period=None)
    assert main([*args, "--history", str(undated)]) == 2
    err = capsys.readouterr().err
    assert "2B_undated.json" in err and "period" in err


def test_the_same_month_twice_is_refused(hand_written, capsys):
    folder, args = hand_written
    copy = folder / "2B_copy.json"
    write_2b(copy)
    assert main([*args, "--history", str(folder / "2B_092025.json"), "--history", str(copy)]) == 2
    assert "092025" in capsys.readouterr().err


def test_history_needs_the_ims_inbox(hand_written, capsys):
    folder, _ = hand_written
    args = [
        "reconcile",
        "--books",
        str(folder / "purchase_register.xlsx"),
        "--portal",
        str(folder / "ims.json"),
    ]
    assert main([*args, "--history", str(folder / "2B_092025.json")]) == 2
    assert "--ims" in capsys.readouterr().err


def test_help_names_the_history_option(capsys):
    with pytest.raises(SystemExit):
        main(["reconcile", "--help"])
    assert "--history" in capsys.readouterr().out


def test_a_statement_given_as_the_portal_excel_settles_as_its_json_does(tmp_path):
    timeline = generate_timeline(seed=8, n_docs=120)
    write_timeline(timeline, tmp_path, gstr2b_excel=True)
    first, second = timeline.months[:-1]
    args = [
        "reconcile",
        "--books",
        str(tmp_path / books_file_name("generic", timeline.months)),
        "--ims",
        str(tmp_path / IMS_FILE),
        "--history",
        str(tmp_path / gstr2b_file(second)),
    ]
    outs = {}
    for kind in ("json", "xlsx"):
        outs[kind] = tmp_path / f"{kind}.csv"
        statement = tmp_path / gstr2b_file(first).replace(".json", f".{kind}")
        assert main([*args, "--history", str(statement), "--out", str(outs[kind])]) == 0
    columns = ["category", "books_doc_id", "ims_doc_id", "portal_source", "portal_period"]
    from_json = pl.read_csv(outs["json"], infer_schema=False).select(columns)
    from_excel = pl.read_csv(outs["xlsx"], infer_schema=False).select(columns)
    assert from_json.filter(pl.col("portal_period") == first).height > 50
    assert from_excel.equals(from_json)


def test_a_2b_of_the_inboxs_own_month_is_refused(hand_written, capsys):
    folder, args = hand_written
    same_month = folder / "2B_102025.json"
    write_2b(same_month, period="102025")
    assert main([*args, "--history", str(same_month)]) == 2
    err = capsys.readouterr().err
    assert "2B_102025.json" in err and "not earlier than the IMS inbox" in err


def test_a_quarterly_clients_2b_is_named_by_its_quarter(hand_written, capsys):
    folder, args = hand_written
    out = folder / "q.csv"
    assert main([*args, "--quarterly", "--history", str(folder / "2B_092025.json"), "--out", str(out)]) == 0
    rows = {
        (r["books_doc_no"], r["ims_doc_no"]): r
        for r in pl.read_csv(out, infer_schema=False).iter_rows(named=True)
    }
    settled = rows[("UT/1041", "UT/1041")]
    assert (settled["category"], settled["portal_period"]) == ("settled", "092025")
    assert settled["explanation"].startswith("booked Oct 2025; in GSTR-2B of Jul–Sep 2025.")


def test_a_quarterly_client_gives_each_quarters_2b_once(hand_written, capsys):
    folder, args = hand_written
    july = folder / "2B_072025.json"
    write_2b(july, period="072025")
    history = ["--history", str(july), "--history", str(folder / "2B_092025.json")]
    assert main([*args, "--quarterly", *history]) == 2
    err = capsys.readouterr().err
    assert "two statements for the quarter of 092025" in err and "2B_072025.json" in err


def test_a_quarterly_2b_of_the_inboxs_own_quarter_is_refused(hand_written, capsys):
    """November's inbox: October's 2B is earlier for a monthly client, the quarter's own for a quarterly one."""
    folder, args = hand_written
    inbox = folder / "ims.json"
    inbox.write_text(inbox.read_text().replace('"102025"', '"112025"'), encoding="utf-8")
    october = folder / "2B_102025.json"
    write_2b(october, period="102025")
    assert main([*args, "--history", str(october)]) == 0
    capsys.readouterr()
    assert main([*args, "--quarterly", "--history", str(october)]) == 2
    err = capsys.readouterr().err
    assert "2B_102025.json" in err and "the quarter of the IMS inbox's newest records (112025)" in err


def test_an_inbox_downloaded_before_septembers_3b_does_not_report_its_2b_records_as_new(hand_written, capsys):
    """September's record of UT/1041 is still in the inbox (written UT-1041 there): the download predates
    September's GSTR-3B. It is the settled pair with its books entry, and no upload suggests an action."""
    folder, args = hand_written
    inbox = json.loads((folder / "ims.json").read_text(encoding="utf-8"))
    inbox["b2b"].append(
        {
            "stin": SUPPLIER,
            "inum": "UT-1041",
            "idt": "12-09-2025",
            "inv_typ": "R",
            "pos": "27",
            "val": 13920,
            "txval": 12000,
            "iamt": 0,
            "camt": 960,
            "samt": 960,
            "cess": 0,
            "rtnprd": "092025",
            "srcform": "R1",
            "srcfilstatus": "Filed",
            "action": "N",
            "ispendactblocked": "N",
            "hash": "ab" * 32,
        }
    )
    (folder / "ims.json").write_text(json.dumps(inbox), encoding="utf-8")
    out = folder / "r.csv"
    assert main([*args, "--history", str(folder / "2B_092025.json"), "--out", str(out)]) == 0
    table = pl.read_csv(out, infer_schema=False)
    rows = {(r["books_doc_no"], r["ims_doc_no"]): r for r in table.iter_rows(named=True)}
    copy = rows[("UT/1041", "UT-1041")]
    assert (copy["category"], copy["portal_source"], copy["portal_period"]) == ("settled", "ims", "092025")
    assert copy["explanation"].startswith(
        "booked Oct 2025; already in GSTR-2B of Sep 2025; the IMS download predates its GSTR-3B."
    )
    assert copy["suggested_action"] is None
    assert table.filter(pl.col("category") == "ims_only")["ims_doc_no"].to_list() == ["SS-12"]
    assert len(rows) == 4
    assert "Settled in an earlier period (GSTR-2B 092025): 1 documents" in capsys.readouterr().out

    upload = ["actions", "--ims", str(folder / "ims.json"), "--decisions", str(out), "--gstin", CLIENT]
    assert main([*upload, "--suggested", "all", "--out-dir", str(folder / "up")]) == 0
    written = " ".join(path.read_text(encoding="utf-8") for path in (folder / "up").glob("*.json"))
    assert "SS-12" in written and "UT-1041" not in written


def test_the_paper_with_history_lists_the_settled_documents_on_a_sheet_of_their_own(hand_written):
    folder, args = hand_written
    paper = folder / "paper.xlsx"
    command = ["paper", *args[1:], "--history", str(folder / "2B_092025.json"), "--out", str(paper)]
    assert main(command) == 0
    book = openpyxl.load_workbook(paper, read_only=True)
    rows = list(book["Settled in an earlier period"].iter_rows(values_only=True))
    header, *settled = rows
    (only,) = [dict(zip(header, row, strict=True)) for row in settled]
    assert (only["Document no"], only["Booked"], only["In GSTR-2B of"]) == ("UT/1041", "Oct 2025", "Sep 2025")
    matched = list(book["Matched with ITC"].iter_rows(values_only=True))
    assert [dict(zip(matched[0], r, strict=True))["Books doc no"] for r in matched[1:]] == ["SS-77"]
