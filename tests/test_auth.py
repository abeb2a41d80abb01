"""Users, passwords and per-client access in the core (recon.auth, Workspace.signed_in), without a browser."""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from handwritten_files import CLIENT_A, CLIENT_B, ims_download, tally_register

from recon.auth import (
    AccessDenied,
    Accounts,
    NameLock,
    SignInLocked,
    first_admin_setting,
    idle_timeout_seconds,
)
from recon.errors import InputError
from recon.store import Store, sign_in_failures, sign_in_key, sign_in_place_failures
from recon.store.access import UNKNOWN_PLACE
from recon.workspace import Workspace
from tests.test_two_processes import guess_in_two_processes

PERIOD = "112025"
ROOT = Path(__file__).resolve().parents[1]


# Users and access live in the workspace database: checked on SQLite and on PostgreSQL (tests/conftest.py).
@pytest.fixture
def store(db_url):
    store = Store(db_url)
    yield store
    store.dispose()


@pytest.fixture
def firm(store):
    """An admin, two consultants (asha has client A, ravi has client B), both clients with books and IMS."""
    accounts = Accounts(store)
    admin = accounts.create_user(None, "Boss", "boss-password-1", "admin")
    ws = Workspace(store).signed_in(admin)
    a = ws.create_client("Acme Industries", CLIENT_A, PERIOD)
    b = ws.create_client("Bharat Traders", CLIENT_B, PERIOD)
    for client, numbers in ((a, [(0, "A-1"), (1, "A-2")]), (b, [(0, "B-7"), (2, "B-8")])):
        ws.import_file(client.id, PERIOD, tally_register(numbers), "Purchase Register.xlsx", kind="books")
        ws.import_file(client.id, PERIOD, ims_download(numbers, rtin=client.gstin), "ims.json", kind="ims")
    asha = accounts.create_user(admin, "asha", "asha-password-1", "consultant", [a.id])
    ravi = accounts.create_user(admin, "ravi", "ravi-password-1", "consultant", [b.id])
    return {"accounts": accounts, "admin": admin, "asha": asha, "ravi": ravi, "a": a, "b": b}


def test_a_password_is_kept_only_as_an_argon2_hash(store):
    accounts = Accounts(store)
    accounts.create_user(None, "Meera", "correct horse battery", "consultant")
    with store.engine.connect() as conn:
        row = conn.execute(sa.text("select * from users")).mappings().one()
    assert row["password_hash"].startswith("$argon2id$")
    assert all("correct horse" not in str(value) for value in row.values())
    assert accounts.sign_in(" MEERA ", "correct horse battery").name == "meera"  # name without case or blanks
    assert accounts.sign_in("meera", "correct horse batterY") is None
    assert accounts.sign_in("nobody", "correct horse battery") is None


def test_a_switched_off_user_cannot_sign_in_and_the_last_admin_stays(firm):
    accounts, admin, asha = firm["accounts"], firm["admin"], firm["asha"]
    accounts.set_active(admin, asha.id, False)
    assert accounts.sign_in("asha", "asha-password-1") is None
    assert accounts.user(asha.id) is None  # a session holding her id is signed out on its next click
    with pytest.raises(InputError, match="only active admin"):
        accounts.set_active(admin, admin.id, False)
    with pytest.raises(InputError, match="only active admin"):
        accounts.set_role(admin, admin.id, "consultant")


def test_only_an_admin_manages_users_and_passwords_are_not_too_short(firm):
    accounts, admin, asha = firm["accounts"], firm["admin"], firm["asha"]
    with pytest.raises(AccessDenied, match="Only an admin"):
        accounts.create_user(asha, "mallory", "long enough password", "admin")
    with pytest.raises(AccessDenied):
        accounts.set_clients(asha, asha.id, [firm["b"].id])
    with pytest.raises(InputError, match="password is shorter than 8"):
        accounts.create_user(admin, "kiran", "short", "consultant")
    with pytest.raises(InputError, match="already exists"):
        accounts.create_user(admin, "ASHA", "another password", "consultant")
    assert [u.name for u in accounts.users()] == ["asha", "boss", "ravi"]


