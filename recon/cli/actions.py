"""``python -m recon actions --ims FILE --decisions FILE``: write the IMS SAVE / RESET upload files.

The decisions file is a CSV or JSON with one row per portal document: supplier GSTIN, section (b2b,
b2bcn ...) or document type (invoice, credit note, debit note), document number, action (A/R/P/N or
Accept/Reject/Pending/No Action) and optionally remarks, itc_red_req, decl_igst/decl_cgst/decl_sgst/
decl_cess. The CSV written by ``python -m recon reconcile --out`` works as it is: fill in its ``action``
column (and ``remarks``) where you decide. Only documents whose action differs from the one in the IMS
download are written (re-download IMS just before, so it holds the portal's actions).

What is written is what a person chose. A row with an empty action takes its ``suggested_action`` only
as ``--suggested`` allows: ``accepts`` (default) takes suggested Accepts of matched documents, ``all``
every suggestion (suggested Rejects and Pendings included, with the remark the app suggests), ``none``
nothing. A Reject needs a remark for the supplier: a Reject row without one is left out and named.

A record the portal would refuse (number over 16 characters, a missing field, a blocked Pending ...) is
left out and named on stderr with the decisions file's row; the rest is written. Exit codes: 0 all
written, 3 files written for the rest but some records left out, 2 bad input (nothing written).

``--quarterly``: the client files quarterly (QRMP), so a credit note's Pending is judged by the quarter,
as the app judges it (docs/reference/ims-rules.md §8).
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
from pathlib import Path

import polars as pl

from recon import model, safe_text
from recon.actions import Decision, suggested_remark
from recon.errors import InputError

SUGGESTED_CHOICES = ("accepts", "all", "none")
LEFT_OUT_EXIT = 3  # the files were written, but some records were left out

_KIND_WORDS = {
    "invoice": "invoice",
    "inv": "invoice",
    "b2b": "invoice",
    "tax invoice": "invoice",
    "credit note": "credit_note",
    "credit_note": "credit_note",
    "cn": "credit_note",
    "c": "credit_note",
    "debit note": "debit_note",
    "debit_note": "debit_note",
    "dn": "debit_note",
    "d": "debit_note",
    "bill of entry": "bill_of_entry",
    "bill_of_entry": "bill_of_entry",
    "boe": "bill_of_entry",
    "import": "bill_of_entry",
}

# Decision-file column → the names it may carry (compared without case, spaces and punctuation).
COLUMN_NAMES = {
    "portal_doc_id": ("portal_doc_id", "ims_doc_id"),
    "supplier_gstin": (
        "supplier_gstin",
        "portal_supplier_gstin",
        "stin",
        "ctin",
        "gstin",
        "gstin_of_supplier",
    ),
    "section": ("section", "ims_section", "portal_section"),
    "doc_kind": ("doc_kind", "doc_type", "document_type", "type", "kind", "portal_doc_kind"),
    "doc_no": (
        "doc_no",
        "ims_doc_no",
        "portal_doc_no",
        "document_number",
        "number",
        "inum",
        "nt_num",
        "invoice_number",
        "note_number",
        "doc_number",
        "document_no",
        "invoice_no",
        "note_no",
        "bill_no",
    ),
    "category": ("category",),
    "action": ("action", "wanted_action", "decision", "your_action"),
    "suggested_action": ("suggested_action",),
    "remarks": ("remarks", "remark"),
    "differences": ("differences", "differences_text"),
    "itc_red_req": ("itc_red_req", "itcredreq", "itc_reduction"),
    "decl_igst": ("decl_igst", "decligst"),
    "decl_cgst": ("decl_cgst", "declcgst"),
    "decl_sgst": ("decl_sgst", "declsgst"),
    "decl_cess": ("decl_cess", "declcess"),
    "books_igst": ("books_igst",),
    "books_cgst": ("books_cgst",),
    "books_sgst": ("books_sgst",),
    "books_cess": ("books_cess",),
}


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "actions",
        help="write the IMS SAVE / RESET upload files from your decisions",
        description=__doc__.splitlines()[0],
        epilog="Exit codes: 0 every wanted record written; 3 files written, but records the portal would "
        "refuse were left out (named on stderr); 2 bad input, nothing written.",
    )
    parser.add_argument("--ims", required=True, help="the IMS download (JSON), as fresh as possible")
    parser.add_argument("--decisions", required=True, help="decisions CSV/JSON, or the reconcile CSV")
    parser.add_argument(
        "--profile",
        choices=("offline", "api"),
        default="offline",
        help="offline: for IMS Dashboard → Offline → Upload JSON (default); api: for a GSP connector",
    )
    parser.add_argument(
        "--suggested",
        choices=SUGGESTED_CHOICES,
        default="accepts",
        help="rows without an action: 'accepts' (default) writes suggested Accepts of matched documents only; "
        "'all' writes every suggestion, suggested Rejects and Pendings included; 'none' writes only the "
        "actions you filled in",
    )
    parser.add_argument(
        "--quarterly",
        action="store_true",
        help="the client files quarterly (QRMP): a credit note may stay Pending for a quarter, not a month",
    )
    parser.add_argument("--gstin", help="your client's GSTIN (default: the one in the IMS file)")
    parser.add_argument("--out-dir", default=".", help="folder for the files (default: current folder)")
    parser.add_argument(
        "--prev-status", action="store_true", help="offline profile: also write prev_status on each record"
    )
    parser.add_argument(
        "--keep-flags",
        action="store_true",
        help="offline profile: keep the download-only flags (srcfilstatus, ispendactblocked ...)",
    )


def run(args: argparse.Namespace) -> int:
    from recon import ims_json
    from recon.readers import read

    options = {"recipient_gstin": args.gstin} if args.gstin else {}
    ims = read(args.ims, kind="ims", **options)
    rtin = args.gstin or ims.recipient_gstin or _single_recipient(ims.docs, ims.file)
    rows = decision_rows(Path(args.decisions), ims.docs, suggested=args.suggested)
    upload = ims_json.build(
        ims.docs,
        [decision for _, decision in rows],
        rtin,
        profile=args.profile,
        include_prev_status=True if args.prev_status else None,
        keep_download_flags=args.keep_flags,
        period=ims.period,
        quarterly=args.quarterly,
    )
    print("\n".join(upload.summary_lines()))
    for name in upload.to_files(args.out_dir):
        print(f"wrote {Path(args.out_dir) / name}")
    if upload.left_out.is_empty():
        return 0
    _say_left_out(upload, {d.portal_doc_id: line for line, d in rows}, Path(args.decisions).name)
    return LEFT_OUT_EXIT


def _say_left_out(upload, lines: dict[str, int], file: str) -> None:
    """One stderr line per record left out: the decisions file's row, the record, the reason."""
    for row in upload.left_out.iter_rows(named=True):
        where = f"{file}, row {lines[row['portal_doc_id']]}" if row["portal_doc_id"] in lines else file
        print(
            f"warning: {where}: {row['section']} document '{row['doc_no']}' of supplier "
            f"{row['supplier_gstin']} left out: {row['reason']}",
            file=sys.stderr,
        )
    print(
        f"warning: {upload.left_out.height} record(s) left out, the rest written (exit code {LEFT_OUT_EXIT})",
        file=sys.stderr,
    )


