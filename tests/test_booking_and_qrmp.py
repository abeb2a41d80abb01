"""Booking month and quarterly (QRMP) clients, through the workspace, with files written by hand.

The register is a Tally export as a consultant receives it: title rows, Tally's column names, "Date" the
voucher date beside "Supplier Invoice Date", one bill on two rate rows, a Debit Note voucher. The portal
files are the JSON the portal gives. What a consultant would notice:

- a bill dated September but booked (voucher) in October belongs to October's books;
- a register of October alone, holding such a bill, does not replace September's register;
- a quarterly client's 2B of a quarter settles the quarter's books, and its timeline shows quarters;
- a quarterly client may keep a credit note Pending for a quarter; after that the reason is said.
"""

from __future__ import annotations

import io
import json
from datetime import date

import polars as pl
import pytest
import sqlalchemy as sa
import xlsxwriter
from handwritten_files import CLIENT_A, CLIENT_B, SUPPLIERS, tally_workbook

from recon import figures
from recon.errors import InputError
from recon.store import Store
from recon.workspace import Workspace

JUL, AUG, SEP, OCT, NOV, DEC = "072025", "082025", "092025", "102025", "112025", "122025"


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace(Store(f"sqlite:///{tmp_path / 'w.db'}"), user="tester")
    yield workspace
    workspace.store.dispose()


# (number, supplier index, supplier's invoice date, voucher date, taxable, voucher type)
Bill = tuple[str, int, date, date, float, str]

JUL_1: Bill = ("JUL-1", 0, date(2025, 7, 8), date(2025, 7, 9), 40000.0, "Purchase")
AUG_1: Bill = ("AUG-1", 1, date(2025, 8, 14), date(2025, 8, 16), 25000.0, "Purchase")
SEP_1: Bill = ("SEP-1", 2, date(2025, 9, 3), date(2025, 9, 5), 9000.0, "Purchase")
# Dated 26 September by the supplier, reached the accounts on 2 October.
SEP_LATE: Bill = ("SEP-77", 0, date(2025, 9, 26), date(2025, 10, 2), 12000.0, "Purchase")
OCT_1: Bill = ("OCT-1", 1, date(2025, 10, 10), date(2025, 10, 11), 18000.0, "Purchase")
OCT_DN: Bill = ("OCT-9", 2, date(2025, 10, 20), date(2025, 10, 21), 3000.0, "Debit Note")


def _tax(bill: Bill, taxable: float, rate: float) -> tuple[float, float, float]:
    tax = round(taxable * rate, 2)
    return (0.0, round(tax / 2, 2), round(tax / 2, 2)) if SUPPLIERS[bill[1]][:2] == "27" else (tax, 0.0, 0.0)


def _lines(bill: Bill) -> list[tuple[float, float]]:
    """JUL-1 is one bill on two rate rows, as Tally prints a bill of two rates."""
    taxable = bill[4]
    return [(taxable * 0.75, 0.18), (taxable * 0.25, 0.12)] if bill[0] == "JUL-1" else [(taxable, 0.18)]


def tally(bills: list[Bill], *, span: str = "1-Jul-2025 to 31-Oct-2025") -> bytes:
    rows = []
    for index, bill in enumerate(bills):
        number, supplier, dated, booked, _, voucher = bill
        for taxable, rate in _lines(bill):
            igst, cgst, sgst = _tax(bill, taxable, rate)
            rows.append(
                [
                    booked.strftime("%d-%b-%Y"),
                    f"Supplier {supplier}",
                    voucher,
                    f"P/{index}",
                    number,
                    dated.strftime("%d-%m-%Y"),
                    SUPPLIERS[supplier],
                    taxable,
                    igst,
                    cgst,
                    sgst,
                    round(taxable + igst + cgst + sgst, 2),
                ]
            )
    return tally_workbook(rows, span=span)


def _amounts(bill: Bill) -> dict:
    heads = [_tax(bill, taxable, rate) for taxable, rate in _lines(bill)]
    igst, cgst, sgst = (round(sum(h[i] for h in heads), 2) for i in range(3))
    return {
        "txval": bill[4],
        "igst": igst,
        "cgst": cgst,
        "sgst": sgst,
        "val": round(bill[4] + igst + cgst + sgst, 2),
    }


