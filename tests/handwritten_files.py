"""Client files written by hand, in layouts the project's generator does not use by default.

A Tally purchase register as Tally exports it (title rows above the header, Tally's column names, one
invoice on two rate rows, a Debit Note voucher) and an IMS download (with or without the recipient 'rtin').
Shared by the workspace, AppTest and browser tests of "clients never mix".
"""

from __future__ import annotations

import io
import json

import xlsxwriter


def gstin_of(state: str, pan: str) -> str:
    from recon.gstin import check_char

    body = f"{state}{pan}1Z"
    return body + check_char(body)


CLIENT_A = gstin_of("27", "AABCA1111A")
CLIENT_B = gstin_of("27", "AABCB2222B")
SUPPLIERS = [gstin_of("27", "AAFCS3333C"), gstin_of("29", "AAGCT4444D"), gstin_of("24", "AAHCU5555E")]
TALLY_COLUMNS = [
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
    "Invoice Value",
]


def tally_register(invoices: list[tuple[int, str]], *, title: str = "Purchase Register") -> bytes:
    """A Tally register (.xlsx): title rows, then (supplier index, number) rows; the first invoice is on
    two rate rows (18% and 12%), the last is a Debit Note voucher."""
    rows = []
    for index, (supplier, number) in enumerate(invoices):
        gstin = SUPPLIERS[supplier]
        vtype = "Debit Note" if index == len(invoices) - 1 else "Purchase"
        rates = (0.18, 0.12) if index == 0 else (0.18,)
        for rate in rates:
            taxable = 1000.0 + 10 * index
            tax = round(taxable * rate, 2)
            igst, half = (tax, 0.0) if gstin[:2] != "27" else (0.0, round(tax / 2, 2))
            rows.append(
                [
                    "03-11-2025",
                    f"Supplier {supplier}",
                    vtype,
                    f"P/{index}",
                    number,
                    "01-11-2025",
                    gstin,
                    taxable,
                    igst,
                    half,
                    half,
                    round(taxable + tax, 2),
                ]
            )
    return tally_workbook(rows, span="1-Nov-2025 to 30-Nov-2025", title=title)


def tally_workbook(
    rows: list[list],
    *,
    span: str,
    client: str = "Acme Industries Pvt Ltd",
    title: str = "Purchase Register",
    columns: list[str] = TALLY_COLUMNS,
) -> bytes:
    """Tally's Purchase Register sheet (.xlsx): the client, the title and the date span above the column
    names, then ``rows``. Text is written as text, as the accountant typed it (a name starting with '='
    stays a name), numbers as numbers."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("Purchase Register")
    for r, row in enumerate([[client], [title], [span], [], columns, *rows]):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value) if isinstance(value, str) else sheet.write_number(r, c, value)
    book.close()
    return out.getvalue()


def ims_download(numbers: list[tuple[int, str]], *, rtin: str | None = None) -> bytes:
    """An IMS JSON download written by hand (b2b records), with or without the recipient 'rtin'."""
    records = [
        {
            "stin": SUPPLIERS[s],
            "inum": n,
            "idt": "01-11-2025",
            "inv_typ": "R",
            "pos": "27",
            "val": "1180.00",
            "txval": "1000.00",
            "iamt": "180.00",
            "camt": "0",
            "samt": "0",
            "cess": "0",
            "rtnprd": "112025",
            "srcform": "R1",
            "srcfilstatus": "Filed",
            "action": "N",
            "ispendactblocked": "N",
            "hash": f"h{n}",
        }
        for s, n in numbers
    ]
    body = {"b2b": records} if rtin is None else {"rtin": rtin, "reqtyp": "IMS", "b2b": records}
    return json.dumps(body).encode()
