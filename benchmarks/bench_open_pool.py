"""The open pool at a year's scale: 12 months of books, twelve GSTR-2B statements and an IMS inbox.

    python -m benchmarks.bench_open_pool                  # 12 months × 100,000 documents
    python -m benchmarks.bench_open_pool --docs 20000 --months 6 --repeat 1

A fast corpus (``recon.synth.generate(fast=True)``) is generated per month, each for its own return period
(dates, FY and number series follow the period). Month 0 … N are generated; the books are months 1 … N
(N × docs documents), the history is the GSTR-2B of months 0 … N-1 (N statements; month 0's documents were
booked before the register starts, so they stay history) and the inbox is month N's IMS download. A first
subprocess writes them to Parquet; each measurement runs in a fresh subprocess that reads them back, so
its peak RSS is inputs + engine, not the generator. Measured:

* ``open pool`` — ``recon.pool.reconcile_open_pool(books, ims, history)`` end to end;
* ``single month`` — ``recon.match.reconcile`` of month N's books against its IMS, the figure the open
  pool is compared with.

Each runs ``--repeat`` times (default 3) and the fastest is reported; the load average is printed
beside it because the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


def _peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # Linux reports KiB


def month_periods(months: int, last: str = "102025") -> list[str]:
    """months + 1 return periods ending at ``last``, oldest first (MMYYYY)."""
    year, month = int(last[2:]), int(last[:2])
    out = []
    for back in range(months, -1, -1):
        y, m = divmod(year * 12 + month - 1 - back, 12)
        out.append(f"{m + 1:02d}{y}")
    return out


def make_corpus(n_docs: int, months: int, seed: int, folder: Path) -> dict:
    """Generate one fast corpus per period and save books, statements and the inbox (own process)."""
    import polars as pl

    from recon.synth import generate

    started = time.perf_counter()
    periods = month_periods(months)
    books = []
    for number, period in enumerate(periods):
        corpus = generate(seed=seed + number, n_docs=n_docs, period=period, fast=True)
        if number:
            books.append(corpus.books)
        if number < months:
            corpus.gstr2b.write_parquet(folder / f"gstr2b_{period}.parquet")
        else:
            corpus.ims.write_parquet(folder / "ims.parquet")
            corpus.books.write_parquet(folder / "month_books.parquet")
    pl.concat(books).write_parquet(folder / "books.parquet")
    return {"generate_s": time.perf_counter() - started, "periods": periods}


def measure(folder: Path, mode: str, repeat: int) -> dict:
    """Run the open pool (or the single month) ``repeat`` times; the fastest run is kept (own process)."""
    import polars as pl

    from recon.match import reconcile
    from recon.pool import reconcile_open_pool

    ims = pl.read_parquet(folder / "ims.parquet")
    today = date(2025, 11, 15)
    if mode == "pool":
        books = pl.read_parquet(folder / "books.parquet")
        history = [
            (p.stem.split("_")[1], pl.read_parquet(p)) for p in sorted(folder.glob("gstr2b_*.parquet"))
        ]

        def run():
            return reconcile_open_pool(books, ims, history, today=today)
    else:
        books = pl.read_parquet(folder / "month_books.parquet")
        history = []

        def run():
            return reconcile(books, ims, today=today)

    rss_inputs = _peak_rss_gib()
    runs, results = [], None
    for _ in range(repeat):
        results = None  # the previous run's rows are released before the next one starts
        started, cpu_started = time.perf_counter(), time.process_time()
        results = run()
        runs.append((time.perf_counter() - started, time.process_time() - cpu_started))
    wall, cpu = min(runs)
    return {
        "books": books.height,
        "statements": len(history),
        "statement_docs": sum(f.height for _, f in history),
        "ims": ims.height,
        "wall_s": wall,
        "cpu_s": cpu,
        "all_wall_s": [round(r[0], 2) for r in runs],
        "load_avg": os.getloadavg()[0],
        "results": results.height,
        "categories": dict(results.group_by("category").len().sort("category").iter_rows()),
        "rss_inputs_gib": rss_inputs,
        "rss_peak_gib": _peak_rss_gib(),
    }


def _child(args: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_open_pool", *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path.cwd())},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(n_docs: int, months: int, seed: int, repeat: int) -> None:
    print(
        f"Open-pool benchmark — {os.cpu_count()} cores, {months} months × {n_docs:,} documents, seed {seed}, "
        f"fastest of {repeat} runs"
    )
    with tempfile.TemporaryDirectory(prefix="bench_open_pool_") as tmp:
        made = _child(["--make", tmp, "--docs", str(n_docs), "--months", str(months), "--seed", str(seed)])
        print(f"generated periods {made['periods'][0]} … {made['periods'][-1]} in {made['generate_s']:.1f}s")
        for mode, label in (("single", "single month"), ("pool", "open pool")):
            m = _child(["--measure", tmp, "--mode", mode, "--repeat", str(repeat)])
            print(
                f"{label:>13}: books {m['books']:,}, {m['statements']} statements of {m['statement_docs']:,} "
                f"documents, IMS {m['ims']:,} → {m['results']:,} rows in {m['wall_s']:.2f}s "
                f"(runs {m['all_wall_s']}; CPU {m['cpu_s']:.1f}s); peak RSS {m['rss_peak_gib']:.2f} GiB "
                f"(inputs {m['rss_inputs_gib']:.2f}); load average {m['load_avg']:.1f}"
            )
            print(f"{'':>13}  categories: {m['categories']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000, help="documents per month")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--make", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=("pool", "single"), default="pool", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.make:
        print(json.dumps(make_corpus(args.docs, args.months, args.seed, args.make)))
    elif args.measure:
        print(json.dumps(measure(args.measure, args.mode, args.repeat)))
    else:
        run(args.docs, args.months, args.seed, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
