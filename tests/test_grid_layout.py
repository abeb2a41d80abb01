"""The review grid on a 1366 x 768 laptop: what a reviewer sees without scrolling sideways, and when."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl

from recon.present import grid_columns, india_time
from views._grid import snapshot

# The main area beside the sidebar at 1366 px (Streamlit wide layout), less the grid's border, and the
# checkbox column AG Grid adds in front (selectionColumnDef).
GRID_WIDTH_AT_1366 = 900
CHECKBOX = 48


def _on_screen(category: str, columns=()) -> set[str]:
    """Fields whose whole width lies inside the grid before any sideways scroll."""
    cols = grid_columns(category, columns)
    pinned = CHECKBOX + sum(c["width"] for c in cols if c.get("pinned"))
    room, used, seen = GRID_WIDTH_AT_1366 - pinned, 0, set()
    for col in (c for c in cols if not c.get("pinned")):
        used += col["width"]
        if used <= room:
            seen.add(col["field"])
    return seen | {c["field"] for c in cols if c.get("pinned")}


def test_both_sides_tax_and_the_difference_are_on_a_laptop_screen_with_remarks_and_set_by():
    for category in ("matched", "mismatched"):
        assert {"books_tax", "portal_tax", "tax_difference", "remarks", "set_by"} <= _on_screen(category)
    assert {"portal_tax", "remarks", "set_by"} <= _on_screen("ims_only")


def test_a_tab_with_a_record_the_portal_would_refuse_still_shows_both_taxes():
    shown = _on_screen("mismatched", ("portal_would_refuse",))
    assert {"portal_would_refuse", "books_tax", "portal_tax"} <= shown


def _rows(refusals: list[str | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "result_id": [f"r{i}" for i in range(len(refusals))],
            "portal_doc_no": [f"INV-{i}" for i in range(len(refusals))],
            "portal_tax": [1800.0] * len(refusals),
            "portal_would_refuse": pl.Series(refusals, dtype=pl.String),
        }
    )


def test_the_refusal_column_comes_only_with_a_row_the_portal_would_refuse():
    assert "portal_would_refuse" not in snapshot(_rows([None, None])).fields
    reason = "the document number has 22 characters; the portal allows 1 to 16"
    data = snapshot(_rows([None, reason]))
    assert "portal_would_refuse" in data.fields
    # Empty fields are left out of the rows sent to the browser: a row without a refusal has no key.
    assert [r.get("portal_would_refuse") for r in json.loads(data.to_json())] == [None, reason]


def test_a_stored_moment_is_shown_in_indian_time():
    # The store keeps UTC; SQLite hands it back without a zone. 23:50 UTC is the next morning in India.
    assert india_time(datetime(2026, 3, 31, 23, 50)) == "01-04-2026 05:20"
    assert india_time(datetime(2026, 3, 31, 23, 50, tzinfo=UTC)) == "01-04-2026 05:20"
