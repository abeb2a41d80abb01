"""``python -m recon read FILE``: read one file and show what was recognised.

The same summary the app's import page shows: source, sheet, header row, column mapping, document counts
and warnings. Use it to check a register's mapping before reconciling; ``--map`` overrides a column.
"""

from __future__ import annotations

import argparse

from recon.errors import InputError


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "read",
        help="read a purchase register or a portal file and show what was recognised",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("file", help="purchase register (.xlsx/.xlsm/.xls/.csv) or portal file (IMS/2B/2A)")
    parser.add_argument(
        "--kind", choices=("books", "ims", "gstr2b", "gstr2a"), help="skip recognising the file"
    )
    parser.add_argument("--sheet", help="books: the sheet to read (default: the one with the best header)")
    parser.add_argument("--header-row", type=int, help="books: the header row as the spreadsheet shows it")
    parser.add_argument(
        "--map",
        action="append",
        default=[],
        metavar='FIELD="Header"',
        help='books: use this column for a field, e.g. --map doc_no="Bill No" (repeatable; FIELD= to unmap)',
    )
    parser.add_argument(
        "--voucher-kind",
        action="append",
        default=[],
        metavar='"Words"=KIND',
        help='books: the kind a voucher type stands for, e.g. --voucher-kind "Credit Note=debit_note"',
    )
    parser.add_argument("--gstin", help="the recipient's (your client's) GSTIN")


def parse_pairs(items: list[str], option: str, example: str) -> dict[str, str]:
    """['doc_no=Bill No', 'cess='] -> {'doc_no': 'Bill No', 'cess': ''}."""
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{option} '{item}' is not of the form {example}")
        pairs[key.strip().strip('"').strip("'")] = value.strip().strip('"').strip("'")
    return pairs


def run(args: argparse.Namespace) -> int:
    from recon.readers import read

    options = {}
    books_options = {"sheet": args.sheet, "header_row": args.header_row}
    if args.map:
        books_options["mapping"] = parse_pairs(args.map, "--map", 'FIELD=Header, e.g. --map doc_no="Bill No"')
    if args.voucher_kind:
        books_options["kind_map"] = parse_pairs(
            args.voucher_kind, "--voucher-kind", '"Words=kind", e.g. --voucher-kind "Credit Note=debit_note"'
        )
    if args.kind in (None, "books"):
        options.update({k: v for k, v in books_options.items() if v is not None})
    elif any(v is not None for v in books_options.values()):
        raise InputError(
            "--sheet, --header-row, --map and --voucher-kind apply to purchase registers (--kind books) only."
        )
    if args.gstin:
        options["recipient_gstin"] = args.gstin
    result = read(args.file, kind=args.kind, **options)
    print("\n".join(result.summary_lines()))
    return 0
