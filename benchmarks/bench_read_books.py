"""How long does reading a 100,000-row purchase register take, against a bare pandas read?

Writes a Tally-like register (.xlsx, title rows above the header, rate-wise lines, debit-note vouchers,
a grand-total row) into a temporary folder, then times in the same run, best of 3 each:

* ``pandas.read_excel(path, engine="calamine", header=None)`` — just the cells, no meaning;
* ``recon.readers.books.read_books(...)`` — the full canonical table (mapping, parsing, grouping, ids).

Goal: read_books ≤ 1.5 × the bare read. Usage: ``python benchmarks/bench_read_books.py [rows]``.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recon.gstin import STATES, check_char  # noqa: E402

HEADERS = [
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
    "Invoice Value",
]


def supplier_pool(rng: random.Random, count: int) -> list[tuple[str, str]]:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    codes = [c for c in STATES if c not in ("96", "97")]
    pool = []
    for i in range(count):
        pan = "".join(rng.choice(letters) for _ in range(3)) + "C" + rng.choice(letters)
        pan += f"{rng.randrange(10000):04d}" + rng.choice(letters)
        body = f"{rng.choice(codes)}{pan}1Z"
        pool.append((body + check_char(body), f"Supplier {i} Pvt Ltd"))
    return pool


def write_register(path: Path, rows: int, seed: int = 7) -> int:
    """A register of about ``rows`` data rows; returns the number of data rows written."""
    import xlsxwriter

    rng = random.Random(seed)
    suppliers = supplier_pool(rng, 800)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("Purchase Register")
    date_format = book.add_format({"num_format": "dd-mmm-yyyy"})
    sheet.write(0, 0, "Acme Industries Pvt Ltd")
    sheet.write(1, 0, "Purchase Register")
    sheet.write(2, 0, "1-Apr-2025 to 31-Mar-2026")
    sheet.write_row(4, 0, HEADERS)
    r, written, voucher = 5, 0, 0
    start = date(2025, 4, 1)
    while written < rows:
        voucher += 1
        gstin, name = rng.choice(suppliers)
        kind = "Debit Note" if rng.random() < 0.05 else "Purchase"
        doc_date = start + timedelta(days=rng.randrange(365))
        booked = doc_date + timedelta(days=rng.randrange(6))
        number = f"{'CN' if kind == 'Debit Note' else 'INV'}/{rng.randrange(1, 99999):05d}"
        lines = 1 if rng.random() < 0.7 else rng.choice((2, 3))
        rates = rng.sample((5, 12, 18, 28), lines)
        inter = gstin[:2] != "27"
        taxables = [round(rng.uniform(500, 200000), 2) for _ in rates]
        value = sum(t * (1 + rt / 100) for t, rt in zip(taxables, rates, strict=True))
        for taxable, rate in zip(taxables, rates, strict=True):
            tax = round(taxable * rate / 100, 2)
            igst, half = (tax, 0.0) if inter else (0.0, round(tax / 2, 2))
            sheet.write_datetime(r, 0, booked, date_format)
            sheet.write_row(r, 1, [name, kind, f"P/{voucher}", number])
            sheet.write_datetime(r, 5, doc_date, date_format)
            # Tally prints nothing for a zero tax: blank cells, as in real exports.
            taxes = [t or None for t in (igst, half, half, 0.0)]
            sheet.write_row(r, 6, [gstin, taxable, *taxes, round(value, 2)])
            r += 1
            written += 1
    sheet.write_row(r, 1, ["Grand Total"])
    book.close()
    return written


def best_of(runs: int, action) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    import pandas as pd

    from recon.readers.books import read_books

    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "purchase_register.xlsx"
        started = time.perf_counter()
        written = write_register(path, rows)
        print(
            f"wrote {written:,} data rows ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s"
        )
        data = path.read_bytes()
        bare = best_of(3, lambda: pd.read_excel(path, engine="calamine", header=None))
        result = read_books(data, path.name)
        ours = best_of(3, lambda: read_books(data, path.name))
    print(f"pandas.read_excel(engine='calamine'), cells only : {bare:6.2f} s")
    print(f"read_books to the canonical table               : {ours:6.2f} s")
    print(f"ratio read_books / bare read                    : {ours / bare:6.2f}  (goal <= 1.5)")
    print(f"documents: {result.docs.height:,} from {result.rows_read:,} rows; counts {result.counts()}")


if __name__ == "__main__":
    main()