def test_a_consultant_sees_and_opens_only_the_clients_assigned(firm, store):
    asha = Workspace(store).signed_in(firm["asha"])
    a, b = firm["a"], firm["b"]
    assert [c.name for c in asha.clients()] == ["Acme Industries"]
    assert asha.client(b.id) is None
    assert asha.client(a.id).gstin == CLIENT_A
    assert asha.review(a.id, PERIOD).height > 0
    refused = [
        lambda: asha.review(b.id, PERIOD),
        lambda: asha.documents(b.id, PERIOD, "ims"),
        lambda: asha.audit_trail(b.id, PERIOD),
        lambda: asha.working_paper(b.id, PERIOD),
        lambda: asha.build_upload(b.id, PERIOD),
        lambda: asha.set_action(b.id, PERIOD, ["anything"], "R", remarks="x"),
        lambda: asha.import_file(
            b.id, PERIOD, ims_download([(0, "Z-1")], rtin=CLIENT_B), "ims.json", kind="ims"
        ),
        lambda: asha.edit_client(b.id, "Renamed", CLIENT_B, PERIOD),
        lambda: asha.store.periods(b.id),
    ]
    for attempt in refused:
        with pytest.raises(InputError):
            attempt()
    assert store.client(b.id).name == "Bharat Traders"
    assert len(store.imports(b.id, PERIOD)) == 2  # nothing of B changed


def test_an_admin_opens_every_client(firm, store):
    boss = Workspace(store).signed_in(firm["admin"])
    assert [c.name for c in boss.clients()] == ["Acme Industries", "Bharat Traders"]
    assert boss.review(firm["b"].id, PERIOD).height > 0


def test_a_client_created_by_a_consultant_is_theirs_and_not_the_others(firm, store):
    asha = Workspace(store).signed_in(firm["asha"])
    created = asha.create_client("Chetan Steels", "27AAPFU0939F1ZV", PERIOD)
    assert created.id in {c.id for c in asha.clients()}
    assert asha.client(created.id).name == "Chetan Steels"
    ravi = Workspace(store).signed_in(firm["ravi"])
    assert ravi.client(created.id) is None


def test_the_gstin_of_someone_elses_client_is_refused_without_its_name(firm, store):
    asha = Workspace(store).signed_in(firm["asha"])
    with pytest.raises(InputError, match="already exists") as refused:
        asha.create_client("My copy", CLIENT_B, PERIOD)
    assert "Bharat" not in str(refused.value)


def test_the_audit_trail_names_the_signed_in_user(firm, store):
    a = firm["a"]
    asha = Workspace(store, user="os-user").signed_in(firm["asha"])
    doc_id = asha.documents(a.id, PERIOD, "ims")["doc_id"][0]
    asha.set_action(a.id, PERIOD, [doc_id], "R", remarks="not received", confirmed=True)
    trail = asha.audit_trail(a.id, PERIOD)
    assert trail["who"].to_list()[-1] == "asha"
    assert asha.decisions(a.id)["decided_by"].to_list() == ["asha"]


def test_the_first_admin_comes_from_the_settings_once(store, monkeypatch):
    monkeypatch.setenv("IMS_WORKBENCH_ADMIN_USER", "Founder")
    monkeypatch.setenv("IMS_WORKBENCH_ADMIN_PASSWORD", "first-run-secret")
    accounts = Accounts(store)
    assert accounts.ensure_first_admin(first_admin_setting()).is_admin
    assert accounts.sign_in("founder", "first-run-secret").is_admin
    monkeypatch.setenv("IMS_WORKBENCH_ADMIN_PASSWORD", "changed-in-the-environment")
    assert (
        accounts.ensure_first_admin(first_admin_setting()) is None
    )  # an admin exists: settings are not reapplied
    assert accounts.sign_in("founder", "changed-in-the-environment") is None


def test_the_first_admin_can_come_from_secrets_toml(tmp_path, monkeypatch):
    monkeypatch.delenv("IMS_WORKBENCH_ADMIN_USER", raising=False)
    monkeypatch.delenv("IMS_WORKBENCH_ADMIN_PASSWORD", raising=False)
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        '[workbench]\nadmin_user = "partner"\nadmin_password = "from-secrets-file"\n'
    )
    monkeypatch.chdir(tmp_path)
    assert first_admin_setting() == ("partner", "from-secrets-file")