def gstr2b(period: str, bills: list[Bill]) -> bytes:
    """A GSTR-2B (JSON) of ``period`` (a quarterly one is named by the quarter's last month)."""
    suppliers = []
    for bill in bills:
        a = _amounts(bill)
        doc = {
            "inum": bill[0],
            "typ": "R",
            "dt": bill[2].strftime("%d-%m-%Y"),
            "val": a["val"],
            "pos": "27",
            "rev": "N",
            "itcavl": "Y",
            "txval": a["txval"],
            "igst": a["igst"],
            "cgst": a["cgst"],
            "sgst": a["sgst"],
            "cess": 0,
        }
        suppliers.append(
            {
                "ctin": SUPPLIERS[bill[1]],
                "trdnm": f"Supplier {bill[1]}",
                "supprd": period,
                "supfildt": f"11-{period[:2]}-2025",
                "inv": [doc],
            }
        )
    body = {
        "data": {
            "gstin": CLIENT_A,
            "rtnprd": period,
            "gendt": f"14-{period[:2]}-2025",
            "docdata": {"b2b": suppliers},
        }
    }
    return json.dumps(body).encode()


def inbox(invoices: list[tuple[Bill, str]], notes: list[tuple[str, str]] = ()) -> bytes:
    """An IMS download: (bill, rtnprd) invoices, and (note number, rtnprd) credit notes of supplier 0."""
    b2b = []
    for bill, rtnprd in invoices:
        a = _amounts(bill)
        b2b.append(
            {
                "stin": SUPPLIERS[bill[1]],
                "inum": bill[0],
                "idt": bill[2].strftime("%d-%m-%Y"),
                "inv_typ": "R",
                "pos": "27",
                "val": a["val"],
                "txval": a["txval"],
                "iamt": a["igst"],
                "camt": a["cgst"],
                "samt": a["sgst"],
                "cess": 0,
                "rtnprd": rtnprd,
                "srcform": "R1",
                "srcfilstatus": "Filed",
                "action": "N",
                "ispendactblocked": "N",
                "hash": f"h{bill[0]}",
            }
        )
    b2bcn = [
        {
            "stin": SUPPLIERS[0],
            "nt_num": number,
            "nt_dt": f"05-{rtnprd[:2]}-{rtnprd[2:]}",
            "inv_typ": "R",
            "pos": "27",
            "val": 590.0,
            "txval": 500.0,
            "iamt": 0,
            "camt": 45.0,
            "samt": 45.0,
            "cess": 0,
            "rtnprd": rtnprd,
            "srcform": "R1",
            "srcfilstatus": "Filed",
            "action": "N",
            "ispendactblocked": "N",
            "hash": f"h{number}",
        }
        for number, rtnprd in notes
    ]
    return json.dumps({"rtin": CLIENT_A, "reqtyp": "IMS", "b2b": b2b, "b2bcn": b2bcn}).encode()


def _import(ws, client_id: int, period: str, content: bytes, name: str, mode: str = "add") -> None:
    ws.import_file(client_id, period, content, name, mode=mode, confirmed=True)


def _row(review: pl.DataFrame, number: str) -> dict:
    return review.filter(pl.col("books_doc_no") == number).row(0, named=True)


# ---------------------------------------------------------------------------------------------------
# Booking month
# ---------------------------------------------------------------------------------------------------


def test_a_bill_dated_september_but_booked_in_october_is_octobers_and_settled_by_septembers_2b(ws):
    client = ws.create_client("Acme Industries", CLIENT_A, OCT)
    _import(ws, client.id, SEP, gstr2b(SEP, [SEP_LATE]), "2B_092025.json")
    _import(ws, client.id, OCT, tally([SEP_1, SEP_LATE, OCT_1]), "Register_FY.xlsx")
    _import(ws, client.id, OCT, inbox([(OCT_1, OCT)]), "IMS_102025.json")
    books = ws.documents(client.id, OCT, "books")
    assert books.filter(pl.col("doc_no") == "SEP-77")["voucher_date"].to_list() == [date(2025, 10, 2)]
    review = ws.review(client.id, OCT)
    late = _row(review, "SEP-77")
    assert late["category"] == "settled"
    assert late["explanation"].startswith("booked Oct 2025; in GSTR-2B of Sep 2025.")
    months = {r["month"]: r for r in ws.timeline(client.id, OCT).iter_rows(named=True)}
    assert (months["Sep 2025"]["booked"], months["Oct 2025"]["booked"]) == (1, 2)
    assert months["Oct 2025"]["settled"] == 1


