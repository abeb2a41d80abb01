"""The sandbox's GSTR-2B: a statement per return period, built from what the suppliers filed.

A 2B holds the documents of the suppliers' filed returns that the recipient has not kept Pending: No
action and Accept under ``docdata`` (No action counts as accepted), Reject under ``docRejdata``
(docs/reference/ims-rules.md §2). The documents are the IMS records the sandbox holds, written in the 2B JSON's
own names (docs/reference/formats.md §3): ``ctin`` for ``stin``, ``dt`` for ``idt``, notes under ``cdnr`` with
their type ``C`` / ``D`` and so on.

Months as the sandbox keeps them: the newest supplier period among the records it holds is the current
month, whose 2B is a draft of the inbox as it stands — every record of that period or an earlier one that
is not Pending (an earlier one still in the inbox missed its own month's cut-off, or was Pending until
now: it goes into the next open 2B, docs/reference/ims-rules.md §3). Filing a month's GSTR-3B
(:meth:`SandboxGstr2b.file_3b`) fixes that month's 2B and takes its records out of the inbox, as the portal
does; a Pending record stays. An earlier month's 2B is the one fixed then; a later month's is not generated
yet (RET2B1023). A 2B with more documents than ``gstr2b_docs_per_file`` comes in parts: the plain call
answers with the count ``fc`` and no documents, and ``file_num`` 1..fc fetches each part
(docs/reference/portal-api.md §3).
"""

from __future__ import annotations

import copy
import hashlib
import threading
from collections.abc import Mapping

from recon.jsonio import dumps_exact, loads_exact
from recon.portal.sandbox_faults import SandboxError

# IMS section -> the 2B section its documents sit in (docs/reference/formats.md §1.2, §3)
TWO_B_SECTION = {
    "b2b": "b2b",
    "b2ba": "b2ba",
    "b2bcn": "cdnr",
    "b2bdn": "cdnr",
    "b2bcna": "cdnra",
    "b2bdna": "cdnra",
    "ecom": "ecom",
    "ecoma": "ecoma",
}
TWO_B_ORDER = ("b2b", "b2ba", "cdnr", "cdnra", "ecom", "ecoma")
NOTE_TYPE = {"b2bcn": "C", "b2bcna": "C", "b2bdn": "D", "b2bdna": "D"}
_AMOUNTS = (
    ("val", "val"),
    ("txval", "txval"),
    ("iamt", "igst"),
    ("camt", "cgst"),
    ("samt", "sgst"),
    ("cess", "cess"),
)