def test_the_demo_login_opens_only_the_demo_client_and_only_while_the_demo_is_on(firm, store):
    accounts = firm["accounts"]
    demo_client = (
        Workspace(store)
        .signed_in(firm["admin"])
        .create_client("Demo Pvt Ltd (demo)", "27AAPFU0939F1ZV", PERIOD, is_demo=True)
    )
    accounts.ensure_demo_login(True)
    demo = accounts.sign_in("demo", "demo")
    assert [c.id for c in Workspace(store).signed_in(demo).clients()] == [demo_client.id]
    accounts.ensure_demo_login(False)
    assert accounts.sign_in("demo", "demo") is None


def test_the_idle_timeout_is_a_setting_in_minutes(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no secrets.toml here
    monkeypatch.delenv("IMS_WORKBENCH_IDLE_MINUTES", raising=False)
    assert idle_timeout_seconds() == 30 * 60
    monkeypatch.setenv("IMS_WORKBENCH_IDLE_MINUTES", "0.05")
    assert idle_timeout_seconds() == pytest.approx(3.0)
    monkeypatch.setenv("IMS_WORKBENCH_IDLE_MINUTES", "half an hour")
    assert idle_timeout_seconds() == 30 * 60


def test_a_download_of_someone_elses_client_is_refused_without_naming_that_client(firm, store):
    asha = Workspace(store).signed_in(firm["asha"])
    bharat_download = ims_download([(0, "B-9")], rtin=CLIENT_B)
    with pytest.raises(InputError) as refused:
        asha.import_file(firm["a"].id, PERIOD, bharat_download, "ims.json", kind="ims")
    assert CLIENT_B in str(refused.value) and "Bharat" not in str(refused.value)
    boss = Workspace(store).signed_in(firm["admin"])
    with pytest.raises(InputError, match="Bharat"):  # the admin, who sees every client, is told which
        boss.import_file(firm["a"].id, PERIOD, bharat_download, "ims.json", kind="ims")


# --- Too many failed sign-ins ------------------------------------------------------------------------------


class Clock:
    """The time the accounts see; a test moves it on instead of waiting for a lock to end."""

    def __init__(self) -> None:
        self.at = datetime(2026, 12, 6, 5, 0, tzinfo=UTC)  # 10:30 in India, the consultant's clock

    def __call__(self) -> datetime:
        return self.at

    def move(self, **delta) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def quick_hashes(monkeypatch):
    """Cheap argon2 parameters: these tests sign in dozens of times and test counting, not hashing."""
    from argon2 import PasswordHasher

    from recon import auth

    monkeypatch.setattr(auth, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    auth._dummy_hash.cache_clear()
    yield
    auth._dummy_hash.cache_clear()


@pytest.fixture
def people(store, quick_hashes):
    """An admin and a consultant, and a clock to sign in by."""
    clock = Clock()
    accounts = Accounts(store, clock=clock)
    admin = accounts.create_user(None, "boss", "boss-password-1", "admin")
    asha = accounts.create_user(admin, "asha", "asha-password-1", "consultant")
    return {"accounts": accounts, "clock": clock, "admin": admin, "asha": asha}


COUNTING = {"limit": 5, "ceiling": 20, "lock_for": timedelta(minutes=15)}


def fail(accounts: Accounts, name: str, times: int) -> None:
    for _ in range(times):
        assert accounts.sign_in(name, "not-her-password") is None


def test_the_fifth_failed_sign_in_locks_the_name_for_fifteen_minutes(people):
    accounts, clock = people["accounts"], people["clock"]
    fail(accounts, "asha", 4)
    with pytest.raises(SignInLocked) as raised:
        accounts.sign_in("asha", "not-her-password")
    assert str(raised.value).startswith("Too many failed sign-ins for 'asha'; try again after 10:45.")
    clock.move(minutes=14)
    with pytest.raises(SignInLocked):  # the right password does not open a locked name either
        accounts.sign_in(" Asha ", "asha-password-1")
    clock.move(minutes=1, seconds=1)
    assert accounts.sign_in("asha", "asha-password-1") == people["asha"]
    assert accounts.sign_in("boss", "boss-password-1") == people["admin"]  # other names were never locked


def test_an_unknown_name_is_locked_in_the_same_words(people):
    """The lock says nothing about whether a user of that name exists."""
    accounts = people["accounts"]
    words = {}
    for name in ("asha", "nobody"):
        fail(accounts, name, 4)
        with pytest.raises(SignInLocked) as raised:
            accounts.sign_in(name, "not-her-password")
        words[name] = str(raised.value).replace(f"'{name}'", "'NAME'")
    assert words["asha"] == words["nobody"]


def test_a_good_sign_in_starts_the_count_again(people):
    accounts = people["accounts"]
    fail(accounts, "asha", 4)
    assert accounts.sign_in("asha", "asha-password-1") == people["asha"]
    fail(accounts, "asha", 4)  # four more are only four
    with pytest.raises(SignInLocked):
        accounts.sign_in("asha", "not-her-password")


def test_failures_far_apart_do_not_add_up(people):
    accounts, clock = people["accounts"], people["clock"]
    fail(accounts, "asha", 4)
    clock.move(minutes=16)
    fail(accounts, "asha", 4)
    assert accounts.sign_in("asha", "asha-password-1") == people["asha"]


def test_an_admin_unlocks_a_name_and_a_consultant_cannot(people):
    accounts, clock, admin, asha = people["accounts"], people["clock"], people["admin"], people["asha"]
    fail(accounts, "asha", 4)
    with pytest.raises(SignInLocked):
        accounts.sign_in("asha", "not-her-password")
    assert accounts.locked_names() == {"asha": NameLock(clock.at + timedelta(minutes=15), places=1)}
    with pytest.raises(AccessDenied):
        accounts.unlock(asha, "asha")
    accounts.unlock(admin, "ASHA")
    assert accounts.locked_names() == {}
    assert accounts.sign_in("asha", "asha-password-1") == asha


def test_a_new_password_set_by_an_admin_opens_a_locked_name(people):
    accounts, admin, asha = people["accounts"], people["admin"], people["asha"]
    fail(accounts, "asha", 4)
    with pytest.raises(SignInLocked):
        accounts.sign_in("asha", "not-her-password")
    accounts.set_password(admin, asha.id, "a-new-password-2")
    assert accounts.sign_in("asha", "a-new-password-2") == asha


def test_two_app_processes_count_the_same_failures(people, store):
    """Failures are counted in the database: a second server (its own Store and pool) sees the first's."""
    other_store = Store(store.url)
    try:
        other = Accounts(other_store, clock=people["clock"])
        fail(people["accounts"], "asha", 2)
        fail(other, "asha", 2)
        with pytest.raises(SignInLocked):
            people["accounts"].sign_in("asha", "not-her-password")
        with pytest.raises(SignInLocked):  # the other server refuses her too, even with her password
            other.sign_in("asha", "asha-password-1")
    finally:
        other_store.dispose()


def test_failures_counted_at_the_same_moment_all_count(store):
    """Four sign-ins failing at once in two servers (the name's first failures: its row is new) add up."""
    stores = [store, Store(store.url)]
    at = Clock()()
    barrier = threading.Barrier(4)
    errors = []

    def note(which: Store) -> None:
        try:
            barrier.wait()
            which.note_failed_sign_in("asha", UNKNOWN_PLACE, at, **COUNTING)
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=note, args=(stores[i % 2],)) for i in range(4)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert store.sign_in_locked_until("asha", UNKNOWN_PLACE, at) is None
        lock = stores[1].note_failed_sign_in("asha", UNKNOWN_PLACE, at, **COUNTING)
        assert (lock.until, lock.everywhere) == (at + timedelta(minutes=15), False)
    finally:
        stores[1].dispose()


# --- Counted per address, so nobody keeps a colleague out ---------------------------------------------------

OFFICE, HOME = "203.0.113.7", "198.51.100.4"  # documentation addresses (no one's)


def fail_from(accounts: Accounts, name: str, address: str, times: int) -> None:
    for _ in range(times):
        assert accounts.sign_in(name, "not-her-password", address=address) is None


def lock_from(accounts: Accounts, name: str, address: str) -> None:
    fail_from(accounts, name, address, 4)
    with pytest.raises(SignInLocked):
        accounts.sign_in(name, "not-her-password", address=address)


def test_five_failures_from_one_address_lock_the_name_there_and_not_elsewhere(people):
    accounts, clock, asha = people["accounts"], people["clock"], people["asha"]
    fail_from(accounts, "asha", OFFICE, 4)
    with pytest.raises(SignInLocked) as raised:
        accounts.sign_in("asha", "not-her-password", address=OFFICE)
    assert str(raised.value).startswith("Too many failed sign-ins for 'asha'; try again after 10:45.")
    with pytest.raises(SignInLocked):  # her own password waits there too
        accounts.sign_in("asha", "asha-password-1", address=OFFICE)
    assert accounts.sign_in("asha", "asha-password-1", address=HOME) == asha
    assert accounts.sign_in("asha", "asha-password-1") == asha  # no address known: a place of its own
    with pytest.raises(SignInLocked):  # signing in from home did not lift the office's lock
        accounts.sign_in("asha", "asha-password-1", address=OFFICE)
    clock.move(minutes=15, seconds=1)
    assert accounts.sign_in("asha", "asha-password-1", address=OFFICE) == asha


def test_a_good_sign_in_forgets_the_failures_of_its_own_address_only(people):
    accounts, asha = people["accounts"], people["asha"]
    fail_from(accounts, "asha", OFFICE, 4)
    fail_from(accounts, "asha", HOME, 4)
    assert accounts.sign_in("asha", "asha-password-1", address=HOME) == asha
    fail_from(accounts, "asha", HOME, 4)  # home starts again from none
    with pytest.raises(SignInLocked):  # the office's four still count
        accounts.sign_in("asha", "not-her-password", address=OFFICE)


def test_the_addresses_of_one_ipv6_network_count_as_one_place(people):
    """A home or office line has a whole /64 of IPv6 addresses: changing the last part is the same place."""
    accounts, asha = people["accounts"], people["asha"]
    for host in range(1, 5):
        fail_from(accounts, "asha", f"2001:db8:1:2::{host}", 1)
    with pytest.raises(SignInLocked):
        accounts.sign_in("asha", "not-her-password", address="2001:db8:1:2:aaaa::5")
    assert accounts.sign_in("asha", "asha-password-1", address="2001:db8:1:3::1") == asha


def test_twenty_failures_from_many_addresses_lock_the_name_everywhere_and_say_so(people, caplog):
    accounts, clock, asha = people["accounts"], people["clock"], people["asha"]
    guessers = [f"192.0.2.{i}" for i in range(1, 6)]
    for address in guessers[:4]:
        fail_from(accounts, "asha", address, 4)  # none of them locked on its own
    fail_from(accounts, "asha", guessers[4], 3)
    with caplog.at_level(logging.WARNING, logger="recon.auth"), pytest.raises(SignInLocked) as raised:
        accounts.sign_in("asha", "not-her-password", address=guessers[4])  # the twentieth
    assert str(raised.value).startswith("Too many failed sign-ins for 'asha'; try again after 10:45.")
    assert [r.getMessage() for r in caplog.records if "every address" in r.getMessage()] == [
        "sign-in name asha refused from every address until 05:15 UTC: 20 failed sign-ins from several "
        "addresses within 15 minutes"
    ]
    with pytest.raises(SignInLocked):
        accounts.sign_in("asha", "asha-password-1", address=HOME)  # an address that never failed
    assert accounts.locked_names() == {"asha": NameLock(clock.at + timedelta(minutes=15), places=0)}
    assert accounts.locked_names()["asha"].words() == "locked until 10:45 from every address"
    clock.move(minutes=15, seconds=1)
    assert accounts.sign_in("asha", "asha-password-1", address=HOME) == asha


def test_an_unknown_name_locked_everywhere_is_not_named_in_the_log(people, caplog):
    accounts = people["accounts"]
    for i in range(3):
        lock_from(accounts, "nobody", f"192.0.2.{i}")
    fail_from(accounts, "nobody", "192.0.2.3", 4)  # nineteen
    with caplog.at_level(logging.WARNING, logger="recon.auth"), pytest.raises(SignInLocked) as raised:
        accounts.sign_in("nobody", "not-her-password", address="192.0.2.99")
    assert str(raised.value).startswith("Too many failed sign-ins for 'nobody'; try again after 10:45.")
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "every address" in logged and "nobody" not in logged


def test_an_admin_unlock_lifts_every_address_lock_and_the_lock_everywhere(people):
    accounts, clock, admin, asha = people["accounts"], people["clock"], people["admin"], people["asha"]
    for address in (OFFICE, HOME):
        lock_from(accounts, "asha", address)
    assert accounts.locked_names() == {"asha": NameLock(clock.at + timedelta(minutes=15), places=2)}
    assert accounts.locked_names()["asha"].words() == "locked until 10:45 from 2 addresses"
    accounts.unlock(admin, "asha")
    assert accounts.locked_names() == {}
    assert accounts.sign_in("asha", "asha-password-1", address=OFFICE) == asha
    assert accounts.sign_in("asha", "asha-password-1", address=HOME) == asha
    for i in range(3):  # and the lock everywhere
        lock_from(accounts, "asha", f"192.0.2.{i}")
    fail_from(accounts, "asha", "192.0.2.3", 4)
    with pytest.raises(SignInLocked):
        accounts.sign_in("asha", "not-her-password", address="192.0.2.99")
    accounts.unlock(admin, "asha")
    assert accounts.sign_in("asha", "asha-password-1", address="192.0.2.99") == asha


def test_the_address_is_kept_only_as_a_keyed_hash(people, store):
    """An IP address is personal data: the table tells places apart without holding the address."""
    fail_from(people["accounts"], "asha", OFFICE, 2)
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(sign_in_place_failures)).mappings().all()
        key = conn.execute(sa.select(sign_in_key.c.secret)).scalar()
    assert len(rows) == 1 and rows[0]["failures"] == 2
    place = rows[0]["place"]
    assert OFFICE not in place and len(place) == 64
    assert place != hashlib.sha256(OFFICE.encode()).hexdigest()  # not a plain hash anyone can recompute
    assert place == hmac.new(bytes.fromhex(key), OFFICE.encode(), hashlib.sha256).hexdigest()
    other = Store(store.url)  # another app process on the database hashes the address alike
    try:
        assert other.sign_in_place(OFFICE) == place
    finally:
        other.dispose()


