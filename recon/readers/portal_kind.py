"""What a portal JSON is (IMS, GSTR-2B, GSTR-2A, or something else), and the envelope around its records.

Decided by keys, never by file name: a consultant renames downloads freely (docs/reference/formats.md §1.1,
§3, §5).
"""

from __future__ import annotations

from itertools import islice

from recon.errors import InputError
from recon.readers.portal_json import Records, is_list
from recon.readers.sections import IMS_SECTIONS

IMS_WRAPPERS = ("imsDetails", "imsDetailsErr", "invdata", "data")
# GSTR-1 (outward supplies) keys that never occur in 2A: totals, B2C, HSN summary, document series, nil.
GSTR1_MARKERS = ("gt", "cur_gt", "hsn", "doc_issue", "nil", "b2cs", "b2cl", "exp", "cdnur", "at", "txpd")
GSTR1_HINT = "Download IMS from IMS Dashboard → Offline → Download JSON."


def _lower_keys(node: dict) -> dict:
    return {str(k).lower(): v for k, v in node.items()} if isinstance(node, dict) else {}


def _first_record(value):
    if isinstance(value, Records):
        return value.first
    if isinstance(value, list):
        return next((r for r in value if isinstance(r, dict)), None)
    return None


def _has_count_shape(node, depth: int = 5) -> bool:
    """GETCNT answers carry per-section counts, not records (docs/reference/formats.md §1 'Counts')."""
    if depth == 0:
        return False
    if isinstance(node, dict):
        keys = _lower_keys(node)
        if "ttl_cnt" in keys or ("noaction" in keys and "accept" in keys):
            return True
        return any(_has_count_shape(v, depth - 1) for v in node.values())
    if is_list(node):
        return any(_has_count_shape(v, depth - 1) for v in islice(node, 20))
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
            return "ims_status"  # the answer to an upload (docs/reference/portal-api.md §4), not documents
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
