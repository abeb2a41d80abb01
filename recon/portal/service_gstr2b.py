"""What the app calls for a month's GSTR-2B: fetch it through the connector and read it into canonical
documents (re-exported by :mod:`recon.portal.service`).

The protocol (GET2B, parts by ``file_num``) is :meth:`recon.portal.client.PortalClient.get_gstr2b`; here
the portal's refusals become plain words, the parts one statement, and an empty 2B an outcome without
documents (docs/reference/portal-api.md §3, §4).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from recon.jsonio import dumps_exact
from recon.portal.client import OtpRequired, PortalClient, PortalError, PortalUnavailable
from recon.present import india_time, period_label
from recon.readers.result import ReadResult

Progress = Callable[[float, str], None]

# What the portal means by its 2B refusals (docs/reference/portal-api.md §4), in the user's words.
GSTR2B_REFUSALS = {
    "RET2B1023": "the portal has not generated GSTR-2B for {month} yet (a month's 2B comes on the 14th of the "
    "next month)",
    "RET2B1018": "GSTR-2B for {month} was asked for before the portal's cut-off date: try again after it",
}
NOTHING_FILED = "RET2B1016"  # the 2B of the month holds no documents


@dataclass
class Gstr2bOutcome:
    """A GSTR-2B fetched for one return period: its documents (None when the portal's 2B holds none)."""

    period: str
    result: ReadResult | None
    parts: int = 1

    def summary_lines(self) -> list[str]:
        month = period_label(self.period)
        if self.result is None:
            return [f"The portal's GSTR-2B for {month} holds no documents: nothing was imported."]
        in_parts = f" in {self.parts} parts" if self.parts > 1 else ""
        lines = [f"Downloaded GSTR-2B for {month}{in_parts}: {self.result.docs.height} documents."]
        lines.extend(f"Warning: {w}" for w in self.result.warnings)
        return lines


def fetch_gstr2b(
    client: PortalClient,
    gstin: str,
    period: str,
    *,
    otp: str | None = None,
    progress: Progress | None = None,
) -> Gstr2bOutcome:
    """Download the GSTR-2B of ``gstin`` for ``period`` (MMYYYY) and read it with the 2B reader.

    The session works as for :func:`fetch_ims` (``otp`` opens one; without either, :class:`OtpRequired`).
    A 2B the portal has not generated yet, or asked for too early, is a :class:`PortalError` in plain
    words; a 2B without documents is an outcome without a result.
    """
    gstin = gstin.upper()
    client.open_session(gstin, otp)
    report = progress or (lambda fraction, message: None)
    report(0.0, f"Downloading GSTR-2B for {period_label(period)}")
    try:
        parts = client.get_gstr2b(gstin, period)
    except PortalError as err:
        if isinstance(err, (OtpRequired, PortalUnavailable)):
            raise
        if err.code == NOTHING_FILED:
            report(1.0, "Done")
            return Gstr2bOutcome(period, None)
        words = GSTR2B_REFUSALS.get(err.code or "")
        if words:
            raise PortalError(
                f"{words.format(month=period_label(period))} ({err.code})", code=err.code
            ) from err
        raise
    report(0.8, "Reading the statement")
    name = f"GSTR-2B {gstin} {period} (portal download {india_time(datetime.now(UTC))})"
    result = _read_2b_parts(parts, name, gstin)
    if result.period and result.period != period:
        raise PortalError(
            f"the portal answered the request for GSTR-2B {period} with the 2B of {result.period}"
        )
    report(1.0, "Done")
    if result.docs.is_empty():  # a statement without documents settles nothing: nothing to keep
        return Gstr2bOutcome(period, None, parts=len(parts))
    return Gstr2bOutcome(period, result, parts=len(parts))


def _read_2b_parts(parts: list[dict], name: str, gstin: str) -> ReadResult:
    from recon.readers.gstr2b import read_gstr2b, read_gstr2b_parts

    # Numbers as their exact literals, as for an IMS download (docs/reference/formats.md §2 rule 3).
    files = [(dumps_exact(part).encode("utf-8"), f"{name} part {i}") for i, part in enumerate(parts, 1)]
    if len(files) == 1:
        return read_gstr2b(files[0][0], name, recipient_gstin=gstin)
    return read_gstr2b_parts(files, name, recipient_gstin=gstin)


def gstr2b_periods(period: str) -> list[str]:
    """``period`` and the months before it whose documents may still be claimed in it, newest first.

    A document's credit lapses on 30 November after the end of its financial year (docs/reference/ims-rules.md
    §7), so the oldest month that still counts is April of the financial year whose November has not
    passed when ``period`` begins.
    """
    month, year = int(period[:2]), int(period[2:])
    oldest = (4, year - 1) if month <= 11 else (4, year)
    periods = []
    while (year, month) >= (oldest[1], oldest[0]):
        periods.append(f"{month:02d}{year}")
        month, year = (12, year - 1) if month == 1 else (month - 1, year)
    return periods
