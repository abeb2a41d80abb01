"""Helpers shared by the portal readers (IMS, GSTR-2B, GSTR-2A).

Loading portal JSON with its number literals intact, recognising what a JSON file is, reading one record's
fields under the name variants the portal and GSPs use, and turning finished rows into the canonical
document table (recon.model). Reference: formats.md §1–§5.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import polars as pl

from recon import gstin as gstin_rules
from recon import jsonio, model, normalise
from recon.errors import InputError, Issue, Where

# ---------------------------------------------------------------------------------------------------
# Loading JSON
# ---------------------------------------------------------------------------------------------------


def decode_text(data: bytes, name: str) -> str:
    """Bytes of a JSON download as text (UTF-8, with or without BOM; UTF-16 when it says so)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(
            f"the file is not text (byte {err.start} cannot be read as UTF-8)",
            file=name,
            hint="Upload the JSON exactly as downloaded from the portal.",
        ) from None


def load_json(data: bytes, name: str):
    """Parse portal JSON keeping number literals (59000.00 stays 59000.00; jsonio.loads_exact).

    A damaged or cut-off file names the line and column where parsing stopped, as json reports it.
    """
    text = decode_text(data, name)
    if not text.strip():
        raise InputError("the file is empty", file=name, hint="Download it again from the portal.")
    try:
        return jsonio.loads_exact(text)
    except json.JSONDecodeError as err:
        at_end = err.pos >= len(text.rstrip())
        problem = (
            f"the JSON ends early at line {err.lineno}, column {err.colno} ({err.msg}): the file is cut off"
            if at_end
            else f"the JSON is damaged at line {err.lineno}, column {err.colno} ({err.msg})"
        )
        raise InputError(
            problem, file=name, hint="Download the file again; if it was edited by hand, undo the edit."
        ) from None


def unwrap(node, keys: tuple[str, ...] = ("data",), depth: int = 4):
    """Descend through single wrapper keys (``data``, ``data.data`` ...) while the node is only an envelope."""
    for _ in range(depth):
        if not isinstance(node, dict):
            return node
        inner = next((node[k] for k in keys if isinstance(node.get(k), dict)), None)
        if inner is None:
            return node
        node = inner
    return node


# ---------------------------------------------------------------------------------------------------
# What is this JSON?
# ---------------------------------------------------------------------------------------------------

IMS_SECTIONS = (
    "b2b", "b2ba", "b2bdn", "b2bdna", "b2bcn", "b2bcna", "ecom", "ecoma",
    "impg", "impga", "impgsez", "impgseza", "isd", "isda", "isdcn", "isdcna",
)  # fmt: skip
IMS_WRAPPERS = ("imsDetails", "imsDetailsErr", "invdata", "data")
# GSTR-1 (outward supplies) keys that never occur in 2A: totals, B2C, HSN summary, document series, nil.
GSTR1_MARKERS = ("gt", "cur_gt", "hsn", "doc_issue", "nil", "b2cs", "b2cl", "exp", "cdnur", "at", "txpd")
GSTR1_HINT = "Download IMS from IMS Dashboard → Offline → Download JSON."


def _lower_keys(node: dict) -> dict:
    return {str(k).lower(): v for k, v in node.items()} if isinstance(node, dict) else {}


def _first_record(value):
    if isinstance(value, list):
        return next((r for r in value if isinstance(r, dict)), None)
    return None


def _has_count_shape(node, depth: int = 5) -> bool:
    """GETCNT answers carry per-section counts, not records (formats.md §1 'Counts')."""
    if depth == 0:
        return False
    if isinstance(node, dict):
        keys = _lower_keys(node)
        if "ttl_cnt" in keys or ("noaction" in keys and "accept" in keys):
            return True
        return any(_has_count_shape(v, depth - 1) for v in node.values())
    if isinstance(node, list):
        return any(_has_count_shape(v, depth - 1) for v in node[:20])
    return False


