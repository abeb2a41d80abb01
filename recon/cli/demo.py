"""``python -m recon demo --out FOLDER``: write a realistic client period to try the workbench on.

Purchase registers in six ERP layouts (Tally, Busy, Zoho Books, SAP, Marg, a generic template) as xlsx
and CSV, the IMS download, the GSTR-2B JSON and truth.csv (what a correct reconciliation concludes about
every document). Same seed, same files, byte for byte.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from recon.errors import InputError

# The app's demo client uses the same corpus (recon.synth.demo_corpus), so the files match what it shows.
DEFAULT_SEED = 2025  # recon.synth.DEMO_SEED
DEFAULT_DOCS = 300  # recon.synth.DEMO_DOCS


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="write demo books, IMS and GSTR-2B files with their ground truth",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("--out", required=True, help="folder to write into (created if missing)")
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
    )
    parser.add_argument(
        "--docs",
        type=int,
        default=DEFAULT_DOCS,
        help=f"about how many portal documents (default {DEFAULT_DOCS})",
    )
    parser.add_argument("--period", default=None, help="return period MMYYYY (default 112025)")


def _period(text: str | None) -> str:
    if text is None:
        return "112025"
    if len(text) != 6 or not text.isdigit() or not 1 <= int(text[:2]) <= 12:
        raise InputError(f"--period '{text}' is not a return period", hint="Write it as MMYYYY, e.g. 112025.")
    return text


def run(args: argparse.Namespace) -> int:
    from recon.synth import generate, write_files

    if not 10 <= args.docs <= 200_000:
        raise InputError(
            f"--docs {args.docs} is outside 10 … 200000",
            hint="Files are for trying the app; for benchmark sizes use recon.synth.generate(fast=True).",
        )
    corpus = generate(seed=args.seed, n_docs=args.docs, period=_period(args.period))
    folder = Path(args.out)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"--out '{folder}' is a file, not a folder", hint="Name a folder to write into.")
    files = write_files(corpus, folder)
    client = corpus.client
    print(f"Client: {client.name}, GSTIN {client.gstin}, period {client.period}")
    print(
        f"Documents: {corpus.books.height} in books, {corpus.ims.height} in IMS, "
        f"{corpus.gstr2b.height} in GSTR-2B ({corpus.suppliers.height} supplier registrations)"
    )
    print(f"Wrote {len(files)} files to {folder}:")
    for name, path in files.items():
        print(f"  {name:<22} {path.stat().st_size:>10,} bytes")
    counts = corpus.truth.group_by("defect").len().sort("len", descending=True)
    print("Cases in truth.csv: " + ", ".join(f"{d} {n}" for d, n in counts.iter_rows()))
    return 0
