"""The sign-in form after too many failed sign-ins (counted per browser address), and an admin unlocking the
name on the Clients page."""

from __future__ import annotations

import re

from streamlit.runtime.context import ContextProxy
from streamlit.testing.v1 import AppTest

from recon.auth import SIGN_IN_ATTEMPTS, Accounts

from .conftest import APP, sign_in


def submit(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="sign_in_name").input(name)
    at.text_input(key="sign_in_password").input(password)
    next(b for b in at.button if b.label == "Sign in").click()
    return at.run()


def lock_out(name: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).run()
    for _ in range(SIGN_IN_ATTEMPTS - 1):
        at = submit(at, name, "a-wrong-password")
        assert [e.value for e in at.error] == ["Wrong user name or password."]
    return submit(at, name, "a-wrong-password")


def sign_in_column(at: AppTest) -> dict[str, str]:
    """The users list's Sign-in column, by user name."""
    users = at.dataframe[0].value
    return dict(zip(users["User"], users["Sign-in"], strict=True))


LOCKED = re.compile(r"Too many failed sign-ins for 'asha'; try again after \d\d:\d\d\. ")


def test_the_fifth_failure_says_until_when_the_name_is_refused_and_the_right_password_waits(
    db_url, workspace
):
    Accounts(workspace.store).create_user(None, "asha", "asha-password-1", "consultant")
    at = lock_out("asha")
    assert len(at.error) == 1 and LOCKED.match(at.error[0].value)
    at = submit(at, "asha", "asha-password-1")
    assert len(at.error) == 1 and LOCKED.match(at.error[0].value)
    assert not at.selectbox  # still the sign-in form and nothing else


def test_an_admin_unlocks_the_name_from_the_users_list(db_url, workspace):
    accounts = Accounts(workspace.store)
    asha = accounts.create_user(None, "asha", "asha-password-1", "consultant")
    lock_out("asha")
    admin_at = AppTest.from_file(APP, default_timeout=120)
    sign_in(admin_at, db_url)
    admin_at.run().switch_page("views/clients.py").run()
    assert re.fullmatch(r"locked until \d\d:\d\d from 1 address", sign_in_column(admin_at)["asha"])
    admin_at.selectbox(key="change_user_pick").select(asha.id).run()
    assert any(
        re.match(
            r"Too many failed sign-ins for 'asha': signing in from 1 address is refused until \d\d:\d\d\.",
            w.value,
        )
        for w in admin_at.warning
    )
    next(b for b in admin_at.button if b.label == "Unlock sign-in").click()
    admin_at.run()
    assert sign_in_column(admin_at) == {"asha": "", "tester": ""}
    at = submit(AppTest.from_file(APP, default_timeout=120).run(), "asha", "asha-password-1")
    assert not at.error
    assert any("Signed in as **asha**" in c.value for c in at.sidebar.caption)


def test_the_form_counts_failures_by_the_browsers_address(db_url, workspace, monkeypatch):
    """Five wrong passwords typed from the office lock 'asha' there; at home she still signs in."""
    Accounts(workspace.store).create_user(None, "asha", "asha-password-1", "consultant")
    browser = {"address": "203.0.113.7"}
    monkeypatch.setattr(ContextProxy, "ip_address", property(lambda _context: browser["address"]))
    at = lock_out("asha")
    assert len(at.error) == 1 and LOCKED.match(at.error[0].value)
    browser["address"] = "198.51.100.4"
    at = submit(AppTest.from_file(APP, default_timeout=120).run(), "asha", "asha-password-1")
    assert not at.error
    assert any("Signed in as **asha**" in c.value for c in at.sidebar.caption)
    browser["address"] = "203.0.113.7"
    at = submit(AppTest.from_file(APP, default_timeout=120).run(), "asha", "asha-password-1")
    assert len(at.error) == 1 and LOCKED.match(at.error[0].value)
    assert Accounts(workspace.store).locked_names()["asha"].places == 1
