"""Manual links and unlinks between a books document and a portal document, each with an audit row."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from recon.store.engine import now
from recon.store.schema import audit, links

if TYPE_CHECKING:
    from recon.store import Store


def set_link(
    store: Store, client_id: int, period: str, books_doc_id: str, portal_doc_id: str, kind: str, who=None
) -> None:
    """Record a manual link or unlink; a later one for the same pair replaces the earlier."""
    if kind not in ("link", "unlink"):
        raise ValueError(f"kind must be link or unlink, not {kind!r}")
    pair = dict(client_id=client_id, period=period, books_doc_id=books_doc_id, portal_doc_id=portal_doc_id)
    stamp = now()
    with store.engine.begin() as conn:
        conn.execute(links.delete().where(*(links.c[k] == v for k, v in pair.items())))
        conn.execute(links.insert().values(**pair, kind=kind, at=stamp, who=who))
        conn.execute(
            audit.insert().values(
                client_id=client_id,
                period=period,
                portal_doc_id=portal_doc_id,
                at=stamp,
                who=who,
                source="link",
                note=f"{kind} books {books_doc_id} with portal {portal_doc_id}",
            )
        )


def pair_lists(
    store: Store, client_id: int, period: str
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(links, unlinks) as (books_doc_id, portal_doc_id) pairs, oldest first."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(links.c.books_doc_id, links.c.portal_doc_id, links.c.kind)
            .where(links.c.client_id == client_id, links.c.period == period)
            .order_by(links.c.id)
        ).all()
    linked = [(b, p) for b, p, kind in rows if kind == "link"]
    unlinked = [(b, p) for b, p, kind in rows if kind == "unlink"]
    return linked, unlinked
