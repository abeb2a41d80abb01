"""``python -m recon reconcile --books FILE --ims FILE``: pair books with the portal and explain every row.

Without ``--out`` prints counts and ITC per category; with ``--out`` writes one row per result (.csv,
.xlsx or .json): category, the books rows, both documents' numbers and amounts, the differences, how the
pair was found, and the suggested IMS action with its reason.

``--history 2B.json`` (repeatable) reconciles the open pool (``recon.pool``): books documents already in an
earlier GSTR-2B are ``settled`` and the rest are reconciled against the IMS inbox; the output then adds
``books_period``, ``portal_source`` and ``portal_period``. Without it the output is what it always was.
``--quarterly``: the client files quarterly (QRMP): each ``--history`` 2B is a quarter's, and a credit
note's suggested Pending is judged by the quarter.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl
import xlsxwriter

from recon import model, safe_text
from recon.errors import InputError
from recon.match.result import CATEGORIES, CATEGORY_LABELS

OUTPUT_FORMATS = (".csv", ".xlsx", ".json")
AMOUNT_FIELDS = ("taxable_value", "igst", "cgst", "sgst", "cess", "doc_value")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "reconcile",
        help="reconcile a purchase register with an IMS download (or GSTR-2B/2A)",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("--books", required=True, help="purchase register (.xlsx/.xlsm/.xls/.csv)")
    portal = parser.add_mutually_exclusive_group(required=True)
    portal.add_argument("--ims", help="IMS download (JSON)")
    portal.add_argument("--portal", help="GSTR-2B or GSTR-2A file (JSON or Excel), or an IMS download")
    parser.add_argument(
        "--history",
        action="append",
        default=[],
        metavar="2B",
        help="an earlier month's GSTR-2B (JSON or portal Excel); repeat for each month. Books documents "
        "it holds are reported as settled, the rest are reconciled against the IMS inbox",
    )
    parser.add_argument(
        "--quarterly",
        action="store_true",
        help="the client files quarterly (QRMP): each --history GSTR-2B is a quarter's, the s.16(4) "
        "window is judged from the quarter's start, and a suggested Pending on a credit note by the quarter",
    )
    parser.add_argument("--gstin", help="the recipient's (your client's) GSTIN")
    parser.add_argument(
        "--out", help="write the results here: .csv, .xlsx or .json (default: print a summary)"
    )
    parser.add_argument(
        "--tolerance", type=float, default=1.0, help="rupees allowed per tax head and taxable (1)"
    )
    parser.add_argument("--date-window", type=int, default=10, help="days apart a suggested pair may be (10)")
    parser.add_argument(
        "--fuzzy-threshold", type=float, default=90.0, help="0-100 similarity of numbers (90)"
    )
    parser.add_argument("--no-pan", action="store_true", help="do not pair across registrations of one PAN")


def settings_from(args: argparse.Namespace):
    from recon.match.settings import Settings

    if not 0 <= args.tolerance <= 10_000:
        raise InputError(f"--tolerance {args.tolerance} is out of range; give rupees, e.g. --tolerance 1")
    if args.date_window < 0:
        raise InputError(f"--date-window {args.date_window} is negative; give days, e.g. --date-window 10")
    if not 0 <= args.fuzzy_threshold <= 100:
        raise InputError(f"--fuzzy-threshold {args.fuzzy_threshold} must be between 0 and 100")
    t = args.tolerance
    return Settings(
        tolerance_taxable=t,
        tolerance_igst=t,
        tolerance_cgst=t,
        tolerance_sgst=t,
        tolerance_cess=t,
        date_window_days=args.date_window,
        fuzzy_threshold=args.fuzzy_threshold,
        pan_matching=not args.no_pan,
    )


def read_inputs(args: argparse.Namespace):
    """(books ReadResult, portal ReadResult); the wrong kind of file is an InputError naming it."""
    from recon.readers import read

    if args.out and Path(args.out).suffix.lower() not in OUTPUT_FORMATS:
        raise InputError(f"--out {args.out}: unknown output type; use a name ending in .csv, .xlsx or .json")
    options = {"recipient_gstin": args.gstin} if args.gstin else {}
    books = read(args.books, kind="books", **options)
    portal_file = args.ims or args.portal
    portal = read(portal_file, kind="ims" if args.ims else None)
    if portal.source not in model.PORTAL_SOURCES:
        raise InputError(
            "this is not a portal file (IMS, GSTR-2B or GSTR-2A)",
            file=portal_file,
            hint="Give the purchase register with --books and the portal download with --ims or --portal.",
        )
    wanted = (args.gstin or books.recipient_gstin or "").strip().upper()
    _check_recipient(portal, wanted, portal_file)
    return books, portal


def _check_recipient(portal, wanted: str, file: str) -> None:
    """A portal file of another client is refused: one client's data never reaches another's result."""
    if wanted and portal.recipient_gstin and portal.recipient_gstin.upper() != wanted:
        raise InputError(
            f"the file is for GSTIN {portal.recipient_gstin}, not {wanted}",
            file=file,
            hint="Download the portal file of this client, or correct --gstin.",
        )


def read_history(args: argparse.Namespace, books, portal) -> list[tuple[str, pl.DataFrame]]:
    """(period, documents) of each ``--history`` GSTR-2B; another client's or an undated one is refused."""
    from recon.pool import quarter_end
    from recon.readers import read

    wanted = (args.gstin or books.recipient_gstin or portal.recipient_gstin or "").strip().upper()
    statements, seen = [], {}
    for name in args.history:
        statement = read(name, kind="gstr2b")
        _check_recipient(statement, wanted, name)
        wanted = wanted or (statement.recipient_gstin or "").upper()
        if not statement.period:
            raise InputError(
                "the GSTR-2B does not say its return period",
                file=name,
                hint="Give the statement as downloaded (JSON 'rtnprd', or the Excel 'Read me' sheet's period).",
            )
        key = quarter_end(statement.period) if args.quarterly else statement.period
        if key in seen:
            raise InputError(
                f"two statements for the {'quarter' if args.quarterly else 'period'} of {statement.period}: "
                f"{seen[key]} and this one",
                file=name,
                hint=f"Give each {'quarter' if args.quarterly else 'month'}'s GSTR-2B once.",
            )
        _check_earlier(statement.period, portal, name, quarterly=args.quarterly)
        seen[key] = name
        statements.append((statement.period, statement.docs))
    return sorted(statements, key=lambda s: (s[0][2:], s[0][:2]))