def test_a_database_made_before_addresses_were_counted_opens_and_keeps_its_lock(db_url, quick_hashes):
    """A workspace from before has the per-name table only: it gains the new tables, and a name it had
    locked stays locked (everywhere) until that lock ends."""
    store = Store(db_url)
    clock = Clock()
    accounts = Accounts(store, clock=clock)
    asha = accounts.create_user(None, "asha", "asha-password-1", "consultant")
    with store.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE sign_in_place_failures"))
        conn.execute(sa.text("DROP TABLE sign_in_key"))
        conn.execute(
            sign_in_failures.insert().values(
                name="asha",
                failures=0,
                last_failed_at=clock.at,
                locked_until=clock.at + timedelta(minutes=10),
            )
        )
    store.dispose()
    reopened = Store(db_url)
    try:
        accounts = Accounts(reopened, clock=clock)
        with pytest.raises(SignInLocked):
            accounts.sign_in("asha", "asha-password-1", address=HOME)
        clock.move(minutes=10, seconds=1)
        assert accounts.sign_in("asha", "asha-password-1", address=HOME) == asha
        fail_from(accounts, "asha", OFFICE, 4)
        with pytest.raises(SignInLocked):
            accounts.sign_in("asha", "not-her-password", address=OFFICE)
        assert accounts.sign_in("asha", "asha-password-1", address=HOME) == asha
    finally:
        reopened.dispose()


