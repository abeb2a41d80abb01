"""How long the decide-and-hand-over steps take: suggestions, effective actions, the IMS JSON, the paper.

    python benchmarks/bench_actions.py [--docs 1000000] [--detailed 5000]

``--docs``: documents a side in the fast (vectorised) corpus, for suggest / effective_actions, which run
on every reconciliation. ``--detailed``: documents in the corpus that carries real IMS records (``raw``),
for building the upload files and the working paper. Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import polars as pl  # noqa: E402

from recon import ims_json  # noqa: E402
from recon.actions import effective_actions, suggest  # noqa: E402
from recon.match import reconcile  # noqa: E402
from recon.paper import working_paper  # noqa: E402
from recon.synth import generate  # noqa: E402

TODAY = date(2025, 12, 5)


def timed(label: str, func):
    start = time.perf_counter()
    value = func()
    print(f"{label:<52} {time.perf_counter() - start:8.2f} s")
    return value


def bench_suggestions(n_docs: int) -> None:
    corpus = timed(f"generate(n_docs={n_docs:,}, fast=True)", lambda: generate(n_docs=n_docs, fast=True))
    results = timed("reconcile (engine, incl. one suggest pass)", lambda: reconcile(corpus.books, corpus.ims))
    print(f"{'  result rows':<52} {results.height:>8,}")
    timed("suggest", lambda: suggest(results, corpus.books, corpus.ims, today=TODAY))
    wanted = timed(
        "effective_actions (no decisions)",
        lambda: effective_actions(results, corpus.ims, (), books=corpus.books, today=TODAY),
    )
    print(f"{'  documents whose action changes':<52} {wanted.filter(pl.col('changed')).height:>8,}")


def bench_files(n_docs: int) -> None:
    corpus = timed(f"generate(n_docs={n_docs:,})", lambda: generate(n_docs=n_docs))
    results = reconcile(corpus.books, corpus.ims)
    wanted = effective_actions(results, corpus.ims, (), books=corpus.books, today=TODAY)
    rtin = corpus.ims.get_column("recipient_gstin").drop_nulls()[0]
    for profile in ("offline", "api"):
        upload = timed(
            f"ims_json.build ({profile})",
            lambda p=profile: ims_json.build(corpus.ims, wanted, rtin, profile=p, today=TODAY),
        )
        files = timed(f"  to_files ({profile})", upload.to_files)
        size = sum(len(v) for v in files.values())
        print(f"{'  records / files / MB':<52} {upload.records.height:,} / {len(files)} / {size / 1e6:.1f}")
    paper = timed("working_paper", lambda: working_paper(results, corpus.books, corpus.ims, today=TODAY))
    print(f"{'  xlsx MB':<52} {len(paper) / 1e6:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=1_000_000, help="0 skips this part")
    parser.add_argument("--detailed", type=int, default=5_000, help="0 skips this part")
    args = parser.parse_args()
    if args.docs:
        bench_suggestions(args.docs)
    if args.detailed:
        bench_files(args.detailed)


if __name__ == "__main__":
    main()