def _single_recipient(docs: pl.DataFrame, file: str) -> str:
    found = [g for g in docs.get_column("recipient_gstin").unique().to_list() if g]
    if len(found) == 1:
        return found[0]
    raise InputError(
        "the IMS file does not say whose it is", file=file, hint="Give your client's GSTIN with --gstin."
    )


# ---------------------------------------------------------------------------------------------------
# The decisions file
# ---------------------------------------------------------------------------------------------------


def decision_rows(
    path: Path, portal: pl.DataFrame, *, suggested: str = "accepts"
) -> list[tuple[int, Decision]]:
    """(file row, decision) per row that sends something; ``suggested`` as ``--suggested`` says."""
    if suggested not in SUGGESTED_CHOICES:
        raise ValueError(f"suggested must be one of {SUGGESTED_CHOICES}, not {suggested!r}")
    table = _load_table(path)
    columns = _columns(table, path.name)
    index = _portal_index(portal)
    rows = []
    for position, row in enumerate(table.iter_rows(named=True)):
        line = position + 2  # the header is row 1, as a spreadsheet shows it
        values = {field: _text(row.get(column)) for field, column in columns.items()}
        decision = _decision(values, index, path.name, line, suggested)
        if decision is not None:
            rows.append((line, decision))
    return rows