def json_kind(obj) -> str:
    """Classify a parsed JSON: ims | gstr2b | gstr2a | gstr1 | ims_count | ims_status | unknown.

    Decided by keys, never by file name: a consultant renames downloads freely.
    """
    if not isinstance(obj, dict):
        return "unknown"
    node = obj
    for _ in range(5):
        keys = _lower_keys(node)
        if "imsdetailserr" in keys or "imsdetails" in keys:
            return "ims"
        if "invdata" in keys and ("rtin" in keys or "reqtyp" in keys):
            return "ims"  # our own SAVE/RESET file read back
        if "error_report" in keys or ("status_cd" in keys and {"proc_cnt", "err_cnt"} & keys.keys()):
            return "ims_status"  # the answer to an upload (portal-api.md §4), not documents
        if {"docdata", "itcsumm", "docrejdata"} & keys.keys():
            return "gstr2b"
        if "fp" in keys and (set(GSTR1_MARKERS) & keys.keys() or _offline_tool_version(keys)):
            return "gstr1"
        kind = _kind_from_sections(keys)
        if kind:
            return kind
        inner = keys.get("data")
        if isinstance(inner, dict):
            node = inner
            continue
        if "rtnprd" in keys and "gstin" in keys and "fp" not in keys:
            return "gstr2b"  # a 2B statement without documents (only its header keys)
        break
    if _has_count_shape(obj):
        return "ims_count"
    return "unknown"


def _offline_tool_version(keys: dict) -> bool:
    """GSTR-1 files from GSTN's offline tool say "version": "GST3.x" (2B says "1.0")."""
    version = keys.get("version")
    return isinstance(version, str) and version.upper().startswith("GST")


def _kind_from_sections(keys: dict) -> str | None:
    """IMS records are flat with ``stin``; 2A groups documents under a supplier ``ctin``."""
    section_keys = [k for k in keys if k in IMS_SECTIONS or k in ("cdn", "cdna")]
    for key in section_keys:
        record = _first_record(keys[key])
        if record is None:
            continue
        rec_keys = _lower_keys(record)
        if "stin" in rec_keys:
            return "ims"
        if "ctin" in rec_keys and ({"inv", "nt", "doclist"} & rec_keys.keys()):
            return "gstr2a"
    if section_keys and all(isinstance(keys[k], list) and not keys[k] for k in section_keys):
        if "fp" in keys:
            return "gstr2a"
        return "ims"  # an empty IMS download: sections with no records
    return None


KIND_WORDS = {
    "ims": "an IMS download",
    "gstr2b": "a GSTR-2B",
    "gstr2a": "a GSTR-2A",
    "gstr1": "a GSTR-1 (outward supplies) file",
    "ims_count": "an IMS count (GETCNT) response",
    "ims_status": "an upload status response",
}


def wrong_kind_error(found: str, wanted: str, name: str) -> InputError:
    """The error for a JSON that is not what the reader (or the user) expected."""
    if found == "gstr1":
        return InputError(
            f"this is a GSTR-1 (outward supplies) file, not {KIND_WORDS[wanted]}", file=name, hint=GSTR1_HINT
        )
    if found == "ims_count":
        return InputError(
            "this is an IMS count (GETCNT) response: it holds how many records there are, not the records",
            file=name,
            hint="Download the records themselves (IMS Dashboard → Offline → Download JSON).",
        )
    if found == "ims_status":
        return InputError(
            "this is the portal's answer to an upload (request status with its error report), not documents",
            file=name,
            hint="Download IMS again to see what the portal now holds, and read that file instead.",
        )
    if found in KIND_WORDS:
        return InputError(
            f"this is {KIND_WORDS[found]}, not {KIND_WORDS[wanted]}",
            file=name,
            hint="Choose the matching file type, or let the app recognise the file.",
        )
    return InputError(
        "this JSON is not an IMS download, a GSTR-2B or a GSTR-2A (none of their sections or keys found)",
        file=name,
        hint="Download IMS from IMS Dashboard → Offline → Download JSON, or GSTR-2B / 2A from Returns Dashboard.",
    )


# ---------------------------------------------------------------------------------------------------
# Codes and scalar values
# ---------------------------------------------------------------------------------------------------

_TRUE = {"y", "yes", "true", "1", "t"}
_FALSE = {"n", "no", "false", "0", "f"}
# 2B-derived data spells SEZ supply types SEZWP/SEZWOP (formats.md §1.3 variants).
SUPPLY_TYPE_ALIASES = {"SEZWP": "SEWP", "SEZWOP": "SEWOP", "REGULAR": "R"}


