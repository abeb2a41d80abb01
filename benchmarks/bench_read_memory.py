"""How much memory does reading a register take, against its size and against the up-front estimate?

    python benchmarks/bench_read_memory.py [rows]        # default 100,000 rows

Writes a Tally-like register of ``rows`` lines as .xlsx (benchmarks/bench_read_books.py) and the same cells
as CSV, then reads each in a fresh process through ``recon.readers.read`` and prints the peak resident memory
above the process's warmed-up start, next to the file's size, its unpacked size and what
``recon.readers.memory.estimate`` expected (the figure a file is refused by, before reading). Asserts nothing.
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

MEASURE = """
import resource, sys
from recon.readers import read
from tests.handwritten_files import tally_register
read(tally_register([(0, "A/1"), (1, "A/2")]), "warm.xlsx", kind="books")  # imports and allocator warm
data = open(sys.argv[1], "rb").read()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
read(data, sys.argv[1].rsplit("/", 1)[-1], kind="books")
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) * 1024)
"""


def unpacked(data: bytes) -> int:
    if data[:2] != b"PK":
        return len(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sum(m.file_size for m in archive.infolist())


def main() -> None:
    import polars as pl

    from benchmarks.bench_read_books import write_register
    from recon.readers import memory

    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory(prefix="bench-read-memory-") as folder:
        xlsx, csv = Path(folder) / "register.xlsx", Path(folder) / "register.csv"
        write_register(xlsx, rows)
        cells = pl.read_excel(xlsx, engine="calamine", has_header=False)
        cells.write_csv(csv, include_header=False)
        print(
            f"{'file':<14} {'size MB':>8} {'unpacked MB':>11} {'peak MB':>8} {'peak/unpacked':>13} {'estimate MB':>11}"
        )
        for path in (xlsx, csv):
            data = path.read_bytes()
            out = subprocess.run(
                [sys.executable, "-c", MEASURE, str(path)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            peak = int(out.stdout.strip().splitlines()[-1])
            needed, _ = memory.estimate(data)
            print(
                f"{path.name:<14} {len(data) / 1e6:>8.1f} {unpacked(data) / 1e6:>11.1f} {peak / 1e6:>8.0f} "
                f"{peak / unpacked(data):>13.1f} {needed / 1e6:>11.0f}"
            )
    print(f"one read may take {memory.READ_BUDGET / 1e6:,.0f} MB (IMS_WORKBENCH_READ_MB)")


if __name__ == "__main__":
    main()