def _load_table(path: Path) -> pl.DataFrame:
    data = path.read_bytes()
    if data.lstrip()[:1] in (b"[", b"{"):
        try:
            obj = json.loads(data)
        except json.JSONDecodeError as err:
            raise InputError(f"not valid JSON ({err.msg} at line {err.lineno})", file=path.name) from None
        rows = obj.get("decisions") if isinstance(obj, dict) else obj
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise InputError(
                'a decisions JSON is a list of objects (or {"decisions": [...]})', file=path.name
            )
        text_rows = [{k: _text(v) for k, v in r.items()} for r in rows]
        return pl.DataFrame(text_rows, infer_schema_length=None) if text_rows else pl.DataFrame()
    try:
        # Everything as text: a 16-digit document number must not pass through a number. The reconcile
        # CSV marks a number like '-2+3 as text with an apostrophe (safe_text): read the number itself.
        table = pl.read_csv(io.BytesIO(data), infer_schema=False, encoding="utf8-lossy")
    except pl.exceptions.ComputeError as err:
        raise InputError(f"cannot read as CSV: {err}", file=path.name) from None
    return safe_text.csv_unescaped(table)


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _columns(table: pl.DataFrame, file: str) -> dict[str, str]:
    """Decision field → the file's column that holds it."""
    by_squashed = {_squash(c): c for c in table.columns}
    found = {}
    for field, names in COLUMN_NAMES.items():
        for name in names:
            if _squash(name) in by_squashed:
                found[field] = by_squashed[_squash(name)]
                break
    if "portal_doc_id" not in found:
        missing = [f for f in ("supplier_gstin", "doc_no") if f not in found]
        if missing:
            raise InputError(
                f"no column for {' and '.join(missing)}",
                file=file,
                hint="A decisions file needs supplier_gstin, doc_no, section (or doc type) and action.",
            )
    if "action" not in found and "suggested_action" not in found:
        raise InputError(
            "no action column",
            file=file,
            hint="Add a column 'action' with A, R, P or N (or Accept, Reject ...).",
        )
    return found


def _text(value) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _portal_index(portal: pl.DataFrame) -> dict:
    """Lookups from (GSTIN, section | kind | '*', number) to portal rows."""
    index: dict[tuple, list[dict]] = {}
    for row in portal.iter_rows(named=True):
        gstin = (row["supplier_gstin"] or "").upper()
        number = (row["doc_no"] or "").strip().upper()
        for scope in (f"s:{row['section']}", f"k:{row['doc_kind']}", "*"):
            index.setdefault((gstin, scope, number), []).append(row)
        index.setdefault(("id", row["doc_id"]), []).append(row)
    return index


def _decision(values: dict, index: dict, file: str, line: int, suggested: str) -> Decision | None:
    chosen = _action(values.get("action"), "action", file, line)
    action = chosen or _taken_suggestion(values, file, line, suggested)
    if action is None:
        return None  # nothing decided, no suggestion taken (a books-only row of the reconcile CSV)
    if values.get("category") == "books_only" or (
        not values.get("doc_no") and not values.get("portal_doc_id")
    ):
        return None
    document = _find(values, index, file, line)
    from_user = _action(values.get("action"), "action", file, line) is not None
    itc = _reduction(values, document, action, from_user, file, line)
    remarks = values.get("remarks")
    if remarks is None and not from_user:
        # A suggestion taken from the reconcile CSV goes with the remark the app would give it.
        remarks = suggested_remark(
            action,
            values.get("category"),
            values.get("differences"),
            remarks_blocked=document["remarks_blocked"],
        )
    return Decision(
        portal_doc_id=document["doc_id"],
        action=action,
        remarks=remarks,
        content_hash=None,
        **itc,
    )