def test_an_october_register_with_a_september_dated_bill_leaves_septembers_register_in_place(ws):
    client = ws.create_client("Acme Industries", CLIENT_A, OCT)
    _import(ws, client.id, SEP, gstr2b(SEP, [AUG_1]), "2B_092025.json")
    _import(ws, client.id, SEP, tally([AUG_1, SEP_1], span="1-Sep-2025 to 30-Sep-2025"), "Register_Sep.xlsx")
    # October's register alone: its only September-dated bill was booked in October.
    _import(
        ws, client.id, OCT, tally([SEP_LATE, OCT_1], span="1-Oct-2025 to 31-Oct-2025"), "Register_Oct.xlsx"
    )
    _import(ws, client.id, OCT, inbox([(OCT_1, OCT), (SEP_1, OCT)]), "IMS_102025.json")
    books = ws.pool_books(client.id, OCT)
    assert sorted(books["doc_no"]) == ["AUG-1", "OCT-1", "SEP-1", "SEP-77"]
    review = ws.review(client.id, OCT)
    assert _row(review, "SEP-1")["category"] == "matched"  # September's booking meets October's record
    assert _row(review, "AUG-1")["category"] == "settled"


def test_a_later_financial_year_register_replaces_the_earlier_copy_of_the_months_it_books(ws):
    client = ws.create_client("Acme Industries", CLIENT_A, OCT)
    _import(ws, client.id, SEP, gstr2b(SEP, [JUL_1]), "2B_092025.json")
    wrong_sep = (SEP_1[0], SEP_1[1], SEP_1[2], SEP_1[3], 8000.0, SEP_1[5])  # typed wrong in September
    _import(
        ws, client.id, SEP, tally([JUL_1, wrong_sep], span="1-Jul-2025 to 30-Sep-2025"), "Register_Sep.xlsx"
    )
    _import(ws, client.id, OCT, tally([JUL_1, SEP_1, OCT_1, OCT_DN]), "Register_FY.xlsx")
    _import(ws, client.id, OCT, inbox([(OCT_1, OCT), (SEP_1, OCT)]), "IMS_102025.json")
    books = ws.pool_books(client.id, OCT)
    assert sorted(books["doc_no"]) == ["JUL-1", "OCT-1", "OCT-9", "SEP-1"]
    assert books.filter(pl.col("doc_no") == "SEP-1")["taxable_value"].to_list() == [9000.0]
    assert _row(ws.review(client.id, OCT), "SEP-1")["category"] == "matched"


# ---------------------------------------------------------------------------------------------------
# Quarterly (QRMP) clients
# ---------------------------------------------------------------------------------------------------


def test_the_filing_frequency_is_kept_with_the_client_and_checked(ws):
    client = ws.create_client("Acme Industries", CLIENT_A, OCT, frequency="quarterly")
    assert ws.client(client.id).return_frequency == "quarterly"
    edited = ws.edit_client(client.id, "Acme Industries Ltd", CLIENT_A, NOV)  # the form left untouched
    assert edited.return_frequency == "quarterly"
    assert (
        ws.edit_client(client.id, edited.name, CLIENT_A, NOV, frequency="monthly").return_frequency
        == "monthly"
    )
    with pytest.raises(InputError, match="half-yearly"):
        ws.edit_client(client.id, edited.name, CLIENT_A, NOV, frequency="half-yearly")


