"""AppTest fixtures: each test gets its own workspace database and a fresh app process state."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from recon.auth import Accounts, User
from recon.store import Store
from recon.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def db_url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'workbench.db'}"
    monkeypatch.setenv("IMS_WORKBENCH_DB", url)
    monkeypatch.setenv("IMS_WORKBENCH_DEMO", "0")
    st.cache_resource.clear()  # the app keeps one workspace per process: start from this test's database
    yield url
    st.cache_resource.clear()


@pytest.fixture
def workspace(db_url):
    ws = Workspace(Store(db_url), user="tester")
    yield ws
    ws.store.dispose()


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory):
    """The demo corpus written as a consultant would receive it: Tally books, IMS JSON, GSTR-2B JSON."""
    from recon.synth import demo_corpus, write_files

    corpus = demo_corpus()
    folder = tmp_path_factory.mktemp("demo_files")
    files = write_files(corpus, folder, layouts=("tally",), formats=("xlsx",))
    return corpus, files


def sign_in(at: AppTest, db_url: str, name: str = "tester", role: str = "admin") -> User:
    """What the sign-in form leaves in a session, for AppTest: the user (created when missing) signed in."""
    store = Store(db_url)
    try:
        accounts = Accounts(store)
        known = {u.name: u for u in accounts.users()}
        user = known.get(name) or accounts.create_user(None, name, f"{name}-password", role)
    finally:
        store.dispose()
    at.session_state["_auth"] = {"user_id": user.id, "last_seen": time.time()}
    return user


@pytest.fixture
def app(db_url):
    def start(page: str | None = None) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=120)
        sign_in(at, db_url)
        at.run()
        if page:
            at.switch_page(page).run()
        return at

    return start


@pytest.fixture
def loaded_client(workspace, demo_files):
    """A client with the demo books and IMS imported, as the Import page would have done it."""
    corpus, files = demo_files
    client = workspace.create_client("Sahyadri Auto Components", corpus.client.gstin, corpus.client.period)
    for name, kind in (("books_tally.xlsx", "books"), ("ims.json", "ims")):
        workspace.import_file(client.id, client.return_period, files[name].read_bytes(), name, kind=kind)
    return client
