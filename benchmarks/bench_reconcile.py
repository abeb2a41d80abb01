"""Reconciliation speed and memory at 10k, 100k and 1M documents a side, beside a bare DuckDB join.

    python -m benchmarks.bench_reconcile                       # 10k, 100k, 1M
    python -m benchmarks.bench_reconcile --sizes 10000,100000
    python -m benchmarks.bench_reconcile --quality [--docs 20000 --seed 7]

Each size runs in a fresh subprocess so that peak RSS is that size's own. The corpus comes from
``recon.synth.generate(fast=True)`` and is written to a temporary Parquet pair by a first subprocess; the
measuring subprocess reads it back, so its peak RSS is inputs + engine, not the generator. Measured:

* ``reconcile`` — the whole engine end to end in memory (stages, comparisons, sentences, nearest
  candidates, suggested actions);
* ``duckdb``    — a bare exact FULL OUTER JOIN of the same two tables on (supplier GSTIN, number),
  materialised, as the floor any reconciliation has to pay.

Both run ``--repeat`` times (default 3) in the same process and the fastest run of each is reported: the
machine is shared, and one slow run of a 0.2 s join moves the ratio by several points.

``--quality`` prints pair precision / recall and per-defect figures of the engine on the detailed
generator's seeded corpus (all defect kinds) against its ground truth.
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
from pathlib import Path

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def make_corpus(n_docs: int, seed: int, folder: Path) -> dict:
    """Generate the fast corpus and save books/IMS as Parquet (run in its own process)."""
    from recon.synth import generate

    started = time.perf_counter()
    corpus = generate(seed=seed, n_docs=n_docs, fast=True)
    corpus.books.write_parquet(folder / "books.parquet")
    corpus.ims.write_parquet(folder / "ims.parquet")
    return {
        "generate_s": time.perf_counter() - started,
        "books": corpus.books.height,
        "ims": corpus.ims.height,
    }


def measure(folder: Path, repeat: int) -> dict:
    """Reconcile the saved corpus and run the bare DuckDB join, each ``repeat`` times, the fastest run of
    each kept (run in its own process; peak RSS covers every run)."""
    import duckdb
    import polars as pl

    from recon.match import reconcile

    books = pl.read_parquet(folder / "books.parquet")
    ims = pl.read_parquet(folder / "ims.parquet")
    rss_inputs = _peak_rss_mb()

    runs = []
    for _ in range(repeat):
        results = None  # the previous run's rows are released before the next one starts
        started, cpu_started = time.perf_counter(), time.process_time()
        results = reconcile(books, ims)
        runs.append((time.perf_counter() - started, time.process_time() - cpu_started))
    engine_s, engine_cpu = min(runs)
    rss_engine = _peak_rss_mb()
    categories = dict(results.group_by("category").len().iter_rows())

    con = duckdb.connect()
    con.register("books_src", books.select("supplier_gstin", "doc_no", "doc_id").to_arrow())
    con.register("ims_src", ims.select("supplier_gstin", "doc_no", "doc_id").to_arrow())
    con.execute("CREATE TABLE books AS SELECT * FROM books_src")
    con.execute("CREATE TABLE ims AS SELECT * FROM ims_src")
    joins = []
    for _ in range(repeat):
        con.execute("DROP TABLE IF EXISTS joined")
        started, cpu_started = time.perf_counter(), time.process_time()
        con.execute(
            "CREATE TABLE joined AS SELECT b.doc_id AS books_doc_id, i.doc_id AS ims_doc_id FROM books b "
            "FULL OUTER JOIN ims i ON b.supplier_gstin = i.supplier_gstin AND b.doc_no = i.doc_no"
        )
        joins.append((time.perf_counter() - started, time.process_time() - cpu_started))
    duckdb_s, duckdb_cpu = min(joins)
    joined_rows = con.execute("SELECT count(*) FROM joined").fetchone()[0]
    return {
        "books": books.height,
        "ims": ims.height,
        "reconcile_s": engine_s,
        "duckdb_s": duckdb_s,
        "reconcile_cpu_s": engine_cpu,
        "duckdb_cpu_s": duckdb_cpu,
        "load_avg": os.getloadavg()[0],
        "joined_rows": joined_rows,
        "results": results.height,
        "categories": categories,
        "rss_inputs_mb": rss_inputs,
        "rss_peak_mb": rss_engine,
    }


def _child(mode: str, n_docs: int, seed: int, folder: Path, repeat: int = 1) -> dict:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.bench_reconcile",
            f"--{mode}",
            str(folder),
            "--docs",
            str(n_docs),
            "--seed",
            str(seed),
            "--repeat",
            str(repeat),
        ],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path.cwd())},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_sizes(sizes: list[int], seed: int, repeat: int) -> None:
    cores = os.cpu_count()
    print(
        f"Reconciliation benchmark — {cores} cores, polars engine, seed {seed}, fastest of {repeat} runs each"
    )
    header = f"{'docs/side':>10} {'books':>9} {'IMS':>9} {'reconcile':>10} {'duckdb join':>12} {'ratio':>6} {'peak RSS':>9}"
    print(header)
    print("-" * len(header))
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="bench_reconcile_") as tmp:
            _child("make", n, seed, Path(tmp))
            m = _child("measure", n, seed, Path(tmp), repeat)
        ratio = m["reconcile_s"] / m["duckdb_s"] if m["duckdb_s"] else float("nan")
        print(
            f"{n:>10,} {m['books']:>9,} {m['ims']:>9,} {m['reconcile_s']:>9.2f}s {m['duckdb_s']:>11.3f}s "
            f"{ratio:>5.1f}x {m['rss_peak_mb'] / 1024:>7.2f}GiB"
        )
        print(
            f"{'':>10} CPU seconds (all threads): reconcile {m['reconcile_cpu_s']:.2f}, duckdb {m['duckdb_cpu_s']:.3f}; "
            f"load average {m['load_avg']:.1f}; inputs alone {m['rss_inputs_mb']:.0f} MB"
        )
        print(f"{'':>10} categories: {m['categories']}")


def run_quality(n_docs: int, seed: int) -> None:
    """Precision/recall and per-defect figures on the detailed generator's corpus."""
    import polars as pl

    from recon.match import measures, reconcile
    from recon.synth import generate

    started = time.perf_counter()
    corpus = generate(seed=seed, n_docs=n_docs)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    results = reconcile(corpus.books, corpus.ims)
    elapsed = time.perf_counter() - started
    pm = measures.pair_measures(results, corpus.truth)
    print(
        f"Quality on generate(seed={seed}, n_docs={n_docs}): {corpus.books.height} book documents, "
        f"{corpus.ims.height} IMS documents (generated in {generated:.1f}s, reconciled in {elapsed:.2f}s)"
    )
    print(
        f"pairs made {pm.made}, true {pm.true}, correct {pm.correct}: "
        f"precision {pm.precision:.4%}, recall {pm.recall:.4%}"
    )
    outcomes = measures.category_outcomes(results, corpus.truth)
    right = outcomes["right"].fill_null(False).sum()
    print(f"category right for {right} of {outcomes.height} truth rows ({right / outcomes.height:.3%})")
    with pl.Config(tbl_rows=40, tbl_cols=10, tbl_width_chars=140, float_precision=4):
        print(measures.per_defect(results, corpus.truth))
    review = results.filter(pl.col("needs_review")).height
    print(f"suggestions to confirm (needs_review): {review}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--docs", type=int, default=20_000, help="--quality: documents in the corpus")
    parser.add_argument("--quality", action="store_true")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of the engine and of the join; fastest kept"
    )
    parser.add_argument("--make", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.make:
        print(json.dumps(make_corpus(args.docs, args.seed, args.make)))
    elif args.measure:
        print(json.dumps(measure(args.measure, args.repeat)))
    elif args.quality:
        run_quality(args.docs, args.seed)
    else:
        run_sizes([int(s) for s in args.sizes.split(",")], args.seed, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