def test_a_database_made_before_the_frequency_column_gains_it_and_keeps_its_clients(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    Workspace(Store(url)).create_client("Acme Industries", CLIENT_A, OCT)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE clients DROP COLUMN return_frequency"))
    engine.dispose()
    store = Store(url)
    (client,) = store.clients()
    assert (client.name, client.return_frequency) == ("Acme Industries", "monthly")
    store.dispose()


@pytest.fixture
def quarterly(ws):
    """A QRMP client in January 2026: the July–September 2B and the October–December 2B, both imported
    under the quarter's last month, the financial-year register and January's inbox."""
    client = ws.create_client("Acme Industries", CLIENT_A, "012026", frequency="quarterly")
    _import(ws, client.id, SEP, gstr2b(SEP, [JUL_1, AUG_1]), "2B_092025_GSTR2BQ.json")
    _import(ws, client.id, DEC, gstr2b(DEC, [SEP_1]), "2B_122025_GSTR2BQ.json")
    _import(ws, client.id, "012026", tally([JUL_1, AUG_1, SEP_1, OCT_1, OCT_DN]), "Register_FY.xlsx")
    _import(ws, client.id, "012026", inbox([(OCT_1, "012026")]), "IMS_012026.json")
    return client


def test_a_quarters_2b_settles_the_quarters_books_and_names_the_quarter(ws, quarterly):
    review = ws.review(quarterly.id, "012026")
    assert sorted(review.filter(pl.col("category") == "settled")["books_doc_no"]) == [
        "AUG-1",
        "JUL-1",
        "SEP-1",
    ]
    assert _row(review, "JUL-1")["explanation"].startswith("booked Jul 2025; in GSTR-2B of Jul–Sep 2025.")
    assert _row(review, "SEP-1")["explanation"].startswith("booked Sep 2025; in GSTR-2B of Oct–Dec 2025.")
    assert _row(review, "OCT-1")["category"] == "matched"
    assert review.filter(pl.col("category") == "books_only")["books_doc_no"].to_list() == ["OCT-9"]


def test_a_quarterly_clients_timeline_shows_quarters(ws, quarterly):
    rows = {r["month"]: r for r in ws.timeline(quarterly.id, "012026").iter_rows(named=True)}
    assert list(rows) == ["Jul–Sep 2025", "Oct–Dec 2025", "Jan–Mar 2026"]
    q2, q3, q4 = rows.values()
    assert (q2["booked"], q2["settled"], q2["open"], q2["in_2b"]) == (3, 3, 0, 2)
    assert (q3["booked"], q3["settled"], q3["open"], q3["in_2b"]) == (2, 0, 2, 1)
    assert q3["oldest_open_days"] == (date(2026, 3, 31) - date(2025, 10, 10)).days  # to the quarter's end
    assert (q4["booked"], q4["in_ims"]) == (0, 1)


def test_a_2b_of_the_current_quarter_is_not_an_earlier_statement(ws):
    """Working November: a 2B filed under October is the quarter's own statement for a quarterly client."""
    for frequency, settled in (("monthly", ["SEP-1"]), ("quarterly", [])):
        gstin = CLIENT_A if frequency == "monthly" else CLIENT_B
        client = ws.create_client(f"Client {frequency}", gstin, NOV, frequency=frequency)
        _import(
            ws, client.id, OCT, gstr2b(OCT, [SEP_1]).replace(CLIENT_A.encode(), gstin.encode()), "2B.json"
        )
        register = tally([SEP_1, OCT_1]).replace(CLIENT_A.encode(), gstin.encode())
        _import(ws, client.id, NOV, register, "Register_FY.xlsx")
        _import(
            ws, client.id, NOV, inbox([(OCT_1, NOV)]).replace(CLIENT_A.encode(), gstin.encode()), "IMS.json"
        )
        review = ws.review(client.id, NOV)
        assert review.filter(pl.col("category") == "settled")["books_doc_no"].to_list() == settled, frequency


def _months_before(today: date, months: int) -> str:
    index = today.year * 12 + today.month - 1 - months
    return f"{index % 12 + 1:02d}{index // 12}"


def test_a_quarterly_client_keeps_a_credit_note_pending_for_a_quarter_then_is_told_why_not(ws):
    """Judged on today's date, as the portal judges it: a note of three months ago is past a monthly
    recipient's one tax period but inside a quarterly one's; a note of seven months ago is past both."""
    today = date.today()
    recent, old = _months_before(today, 3), _months_before(today, 7)
    period = _months_before(today, 1)
    outcomes, suggested = {}, {}
    for frequency, gstin in (("monthly", CLIENT_A), ("quarterly", CLIENT_B)):
        client = ws.create_client(f"Client {frequency}", gstin, period, frequency=frequency)
        download = inbox([(OCT_1, period)], notes=[("CN-RECENT", recent), ("CN-OLD", old)])
        _import(ws, client.id, period, download.replace(CLIENT_A.encode(), gstin.encode()), "IMS.json")
        notes = ws.documents(client.id, period, "ims").filter(pl.col("doc_kind") == "credit_note")
        ids = dict(zip(notes["doc_no"], notes["doc_id"], strict=True))
        results = ws.results(client.id, period).filter(pl.col("portal_doc_id") == ids["CN-RECENT"])
        suggested[frequency] = results.select("suggested_action", "action_reason").row(0)
        outcome = ws.set_action(
            client.id, period, list(ids.values()), "P", remarks="Awaiting the goods' return"
        )
        outcomes[frequency] = {number: dict(outcome.refused).get(doc_id) for number, doc_id in ids.items()}
        sent = ws.build_upload(client.id, period).records.select("doc_no", "action").rows()
        assert sent == ([("CN-RECENT", "P")] if frequency == "quarterly" else []), frequency
    assert "one tax period for Pending ended" in outcomes["monthly"]["CN-RECENT"]
    assert outcomes["quarterly"]["CN-RECENT"] is None  # kept Pending: the quarter after its 2B's is open
    # The suggestion judges the same window as the decision: never a Pending the portal would drop, and
    # never "Pending ended" to a quarterly client whose quarter is still open.
    monthly_action, monthly_reason = suggested["monthly"]
    assert monthly_action != "P" and "one tax period for Pending ended" in monthly_reason
    assert suggested["quarterly"][0] == "P", suggested["quarterly"]
    assert "Pending ended" not in suggested["quarterly"][1]
    reason = outcomes["quarterly"]["CN-OLD"]
    assert "Pending is not allowed: this credit note's one quarter for Pending ended on " in reason
    month = int(old[:2])
    quarter_end = (month - 1) // 3 * 3 + 3
    deadline = date(int(old[2:]) + (quarter_end + 4 - 1) // 12, (quarter_end + 4 - 1) % 12 + 1, 22)
    assert deadline.strftime("%d-%m-%Y") in reason


def test_the_pending_window_of_an_october_credit_note_is_the_next_quarter_for_a_quarterly_client():
    """FAQ25: a note of the October-2025 period may stay Pending until 20-12-2025 for a monthly recipient;
    a quarterly one's tax period is October–December, so it may stay pending through January–March."""
    from recon.actions import Decision, check_decision

    note = {
        "doc_kind": "credit_note",
        "section": "b2bcn",
        "supplier_period": "102025",
        "pending_blocked": False,
    }
    pending = Decision("c1", "P", remarks="Awaiting the goods' return")
    assert check_decision(note, pending, today=date(2025, 12, 25))  # monthly: its window ended 20-12-2025
    assert check_decision(note, pending, today=date(2025, 12, 25), quarterly=True) == []
    assert check_decision(note, pending, today=date(2026, 4, 22), quarterly=True) == []
    (reason,) = check_decision(note, pending, today=date(2026, 4, 23), quarterly=True)
    assert reason == "Pending is not allowed: this credit note's one quarter for Pending ended on 22-04-2026."


def _register(header: list[str], rows: list[list]) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("Bills")
    for r, row in enumerate([header, *rows]):
        sheet.write_row(r, 0, row)
    book.close()
    return out.getvalue()


def test_a_register_with_only_the_suppliers_date_has_no_voucher_date(ws):
    """A bare "Bill Date" is the supplier's date: nothing says when the bill was booked."""
    content = _register(
        ["Bill Date", "Bill#", "Vendor Name", "GSTIN", "Taxable Amount", "CGST", "SGST"],
        [["26-09-2025", "SEP-77", "Supplier 0", SUPPLIERS[0], 12000.0, 1080.0, 1080.0]],
    )
    docs = ws.read_file(content, "Bills.xlsx", kind="books").docs
    assert docs.select("doc_date", "voucher_date").row(0) == (date(2025, 9, 26), None)


def test_a_register_with_only_a_posting_date_books_by_it(ws):
    content = _register(
        [
            "Posting Date",
            "Reference",
            "Vendor Name",
            "Vendor GSTIN",
            "Taxable Amount",
            "CGST Amount",
            "SGST Amount",
        ],
        [["02.10.2025", "SEP-77", "Supplier 0", SUPPLIERS[0], 12000.0, 1080.0, 1080.0]],
    )
    result = ws.read_file(content, "Postings.xlsx", kind="books")
    assert result.docs.select("doc_date", "voucher_date").row(0) == (date(2025, 10, 2), date(2025, 10, 2))


# ---------------------------------------------------------------------------------------------------
# One Pending rule on every surface: the review, the upload, the working paper and the CLI
# ---------------------------------------------------------------------------------------------------


def _month(index: int) -> str:
    return f"{index % 12 + 1:02d}{index // 12}"


def _note_period_between_the_limits(today: date) -> str:
    """The period (MMYYYY) of a quarter's second month whose credit note is past a monthly recipient's
    Pending limit (the 20th, two months on) but inside a quarterly one's (the 22nd, four months after
    the quarter's end), docs/reference/ims-rules.md §4, §8. One always exists among the last four months."""
    now = today.year * 12 + today.month - 1
    for quarter_end in range(now - 4, now):
        if quarter_end % 3 != 2:  # month indexes 2, 5, 8, 11: March, June, September, December
            continue
        monthly = date((quarter_end + 1) // 12, (quarter_end + 1) % 12 + 1, 20)
        quarterly = date((quarter_end + 4) // 12, (quarter_end + 4) % 12 + 1, 22)
        if monthly < today <= quarterly:
            return _month(quarter_end - 1)
    raise AssertionError(f"no quarter's second month fits {today}")


def _read_sheet(content: bytes, name: str) -> list[dict]:
    import openpyxl

    rows = list(openpyxl.load_workbook(io.BytesIO(content), read_only=True)[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _credit_note_row(paper: bytes) -> dict:
    (row,) = [r for r in _read_sheet(paper, "Not found in ITC") if r["IMS doc no"] == "CN-Q2"]
    return row


@pytest.fixture
def pending_note(ws, tmp_path):
    """A quarterly client whose inbox holds a credit note of a quarter's second month, kept Pending."""
    today = date.today()
    note_period = _note_period_between_the_limits(today)
    period = _month(today.year * 12 + today.month - 2)
    client = ws.create_client("Bharat Quarterly", CLIENT_B, period, frequency="quarterly")
    download = inbox([(OCT_1, period)], notes=[("CN-Q2", note_period)]).replace(
        CLIENT_A.encode(), CLIENT_B.encode()
    )
    register = tally([OCT_1]).replace(CLIENT_A.encode(), CLIENT_B.encode())
    _import(ws, client.id, period, register, "Register.xlsx")
    _import(ws, client.id, period, download, "IMS.json")
    (tmp_path / "IMS.json").write_bytes(download)
    (tmp_path / "Register.xlsx").write_bytes(register)
    (tmp_path / "decisions.csv").write_text(
        "GSTIN of supplier,Document Type,Note No,Your Action,Remarks\n"
        f"{SUPPLIERS[0]},Credit Note,CN-Q2,Pending,Awaiting the goods' return\n"
    )
    return client, period


def test_a_quarterly_clients_pending_credit_note_has_one_verdict_on_every_surface(ws, pending_note):
    client, period = pending_note
    note = ws.documents(client.id, period, "ims").filter(pl.col("doc_no") == "CN-Q2")["doc_id"].item()
    outcome = ws.set_action(client.id, period, [note], "P", remarks="Awaiting the goods' return")
    assert dict(outcome.refused) == {}  # the app keeps it
    review = ws.review(client.id, period).filter(pl.col("portal_doc_id") == note).row(0, named=True)
    assert (review["action"], review["portal_would_refuse"]) == ("Pending", None)
    upload = ws.build_upload(client.id, period)
    assert upload.records.select("doc_no", "action").rows() == [("CN-Q2", "P")]
    (written,) = upload.save["invdata"]["b2bcn"]
    assert (written["nt_num"], written["action"]) == ("CN-Q2", "P")
    row = _credit_note_row(ws.working_paper(client.id, period))
    assert (row["Action"], row["Action by"], row["Portal would refuse"]) == ("Pending", "user", None)


def test_the_cli_judges_a_pending_credit_note_by_the_quarter_only_when_told(pending_note, tmp_path, capsys):
    from recon.cli import main

    actions = ["actions", "--ims", str(tmp_path / "IMS.json"), "--decisions", str(tmp_path / "decisions.csv")]
    assert main([*actions, "--out-dir", str(tmp_path / "monthly")]) == 3
    assert "decisions.csv, row 2" in capsys.readouterr().err
    assert main([*actions, "--quarterly", "--out-dir", str(tmp_path / "quarterly")]) == 0
    (written,) = (tmp_path / "quarterly").glob("*SAVE*.json")
    (record,) = json.loads(written.read_text())["invdata"]["b2bcn"]
    assert (record["nt_num"], record["action"]) == ("CN-Q2", "P")

    paper = ["paper", "--books", str(tmp_path / "Register.xlsx"), "--ims", str(tmp_path / "IMS.json")]
    paper += ["--decisions", str(tmp_path / "decisions.csv")]
    assert main([*paper, "--out", str(tmp_path / "monthly.xlsx")]) == 0
    refused = _credit_note_row((tmp_path / "monthly.xlsx").read_bytes())["Portal would refuse"]
    assert "Pending is not allowed: this credit note's one tax period for Pending ended" in refused
    assert main([*paper, "--quarterly", "--out", str(tmp_path / "quarterly.xlsx")]) == 0
    row = _credit_note_row((tmp_path / "quarterly.xlsx").read_bytes())
    assert (row["Action"], row["Portal would refuse"]) == ("Pending", None)


# ---------------------------------------------------------------------------------------------------
# An inbox downloaded before September's GSTR-3B: records already in September's 2B
# ---------------------------------------------------------------------------------------------------


def test_an_inbox_record_already_in_septembers_2b_is_settled_not_not_found_in_itc(ws):
    """The October inbox was downloaded before September's 3B was filed: SEP-1 (booked) and AUG-1 (never
    booked) are still in it, though September's 2B holds both. Neither asks for an action as if new."""
    client = ws.create_client("Acme Industries", CLIENT_A, OCT)
    _import(ws, client.id, SEP, gstr2b(SEP, [SEP_1, AUG_1]), "2B_092025.json")
    _import(ws, client.id, OCT, tally([SEP_1, OCT_1]), "Register_FY.xlsx")
    _import(ws, client.id, OCT, inbox([(SEP_1, SEP), (AUG_1, SEP), (OCT_1, OCT)]), "IMS_102025.json")
    review = ws.review(client.id, OCT)
    inbox_ids = dict(ws.documents(client.id, OCT, "ims").select("doc_no", "doc_id").iter_rows())
    stale = "already in GSTR-2B of Sep 2025; the IMS download predates its GSTR-3B."
    booked = _row(review, "SEP-1")
    assert (booked["category"], booked["portal_doc_id"]) == ("settled", inbox_ids["SEP-1"])
    assert booked["explanation"].startswith(f"booked Sep 2025; {stale}")
    alone = review.filter(pl.col("portal_doc_id") == inbox_ids["AUG-1"]).row(0, named=True)
    assert alone["category"] == "settled" and alone["explanation"].startswith(stale)
    assert review.filter(pl.col("category") == "ims_only").is_empty()
    assert _row(review, "OCT-1")["category"] == "matched"
    # Nothing is suggested for the stale copies: only OCT-1's Accept is offered.
    offered = ws.suggestions_to_apply(client.id, OCT)["portal_doc_id"].to_list()
    assert offered == [inbox_ids["OCT-1"]]
    # ITC in IMS is still every record of the download, as its import summary says.
    download_itc = figures.documents_itc(ws.documents(client.id, OCT, "ims"))
    assert figures.headline(ws.joined(client.id, OCT))["itc_in_ims"] == download_itc
    settled = _read_sheet(ws.working_paper(client.id, OCT), "Settled in an earlier period")
    assert sorted(r["Document no"] for r in settled) == ["AUG-1", "SEP-1"]
    assert all(r["In GSTR-2B of"] == "Sep 2025" for r in settled)


def test_without_an_earlier_2b_the_same_inbox_record_is_not_found_in_itc_as_before(ws):
    client = ws.create_client("Acme Industries", CLIENT_A, OCT)
    _import(ws, client.id, OCT, tally([OCT_1]), "Register.xlsx")
    _import(ws, client.id, OCT, inbox([(AUG_1, SEP), (OCT_1, OCT)]), "IMS_102025.json")
    review = ws.review(client.id, OCT)
    assert review.filter(pl.col("category") == "ims_only")["portal_doc_no"].to_list() == ["AUG-1"]