def _check_earlier(period: str, inbox, name: str, *, quarterly: bool = False) -> None:
    """A statement of the inbox's own month (quarter) would settle the very documents the inbox is for."""
    from recon.pool import is_earlier_statement, newest_inbox_period

    newest = newest_inbox_period(inbox.docs)
    if newest and not is_earlier_statement(period, newest, quarterly=quarterly):
        if quarterly:
            raise InputError(
                f"this GSTR-2B is of {period}, the quarter of the IMS inbox's newest records ({newest}) or later",
                file=name,
                hint="--history takes the 2Bs of earlier quarters; reconcile this quarter's 2B with --portal.",
            )
        raise InputError(
            f"this GSTR-2B is of {period}, not earlier than the IMS inbox (its newest records are of {newest})",
            file=name,
            hint="--history takes the 2Bs of earlier months; reconcile this month's 2B with --portal instead.",
        )


def export_frame(joined: pl.DataFrame, *, structured: bool = False) -> pl.DataFrame:
    """The columns a consultant reads, named as the README documents them (one row per result)."""
    amounts = [pl.col(f"books_{f}").alias(f"books_{f}") for f in AMOUNT_FIELDS]
    amounts += [pl.col(f"portal_{f}").alias(f"ims_{f}") for f in AMOUNT_FIELDS]
    differences = pl.col("differences") if structured else pl.col("differences_text").fill_null("")
    return joined.select(
        "category",
        pl.col("books_origin_rows")
        .list.eval(pl.element().cast(pl.String))
        .list.join(";")
        .fill_null("")
        .alias("books_row"),
        pl.col("portal_section").alias("ims_section"),
        pl.coalesce("portal_supplier_gstin", "books_supplier_gstin").alias("supplier_gstin"),
        pl.coalesce("portal_supplier_name", "books_supplier_name").alias("supplier_name"),
        pl.col("portal_doc_kind").fill_null(pl.col("books_doc_kind")).alias("doc_kind"),
        pl.col("portal_doc_no").alias("ims_doc_no"),
        pl.col("books_doc_no"),
        pl.col("portal_doc_date").alias("ims_doc_date"),
        pl.col("books_doc_date"),
        *amounts,
        differences.alias("differences"),
        "basis",
        "score",
        "needs_review",
        "suggested_action",
        pl.coalesce("action_reason", "explanation").alias("reason"),
        "explanation",
        pl.col("action_warnings").list.join("; ").fill_null("").alias("action_warnings"),
        "review_reason",
        "nearest_reason",
        "not_in_ims_reason",
        pl.col("books_doc_id"),
        pl.col("portal_doc_id").alias("ims_doc_id"),
        "duplicate_of",
    )