def test_two_processes_count_one_address_and_all_addresses_together(db_url, tmp_path):
    """Two servers on one database: three failures from one address in each lock that address (the fifth
    and sixth are refused); then two rounds of five addresses in each reach the name's ceiling together."""
    store = Store(db_url)
    try:
        asha = Accounts(store).create_user(None, "asha", "asha-password-1", "consultant")
        assert (
            guess_in_two_processes(db_url, tmp_path / "one", [OFFICE] * 3) == ["locked"] * 2 + ["wrong"] * 4
        )
        with pytest.raises(SignInLocked):
            Accounts(store).sign_in("asha", "asha-password-1", address=OFFICE)
        assert Accounts(store).sign_in("asha", "asha-password-1", address=HOME) == asha

        store.clear_sign_in_failures("asha")  # as an admin's unlock does
        guessers = [f"192.0.2.{i}" for i in range(1, 6)] * 2  # two failures from each in each process: 4
        assert guess_in_two_processes(db_url, tmp_path / "many", guessers) == ["locked"] + ["wrong"] * 19
        with pytest.raises(SignInLocked):
            Accounts(store).sign_in("asha", "asha-password-1", address=HOME)
    finally:
        store.dispose()


# --- Places the name signed in from lately are not held by the lock everywhere -------------------------------


