"""``python -m recon reconcile``: two small files in, one CSV row per result out; bad input exits 2."""

from __future__ import annotations

import csv
import json

from engine_docs import OTHER, SUPPLIER

from recon.cli import main

REQUIRED = [
    "category",
    "books_row",
    "ims_section",
    "supplier_gstin",
    "ims_doc_no",
    "books_doc_no",
    "books_taxable_value",
    "books_igst",
    "books_cgst",
    "books_sgst",
    "books_cess",
    "ims_taxable_value",
    "ims_igst",
    "ims_cgst",
    "ims_sgst",
    "ims_cess",
    "differences",
    "basis",
    "score",
    "suggested_action",
    "reason",
]

HEADER = "Supplier GSTIN,Supplier Name,Invoice No,Invoice Date,Place of Supply,Taxable Value,IGST,CGST,SGST,Cess,Invoice Value"


def write_books(path):
    rows = [
        f"{SUPPLIER},Udyog Traders,INV/2025-26/0045,07-11-2025,27,10000.00,0,900.00,900.00,0,11800.00",
        f"{SUPPLIER},Udyog Traders,INV-46,08-11-2025,27,5000.00,0,450.00,450.00,0,5900.00",
        f"{OTHER},Sagar Steels,S-1,09-11-2025,27,2000.00,360.00,0,0,0,2360.00",
    ]
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")


def write_ims(path):
    def record(number, day, txval, camt, samt):
        return {
            "stin": SUPPLIER,
            "inum": number,
            "idt": f"{day}-11-2025",
            "inv_typ": "R",
            "pos": "27",
            "val": txval + camt + samt,
            "txval": txval,
            "iamt": 0,
            "camt": camt,
            "samt": samt,
            "cess": 0,
            "rtnprd": "112025",
            "srcform": "R1",
            "srcfilstatus": "Filed",
            "action": "N",
            "ispendactblocked": "N",
            "hash": "ab" * 32,
        }

    payload = {
        "b2b": [record("INV-45", "07", 10000.0, 900.0, 900.0), record("INV-47", "12", 800.0, 72.0, 72.0)]
    }
    path.write_text(json.dumps(payload), encoding="utf-8")


def test_reconcile_writes_csv_with_the_documented_columns(tmp_path, capsys):
    books, ims, out = tmp_path / "books.csv", tmp_path / "ims.json", tmp_path / "result.csv"
    write_books(books)
    write_ims(ims)
    code = main(["reconcile", "--books", str(books), "--ims", str(ims), "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    with out.open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        assert [c for c in REQUIRED if c not in reader.fieldnames] == []
    assert {r["category"] for r in rows} <= {"matched", "mismatched", "ims_only", "books_only"}
    by_number = {(r["books_doc_no"], r["ims_doc_no"]): r for r in rows}
    pair = by_number[("INV/2025-26/0045", "INV-45")]
    assert pair["category"] == "matched" and pair["books_row"] == "2" and pair["ims_section"] == "b2b"
    assert pair["basis"] == "normalised"
    assert by_number[("INV-46", "")]["category"] == "books_only"
    assert by_number[("INV-46", "")]["books_row"] == "3"
    assert by_number[("", "INV-47")]["category"] == "ims_only"
    assert by_number[("S-1", "")]["supplier_gstin"] == OTHER
    assert len(rows) == 4


def test_summary_without_out_counts_categories(tmp_path, capsys):
    books, ims = tmp_path / "books.csv", tmp_path / "ims.json"
    write_books(books)
    write_ims(ims)
    assert main(["reconcile", "--books", str(books), "--ims", str(ims)]) == 0
    printed = capsys.readouterr().out
    assert "Matched with ITC" in printed and "₹1,800.00" in printed


def test_bad_portal_file_exits_2_with_one_line(tmp_path, capsys):
    books, ims = tmp_path / "books.csv", tmp_path / "ims.json"
    write_books(books)
    ims.write_text("{not json", encoding="utf-8")
    assert main(["reconcile", "--books", str(books), "--ims", str(ims)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "ims.json" in err and "\n" not in err


def test_unknown_output_type_exits_2(tmp_path, capsys):
    books, ims = tmp_path / "books.csv", tmp_path / "ims.json"
    write_books(books)
    write_ims(ims)
    assert (
        main(["reconcile", "--books", str(books), "--ims", str(ims), "--out", str(tmp_path / "r.pdf")]) == 2
    )
    assert ".csv, .xlsx or .json" in capsys.readouterr().err
