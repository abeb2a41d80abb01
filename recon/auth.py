"""Who may sign in, and which clients each person may open.

Two roles: an **admin** opens every client and manages users and their clients; a **consultant** opens
only the clients assigned to them (and the ones they create). Passwords are kept only as argon2id hashes
in the workspace database (``recon.store.users``); a password or its hash never reaches a page or a log.

:class:`ScopedStore` is the one place access is enforced: the per-session workspace
(``Workspace.signed_in``) reads and writes through it, so every page, URL parameter and download that names
a client is checked against the signed-in person, not only the sidebar's list.

UI-free: the app binds it to Streamlit in ``views/_access.py``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import ipaddress
import logging
import os
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from recon.errors import InputError
from recon.present import INDIA_ZONE
from recon.store import PROJECT_ROOT, Client, Store, now

ROLES = ("admin", "consultant")
MIN_PASSWORD = 8
DEFAULT_IDLE_MINUTES = 30.0
DEMO_LOGIN = ("demo", "demo")  # documented in the README and printed on the sign-in page when the demo is on
_NAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,99}$")
_HASHER = PasswordHasher()  # argon2id with the library's current recommended cost
# Guessing passwords is slowed down per sign-in name and the place the attempts come from (the browser's
# address): after this many failures in a row from one place the name is refused there for a while, in
# every app process on the database, while the same name still signs in from elsewhere (so nobody can
# keep a colleague out by typing wrong passwords for their name). Guessing from many places is bounded
# too: this many failures of a name from all places together refuse it everywhere, except at the places the
# name signed in from with its password lately (recon.store.access.TRUST_FOR), whose own failures count for
# them alone. An unknown name is counted and refused the same way.
SIGN_IN_ATTEMPTS = 5
SIGN_IN_CEILING = 20
SIGN_IN_LOCK = timedelta(minutes=15)

log = logging.getLogger(__name__)


class AccessDenied(InputError):
    """A client (or a task) this person may not open; said without naming the client."""


class SignInLocked(InputError):
    """Too many failed sign-ins for a name: it is refused until ``until`` (whether it exists is not said)."""

    def __init__(self, name: str, until: datetime) -> None:
        self.name = name
        self.until = until
        super().__init__(
            f"Too many failed sign-ins for '{name}'; try again after {until_words(until)}.",
            hint="An admin of the firm can unlock the name on the Clients page (Users and access).",
        )


def until_words(until: datetime) -> str:
    """'10:42' on the consultant's clock (Indian time, as every time on screen)."""
    return until.astimezone(ZoneInfo(INDIA_ZONE)).strftime("%H:%M")


@dataclass(frozen=True)
class NameLock:
    """A sign-in name refused now: from ``places`` places (each its own five failures), or from every place
    (``places`` 0: the ceiling across places was reached); ``until`` is when the last of it ends."""

    until: datetime
    places: int

    def where(self) -> str:
        """'from every address', 'from 1 address', 'from 2 addresses'."""
        return (
            "from every address"
            if not self.places
            else f"from {self.places} address{'es' * (self.places > 1)}"
        )

    def words(self) -> str:
        """'locked until 10:42 from 1 address' (the users list's Sign-in column)."""
        return f"locked until {until_words(self.until)} {self.where()}"