def supply_type_code(value) -> str | None:
    text = str(value).strip().upper() if value is not None else ""
    if not text:
        return None
    return SUPPLY_TYPE_ALIASES.get(text, text)


def pos_code(value) -> str | None:
    """Place of supply as the 2-digit code string ('7' and 7 become '07')."""
    if value is None:
        return None
    text = format(value, "f") if isinstance(value, Decimal) else str(value).strip()
    if not text:
        return None
    if re.fullmatch(r"\d{1,2}", text):
        return text.zfill(2)
    return gstin_rules.state_code_from_name(text) or text


_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}  # fmt: skip


def period_mmyyyy(value) -> str | None:
    """Return periods as MMYYYY: '112025' stays; "Nov'25", 'Nov-2025', 'November 2025', '11/2025' convert.

    Anything else is returned as received (the portal's own string is never lost).
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if re.fullmatch(r"\d{6}", text):
        return text
    m = re.fullmatch(r"([A-Za-z]{3})[a-z]*[\s'’\-/,.]*(\d{2}|\d{4})", text)
    if m and m.group(1).lower() in _MONTHS:
        year = m.group(2) if len(m.group(2)) == 4 else f"20{m.group(2)}"
        return f"{_MONTHS[m.group(1).lower()]:02d}{year}"
    m = re.fullmatch(r"(\d{1,2})[\-/ ](\d{4})", text)
    if m and 1 <= int(m.group(1)) <= 12:
        return f"{int(m.group(1)):02d}{m.group(2)}"
    return text


def literal_text(value) -> str | None:
    """A scalar as text; Decimals keep their digits, ints stay whole (16-digit numbers never via float)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return repr(value)
    text = str(value).strip()
    return text or None


_DMY = re.compile(r"(\d{2})-(\d{2})-(\d{4})")


# ---------------------------------------------------------------------------------------------------
# One record and its place, for reading fields with errors that say where
# ---------------------------------------------------------------------------------------------------


_SPELLINGS: dict[tuple, dict] = {}


@dataclass
class Record:
    """One portal record plus where it sits, so every field error names file, section, index and field."""

    data: dict
    file: str
    place: str  # "section 'b2b', record 3" or "section 'b2b', supplier 2, document 1"
    _lower: dict | None = field(default=None, repr=False)

    def get(self, *keys: str):
        """First non-blank value under any of ``keys`` (exact name, then any letter case)."""
        for key in keys:
            value = self.data.get(key)
            if value is not None and value != "":
                return value
        if self._lower is None:
            # Only keys that are not all lower case need a second spelling; most records have none.
            # Records of a download share a handful of key layouts: the spellings are worked out once
            # per layout (lower-case name -> key as written), not once per record.
            layout = tuple(self.data)
            spellings = _SPELLINGS.get(layout)
            if spellings is None:
                spellings = {str(k).lower(): k for k in layout if str(k) != str(k).lower()}
                if len(_SPELLINGS) > 1000:
                    _SPELLINGS.clear()
                _SPELLINGS[layout] = spellings
            self._lower = spellings
        for key in keys:
            lowered = key.lower()
            value = self.data.get(lowered)
            if (value is None or value == "") and lowered in self._lower:
                value = self.data.get(self._lower[lowered])
            if value is not None and value != "":
                return value
        return None

    def error(self, key: str, problem: str, hint: str | None = None) -> InputError:
        return InputError(f"{self.place}, field '{key}': {problem}", file=self.file, hint=hint)

    def text(self, *keys: str, required: bool = False) -> str | None:
        value = self.get(*keys)
        if value is None and required:
            raise self.error(
                keys[0], "missing", "The record is incomplete; download the file again from the portal."
            )
        if isinstance(value, (dict, list)):
            raise self.error(keys[0], "holds a list or object where a value was expected")
        return literal_text(value)

    def date(self, *keys: str, required: bool = False) -> date | None:
        text = self.text(*keys, required=required)
        if text is None:
            return None
        m = _DMY.fullmatch(text)
        try:
            if m:  # the portal's own DD-MM-YYYY, by far the common case
                return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
            return normalise.parse_date(text)
        except ValueError:
            raise self.error(
                keys[0],
                f"'{text}' is not a real date (the portal writes DD-MM-YYYY)",
                "Download the file again; a hand-edited date may have been mistyped.",
            ) from None

    def amount(self, *keys: str) -> float | None:
        value = self.get(*keys)
        if value is None:
            return None
        if isinstance(value, Decimal):
            return round(float(value), 2)
        try:
            return normalise.parse_amount(value)
        except ValueError:
            raise self.error(keys[0], f"'{value}' is not an amount") from None

    def flag(self, *keys: str) -> bool | None:
        value = self.get(*keys)
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise self.error(keys[0], f"'{value}' is not Y/N or true/false")


