"""``python -m recon paper --books F --ims F --out paper.xlsx``: reconcile and write the Excel working paper.

The same working paper the app offers for download: a Summary sheet (documents and ITC per category and
per suggested action, ITC at risk), one sheet per category with both sides of every pair and the
explanation, and the per-supplier follow-up list.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from recon.errors import InputError


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "paper",
        help="reconcile books with IMS (or GSTR-2B) and write the Excel working paper",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("--books", required=True, help="purchase register (.xlsx/.xls/.csv)")
    parser.add_argument("--ims", required=True, help="IMS download (JSON) or GSTR-2B (JSON / Excel)")
    parser.add_argument("--out", required=True, help="the working paper to write (.xlsx)")
    parser.add_argument("--gstin", help="your client's GSTIN")
    parser.add_argument("--client", help="client name for the Summary sheet")


def run(args: argparse.Namespace) -> int:
    from recon.match import reconcile
    from recon.paper import working_paper
    from recon.readers import read

    options = {"recipient_gstin": args.gstin} if args.gstin else {}
    books = read(args.books, kind="books", **options)
    portal = read(args.ims, **options)
    if portal.source == "books":
        raise InputError(
            "this looks like a purchase register, not a portal file",
            file=portal.file,
            hint="Give the IMS download (JSON) or the GSTR-2B (JSON / Excel) with --ims.",
        )
    results = reconcile(books.docs, portal.docs)
    content = working_paper(results, books.docs, portal.docs, client=args.client or args.gstin)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(content)
    counts = results.group_by("category").len().sort("category")
    summary = ", ".join(f"{c} {n}" for c, n in counts.iter_rows())
    print(f"{books.docs.height} books documents, {portal.docs.height} {portal.source} documents: {summary}")
    print(f"wrote {out}")
    return 0