def write(frame: pl.DataFrame, out: Path) -> None:
    suffix = out.suffix.lower()
    if suffix == ".csv":
        safe_text.write_csv(frame, out)  # a supplier's '=HYPERLINK(...)' stays text in Excel
    elif suffix == ".xlsx":
        # Our own workbook: no supplier text becomes a formula or a link (safe_text.XLSX_OPTIONS).
        with xlsxwriter.Workbook(out, safe_text.XLSX_OPTIONS) as book:
            frame.write_excel(book, worksheet="Reconciliation", autofilter=True, freeze_panes=(1, 0))
    else:
        frame.write_json(out)


def summary_lines(results: pl.DataFrame, joined: pl.DataFrame) -> list[str]:
    """Counts and ITC per category (credit notes reduce ITC), plus what needs a look."""
    from recon.figures import tab_totals
    from recon.present import format_rupees

    # The app's tab labels: the same counts and ITC (recon.figures), the non-IMS records counted below.
    totals = tab_totals(joined)
    lines = [f"{'Category':<22} {'Documents':>10} {'ITC':>20}"]
    for category in CATEGORIES:
        label = CATEGORY_LABELS[category]
        count, itc = totals[category]
        lines.append(f"{label:<22} {count:>10} {format_rupees(itc):>20}")
    review = results.filter(pl.col("needs_review")).height
    not_ims = results.filter(pl.col("not_in_ims_reason").is_not_null()).height
    duplicates = results.filter(pl.col("duplicate_of").is_not_null()).height
    lines.append(f"Suggested pairs to confirm: {review}")
    lines.append(f"Not IMS records (reconcile against 2B): {not_ims}; duplicate book entries: {duplicates}")
    return lines


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    if args.history and args.portal:
        raise InputError(
            "--history needs the IMS inbox (--ims), not --portal: the earlier 2Bs settle, IMS is open"
        )
    books, portal = read_inputs(args)
    if args.history:
        return _run_open_pool(args, settings, books, portal)
    from recon.match import reconcile
    from recon.match.view import joined as joined_view

    results = reconcile(books.docs, portal.docs, settings, quarterly=args.quarterly)
    table = joined_view(results, books.docs, portal.docs)
    if args.out:
        out = Path(args.out)
        write(export_frame(table, structured=out.suffix.lower() == ".json"), out)
        print(f"Wrote {results.height} rows to {out}")
    print("\n".join(summary_lines(results, table)))
    return 0


def _run_open_pool(args: argparse.Namespace, settings, books, portal) -> int:
    """The open pool: settle books against the earlier 2Bs, reconcile the rest against the inbox."""
    from recon.match.view import joined as joined_view
    from recon.pool import POOL_COLUMNS, SETTLED, reconcile_open_pool

    statements = read_history(args, books, portal)
    results = reconcile_open_pool(
        books.docs, portal.docs, statements, settings=settings, quarterly=args.quarterly
    )
    every_portal_doc = pl.concat([portal.docs, *(docs for _, docs in statements)], how="vertical")
    table = joined_view(results, books.docs, every_portal_doc)
    if args.out:
        out = Path(args.out)
        frame = export_frame(table, structured=out.suffix.lower() == ".json")
        write(pl.concat([frame, table.select(POOL_COLUMNS)], how="horizontal"), out)
        print(f"Wrote {results.height} rows to {out}")
    current = results.filter(pl.col("category") != SETTLED)
    print("\n".join(summary_lines(current, table.filter(pl.col("category") != SETTLED))))
    print(_settled_line(table.filter(pl.col("category") == SETTLED), [p for p, _ in statements]))
    return 0


def _settled_line(settled: pl.DataFrame, periods: list[str]) -> str:
    """How many documents earlier 2Bs settled, and their ITC as the app's settled list adds it up
    (``figures.row_itc``: the portal side where there is one; credit notes subtract)."""
    from recon.figures import row_itc
    from recon.pool import SETTLED_LABEL
    from recon.present import format_rupees

    itc = settled.select(row_itc().sum()).item() or 0.0
    return f"{SETTLED_LABEL} (GSTR-2B {', '.join(periods)}): {settled.height} documents, ITC {format_rupees(itc)}"
