"""``python -m recon paper --books F --ims F --out paper.xlsx``: reconcile and write the Excel working paper.

The same working paper the app offers for download: a Summary sheet (documents and ITC per category and
per suggested action, ITC at risk), one sheet per category with both sides of every pair and the
explanation, and the per-supplier follow-up list.

``--history`` and ``--quarterly`` are ``reconcile``'s: the earlier GSTR-2B statements settle what they hold
(a sheet of its own) and the rest meet the IMS inbox. ``--decisions`` takes the decisions file of
``actions``: the paper shows each action a person chose and, as the app and the upload judge it, whether
the portal would refuse it (``--quarterly``: a credit note's Pending is judged by the quarter,
docs/reference/ims-rules.md §8).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl

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
    parser.add_argument(
        "--history",
        action="append",
        default=[],
        metavar="2B",
        help="an earlier month's GSTR-2B (JSON or portal Excel), as for reconcile; repeat for each month",
    )
    parser.add_argument(
        "--quarterly",
        action="store_true",
        help="the client files quarterly (QRMP): each --history 2B is a quarter's, and a decided credit "
        "note's Pending is judged by the quarter",
    )
    parser.add_argument(
        "--decisions",
        help="decisions CSV/JSON (as for actions): the actions a person chose, shown and judged",
    )


def run(args: argparse.Namespace) -> int:
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
    results, every_portal_doc = _results(args, books, portal)
    decisions, unsendable = _decided(args, portal)
    content = working_paper(
        results,
        books.docs,
        every_portal_doc,
        decisions,
        client=args.client or args.gstin,
        quarterly=args.quarterly,
        unsendable=unsendable,
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(content)
    counts = results.group_by("category").len().sort("category")
    summary = ", ".join(f"{c} {n}" for c, n in counts.iter_rows())
    print(f"{books.docs.height} books documents, {portal.docs.height} {portal.source} documents: {summary}")
    print(f"wrote {out}")
    return 0


def _results(args: argparse.Namespace, books, portal) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows and every portal document they may name: the open pool's with ``--history``."""
    from recon.match import reconcile

    if not args.history:
        return reconcile(books.docs, portal.docs, quarterly=args.quarterly), portal.docs
    if portal.source != "ims":
        raise InputError(
            "--history needs the IMS inbox with --ims, not a GSTR-2B: the earlier 2Bs settle, IMS is open",
            file=portal.file,
        )
    from recon.cli.reconcile import read_history
    from recon.pool import reconcile_open_pool

    statements = read_history(args, books, portal)
    results = reconcile_open_pool(books.docs, portal.docs, statements, quarterly=args.quarterly)
    return results, pl.concat([portal.docs, *(docs for _, docs in statements)], how="vertical")


def _decided(args: argparse.Namespace, portal) -> tuple[list, pl.DataFrame | None]:
    """The decisions of ``--decisions`` (only the actions a person filled in) and the inbox's records the
    portal would refuse whatever the action."""
    if not args.decisions:
        return [], None
    if portal.source != "ims":
        raise InputError(
            "--decisions needs the IMS download with --ims: only IMS records take actions",
            file=portal.file,
        )
    from recon import ims_json
    from recon.cli.actions import decision_rows

    rows = decision_rows(Path(args.decisions), portal.docs, suggested="none")
    return [decision for _, decision in rows], ims_json.unsendable(portal.docs)