def amounts_total(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present), 2) if present else None


def raw_json(record: dict) -> str:
    """The record as exact JSON text (numbers as received), for the action JSON to echo.

    The same text as ``jsonio.dumps_exact`` (compact separators), written directly: about three times
    faster, which matters for downloads of tens of thousands of records.
    """
    # Portal records are flat: one loop with the common types first avoids a generator and a recursive
    # call per value (a 48k-record IMS download spends most of its read time here).
    parts = []
    for key, value in record.items():
        kind = type(value)
        if kind is str:
            text = _string(value)
        elif kind is Decimal:
            text = format(value, "f")
        elif kind is int:
            text = str(value)
        else:
            text = _exact(value)
        parts.append(f"{_string(key) if type(key) is str else _string(str(key))}:{text}")
    return "{" + ",".join(parts) + "}"


def _exact(value) -> str:
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return "{" + ",".join(f"{_string(str(k))}:{_exact(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_exact(v) for v in value) + "]"
    return _plain_json(value)


def _string(text: str) -> str:
    # Plain printable ASCII needs no escaping (nearly every portal value); the rest goes through json.
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    return _plain_json(text)


_plain_json = json.JSONEncoder(separators=(",", ":")).encode


# ---------------------------------------------------------------------------------------------------
# Finishing rows into the canonical table
# ---------------------------------------------------------------------------------------------------


def new_row(source: str, file: str, section: str | None, index: int) -> dict:
    return {
        "source": source,
        "section": section,
        "origin_file": file,
        "origin_sheet": section,
        "origin_rows": [index],
        "warnings": [],
        "is_amendment": False,
    }


def canonical_frame(rows: list[dict], source: str, file: str) -> tuple[pl.DataFrame, list[Issue]]:
    """Fill derived fields (fy, PAN, GSTIN checks, doc_id, doc_no_key, content_hash) and build the frame.

    Returns the frame and read-level warnings (GSTINs failing the check, documents appearing twice).
    """
    issues: list[Issue] = []
    checks: dict[str, tuple[str | None, str | None]] = {}
    seen: Counter = Counter()
    for row in rows:
        _fill_supplier(row, checks)
        row["fy"] = normalise.fy_of(row.get("doc_date"))
        base = (row["section"], row.get("supplier_gstin"), row["doc_kind"], row.get("doc_no"), row["fy"])
        key = (base[0], (base[1] or "").upper(), base[2], (base[3] or "").strip().upper(), base[4])
        occurrence = seen[key]
        seen[key] += 1
        if occurrence:
            row["warnings"].append(
                f"another document in the file has the same supplier, kind, number and year"
                f" (copy {occurrence + 1}, kept separately)"
            )
        row["doc_id"] = model.make_doc_id(
            source, row.get("supplier_gstin"), row["doc_kind"], row.get("doc_no"), row["fy"],
            section=row["section"], occurrence=occurrence,
        )  # fmt: skip
    invalid = sorted({g for g, (prob, _) in checks.items() if prob})
    if invalid:
        shown = ", ".join(invalid[:5]) + (" ..." if len(invalid) > 5 else "")
        issues.append(
            Issue(
                f"{len(invalid)} supplier GSTIN(s) fail the portal's checks and were kept with a note: {shown}",
                Where(file=file),
            )
        )
    repeats = sum(n - 1 for n in seen.values() if n > 1)
    if repeats:
        issues.append(Issue(f"{repeats} document(s) appear more than once in the file", Where(file=file)))
    frame = _frame_from_rows(rows) if rows else model.empty()
    frame = normalise.with_doc_no_key(frame)
    frame = model.with_content_hash(frame)
    return model.conform(frame), issues