def reach_the_ceiling(accounts: Accounts, name: str) -> None:
    """Twenty failures from five strangers' addresses: the name is locked everywhere."""
    guessers = [f"192.0.2.{i}" for i in range(1, 6)]
    for address in guessers[:4]:
        fail_from(accounts, name, address, 4)
    fail_from(accounts, name, guessers[4], 3)
    with pytest.raises(SignInLocked):
        accounts.sign_in(name, "not-her-password", address=guessers[4])


def test_strangers_guessing_a_name_do_not_lock_its_owner_out_of_where_she_signs_in(people):
    accounts, asha = people["accounts"], people["asha"]
    assert accounts.sign_in("asha", "asha-password-1", address=OFFICE) == asha  # her usual place
    reach_the_ceiling(accounts, "asha")
    assert accounts.sign_in("asha", "asha-password-1", address=OFFICE) == asha
    with pytest.raises(SignInLocked):  # a place she never signed in from is held by the lock everywhere
        accounts.sign_in("asha", "asha-password-1", address=HOME)
    with pytest.raises(SignInLocked):  # nor is the shared place of attempts with no address
        accounts.sign_in("asha", "asha-password-1")
    lock_from(accounts, "asha", OFFICE)  # her office still locks after five failures of its own


def test_failures_at_a_trusted_place_do_not_count_toward_the_lock_everywhere(people):
    accounts, asha = people["accounts"], people["asha"]
    assert accounts.sign_in("asha", "asha-password-1", address=OFFICE) == asha
    fail_from(accounts, "asha", OFFICE, 4)  # her own typos
    for i in range(1, 5):
        fail_from(accounts, "asha", f"192.0.2.{i}", 4)  # sixteen from strangers: twenty in all
    assert accounts.sign_in("asha", "asha-password-1", address=HOME) == asha  # not locked everywhere


def test_trust_in_a_place_lapses_after_thirty_days_and_with_an_admin_unlock(people):
    accounts, clock, admin, asha = people["accounts"], people["clock"], people["admin"], people["asha"]
    assert accounts.sign_in("asha", "asha-password-1", address=OFFICE) == asha
    clock.move(days=30, seconds=1)
    reach_the_ceiling(accounts, "asha")
    with pytest.raises(SignInLocked):
        accounts.sign_in("asha", "asha-password-1", address=OFFICE)
    accounts.unlock(admin, "asha")
    assert accounts.sign_in("asha", "asha-password-1", address=OFFICE) == asha  # trusted again from now
    accounts.unlock(admin, "asha")  # an unlock (or a new password) forgets the places trusted
    reach_the_ceiling(accounts, "asha")
    with pytest.raises(SignInLocked):
        accounts.sign_in("asha", "asha-password-1", address=OFFICE)
