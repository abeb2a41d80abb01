"""How long do the portal readers take on a large client's downloads, against a bare JSON/Excel parse?

Builds, in memory, an IMS download of N records spread over the sections, a GSTR-2B JSON of N documents
with two rate lines each, and a GSTR-2B Excel of N documents (2N rate rows), then times best of 3:

* the bare parse (``json.loads`` / calamine cells), which is the floor;
* ``recon.readers.read`` (sniffing, field variants, exact raw, ids, hashes, grouping).

Usage: ``python benchmarks/bench_read_portal.py [N]`` (default 20000). Prints figures, asserts nothing.
"""

from __future__ import annotations

import io
import json
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import openpyxl  # noqa: E402
from python_calamine import CalamineWorkbook  # noqa: E402

from recon import jsonio  # noqa: E402
from recon.gstin import check_char  # noqa: E402
from recon.readers import read  # noqa: E402

RECIPIENT = "27AHQPA7588L1ZJ"
IMS_SHARE = (
    ("b2b", "inum", "idt", 0.8),
    ("b2bcn", "nt_num", "nt_dt", 0.12),
    ("b2bdn", "nt_num", "nt_dt", 0.08),
)


def suppliers(rng: random.Random, count: int) -> list[str]:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = []
    for _ in range(count):
        pan = "".join(rng.choice(letters) for _ in range(3)) + "C" + rng.choice(letters)
        body = f"27{pan}{rng.randrange(10000):04d}{rng.choice(letters)}1Z"
        out.append(body + check_char(body))
    return out


def money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def ims_download(n: int, rng: random.Random) -> bytes:
    pool = suppliers(rng, max(10, n // 20))
    sections: dict[str, list] = {}
    for section, number_key, date_key, share in IMS_SHARE:
        records = []
        for i in range(int(n * share)):
            taxable = rng.randrange(1000, 500000)
            records.append(
                {
                    "stin": rng.choice(pool),
                    number_key: f"S/2526/{i:06d}",
                    date_key: f"{rng.randrange(1, 29):02d}-11-2025",
                    "inv_typ": "R",
                    "pos": "27",
                    "val": money(taxable * 1.18),
                    "txval": money(taxable),
                    "iamt": 0,
                    "camt": money(taxable * 0.09),
                    "samt": money(taxable * 0.09),
                    "cess": 0,
                    "rtnprd": "112025",
                    "srcform": "R1",
                    "srcfilstatus": rng.choice(["Filed", "Not Filed"]),
                    "action": "N",
                    "ispendactblocked": "N",
                    "hash": f"{rng.getrandbits(256):064x}",
                }
            )
        sections[section] = records
    return jsonio.dumps_exact({"imsDetails": sections}).encode()


def gstr2b_json(n: int, rng: random.Random) -> bytes:
    pool = suppliers(rng, max(10, n // 20))
    by_supplier: dict[str, list] = {}
    for i in range(n):
        lines = [rng.randrange(1000, 100000) for _ in range(2)]
        by_supplier.setdefault(rng.choice(pool), []).append(
            {
                "inum": f"B/{i:06d}",
                "typ": "R",
                "dt": f"{rng.randrange(1, 29):02d}-11-2025",
                "val": money(sum(lines) * 1.18),
                "pos": "27",
                "rev": "N",
                "itcavl": "Y",
                "diffprcnt": 1,
                "imsStatus": "N",
                "items": [
                    {
                        "num": k + 1,
                        "rt": 18,
                        "txval": money(t),
                        "igst": 0,
                        "cgst": money(t * 0.09),
                        "sgst": money(t * 0.09),
                        "cess": 0,
                    }
                    for k, t in enumerate(lines)
                ],
            }
        )
    b2b = [
        {"ctin": g, "trdnm": f"Supplier {g[2:7]}", "supprd": "112025", "supfildt": "11-12-2025", "inv": docs}
        for g, docs in by_supplier.items()
    ]
    return jsonio.dumps_exact(
        {"data": {"gstin": RECIPIENT, "rtnprd": "112025", "docdata": {"b2b": b2b}}}
    ).encode()


def gstr2b_excel(n: int, rng: random.Random) -> bytes:
    pool = suppliers(rng, max(10, n // 20))
    wb = openpyxl.Workbook(write_only=True)
    readme = wb.create_sheet("Read me")
    readme.append(["GSTIN", RECIPIENT])
    sheet = wb.create_sheet("B2B")
    for _ in range(4):
        sheet.append(["Goods and Services Tax - GSTR 2B"])
    sheet.append(["", "", "Invoice details", "", "", "", "", "", "", "", "Tax Amount"])
    sheet.append(
        [
            "GSTIN of supplier",
            "Trade/Legal name",
            "Invoice number",
            "Invoice type",
            "Invoice Date",
            "Invoice Value(₹)",
            "Place of supply",
            "Supply Attract Reverse Charge",
            "Rate(%)",
            "Taxable Value (₹)",
            "Integrated Tax(₹)",
            "Central Tax(₹)",
            "State/UT Tax(₹)",
            "Cess(₹)",
            "GSTR-1/IFF/GSTR-5 Period",
            "GSTR-1/IFF/GSTR-5 Filing Date",
            "ITC Availability",
            "Reason",
        ]
    )
    for i in range(n):
        gstin, when = rng.choice(pool), f"{rng.randrange(1, 29):02d}/11/2025"
        for rate in (18, 5):
            taxable = rng.randrange(1000, 100000)
            half = round(taxable * rate / 200, 2)
            sheet.append(
                [
                    gstin,
                    "Supplier",
                    f"B/{i:06d}",
                    "Regular",
                    when,
                    1000.0,
                    "Maharashtra",
                    "No",
                    rate,
                    taxable,
                    0,
                    half,
                    half,
                    0,
                    "Nov'25",
                    "11/12/2025",
                    "Yes",
                    "",
                ]
            )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def best_of(runs: int, task) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        task()
        times.append(time.perf_counter() - start)
    return min(times)


def report(label: str, data: bytes, bare, docs_expected: int) -> None:
    bare_s = best_of(3, bare)
    result = read(data, label)
    assert result.docs.height == docs_expected, (result.docs.height, docs_expected)
    full_s = best_of(3, lambda: read(data, label))
    print(
        f"{label:<14} {len(data) / 1e6:6.1f} MB  {docs_expected:>7} docs  bare {bare_s:6.2f} s  "
        f"read {full_s:6.2f} s  ({docs_expected / full_s:,.0f} docs/s, {full_s / bare_s:4.1f} × bare)"
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    rng = random.Random(7)
    ims = ims_download(n, rng)
    report("IMS JSON", ims, lambda: json.loads(ims), sum(int(n * s[3]) for s in IMS_SHARE))
    b2b = gstr2b_json(n, rng)
    report("GSTR-2B JSON", b2b, lambda: json.loads(b2b), n)
    xlsx = gstr2b_excel(n, rng)
    report(
        "GSTR-2B Excel",
        xlsx,
        lambda: CalamineWorkbook.from_filelike(io.BytesIO(xlsx)).get_sheet_by_name("B2B").to_python(),
        n,
    )


if __name__ == "__main__":
    main()