def place_of(address: str | None) -> str | None:
    """The place a sign-in attempt is counted for: an IPv4 address as it is, an IPv6 address by its /64
    network (one home or office line gets a whole /64, so its single addresses would not bound anything);
    None when unknown. Text that is not an address (a proxy's odd header) is a place of its own."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip()[:100]
    if ip.version == 6 and ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    active: bool = True
    is_demo: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _user(row: dict) -> User:
    return User(
        id=row["id"],
        name=row["name"],
        role=row["role"],
        active=bool(row["active"]),
        is_demo=bool(row["is_demo"]),
    )


def clean_name(name: str) -> str:
    """Sign-in names are compared without case or surrounding blanks."""
    return (name or "").strip().lower()


# -- settings -------------------------------------------------------------------------------------------


def workbench_setting(env: str, key: str) -> str | None:
    """env ``env``, else ``[workbench] key`` in .streamlit/secrets.toml (the same places as the database URL)."""
    value = os.environ.get(env)
    if value:
        return value
    for secrets in (
        os.path.join(os.getcwd(), ".streamlit", "secrets.toml"),
        PROJECT_ROOT / ".streamlit" / "secrets.toml",
    ):
        try:
            with open(secrets, "rb") as handle:
                configured = tomllib.load(handle).get("workbench", {}).get(key)
        except (OSError, tomllib.TOMLDecodeError):
            continue
        if configured not in (None, ""):
            return str(configured)
    return None


def first_admin_setting() -> tuple[str, str] | None:
    """(name, password) of the first admin from env or secrets, or None when not both are set."""
    name = workbench_setting("IMS_WORKBENCH_ADMIN_USER", "admin_user")
    password = workbench_setting("IMS_WORKBENCH_ADMIN_PASSWORD", "admin_password")
    return (name, password) if name and password else None


def idle_timeout_seconds() -> float:
    """How long a session may stay without activity before it is signed out (minutes in the setting;
    decimals allowed, so a test can use a few seconds)."""
    text = workbench_setting("IMS_WORKBENCH_IDLE_MINUTES", "idle_minutes")
    try:
        minutes = float(text) if text else DEFAULT_IDLE_MINUTES
    except ValueError:
        log.warning(
            "idle timeout setting %r is not a number of minutes; using %s", text, DEFAULT_IDLE_MINUTES
        )
        minutes = DEFAULT_IDLE_MINUTES
    return max(minutes, 0.01) * 60


# -- accounts -------------------------------------------------------------------------------------------


class Accounts:
    """Sign-in, users, roles and client assignment on one store."""

    def __init__(self, store: Store, clock: Callable[[], datetime] = now) -> None:
        self.store = store
        self.clock = clock  # tests move it on instead of waiting for a lock to end

    def sign_in(self, name: str, password: str, address: str | None = None) -> User | None:
        """The active user with this name and password, else None (which of the two was wrong is not said).

        ``address`` is the browser's IP address (None when unknown: all such attempts count as one place).
        Raises :class:`SignInLocked` while the name is locked for that place or everywhere, and on the
        failure that locks it; a good sign-in forgets the name's failures from that place only, and
        trusts the place for a while: the lock everywhere does not keep the user out of it."""
        name = clean_name(name)
        place = self.store.sign_in_place(place_of(address))
        at = self.clock().astimezone(UTC)
        until = self.store.sign_in_locked_until(name, place, at)
        if until:
            raise SignInLocked(name, until)
        user = self._verified(name, password)
        if user is None:
            lock = self.store.note_failed_sign_in(
                name, place, at, limit=SIGN_IN_ATTEMPTS, ceiling=SIGN_IN_CEILING, lock_for=SIGN_IN_LOCK
            )
            if lock and lock.everywhere and lock.new:
                self._warn_locked_everywhere(name, lock.until)
            if lock:
                raise SignInLocked(name, lock.until)
            return None
        self.store.clear_sign_in_failures(name, place)
        self.store.remember_sign_in_place(name, place, at)
        return user

    def _warn_locked_everywhere(self, name: str, until: datetime) -> None:
        """Many places guessing one name is worth a look; only a known name is logged (a password typed
        into the name field stays out of the log)."""
        known = self.store.user_row(name=name) is not None
        log.warning(
            "sign-in name %s refused from every address until %s UTC: %d failed sign-ins from several "
            "addresses within %d minutes",
            name if known else "(an unknown user name)",
            f"{until:%H:%M}",
            SIGN_IN_CEILING,
            SIGN_IN_LOCK.total_seconds() // 60,
        )

    def _verified(self, name: str, password: str) -> User | None:
        row = self.store.user_row(name=name)
        if row is None or not row["active"]:
            _spend_a_verification(password)  # an unknown name takes as long as a wrong password
            return None
        try:
            _HASHER.verify(row["password_hash"], password or "")
        except (VerificationError, InvalidHashError):
            return None
        if _HASHER.check_needs_rehash(row["password_hash"]):
            self.store.update_user(row["id"], password_hash=_HASHER.hash(password))
        return _user(row)

    def locked_names(self) -> dict[str, NameLock]:
        """{sign-in name: its lock} of the names refused now somewhere (for the admin's users list)."""
        at = self.clock().astimezone(UTC)
        everywhere = self.store.sign_in_locks(at)
        places = self.store.sign_in_place_locks(at)
        locks = {name: NameLock(max(ends), places=len(ends)) for name, ends in places.items()}
        for name, until in everywhere.items():  # a place's own lock may outlast the one everywhere
            locks[name] = NameLock(max([until, *places.get(name, [])]), places=0)
        return locks

    def unlock(self, by: User, name: str) -> None:
        """An admin lets a locked name sign in again at once, from every place."""
        _require_admin(by)
        self.store.clear_sign_in_failures(clean_name(name))

    def user(self, user_id: int) -> User | None:
        """The user as stored now (a role change or a deactivation applies on the next click), if active."""
        row = self.store.user_row(user_id=user_id)
        return _user(row) if row and row["active"] else None

    def users(self) -> list[User]:
        return [_user(r) for r in self.store.user_rows()]

    def client_ids(self, user: User) -> set[int] | None:
        """The clients this user may open; None means every client (an admin)."""
        return None if user.is_admin else self.store.user_client_ids(user.id)

    # -- what an admin does ---------------------------------------------------------------------------

    def create_user(
        self, by: User | None, name: str, password: str, role: str, clients: Iterable[int] = ()
    ) -> User:
        """A new user (``by`` is the admin creating it; None only for the first admin and the demo login)."""
        _require_admin(by)
        name = clean_name(name)
        if not _NAME.match(name):
            raise InputError(
                f"User name '{name}' cannot be used.",
                hint="Use 2 to 100 letters, digits, dots, dashes, underscores or @, starting with a letter or digit.",
            )
        if role not in ROLES:
            raise InputError(f"Role '{role}' is not one of {', '.join(ROLES)}.")
        if by is not None:
            check_password(password)
        if self.store.user_row(name=name):
            raise InputError(f"A user named '{name}' already exists.")
        user_id = self.store.add_user(name, role, _HASHER.hash(password))
        if clients:
            self.store.set_user_clients(user_id, clients, who=by.name if by else None)
        return self.user(user_id)

    def set_password(self, by: User, user_id: int, password: str) -> None:
        if by.id != user_id:
            _require_admin(by)
        check_password(password)
        self.store.update_user(user_id, password_hash=_HASHER.hash(password))
        row = self.store.user_row(user_id=user_id)
        if row:  # a new password is a fresh start: the failures with the old one no longer count
            self.store.clear_sign_in_failures(row["name"])

    def set_role(self, by: User, user_id: int, role: str) -> None:
        _require_admin(by)
        if role not in ROLES:
            raise InputError(f"Role '{role}' is not one of {', '.join(ROLES)}.")
        if role != "admin":
            self._keep_an_admin(user_id)
        self.store.update_user(user_id, role=role)

    def set_active(self, by: User, user_id: int, active: bool) -> None:
        _require_admin(by)
        if not active:
            self._keep_an_admin(user_id)
        self.store.update_user(user_id, active=active)

    def set_clients(self, by: User, user_id: int, client_ids: Iterable[int]) -> None:
        _require_admin(by)
        self.store.set_user_clients(user_id, client_ids, who=by.name)

    def _keep_an_admin(self, user_id: int) -> None:
        """The firm never locks itself out: the last active admin stays an active admin."""
        admins = [u for u in self.users() if u.is_admin and u.active]
        if [u.id for u in admins] == [user_id]:
            raise InputError(
                "This is the only active admin.",
                hint="Make another user an admin first; someone must be able to manage users.",
            )

    # -- first run ------------------------------------------------------------------------------------

    def ensure_first_admin(self, setting: tuple[str, str] | None) -> User | None:
        """Create the admin named in the settings when the workspace has no active admin yet."""
        if setting is None or any(u.is_admin and u.active for u in self.users()):
            return None
        name, password = setting
        row = self.store.user_row(name=clean_name(name))
        if row:  # a consultant of that name becomes the admin the settings ask for
            self.store.update_user(row["id"], role="admin", active=True, password_hash=_HASHER.hash(password))
            return self.user(row["id"])
        return self.create_user(None, name, password, "admin")

    def ensure_demo_login(self, demo_on: bool) -> None:
        """The demo login exists only while the demo is on: with it off, a known password opens nothing."""
        demo = [u for u in self.users() if u.is_demo]
        if not demo_on:
            for user in demo:
                if user.active:
                    self.store.update_user(user.id, active=False)
            return
        name, password = DEMO_LOGIN
        if demo:
            user_id = demo[0].id
            if not demo[0].active:
                self.store.update_user(user_id, active=True)
        elif self.store.user_row(name=name):
            return  # a real user chose the name 'demo': leave them alone
        else:
            user_id = self.store.add_user(name, "consultant", _HASHER.hash(password), is_demo=True)
        for client in self.store.clients():
            if client.is_demo:
                self.store.grant_client(user_id, client.id)

    def demo_login_open(self) -> bool:
        return any(u.is_demo and u.active for u in self.users())


def check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise InputError(
            f"The password is shorter than {MIN_PASSWORD} characters.",
            hint="Choose a longer password (a phrase of several words is easy to remember).",
        )


def _require_admin(by: User | None) -> None:
    if by is not None and not by.is_admin:
        raise AccessDenied("Only an admin manages users and their clients.")


def _spend_a_verification(password: str) -> None:
    with contextlib.suppress(VerificationError, InvalidHashError):
        _HASHER.verify(_dummy_hash(), password or "")


@functools.cache
def _dummy_hash() -> str:
    return _HASHER.hash("not a password anyone has")


# -- the store as one signed-in person may use it ----------------------------------------------------------


@functools.cache
def _names_a_client(store_type: type, method: str) -> bool:
    """Whether a store method's first argument is a client id: such calls are checked.

    Found from the signature, so a store method added later is checked without anyone listing it here.
    """
    function = getattr(store_type, method, None)
    if not callable(function):
        return False
    try:
        parameters = list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return False
    return len(parameters) > 1 and parameters[1] == "client_id"


class ScopedStore:
    """A Store seen by one signed-in user: only their clients are listed, opened, read or written.

    Every method whose first argument is ``client_id`` refuses a client not assigned to the user
    (:class:`AccessDenied`); ``client()`` answers None for one, ``clients()`` leaves them out, and a GSTIN
    of someone else's client is recognised (no duplicate is created) without its name being shown.
    ``on_use`` is called on every client-scoped call: the app counts it as activity for the idle timeout.
    """

    def __init__(self, store: Store, user: User, on_use: Callable[[], None] | None = None) -> None:
        self._store = store
        self._user = user
        self._on_use = on_use
        self._allowed = None if user.is_admin else set(store.user_client_ids(user.id))

    @property
    def user(self) -> User:
        return self._user

    def may_open(self, client_id) -> bool:
        return self._allowed is None or client_id in self._allowed

    def __getattr__(self, name: str):
        attribute = getattr(self._store, name)
        if _names_a_client(type(self._store), name):
            return functools.partial(self._checked, attribute)
        return attribute

    def _checked(self, method, *args, **kwargs):
        client_id = kwargs["client_id"] if "client_id" in kwargs else (args[0] if args else None)
        self._refuse_unless_allowed(client_id)
        return method(*args, **kwargs)

    def _refuse_unless_allowed(self, client_id) -> None:
        if self._on_use:
            self._on_use()
        if not self.may_open(client_id):
            log.warning("user %s refused client %s", self._user.name, client_id)
            raise AccessDenied(
                "This client is not one of yours.",
                hint="Pick one of your clients in the sidebar, or ask an admin of the firm to assign it.",
            )

    def clients(self) -> list[Client]:
        return [c for c in self._store.clients() if self.may_open(c.id)]

    def client(self, client_id) -> Client | None:
        if self._on_use:
            self._on_use()
        return self._store.client(client_id) if self.may_open(client_id) else None

    def client_by_gstin(self, gstin: str) -> Client | None:
        found = self._store.client_by_gstin(gstin)
        if found is None or self.may_open(found.id):
            return found
        return dataclasses.replace(found, name="a client of the firm not assigned to you")

    def add_client(self, *args, **kwargs) -> Client:
        """A consultant who creates a client may open it at once."""
        client = self._store.add_client(*args, **kwargs)
        if self._allowed is not None:
            self._store.grant_client(self._user.id, client.id, who=self._user.name)
            self._allowed.add(client.id)
        return client
