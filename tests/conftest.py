"""The workspace database every store test runs on: SQLite, and a real PostgreSQL server when one is given.

scripts/test starts one and sets IMS_WORKBENCH_TEST_PG: a team's shared workspace must behave exactly like
the embedded default, so CI fails rather than skips when it is missing.
"""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from recon.store import metadata

POSTGRES_URL = os.environ.get("IMS_WORKBENCH_TEST_PG")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A database URL, once per engine; PostgreSQL starts and ends with no tables (tests share its database)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'workbench.db'}"
        return
    if not POSTGRES_URL:
        if os.environ.get("CI"):
            pytest.fail(
                f"CI must run {request.module.__name__} on PostgreSQL: IMS_WORKBENCH_TEST_PG is not set"
            )
        pytest.skip("no PostgreSQL server: set IMS_WORKBENCH_TEST_PG (scripts/test does it as root)")
    drop_tables(POSTGRES_URL)
    yield POSTGRES_URL
    drop_tables(POSTGRES_URL)


def drop_tables(url: str) -> None:
    engine = sa.create_engine(url)
    metadata.drop_all(engine)
    engine.dispose()