class SandboxGstr2b:
    """The part of :class:`recon.portal.sandbox.SandboxPortal` that answers GET2B and files GSTR-3B."""

    records: dict[str, dict[str, list[dict]]]
    gstr2b_docs_per_file: int
    not_generated: set[str]
    _statements: dict[tuple[str, str], dict]
    _lock: threading.RLock

    def hold_gstr2b(self, gstin: str, statement: Mapping) -> None:
        """Hold a whole 2B as given (``{"data": {...}}`` or the bare ``data``), for its own ``rtnprd``."""
        data = loads_exact(dumps_exact(statement))
        data = data.get("data", data)
        with self._lock:
            self._statements[(gstin.upper(), str(data["rtnprd"]))] = data

    def file_3b(self, gstin: str, period: str) -> int:
        """The recipient files GSTR-3B for ``period``: its 2B is fixed from now on and the records it holds
        leave IMS (a Pending one stays). Returns how many records left IMS."""
        gstin = gstin.upper()
        with self._lock:
            self._statements[(gstin, period)] = self._draft(gstin, period)
            left = 0
            for section, records in self.records.get(gstin, {}).items():
                stay = [r for r in records if not _in_2b(r, period)]
                left += len(records) - len(stay)
                self.records[gstin][section] = stay
            return left

    def gstr2b(self, gstin: str, period: str, file_num: str | None = None) -> dict:
        """GET2B: the statement, its count of parts, or one part."""
        gstin = gstin.upper()
        if _order(period) is None:
            raise SandboxError(400, "GEN5001", f"rtnprd {period!r} is not a return period MMYYYY")
        with self._lock:
            data = self._statements.get((gstin, period))
            if data is None:
                data = self._current_draft(gstin, period)
            data = copy.deepcopy(data)
        documents = _documents(data)
        if not documents:
            raise SandboxError(400, "RET2B1016", f"no documents in GSTR-2B for {period}")
        parts = max(1, -(-len(documents) // self.gstr2b_docs_per_file))
        if parts == 1 and not file_num:
            return {"chksum": _checksum(data), "data": data}
        head = {k: v for k, v in data.items() if k not in ("docdata", "docRejdata")} | {"fc": parts}
        if not file_num:
            return {"chksum": _checksum(head), "data": head}
        number = _file_number(file_num, parts)
        size = self.gstr2b_docs_per_file
        part = head | _regroup(documents[(number - 1) * size : number * size])
        return {"chksum": _checksum(part), "data": part}

    def _current_draft(self, gstin: str, period: str) -> dict:
        """The draft 2B when ``period`` is the current month; an earlier month never fixed holds nothing."""
        current = self._current_period(gstin)
        if period in self.not_generated or (current and _order(period) > _order(current)):
            raise SandboxError(400, "RET2B1023", f"GSTR-2B for {period} has not been generated yet")
        if period != current:
            raise SandboxError(400, "RET2B1016", f"no documents in GSTR-2B for {period}")
        return self._draft(gstin, period)

    def _current_period(self, gstin: str) -> str | None:
        periods = [
            str(r.get("rtnprd"))
            for records in self.records.get(gstin, {}).values()
            for r in records
            if _order(str(r.get("rtnprd")))
        ]
        return max(periods, key=_order) if periods else None

    def _draft(self, gstin: str, period: str) -> dict:
        """The 2B of ``period`` from the IMS records held now."""
        docdata: dict[str, list] = {}
        rejected: dict[str, list] = {}
        suppliers: dict[tuple, dict] = {}
        for section in TWO_B_SECTION:
            for record in self.records.get(gstin, {}).get(section, []):
                if not _in_2b(record, period):
                    continue
                block = rejected if record.get("action") == "R" else docdata
                _place(block, suppliers, section, record, block is rejected)
        data = {"gstin": gstin, "rtnprd": period, "version": "GST3.1.6", "gendt": _generated_on(period)}
        data["docdata"] = {s: docdata[s] for s in TWO_B_ORDER if s in docdata}
        data["docRejdata"] = {s: rejected[s] for s in TWO_B_ORDER if s in rejected}
        return loads_exact(dumps_exact(data))


def _in_2b(record: Mapping, period: str) -> bool:
    """Filed for ``period`` or earlier and not kept Pending (docs/reference/ims-rules.md §1-§3)."""
    filed = str(record.get("srcfilstatus", "Filed")).strip().lower() == "filed"
    supplier_period = _order(str(record.get("rtnprd")))
    on_time = supplier_period is None or supplier_period <= _order(period)
    return filed and on_time and record.get("action") != "P"


def _order(period: str) -> tuple[int, int] | None:
    """(year, month) of an MMYYYY period, None for anything else."""
    if len(period) != 6 or not period.isdigit() or not 1 <= int(period[:2]) <= 12:
        return None
    return int(period[2:]), int(period[:2])


def _place(block: dict, suppliers: dict, section: str, record: Mapping, rejected: bool) -> None:
    """Put one IMS record into its 2B section, under its supplier's group."""
    target = TWO_B_SECTION[section]
    key = (rejected, target, str(record.get("stin")).upper(), str(record.get("rtnprd")))
    group = suppliers.get(key)
    if group is None:
        group = {"ctin": key[2], "supprd": key[3]}
        name = record.get("tradenm") or record.get("trdnm")
        if name:
            group["trdnm"] = name
        group["nt" if target.startswith("cdnr") else "inv"] = []
        suppliers[key] = group
        block.setdefault(target, []).append(group)
    group["nt" if target.startswith("cdnr") else "inv"].append(_document(section, record))


def _document(section: str, record: Mapping) -> dict:
    """One IMS record in the 2B's field names (docs/reference/formats.md §3 "Differences from IMS names")."""
    if section in NOTE_TYPE:
        doc = {
            "ntnum": record.get("nt_num"),
            "typ": NOTE_TYPE[section],
            "suptyp": record.get("inv_typ", "R"),
            "dt": record.get("nt_dt"),
        }
        if section.endswith("a"):
            doc |= {
                "onttyp": NOTE_TYPE[section],
                "ontnum": record.get("ont_num"),
                "ontdt": record.get("ont_dt"),
            }
    else:
        doc = {"inum": record.get("inum"), "typ": record.get("inv_typ", "R"), "dt": record.get("idt")}
        if section.endswith("a"):
            doc |= {"oinum": record.get("oinum"), "oidt": record.get("oidt")}
    doc |= {"pos": record.get("pos"), "rev": "N", "itcavl": "Y", "diffprcnt": 1}
    doc |= {two_b: record[ims] for ims, two_b in _AMOUNTS if ims in record}
    doc["imsStatus"] = record.get("action")
    return doc


def _documents(data: Mapping) -> list[tuple[str, str, dict, dict]]:
    """(block, section, supplier keys, document) of every document, in the statement's order."""
    out = []
    for block in ("docdata", "docRejdata"):
        for section, groups in (data.get(block) or {}).items():
            for group in groups:
                list_key = "nt" if "nt" in group else "inv"
                head = {k: v for k, v in group.items() if k != list_key}
                out.extend((block, section, head, doc) for doc in group.get(list_key) or [])
    return out


def _regroup(documents: list[tuple[str, str, dict, dict]]) -> dict:
    """A part's ``docdata`` / ``docRejdata`` from its share of the documents, grouped per supplier again."""
    blocks: dict[str, dict[str, list]] = {"docdata": {}, "docRejdata": {}}
    groups: dict[tuple, dict] = {}
    for block, section, head, doc in documents:
        list_key = "nt" if section.startswith("cdnr") else "inv"
        key = (block, section, head.get("ctin"), head.get("supprd"))
        if key not in groups:
            groups[key] = {**head, list_key: []}
            blocks[block].setdefault(section, []).append(groups[key])
        groups[key][list_key].append(doc)
    return blocks


def _file_number(file_num: str, parts: int) -> int:
    try:
        number = int(file_num)
    except ValueError:
        number = 0
    if not 1 <= number <= parts:
        raise SandboxError(400, "GEN5001", f"file_num {file_num!r} is not between 1 and {parts}")
    return number


def _generated_on(period: str) -> str:
    """The 14th of the month after the period: when the portal generates a month's 2B (docs/reference/ims-rules.md §3)."""
    month, year = int(period[:2]), int(period[2:])
    month, year = (1, year + 1) if month == 12 else (month + 1, year)
    return f"14-{month:02d}-{year}"


def _checksum(value) -> str:
    return hashlib.sha256(dumps_exact(value).encode("utf-8")).hexdigest()
