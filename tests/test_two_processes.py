"""Two app processes on one database (a firm's set-up behind one address): no decision is lost or hidden.

Each process keeps its own in-memory cache of frames; a decision saved by the other process must still show
after a reload, and decisions written at the same time by both must all be there. Run on the SQLite file of
a laptop and, when IMS_WORKBENCH_TEST_PG names a server, on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from recon.model import ACTION_LABELS
from recon.store import Store
from recon.workspace import Workspace
from tests.handwritten_files import CLIENT_A, ims_download, tally_register

ROOT = Path(__file__).resolve().parents[1]
PERIOD = "112025"
# (supplier index, invoice number): the same documents in the books and in IMS, so every one matches.
INVOICES = [(i % 3, f"KA/{i:03d}") for i in range(24)]

# One consultant's process: load the review (filling its cache), wait for the other process, then save its
# own decisions one document at a time while the other does the same, then reload and report what it sees.
WORKER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from recon.store import Store
    from recon.workspace import Workspace

    url, client_id, period, me, action, docs, folder = sys.argv[1:8]
    docs, folder = json.loads(docs), Path(folder)
    other = "b" if me == "a" else "a"

    def wait_for(flag):
        deadline = time.monotonic() + 120
        while not (folder / flag).exists():
            if time.monotonic() > deadline or (folder / f"{other}.failed").exists():
                sys.exit(f"{me}: gave up waiting for {flag}")
            time.sleep(0.02)

    try:
        ws = Workspace(Store(url), user=me)
        ws.review(int(client_id), period)  # cached before the other process writes anything
    except BaseException:
        (folder / f"{me}.failed").touch()
        raise
    (folder / f"{me}.ready").touch()
    wait_for(f"{other}.ready")
    try:
        for doc in docs:
            outcome = ws.set_action(int(client_id), period, [doc], action, remarks=f"by {me}", confirmed=True)
            assert outcome.saved == 1, (doc, outcome)
    except BaseException:
        (folder / f"{me}.failed").touch()
        raise
    (folder / f"{me}.done").touch()
    wait_for(f"{other}.done")
    review = ws.review(int(client_id), period)
    seen = {r["portal_doc_id"]: r["action"] for r in review.iter_rows(named=True) if r["portal_doc_id"]}
    print(json.dumps(seen))
    """
)


def _client_with_books_and_ims(url: str) -> tuple[int, list[str]]:
    """A client with a hand-written Tally register and IMS download imported; its IMS document ids."""
    ws = Workspace(Store(url))
    try:
        client = ws.create_client("Acme Industries Pvt Ltd", CLIENT_A, PERIOD)
        ws.import_file(client.id, PERIOD, tally_register(INVOICES), "Purchase Register.xlsx", kind="books")
        ws.import_file(client.id, PERIOD, ims_download(INVOICES, rtin=CLIENT_A), "ims.json", kind="ims")
        ids = ws.documents(client.id, PERIOD, "ims")["doc_id"].sort().to_list()
        return client.id, ids
    finally:
        ws.store.dispose()


def _start(url: str, client_id: int, me: str, action: str, docs: list[str], folder: Path) -> subprocess.Popen:
    args = [url, str(client_id), PERIOD, me, action, json.dumps(docs), str(folder)]
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )


def test_two_processes_each_see_the_others_decisions_and_none_is_lost(db_url, tmp_path):
    client_id, ids = _client_with_books_and_ims(db_url)
    assert len(ids) == len(INVOICES)
    # Interleaved halves: the two processes write neighbouring documents at the same time.
    accepted, rejected = ids[0::2], ids[1::2]
    first = _start(db_url, client_id, "a", "A", accepted, tmp_path)
    second = _start(db_url, client_id, "b", "R", rejected, tmp_path)
    (out_a, err_a), (out_b, err_b) = first.communicate(timeout=300), second.communicate(timeout=300)
    assert (first.returncode, second.returncode) == (0, 0), err_a[-3000:] + err_b[-3000:]
    seen_by_a, seen_by_b = json.loads(out_a.splitlines()[-1]), json.loads(out_b.splitlines()[-1])

    expected = {**dict.fromkeys(accepted, "A"), **dict.fromkeys(rejected, "R")}
    on_screen = {d: ACTION_LABELS[a] for d, a in expected.items()}
    assert {d: seen_by_a.get(d) for d in ids} == on_screen  # a sees b's Rejects after its reload
    assert {d: seen_by_b.get(d) for d in ids} == on_screen  # and b sees a's Accepts

    # A third process opened afterwards (a restart, another server) finds every decision, by whom.
    store = Store(db_url)
    try:
        decisions = store.decisions(client_id)
    finally:
        store.dispose()
    saved = {r["portal_doc_id"]: (r["action"], r["decided_by"]) for r in decisions.iter_rows(named=True)}
    assert saved == {d: (a, "a" if a == "A" else "b") for d, a in expected.items()}


# One server process trying wrong passwords for one name, each from the next of its addresses (an empty
# one: no address known), saying what each attempt answered.
GUESSER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from recon.auth import Accounts, SignInLocked
    from recon.store import Store

    url, name, addresses, folder, me = sys.argv[1:6]
    accounts = Accounts(Store(url))
    (Path(folder) / f"{me}.ready").touch()
    deadline = time.monotonic() + 120
    while len(list(Path(folder).glob("*.ready"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    for address in addresses.split(","):
        try:
            answer = accounts.sign_in(name, "a-wrong-password", address=address or None)
            print("wrong" if answer is None else "in")
        except SignInLocked:
            print("locked")
    """
)


def guess_in_two_processes(db_url: str, folder: Path, addresses: list[str], name: str = "asha") -> list[str]:
    """Two server processes at once try a wrong password for ``name`` from every address in turn; every
    answer of both, sorted."""
    folder.mkdir(exist_ok=True)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", GUESSER, db_url, name, ",".join(addresses), str(folder), me],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
        )
        for me in ("a", "b")
    ]
    answers = []
    for worker in workers:
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err[-3000:]
        answers += out.split()
    return sorted(answers)


def test_two_processes_count_failed_sign_ins_for_one_name_together(db_url, tmp_path):
    """Three wrong passwords in each of two servers at once: the fifth failure anywhere locks the name."""
    from recon.auth import Accounts, SignInLocked

    store = Store(db_url)
    try:
        Accounts(store).create_user(None, "asha", "asha-password-1", "consultant")
    finally:
        store.dispose()
    no_address = [""] * 3
    assert guess_in_two_processes(db_url, tmp_path, no_address) == [
        "locked",
        "locked",
        "wrong",
        "wrong",
        "wrong",
        "wrong",
    ]

    store = Store(db_url)  # a third server, started afterwards, refuses her too
    try:
        with pytest.raises(SignInLocked):
            Accounts(store).sign_in("asha", "asha-password-1")
    finally:
        store.dispose()
