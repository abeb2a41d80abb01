"""How much memory does reading a register take, against its size and against the up-front estimate?

    python benchmarks/bench_read_memory.py [rows]              # default 100,000 rows
    python benchmarks/bench_read_memory.py --csv-mb 50 150 300  # CSV registers of about these sizes
    python benchmarks/bench_read_memory.py --json 96000         # IMS and GSTR-2B JSON downloads of N records

Writes a Tally-like register of ``rows`` lines as .xlsx (benchmarks/bench_read_books.py) and the same cells
as CSV, then reads each in a fresh process through ``recon.readers.read`` and prints the peak resident memory
above what the warmed-up process holds when the read starts, next to the file's size, its unpacked size and
what ``recon.readers.memory.estimate`` expected (the figure a file is refused by, before reading). With
``--csv-mb`` it writes Tally CSV registers of those sizes instead (title block, quoted Indian-comma amounts,
rate-wise lines, debit notes); the goal is a peak of at most about 4 times the file. With ``--json`` it
writes an IMS download and a GSTR-2B JSON of N records (benchmarks/bench_read_portal.py) and measures both
the read and the whole import into a workspace (the upload's path: read, checks, stored), next to the
canonical table the file becomes. Reads past the server's read budget are measured anyway (the budget is
lifted in the measuring process). Asserts nothing.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Before anything loads polars: recon sets polars' allocator as the app runs it, and the measuring process
# inherits that setting (loaded first, polars would set its own, and the reads would be measured under it).
import recon  # noqa: E402, F401

MEASURE = """
import os, resource, sys
os.environ["IMS_WORKBENCH_READ_MB"] = "1000000"  # measure the read itself, whatever the budget refuses
from recon.readers import read
from tests.handwritten_files import tally_register
read(tally_register([(0, "A/1"), (1, "A/2")]), "warm.xlsx", kind="books")  # imports and allocator warm
data = open(sys.argv[1], "rb").read()

def status_kb(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))

try:  # Linux: the peak counter restarts at the resident memory the read starts from
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    base, peak = status_kb("VmRSS"), lambda: status_kb("VmHWM")
except OSError:  # elsewhere: the growth of the process's lifetime peak (less when the warm-up peaked higher)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
name, kind, how = sys.argv[1].rsplit("/", 1)[-1], sys.argv[2], sys.argv[3]
if how == "import":  # the upload's whole path: read, the import checks, the documents stored
    import tempfile
    from recon.store import Store
    from recon.workspace import Workspace
    workspace = Workspace(Store(f"sqlite:///{tempfile.mkdtemp()}/bench.db"), user="bench")
    client = workspace.create_client("Bench", sys.argv[4], "112025")
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    base = status_kb("VmRSS")
    workspace.import_file(client.id, "112025", data, name, confirmed=True)
    grew = (peak() - base) * 1024
    table = read(data, name).docs.estimated_size()
else:
    result = read(data, name, kind=None if kind == "auto" else kind)
    grew, table = (peak() - base) * 1024, result.docs.estimated_size()