def _frame_from_rows(rows: list[dict]) -> pl.DataFrame:
    """``pl.from_dicts(rows, schema=model.SCHEMA)``, built column by column.

    from_dicts builds one Series per row for each list column (origin_rows, warnings): about 0.5 s per
    50,000 rows. Lists are flattened here and gathered back per row in one group_by instead.
    """
    columns = {}
    for name, dtype in model.SCHEMA.items():
        values = [row.get(name) for row in rows]
        if isinstance(dtype, pl.List) and all(isinstance(v, list) for v in values):
            columns[name] = _list_column(name, values, dtype)
        else:
            columns[name] = pl.Series(name, values, dtype=dtype)
    return pl.DataFrame(columns)


def _list_column(name: str, values: list[list], dtype: pl.List) -> pl.Series:
    owner = [i for i, items in enumerate(values) for _ in items]
    flat = pl.DataFrame(
        {
            "row": pl.Series(owner, dtype=pl.Int64),
            name: pl.Series([v for items in values for v in items], dtype=dtype.inner),
        }
    )
    grouped = flat.group_by("row").agg(pl.col(name))
    every = pl.DataFrame({"row": pl.int_range(len(values), eager=True, dtype=pl.Int64)})
    joined = every.join(grouped, on="row", how="left", maintain_order="left")
    # Rows without items come back null from the join; they held an empty list.
    return joined.get_column(name).fill_null(pl.lit([], dtype=dtype)).cast(dtype)


def _fill_supplier(row: dict, checks: dict) -> None:
    supplier = row.get("supplier_gstin")
    if supplier is None:
        # Imports from abroad (ICEGATE bills of entry) have no supplier GSTIN at all.
        row["gstin_valid"] = None
        row["gstin_note"] = (
            "no supplier GSTIN (import of goods)" if row["doc_kind"] == "bill_of_entry" else None
        )
        return
    supplier = gstin_rules.clean(supplier)
    row["supplier_gstin"] = supplier
    if supplier not in checks:
        checks[supplier] = (gstin_rules.problem(supplier), gstin_rules.caution(supplier))
    prob, caution = checks[supplier]
    row["gstin_valid"] = prob is None
    row["gstin_note"] = prob or caution
    row["supplier_pan"] = gstin_rules.pan(supplier)


def check_recipient(found: str | None, wanted: str | None, what: str, name: str) -> str | None:
    """The file's own recipient GSTIN must be the client's; returns the GSTIN to record."""
    found_clean = gstin_rules.clean(found) if found else None
    wanted_clean = gstin_rules.clean(wanted) if wanted else None
    if found_clean and wanted_clean and found_clean != wanted_clean:
        raise InputError(
            f"this {what} is for GSTIN {found_clean}, the client is {wanted_clean}",
            file=name,
            hint="Pick the download of this client, or the client this file belongs to.",
        )
    return found_clean or wanted_clean


def combine(results: list, name: str, what: str):
    """One ReadResult from several files of the same kind (a zip of 2B parts or of IMS sections).

    All must be for the same recipient; a document found in two files is kept once (the first file's
    copy), with a warning, so that doc_id stays unique.
    """
    from recon.readers.result import ReadResult

    first = results[0]
    for other in results[1:]:
        if first.recipient_gstin and other.recipient_gstin and other.recipient_gstin != first.recipient_gstin:
            raise InputError(
                f"the files are for different GSTINs: {first.file} is {first.recipient_gstin}, "
                f"{other.file} is {other.recipient_gstin}",
                file=name,
                hint=f"Put only the files of one {what} together.",
            )
    docs = pl.concat([r.docs for r in results], how="vertical")
    warnings = [w for r in results for w in r.warnings]
    repeated = docs.filter(docs.get_column("doc_id").is_duplicated())
    if repeated.height:
        docs = docs.unique(subset="doc_id", keep="first", maintain_order=True)
        warnings.append(
            Issue(
                f"{repeated.get_column('doc_id').n_unique()} document(s) appear in more than one file;"
                " the first copy was kept",
                Where(file=name),
            )  # fmt: skip
        )
    return ReadResult(
        docs=docs,
        source=first.source,
        file=name,
        file_format=f"zip ({len(results)} files)",
        rows_read=sum(r.rows_read for r in results),
        rows_skipped=sum(r.rows_skipped for r in results),
        warnings=warnings,
        recipient_gstin=next((r.recipient_gstin for r in results if r.recipient_gstin), None),
        period=first.period,
    )
