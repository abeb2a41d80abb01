"""A sandbox portal on 127.0.0.1 per test and a connector pointed at it.

Every test talks real HTTP to the sandbox; back-off schedules are tiny so fault tests stay fast.
"""

from __future__ import annotations

import pytest
from portal_helpers import FAST, RECIPIENT, small_ims

from recon.portal import crypto
from recon.portal.sandbox import start_background
from recon.portal.service import demo_connector


@pytest.fixture(scope="session")
def sandbox_keys():
    """One RSA key pair for the per-test sandboxes: generating one costs ~0.2 s."""
    return crypto.new_rsa_key_pair()


@pytest.fixture
def sandbox(sandbox_keys):
    handle = start_background(
        port=0, seed_docs=small_ims(), gstin=RECIPIENT, ip_polls=1, key_pair=sandbox_keys
    )
    yield handle
    handle.stop()


@pytest.fixture
def client(sandbox):
    """A connector with an open session (OTP already exchanged)."""
    connector = demo_connector(sandbox, **FAST)
    connector.request_otp(RECIPIENT)
    connector.authenticate(RECIPIENT, sandbox.otp)
    return connector
