"""One figure, one meaning: every surface shows the same ITC in IMS, ITC in books, ITC at risk and tab totals.

The workspace is built from files written here by hand, the way a client sends them: a Tally purchase
register with its title rows, Tally's column names, one invoice on two rate rows and the supplier's credit
notes booked as Debit Note vouchers; an IMS download with invoices (b2b) and credit notes (b2bcn); and a
GSTR-2B statement whose trade names name a supplier the books do not know.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import openpyxl
import pytest

from recon import dashboard, figures
from recon import gstin as gstin_rules
from recon.match.result import CATEGORIES, CATEGORY_LABELS
from recon.present import followup_message, inr
from recon.store import Store
from recon.workspace import Workspace, category_totals
from tests.paper_sheets import summary_table

PERIOD = "112025"
CLIENT_GSTIN = "27AHQPA7588L1ZJ"
UMBRA = "27AAPFU0939F1ZV"  # in the books
UMBRA_KA = "29AAPFU0939F1Z" + gstin_rules.check_char(
    "29AAPFU0939F1Z"
)  # Umbra's other registration (same PAN)
BETA = "33GSPTN0791G1Z5"
COSMO = "32TAAOA2947A1Z7"
ZENITH = "24AAACZ1206D1Z" + gstin_rules.check_char("24AAACZ1206D1Z")  # only the 2B names it


@dataclass
class Line:
    """One register row (Tally prints one row per rate) or one IMS record, with the tax heads."""

    gstin: str
    number: str
    date: str  # DD-MM-YYYY
    taxable: float
    igst: float = 0.0
    cgst: float = 0.0
    sgst: float = 0.0
    credit_note: bool = False
    name: str = ""
    voucher: str = ""

    @property
    def tax(self) -> float:
        return self.igst + self.cgst + self.sgst

    @property
    def itc(self) -> float:
        return -self.tax if self.credit_note else self.tax


BOOKS = [
    # One invoice on two rate rows (same voucher): one document of ₹9,000 tax.
    Line(UMBRA, "MH/2526/0417", "07-11-2025", 30000, cgst=2700, sgst=2700, name="Umbra Traders", voucher="1"),
    Line(UMBRA, "MH/2526/0417", "07-11-2025", 20000, cgst=1800, sgst=1800, name="Umbra Traders", voucher="1"),
    Line(BETA, "B-77", "10-11-2025", 10000, igst=1800, name="Beta Chemicals", voucher="2"),
    Line(UMBRA, "CN-5", "12-11-2025", 5000, cgst=450, sgst=450, credit_note=True, name="Umbra Traders", voucher="3"),
    Line(COSMO, "C-9", "15-11-2025", 4000, igst=720, name="Cosmo Packaging", voucher="4"),
    Line(COSMO, "CN-C1", "18-11-2025", 1000, igst=180, credit_note=True, name="Cosmo Packaging", voucher="5"),
]  # fmt: skip
IMS = [
    Line(UMBRA, "MH/2526/0417", "07-11-2025", 50000, cgst=4500, sgst=4500),
    Line(BETA, "B-77", "10-11-2025", 10000, igst=1500),  # the books claim ₹300 more
    Line(UMBRA_KA, "KA-12", "11-11-2025", 2000, igst=360),
    Line(ZENITH, "Z-1", "13-11-2025", 3000, igst=540),
    Line(UMBRA, "CN-5", "12-11-2025", 5000, cgst=450, sgst=450, credit_note=True),
    Line(BETA, "BCN-2", "20-11-2025", 1500, igst=270, credit_note=True),
]


def tally_register(lines: list[Line]) -> bytes:
    """A Tally Purchase Register export: company, report and period above the header, a grand total."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Purchase Register"
    sheet.append(["Asha Traders Pvt Ltd"])
    sheet.append(["Purchase Register"])
    sheet.append(["1-Nov-2025 to 30-Nov-2025"])
    sheet.append(
        [
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
            "Gross Total",
        ]
    )
    for line in lines:
        gross = line.taxable + line.tax
        sheet.append(
            [
                line.date,
                line.name,
                "Debit Note" if line.credit_note else "Purchase",
                line.voucher,
                line.number,
                line.date,
                line.gstin,
                line.taxable,
                line.igst or None,
                line.cgst or None,
                line.sgst or None,
                gross,
            ]
        )
    sheet.append(["", "Grand Total", "", "", "", "", "", sum(x.taxable for x in lines)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def ims_record(line: Line) -> dict:
    number, date = ("nt_num", "nt_dt") if line.credit_note else ("inum", "idt")
    return {
        "stin": line.gstin,
        number: line.number,
        date: line.date,
        "inv_typ": "R",
        "pos": "27",
        "val": f"{line.taxable + line.tax:.2f}",
        "txval": f"{line.taxable:.2f}",
        "iamt": f"{line.igst:.2f}",
        "camt": f"{line.cgst:.2f}",
        "samt": f"{line.sgst:.2f}",
        "cess": "0.00",
        "rtnprd": PERIOD,
        "srcform": "R1",
        "srcfilstatus": "Filed",
        "action": "N",
        "ispendactblocked": "N",
    }


def ims_download(lines: list[Line]) -> bytes:
    payload = {
        "b2b": [ims_record(x) for x in lines if not x.credit_note],
        "b2bcn": [ims_record(x) for x in lines if x.credit_note],
    }
    return json.dumps(payload).encode()


def gstr2b_statement() -> bytes:
    """A 2B with one supplier, Zenith, whose trade name is nowhere else."""
    invoice = {
        "inum": "Z-1",
        "typ": "R",
        "dt": "13-11-2025",
        "val": 3540.0,
        "pos": "27",
        "rev": "N",
        "itcavl": "Y",
        "txval": 3000.0,
        "igst": 540.0,
        "cgst": 0,
        "sgst": 0,
        "cess": 0,
    }
    supplier = {
        "ctin": ZENITH,
        "trdnm": "Zenith Supplies",
        "supfildt": "11-12-2025",
        "supprd": PERIOD,
        "inv": [invoice],
    }
    data = {"gstin": CLIENT_GSTIN, "rtnprd": PERIOD, "gendt": "14-12-2025", "docdata": {"b2b": [supplier]}}
    return json.dumps({"data": data}).encode()


def documents(lines: list[Line]) -> dict[tuple[str, str], float]:
    """ITC per document (rate rows of one number added), as a consultant would total the file."""
    docs: dict[tuple[str, str], float] = {}
    for line in lines:
        docs[(line.gstin, line.number)] = docs.get((line.gstin, line.number), 0.0) + line.itc
    return docs


BOOKS_DOCS, IMS_DOCS = documents(BOOKS), documents(IMS)
# By hand from the files: what each figure must be.
ITC_IN_IMS = sum(IMS_DOCS.values())
ITC_IN_BOOKS = sum(BOOKS_DOCS.values())
NOT_IN_IMS = [key for key in BOOKS_DOCS if key not in IMS_DOCS]
# Not in IMS: invoices only (a missing credit note takes no credit); B-77: books above IMS.
ITC_AT_RISK = sum(max(BOOKS_DOCS[k], 0.0) for k in NOT_IN_IMS) + (
    BOOKS_DOCS[(BETA, "B-77")] - IMS_DOCS[(BETA, "B-77")]
)


@pytest.fixture(scope="module")
def surfaces(tmp_path_factory):
    """One workspace from the hand-written files, and what each surface shows for it."""
    folder = tmp_path_factory.mktemp("figures")
    ws = Workspace(Store(f"sqlite:///{folder / 'w.db'}"), user="tester")
    client = ws.create_client("Asha Traders", CLIENT_GSTIN, PERIOD)
    books = ws.import_file(
        client.id, PERIOD, tally_register(BOOKS), "Purchase Register Nov.xlsx", kind="books"
    )
    ims = ws.import_file(client.id, PERIOD, ims_download(IMS), "IMS_Nov.json", kind="ims")
    ws.import_file(client.id, PERIOD, gstr2b_statement(), "GSTR2B_Nov.json", kind="gstr2b")
    review = ws.review(client.id, PERIOD)
    paper = openpyxl.load_workbook(io.BytesIO(ws.working_paper(client.id, PERIOD)))
    followups = ws.supplier_followups(client.id, PERIOD)
    yield {
        "client": client,
        "books_import": books,
        "ims_import": ims,
        "review": review,
        "paper": paper,
        "followups": followups,
    }
    ws.store.dispose()


def test_the_files_read_as_the_documents_written(surfaces):
    # Two rate rows are one invoice; each Debit Note voucher is the supplier's credit note.
    assert surfaces["books_import"].documents == len(BOOKS_DOCS)
    assert surfaces["ims_import"].documents == len(IMS_DOCS)
    review = surfaces["review"]
    assert review.filter(review["books_doc_kind"] == "credit_note").height == 2


def test_itc_in_ims_is_one_figure_on_every_surface(surfaces):
    review, paper = surfaces["review"], surfaces["paper"]
    tabs = category_totals(review)
    # The IMS side of the tabs: matched, mismatched and not-found rows carry the IMS figure.
    on_tabs = sum(tabs[c][1] for c in ("matched", "mismatched", "ims_only"))
    definitions = summary_table(paper["Summary"], "Definitions")
    assert surfaces["ims_import"].tax == pytest.approx(ITC_IN_IMS)
    assert dashboard.headline(review)["itc_in_ims"] == pytest.approx(ITC_IN_IMS)
    assert on_tabs == pytest.approx(ITC_IN_IMS)
    assert definitions[figures.ITC_IN_IMS][0] == pytest.approx(ITC_IN_IMS)
    tab_block = summary_table(paper["Summary"], "Tab")
    assert sum(row[3] for row in tab_block.values()) == pytest.approx(ITC_IN_IMS)


def test_itc_in_books_is_one_figure_on_every_surface(surfaces):
    review, paper = surfaces["review"], surfaces["paper"]
    definitions = summary_table(paper["Summary"], "Definitions")
    assert surfaces["books_import"].tax == pytest.approx(ITC_IN_BOOKS)
    assert dashboard.headline(review)["itc_in_books"] == pytest.approx(ITC_IN_BOOKS)
    assert definitions[figures.ITC_IN_BOOKS][0] == pytest.approx(ITC_IN_BOOKS)
    tab_block = summary_table(paper["Summary"], "Tab")
    assert sum(row[2] for row in tab_block.values()) == pytest.approx(ITC_IN_BOOKS)


def test_itc_at_risk_is_one_figure_on_every_surface(surfaces):
    review, paper = surfaces["review"], surfaces["paper"]
    definitions = summary_table(paper["Summary"], "Definitions")
    parts = summary_table(paper["Summary"], "Parts of ITC at risk")
    chart = dashboard.itc_at_risk_by_supplier(review)
    assert dashboard.headline(review)["itc_at_risk"] == pytest.approx(ITC_AT_RISK)
    assert definitions[figures.ITC_AT_RISK][0] == pytest.approx(ITC_AT_RISK)
    assert parts["Total ITC at risk"][0] == pytest.approx(ITC_AT_RISK)
    assert chart["amount"].sum() == pytest.approx(ITC_AT_RISK)


def test_tab_totals_are_the_same_in_the_tabs_and_the_working_paper(surfaces):
    review, paper = surfaces["review"], surfaces["paper"]
    tabs = category_totals(review)
    tab_block = summary_table(paper["Summary"], "Tab")
    for category in CATEGORIES:
        count, itc = tabs[category]
        assert tab_block[CATEGORY_LABELS[category]][:2] == (count, pytest.approx(itc))
    assert sum(count for count, _ in tabs.values()) == len(set(BOOKS_DOCS) | set(IMS_DOCS))
    # The credit notes subtract on the tabs too: the matched tab nets Umbra's credit note.
    assert tabs["matched"][1] == pytest.approx(IMS_DOCS[(UMBRA, "MH/2526/0417")] + IMS_DOCS[(UMBRA, "CN-5")])


def test_follow_up_texts_net_credit_notes_as_the_working_paper_does(surfaces):
    client, followups, paper = surfaces["client"], surfaces["followups"], surfaces["paper"]
    items = followups[COSMO]
    message = followup_message(client.name, client.gstin, items[0]["supplier_name"], items)
    # Cosmo's invoice is not in IMS and nor is its credit note: the net tax, credit note subtracted.
    expected = BOOKS_DOCS[(COSMO, "C-9")] + BOOKS_DOCS[(COSMO, "CN-C1")]
    assert f"Tax involved (credit notes subtracted): {inr(expected, 2)}." in message
    per_supplier = summary_table(paper["Summary"], "Supplier follow-ups")
    assert per_supplier[COSMO][2] == pytest.approx(expected)
    assert per_supplier[COSMO][0] == "Cosmo Packaging"


def test_every_row_names_its_supplier(surfaces):
    review, paper = surfaces["review"], surfaces["paper"]
    names = {
        (r["supplier_gstin"], r["portal_doc_no"] or r["books_doc_no"]): r["supplier_name"]
        for r in review.iter_rows(named=True)
    }
    # Only in IMS: named from the books by GSTIN, by PAN (Umbra's Karnataka registration), from 2B.
    assert names[(BETA, "BCN-2")] == "Beta Chemicals"
    assert names[(UMBRA_KA, "KA-12")] == "Umbra Traders"
    assert names[(ZENITH, "Z-1")] == "Zenith Supplies"
    assert None not in names.values()
    not_found = paper[CATEGORY_LABELS["ims_only"]]
    header = [c.value for c in not_found[1]]
    column = header.index("Supplier name")
    assert sorted(r[column] for r in not_found.iter_rows(min_row=2, values_only=True)) == sorted(
        ["Beta Chemicals", "Umbra Traders", "Zenith Supplies"]
    )


def test_the_risk_chart_names_suppliers_and_keeps_the_gstin_for_the_tooltip(surfaces):
    chart = dashboard.itc_at_risk_by_supplier(surfaces["review"])
    assert set(zip(chart["supplier"], chart["supplier_gstin"], strict=True)) == {
        ("Cosmo Packaging", COSMO),
        ("Beta Chemicals", BETA),
    }
