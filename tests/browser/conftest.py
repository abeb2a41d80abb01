"""Real-browser fixtures: our own Streamlit server on a free port with a temporary workspace, one Chromium.

Chromium is Debian's /usr/bin/chromium (never ``playwright install``). Under CI (``CI=true``) a missing
browser fails the run instead of skipping it.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The first admin every test server starts with (the app creates it from these settings on first run).
ADMIN_USER = "admin"
ADMIN_PASSWORD = "admin-test-password"


def start_server(data_dir: Path, *, demo: bool, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    """``streamlit run app.py`` with its own database; returns when /_stcore/health answers ok."""
    port = free_port()
    env = dict(
        os.environ,
        IMS_WORKBENCH_DB=f"sqlite:///{data_dir / 'workbench.db'}",
        IMS_WORKBENCH_DATA=str(data_dir),
        IMS_WORKBENCH_DEMO="1" if demo else "0",
        IMS_WORKBENCH_ADMIN_USER=ADMIN_USER,
        IMS_WORKBENCH_ADMIN_PASSWORD=ADMIN_PASSWORD,
        STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
        **(env or {}),
    )
    log = open(data_dir / "server.log", "w")  # noqa: SIM115 (closed with the process)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited: {(data_dir / 'server.log').read_text()[-2000:]}")
        try:
            if requests.get(f"{url}/_stcore/health", timeout=2).text == "ok":
                return process, url
        except requests.RequestException:
            pass
        time.sleep(0.3)
    process.terminate()
    raise RuntimeError("streamlit did not become healthy within 90 s")


def login(page, user: str = ADMIN_USER, password: str = ADMIN_PASSWORD) -> None:
    """Sign in on the form every new browser session starts with (after each ``page.goto`` or reload)."""
    form = page.get_by_test_id("stForm")
    form.get_by_label("User name").fill(user)
    form.get_by_label("Password", exact=True).fill(password)
    form.get_by_role("button", name="Sign in").click()
    page.get_by_text(f"Signed in as {user}").wait_for(timeout=60_000)


def wait_run_done(page) -> None:
    """Streamlit renders top-down; act only once the script run has finished."""
    from playwright.sync_api import expect

    page.wait_for_timeout(150)
    expect(page.locator('[data-testid="stApp"]')).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=60_000
    )


# The review grid's iframe in the open tab (only the open tab's grid is mounted; just after a key change a
# second one may briefly exist, hence :visible and the count check in open_grid).
GRID = 'iframe[title="st_aggrid.AgGrid.agGrid"]:visible'


def tab(page, name: str):
    """A Reconcile tab by its name ("Matched with ITC"); its label goes on with the count and the amount."""
    return page.get_by_role("tab", name=re.compile(re.escape(name)))


def open_grid(page):
    """The open tab's grid once the run has finished and it shows rows."""
    from playwright.sync_api import expect

    wait_run_done(page)
    expect(page.locator(GRID)).to_have_count(1)
    frame = page.frame_locator(GRID)
    expect(frame.locator(".ag-center-cols-container .ag-row").first).to_be_visible()
    return frame


def download_grid_csv(page, frame):
    """The open grid's CSV (its toolbar's download button, shown on hover), as a Playwright download.

    Under a loaded machine the first click can land while the grid's toolbar is still being drawn and
    start nothing; a consultant would click again, and so does this, twice at most.
    """
    from playwright.sync_api import TimeoutError as NoDownload

    for attempt in range(3):
        frame.locator(".ag-root").hover()
        try:
            with page.expect_download(timeout=20_000) as download:
                frame.locator("button.download-button").click(force=True)
            return download.value
        except NoDownload:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def open_tab(page, name: str):
    """Click a Reconcile tab and return its grid: the click reruns the page, which then mounts that grid."""
    tab(page, name).click()
    return open_grid(page)


def cell(frame, row_id: str, column: str):
    """One cell of the grid by row id and column, wherever the column is pinned."""
    return frame.locator(f'.ag-row[row-id="{row_id}"] [col-id="{column}"]')


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CHROMIUM} is missing; the test command installs it (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed (browser tests run in CI)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def shot_dir() -> Path:
    folder = Path(os.environ.get("SHOT_DIR") or ROOT / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server on an empty workspace (no demo client): its address and the workspace database's URL.

    A test module that needs its workspace prepared before the first page load defines its own."""
    data = tmp_path_factory.mktemp("workspace")
    process, url = start_server(data, demo=False)
    yield url, f"sqlite:///{data / 'workbench.db'}"
    stop_server(process)
