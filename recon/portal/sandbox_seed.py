"""What a sandbox holds at the start: IMS records from a file, a canonical frame or the demo corpus.

Any envelope the IMS reader accepts (docs/reference/formats.md §1.1) is unwrapped to ``{section: [records]}``.
"""

from __future__ import annotations

from collections.abc import Mapping

from recon.jsonio import loads_exact
from recon.portal.sandbox_rules import SECTION_KEYS


def seed_sections(seed_docs, gstin: str | None) -> tuple[str, dict[str, list]]:
    """The recipient GSTIN and ``{section: [records]}`` to hold, from whatever the caller has."""
    if seed_docs is None:
        return demo_sections(gstin)
    if hasattr(seed_docs, "columns") and "raw" in seed_docs.columns:
        return _sections_from_frame(seed_docs, gstin)
    if isinstance(seed_docs, (bytes, str)):
        seed_docs = loads_exact(seed_docs)
    sections = _unwrap_sections(seed_docs)
    recipient = gstin or _find_rtin(seed_docs)
    if not recipient:
        raise ValueError("the recipient GSTIN is not in the seed data: pass gstin=")
    return recipient.upper(), sections


def _unwrap_sections(node) -> dict[str, list]:
    """Bare sections, or under data / data.data / imsDetails / invdata (docs/reference/formats.md §1.1)."""
    for _ in range(4):
        if not isinstance(node, Mapping):
            break
        found = {
            k.lower(): v
            for k, v in node.items()
            if k.lower() in SECTION_KEYS.values() and isinstance(v, list)
        }
        if found:
            return found
        inner = next(
            (node[k] for k in ("data", "imsDetails", "invdata") if isinstance(node.get(k), Mapping)), None
        )
        if inner is None:
            break
        node = inner
    raise ValueError("no IMS sections (b2b, b2bcn ...) found in the seed data")


def _find_rtin(node) -> str | None:
    for _ in range(4):
        if not isinstance(node, Mapping):
            return None
        for key in ("rtin", "gstin"):
            if isinstance(node.get(key), str):
                return node[key]
        node = node.get("data") or node.get("imsDetails")
    return None


def _sections_from_frame(frame, gstin: str | None) -> tuple[str, dict[str, list]]:
    ims = frame.filter(frame["source"] == "ims") if "source" in frame.columns else frame
    sections: dict[str, list] = {}
    for section, raw in zip(ims["section"].to_list(), ims["raw"].to_list(), strict=True):
        if section and raw:
            sections.setdefault(section, []).append(loads_exact(raw))
    recipients = (
        [g for g in ims["recipient_gstin"].unique().to_list() if g]
        if "recipient_gstin" in ims.columns
        else []
    )
    recipient = gstin or (recipients[0] if recipients else None)
    if not recipient:
        raise ValueError("the recipient GSTIN is not in the seed frame: pass gstin=")
    return recipient.upper(), sections


def demo_sections(gstin: str | None = None, seed: int | None = None) -> tuple[str, dict[str, list]]:
    """IMS records of recon.synth: the demo corpus, or ``generate(seed)``."""
    from recon import synth

    corpus = synth.demo_corpus() if seed is None else synth.generate(seed=seed, n_docs=synth.DEMO_DOCS)
    payload = getattr(corpus, "ims_payload", None)
    if payload:
        recipient = gstin or _find_rtin(payload) or corpus.client.gstin
        return recipient.upper(), _unwrap_sections(payload)
    return _sections_from_frame(corpus.ims, gstin)
