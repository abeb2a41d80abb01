"""How long the generator takes: detailed corpus, its files, and the vectorised million-row corpus.

    python benchmarks/bench_synth.py [--docs 1000000]

Prints figures; asserts nothing about time (house rule: speed is measured here, not in tests).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recon.synth import generate, write_files  # noqa: E402


def timed(label: str, func):
    start = time.perf_counter()
    value = func()
    print(f"{label:<48} {time.perf_counter() - start:8.2f} s")
    return value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=1_000_000, help="portal documents in the fast corpus")
    parser.add_argument("--detailed", type=int, default=2000, help="portal documents in the detailed corpus")
    args = parser.parse_args()
    corpus = timed(f"generate(n_docs={args.detailed})", lambda: generate(n_docs=args.detailed))
    with tempfile.TemporaryDirectory() as folder:
        files = timed("write_files (6 layouts x xlsx/csv + JSON)", lambda: write_files(corpus, folder))
        size = sum(p.stat().st_size for p in files.values())
        print(f"{'  files written':<48} {len(files):8d}   ({size / 1e6:.1f} MB)")
    fast = timed(f"generate(n_docs={args.docs:,}, fast=True)", lambda: generate(n_docs=args.docs, fast=True))
    print(
        f"{'  books / ims / gstr2b / truth rows':<48} {fast.books.height:,} / {fast.ims.height:,} / "
        f"{fast.gstr2b.height:,} / {fast.truth.height:,}"
    )


if __name__ == "__main__":
    main()
