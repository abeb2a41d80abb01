"""A sandbox portal per test and a connector pointed at it.

By default the sandbox is answered in-process (``recon.portal.transport``) and the connector and the
sandbox share one ``ManualClock``: the production back-off schedules run, yet no test waits in real time
(a real ``time.sleep`` fails the test). Tests marked ``loopback`` talk real HTTP to a sandbox thread on
127.0.0.1 with tiny back-offs, to prove the socket path: parametrize ``sandbox`` with ``LOOPBACK``.
"""

from __future__ import annotations

import time

import pytest
from portal_helpers import RECIPIENT, connect, small_ims

from recon.portal import crypto
from recon.portal.clock import ManualClock
from recon.portal.sandbox import start_background
from recon.portal.transport import start_in_process


def pytest_configure(config):
    config.addinivalue_line("markers", "loopback: talks real HTTP to a sandbox thread on 127.0.0.1")


@pytest.fixture(autouse=True)
def no_real_sleep(request, monkeypatch):
    """Outside loopback tests, waiting in real time is a bug: every wait belongs to the injected clock."""
    if request.node.get_closest_marker("loopback"):
        return

    def refuse(seconds):
        raise AssertionError(f"a real time.sleep({seconds}) in a test of the in-process portal")

    monkeypatch.setattr(time, "sleep", refuse)


@pytest.fixture(scope="session")
def sandbox_keys():
    """One RSA key pair for the per-test sandboxes: generating one costs ~0.2 s."""
    return crypto.new_rsa_key_pair()


@pytest.fixture
def sandbox(request, sandbox_keys):
    """In-process on a ManualClock; ``parametrize("sandbox", [LOOPBACK], indirect=True)`` for 127.0.0.1."""
    options = {"seed_docs": small_ims(), "gstin": RECIPIENT, "ip_polls": 1, "key_pair": sandbox_keys}
    if getattr(request, "param", "in-process") == "loopback":
        handle = start_background(port=0, **options)
    else:
        handle = start_in_process(clock=ManualClock(), **options)
    yield handle
    handle.stop()


@pytest.fixture
def client(sandbox):
    """A connector with an open session (OTP already exchanged)."""
    connector = connect(sandbox)
    connector.request_otp(RECIPIENT)
    connector.authenticate(RECIPIENT, sandbox.otp)
    return connector
