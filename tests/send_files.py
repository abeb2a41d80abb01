"""A client's own files, written by hand for the "what is sent is what a person decided" tests.

Not from ``recon.synth``: a Tally purchase register as printed (a title block above the header, Tally's
column names, one invoice on two rate rows, a "Debit Note" voucher for the supplier's credit note) and
the IMS download in its ``data`` envelope, without a recipient GSTIN. One record carries a document number
longer than the 16 characters GST allows: the portal would refuse any action on it.

What the engine makes of them (suggestions in brackets): MH/101, MH/102 and the over-long MH number
matched, supplier filed (Accept); KA-55 matched, supplier not filed (Pending); CN-3 a matched credit
note (Accept with ITC reduction); TN/9 mismatched, tax at another rate on the same taxable value and date (Reject); KL-7 only on the portal (Pending).
"""

from __future__ import annotations

from pathlib import Path

from recon.jsonio import loads_exact

RECIPIENT = "27AHQPA7588L1ZJ"
PERIOD = "112025"
OVERLONG = "MH/2025-26/INV/000777"
MATCHED_FILED = ("MH/101", "MH/102", OVERLONG, "CN-3")

BOOKS_CSV = """Godavari Forgings Pvt Ltd
Purchase Register
1-Nov-2025 to 30-Nov-2025

Date,Particulars,Voucher Type,Voucher No.,Supplier Invoice No.,Supplier Invoice Date,GSTIN/UIN,Taxable Value,Input IGST,Input CGST,Input SGST,Gross Total
3-Nov-2025,Umbra Traders,Purchase,PUR/0001,MH/101,3-Nov-2025,27AAPFU0939F1ZV,10000.00,,900.00,900.00,17400.00
3-Nov-2025,Umbra Traders,Purchase,PUR/0001,MH/101,3-Nov-2025,27AAPFU0939F1ZV,5000.00,,300.00,300.00,
6-Nov-2025,Umbra Traders,Purchase,PUR/0002,MH/102,6-Nov-2025,27AAPFU0939F1ZV,20000.00,,1800.00,1800.00,23600.00
8-Nov-2025,Umbra Traders,Purchase,PUR/0003,MH/2025-26/INV/000777,8-Nov-2025,27AAPFU0939F1ZV,4000.00,,360.00,360.00,4720.00
10-Nov-2025,Kaveri Tools,Purchase,PUR/0004,KA-55,10-Nov-2025,29AABCT1332L1ZA,8000.00,1440.00,,,9440.00
12-Nov-2025,Tamil Steel,Purchase,PUR/0005,TN/9,12-Nov-2025,33GSPTN0791G1Z5,30000.00,5400.00,,,35400.00
18-Nov-2025,Tamil Steel,Debit Note,DN/0001,CN-3,18-Nov-2025,33GSPTN0791G1Z5,2000.00,360.00,,,2360.00
"""

IMS_JSON = """{"data": {"b2b": [
 {"stin": "27AAPFU0939F1ZV", "inum": "MH/101", "idt": "03-11-2025", "inv_typ": "R", "pos": "27", "val": 17400.00, "txval": 15000.00, "iamt": 0, "camt": 1200.00, "samt": 1200.00, "cess": 0, "rtnprd": "112025", "srcform": "R1", "srcfilstatus": "Filed", "action": "N", "ispendactblocked": "N"},
 {"stin": "27AAPFU0939F1ZV", "inum": "MH/102", "idt": "06-11-2025", "inv_typ": "R", "pos": "27", "val": 23600.00, "txval": 20000.00, "iamt": 0, "camt": 1800.00, "samt": 1800.00, "cess": 0, "rtnprd": "112025", "srcform": "R1", "srcfilstatus": "Filed", "action": "N", "ispendactblocked": "N"},
 {"stin": "27AAPFU0939F1ZV", "inum": "MH/2025-26/INV/000777", "idt": "08-11-2025", "inv_typ": "R", "pos": "27", "val": 4720.00, "txval": 4000.00, "iamt": 0, "camt": 360.00, "samt": 360.00, "cess": 0, "rtnprd": "112025", "srcform": "R1", "srcfilstatus": "Filed", "action": "N", "ispendactblocked": "N"},
 {"stin": "29AABCT1332L1ZA", "inum": "KA-55", "idt": "10-11-2025", "inv_typ": "R", "pos": "27", "val": 9440.00, "txval": 8000.00, "iamt": 1440.00, "camt": 0, "samt": 0, "cess": 0, "rtnprd": "112025", "srcform": "R1", "srcfilstatus": "Not Filed", "action": "N", "ispendactblocked": "N"},
 {"stin": "33GSPTN0791G1Z5", "inum": "TN/9", "idt": "12-11-2025", "inv_typ": "R", "pos": "27", "val": 38400.00, "txval": 30000.00, "iamt": 8400.00, "camt": 0, "samt": 0, "cess": 0, "rtnprd": "112025", "srcform": "R1", "srcfilstatus": "Filed", "action": "N", "ispendactblocked": "N"},
 {"stin": "32TAAOA2947A1Z7", "inum": "KL-7", "idt": "14-11-2025", "inv_typ": "R", "pos": "27", "val": 5900.00, "txval": 5000.00, "iamt": 900.00, "camt": 0, "samt": 0, "cess": 0, "rtnprd": "112025", "srcform": "R1", "srcfilstatus": "Filed", "action": "N", "ispendactblocked": "N"}],
 "b2bcn": [
 {"stin": "33GSPTN0791G1Z5", "nt_num": "CN-3", "nt_dt": "18-11-2025", "inv_typ": "R", "pos": "27", "val": 2360.00, "txval": 2000.00, "iamt": 360.00, "camt": 0, "samt": 0, "cess": 0, "rtnprd": "112025", "srcform": "R1", "srcfilstatus": "Filed", "action": "N", "ispendactblocked": "N"}]}}
"""


def write(folder: Path) -> tuple[Path, Path]:
    """(books register, IMS download) written into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    books = folder / "Purchase Register Nov-25.csv"
    ims = folder / "IMS_download_112025.json"
    books.write_text(BOOKS_CSV)
    ims.write_text(IMS_JSON)
    return books, ims


def ims_sections() -> dict:
    """The download's sections, as the sandbox portal is seeded with them."""
    return loads_exact(IMS_JSON)["data"]