def _taken_suggestion(values: dict, file: str, line: int, suggested: str) -> str | None:
    """The row's suggested action when ``--suggested`` takes it: a Reject or Pending nobody chose is never
    written unless asked for with ``all``."""
    action = _action(values.get("suggested_action"), "suggested_action", file, line)
    if suggested == "all":
        return action
    if suggested == "accepts" and action == "A" and values.get("category") == "matched":
        return action
    return None


def _action(text: str | None, column: str, file: str, line: int) -> str | None:
    if text is None:
        return None
    code = text.strip().upper()
    if code in model.IMS_ACTIONS:
        return code
    for label, letter in model.LABEL_TO_ACTION.items():
        if _squash(label) == _squash(text):
            return letter
    raise InputError(
        f"'{text}' is not an IMS action", file=file, row=line, column=column, hint="Use A, R, P or N."
    )


def _find(values: dict, index: dict, file: str, line: int) -> dict:
    if values.get("portal_doc_id"):
        hits = index.get(("id", values["portal_doc_id"]), [])
        if not hits:
            raise InputError(
                f"document id {values['portal_doc_id']} is not in the IMS download",
                file=file,
                row=line,
                hint="Reconcile again against this download.",
            )
        return hits[0]
    gstin = values["supplier_gstin"].upper() if values.get("supplier_gstin") else ""
    number = values["doc_no"].strip().upper()
    scope = "*"
    if values.get("section"):
        scope = f"s:{values['section'].strip().lower()}"
    elif values.get("doc_kind"):
        kind = _KIND_WORDS.get(
            values["doc_kind"].strip().lower().replace("_", " "), values["doc_kind"].strip().lower()
        )
        scope = f"k:{kind}"
    hits = index.get((gstin, scope, number), [])
    what = f"document '{values['doc_no']}' of supplier {gstin or '?'}"
    if not hits:
        raise InputError(
            f"{what} is not in the IMS download",
            file=file,
            row=line,
            hint="Check the number and GSTIN, or download IMS again.",
        )
    if len(hits) > 1:
        sections = ", ".join(sorted({h["section"] for h in hits}))
        raise InputError(
            f"{what} appears more than once in the IMS download ({sections})",
            file=file,
            row=line,
            hint="Add a 'section' column (b2b, b2ba, b2bcn ...) to say which one.",
        )
    return hits[0]


def _amount(values: dict, field: str, file: str, line: int) -> float | None:
    text = values.get(field)
    if text is None:
        return None
    try:
        return float(text.replace(",", ""))
    except ValueError:
        raise InputError(f"'{text}' is not an amount", file=file, row=line, column=field) from None


def _reduction(values: dict, document: dict, action: str, from_user: bool, file: str, line: int) -> dict:
    """ITC-reduction answer from the file; for a suggested credit-note Accept, the books amounts."""
    answer = values.get("itc_red_req")
    amounts = {
        c: _amount(values, c, file, line) for c in ("decl_igst", "decl_cgst", "decl_sgst", "decl_cess")
    }
    if answer is not None or from_user or action != "A" or document["doc_kind"] != "credit_note":
        return {"itc_red_req": answer.upper() if answer else None, **amounts}
    books = {h: _amount(values, f"books_{h}", file, line) for h in ("igst", "cgst", "sgst", "cess")}
    if all(v is None for v in books.values()):
        return {"itc_red_req": None, **amounts}  # the guard then asks for the answer, naming the document
    from recon.actions import books_declaration

    return books_declaration(document, books)
