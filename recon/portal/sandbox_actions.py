"""The sandbox's SAVE / RESETIMS processing and its request status (REQSTS).

A body is checked against the schema as a whole (IMSSAV005, nothing applied), then record by record with
the portal's rules (:mod:`recon.portal.sandbox_rules`); REQSTS answers IP for a few polls, then P / PE / ER
with an ``error_report`` grouped per supplier (docs/reference/portal-api.md §4).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

from recon.portal.sandbox_faults import LoggedRequest, SandboxError
from recon.portal.sandbox_rules import (
    SHORT_REPORT_KEYS,
    number_field,
    record_key,
    record_problem,
    schema_problem,
    sent_records,
)


class SandboxActions:
    """The part of :class:`recon.portal.sandbox.SandboxPortal` that applies actions and reports on them."""

    # -- SAVE / RESETIMS --------------------------------------------------------------------------------

    def receive_action(self, gstin: str, action: str, payload, entry: LoggedRequest) -> str:
        """Process a decrypted SAVE/RESETIMS body; returns the reference id (processing is synchronous,
        REQSTS reports IP for ``ip_polls`` polls first, as the portal's queue would)."""
        with self._lock:
            reference = f"SBX{next(self._counter):08d}"
            entry.records = sent_records(payload)
            problem = schema_problem(gstin, action, payload)
            if problem:
                status = {
                    "status_cd": "ER",
                    "transTypCd": "SAV",
                    "proc_cnt": "0",
                    "err_cnt": "0",
                    "err_cd": "IMSSAV005",
                    "err_msg": f"Schema validation failed: {problem}",
                }
            else:
                status = self._apply(gstin, payload, entry)
            self._references[reference] = {"gstin": gstin, "status": status, "polls": 0}
            entry.reference_id = reference  # last: a reader seeing it finds the status stored
            return reference

    def _apply(self, gstin: str, payload: Mapping, entry: LoggedRequest) -> dict:
        reqtyp = payload["reqtyp"]
        errors: list[tuple[str, dict, str, str]] = []  # (section, record, code, message)
        done = 0
        index = {
            record_key(section, rec): rec
            for section, records in self.records.get(gstin, {}).items()
            for rec in records
        }
        for section, records in payload["invdata"].items():
            for sent in records:
                held = index.get(record_key(section, sent))
                problem = record_problem(held, section, sent, reqtyp)
                if problem:
                    errors.append((section, sent, *problem))
                    continue
                held["action"] = sent["action"] if reqtyp == "SAVE" else "N"
                entry.applied.append(record_key(section, held))
                done += 1
        status = {
            "status_cd": "PE" if errors else "P",
            "transTypCd": "SAV" if reqtyp == "SAVE" else "RST",
            "proc_cnt": str(done),
            "err_cnt": str(len(errors)),
            "err_cd": "",
            "err_msg": "",
        }
        if errors:
            status["error_report"] = self._error_report(errors)
        return status

    def _error_report(self, errors: list[tuple[str, dict, str, str]]) -> dict:
        report: dict[str, list[dict]] = {}
        groups: dict[tuple, dict] = {}
        for section, sent, code, message in errors:
            key = SHORT_REPORT_KEYS.get(section, section) if self.short_report_keys else section
            group_key = (key, str(sent.get("stin")), code, message)
            if group_key not in groups:
                groups[group_key] = {
                    "stin": str(sent.get("stin")),
                    "error_cd": code,
                    "error_msg": message,
                    "inv": [],
                }
                report.setdefault(key, []).append(groups[group_key])
            # The number sits under `inum` even for notes (docs/reference/portal-api.md §4).
            number = sent.get(number_field(section)) or sent.get("inum")
            groups[group_key]["inv"].append({"inum": number, "rtnprd": sent.get("rtnprd")})
        return report

    def request_status(self, gstin: str, reference: str) -> dict:
        with self._lock:
            ref = self._references.get(reference or "")
            if ref is None or ref["gstin"] != gstin:
                raise SandboxError(400, "GEN5001", "unknown reference id")
            ref["polls"] += 1
            if ref["polls"] <= self.ip_polls:
                return {"status_cd": "IP"}
            return copy.deepcopy(ref["status"])