print(grew, table)
"""


def unpacked(data: bytes) -> int:
    if data[:2] != b"PK":
        return len(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sum(m.file_size for m in archive.infolist())


def write_csv_register(path: Path, megabytes: int, seed: int = 7) -> None:
    """A Tally CSV register of about ``megabytes`` MB: a title block, then rate-wise lines as Tally prints."""
    import random
    from datetime import date, timedelta

    from benchmarks.bench_read_books import HEADERS, supplier_pool

    rng = random.Random(seed)
    suppliers = supplier_pool(rng, 800)
    start = date(2025, 4, 1)
    with path.open("w", newline="", encoding="utf-8") as out:
        out.write("Acme Industries Pvt Ltd\r\nPurchase Register\r\n1-Apr-2025 to 31-Mar-2026\r\n\r\n")
        out.write(",".join(HEADERS) + "\r\n")
        voucher = 0
        while out.tell() < megabytes * 1024**2:
            voucher += 1
            gstin, name = rng.choice(suppliers)
            kind = "Debit Note" if rng.random() < 0.05 else "Purchase"
            doc_date = start + timedelta(days=rng.randrange(365))
            booked = doc_date + timedelta(days=rng.randrange(6))
            number = f"{'CN' if kind == 'Debit Note' else 'INV'}/{voucher:07d}"
            rates = rng.sample((5, 12, 18, 28), 1 if rng.random() < 0.7 else rng.choice((2, 3)))
            taxables = [round(rng.uniform(500, 200000), 2) for _ in rates]
            value = sum(t * (1 + r / 100) for t, r in zip(taxables, rates, strict=True))
            for taxable, rate in zip(taxables, rates, strict=True):
                tax = round(taxable * rate / 100, 2)
                igst, half = (f"{tax:.2f}", "") if gstin[:2] != "27" else ("", f"{tax / 2:.2f}")
                out.write(
                    f'{booked:%d-%b-%Y},"{name}",{kind},P/{voucher},{number},{doc_date:%d-%b-%Y},{gstin},'
                    f'"{taxable:,.2f}",{igst},{half},{half},,"{value:,.2f}"\r\n'
                )
        out.write(",Grand Total,,,,,,,,,,,\r\n")


def measure(path: Path, kind: str = "books", how: str = "read", recipient: str = "") -> tuple[int, int]:
    """Peak resident memory (bytes) of reading (or importing) ``path`` in a fresh process, above its
    warmed-up start, and the size of the canonical table it became."""
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), kind, how, recipient],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    peak, table = out.stdout.strip().splitlines()[-1].split()
    return int(peak), int(table)


def print_row(path: Path, measured: tuple[int, int]) -> None:
    from recon.readers import memory

    data = path.read_bytes()
    needed, _ = memory.estimate(data)
    peak, table = measured
    print(
        f"{path.name:<14} {len(data) / 1e6:>8.1f} {unpacked(data) / 1e6:>11.1f} {peak / 1e6:>8.0f} "
        f"{peak / unpacked(data):>13.1f} {table / 1e6:>9.0f} {peak / table:>10.1f} {needed / 1e6:>11.0f}"
    )


def measure_json(records: int) -> None:
    """Read and import an IMS download and a GSTR-2B JSON of ``records`` documents each."""
    import random

    from benchmarks.bench_read_portal import RECIPIENT, gstr2b_json, ims_download
    from recon.readers import memory

    print(
        f"{'file':<12} {'path':<7} {'size MB':>8} {'peak MB':>8} {'peak/file':>9} {'table MB':>9} "
        f"{'peak/table':>10} {'estimate MB':>11}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-read-memory-") as folder:
        for label, write in (("ims.json", ims_download), ("gstr2b.json", gstr2b_json)):
            path = Path(folder) / label
            path.write_bytes(write(records, random.Random(7)))
            size, (estimate, _) = path.stat().st_size, memory.estimate(path.read_bytes())
            for how in ("read", "import"):
                peak, table = measure(path, "auto", how, RECIPIENT)
                print(
                    f"{label:<12} {how:<7} {size / 1e6:>8.1f} {peak / 1e6:>8.0f} {peak / size:>9.1f} "
                    f"{table / 1e6:>9.0f} {peak / table:>10.1f} {estimate / 1e6:>11.0f}"
                )
    print(f"one read may take {memory.READ_BUDGET / 1e6:,.0f} MB (IMS_WORKBENCH_READ_MB)")


def main() -> None:
    import argparse

    import polars as pl

    from benchmarks.bench_read_books import write_register
    from recon.readers import memory

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int, nargs="?", default=100_000, help="rows of the .xlsx register")
    parser.add_argument("--csv-mb", type=int, nargs="+", help="write CSV registers of these sizes instead")
    parser.add_argument(
        "--json", type=int, metavar="N", help="IMS and GSTR-2B JSON downloads of N records instead"
    )
    args = parser.parse_args()
    if args.json:
        measure_json(args.json)
        return
    header = (
        f"{'file':<14} {'size MB':>8} {'unpacked MB':>11} {'peak MB':>8} {'peak/unpacked':>13} "
        f"{'table MB':>9} {'peak/table':>10} {'estimate MB':>11}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-read-memory-") as folder:
        if args.csv_mb:
            print(header)
            for megabytes in args.csv_mb:
                path = Path(folder) / f"register-{megabytes}mb.csv"
                write_csv_register(path, megabytes)
                print_row(path, measure(path))
                path.unlink()
        else:
            xlsx, csv = Path(folder) / "register.xlsx", Path(folder) / "register.csv"
            write_register(xlsx, args.rows)
            cells = pl.read_excel(xlsx, engine="calamine", has_header=False)
            cells.write_csv(csv, include_header=False)
            print(header)
            for path in (xlsx, csv):
                print_row(path, measure(path))
    print(f"one read may take {memory.READ_BUDGET / 1e6:,.0f} MB (IMS_WORKBENCH_READ_MB)")


if __name__ == "__main__":
    main()
