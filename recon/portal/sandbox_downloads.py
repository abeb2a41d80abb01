"""The sandbox's IMS downloads: counts (GETCNT), records per section (GETINV) and queued files (FILEDET).

A large answer is queued: the reply is a token and a wait, then FILEDET lists encrypted tar.gz files with
their SHA-256 (docs/reference/portal-api.md §2.1 step 9, §3).
"""

from __future__ import annotations

import copy
import io
import secrets
import tarfile
from dataclasses import dataclass

from recon.portal import crypto
from recon.portal.sandbox_faults import SandboxError
from recon.portal.sandbox_rules import SECTION_KEYS


@dataclass
class _Queued:
    gstin: str
    ready_at: float
    file_key: bytes
    files: list[tuple[str, int, bytes]]  # (name, record count, tar.gz bytes)


class SandboxDownloads:
    """The part of :class:`recon.portal.sandbox.SandboxPortal` that answers the IMS download calls."""

    # -- downloads -------------------------------------------------------------------------------------

    def counts(self, gstin: str, goods_typ: str) -> dict:
        if goods_typ != "ALL_OTH":
            return {"goods_typ": goods_typ, "ttl_cnt": 0, "sections": {}}
        sections = {}
        with self._lock:
            for section, records in self.records.get(gstin, {}).items():
                tally = {"ttl_cnt": len(records), "noaction": 0, "accept": 0, "reject": 0, "pending": 0}
                for rec in records:
                    tally[{"N": "noaction", "A": "accept", "R": "reject", "P": "pending"}[rec["action"]]] += 1
                sections[section] = tally
        return {
            "goods_typ": goods_typ,
            "ttl_cnt": sum(s["ttl_cnt"] for s in sections.values()),
            "sections": sections,
        }

    def invoices(self, gstin: str, section_code: str, status: str | None) -> dict:
        section = SECTION_KEYS.get((section_code or "").upper())
        if section is None:
            raise SandboxError(400, "GEN5001", f"section {section_code!r} is not an IMS section")
        with self._lock:
            records = copy.deepcopy(self.records.get(gstin, {}).get(section, []))
        if status:
            records = [r for r in records if r["action"] == status]
        if len(records) > self.queue_threshold:
            return self._queue(gstin, section, records)
        return {section: records}

    def _queue(self, gstin: str, section: str, records: list[dict]) -> dict:
        token = secrets.token_hex(8)
        file_key = crypto.new_key()
        files = []
        for index in range(0, len(records), self.records_per_file):
            chunk = records[index : index + self.records_per_file]
            name = f"{token}_{index // self.records_per_file + 1}.tar.gz"
            files.append(
                (name, len(chunk), _tar_gz(name[:-7] + ".json", crypto.seal({section: chunk}, file_key)[0]))
            )
        with self._lock:
            self._queued[token] = _Queued(
                gstin, self.clock.monotonic() + self.file_ready_seconds, file_key, files
            )
            for name, _, content in files:
                self._files[name] = content
        return {"token": token, "est": self.est_minutes}

    def file_details(self, gstin: str, token: str) -> dict:
        with self._lock:
            queued = self._queued.get(token or "")
        if queued is None or queued.gstin != gstin:
            raise SandboxError(400, "GEN5001", "unknown token")
        if self.clock.monotonic() < queued.ready_at:
            raise SandboxError(400, "SBX-FILE-WAIT", "the file is being generated; try after some time")
        urls = [
            {"ul": f"{self.base_url}/files/{name}", "ic": count, "hash": crypto.sha256_hex(content)}
            for name, count, content in queued.files
        ]
        return {"fc": len(urls), "urls": urls, "ek": crypto.b64(queued.file_key)}

    def file(self, name: str) -> bytes | None:
        with self._lock:
            return self._files.get(name)


def _tar_gz(member: str, text: str) -> bytes:
    buffer = io.BytesIO()
    data = text.encode("ascii")
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo(member)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
