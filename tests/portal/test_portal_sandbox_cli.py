"""``python -m recon sandbox`` as a separate process, reached the way a firm's settings reach a GSP."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests
from portal_helpers import FAST, RECIPIENT, small_ims

from recon.jsonio import dumps_exact
from recon.portal.service import connector_from_settings, fetch_ims

pytestmark = pytest.mark.loopback  # a real process on a real port, on real time


def _exports(process) -> dict[str, str]:
    env = {}
    for line in process.stdout:
        if line.strip().startswith("export "):
            name, value = line.strip()[len("export ") :].split("=", 1)
            env[name] = value
        if line.startswith("Ctrl+C"):
            return env
    raise AssertionError("the sandbox stopped before printing its settings: " + process.stderr.read())


def test_sandbox_process_is_reachable_with_the_printed_settings(tmp_path):
    ims_file = tmp_path / "ims.json"
    ims_file.write_text(dumps_exact({"rtin": RECIPIENT, **small_ims()}))
    command = [
        sys.executable,
        "-m",
        "recon",
        "sandbox",
        "--port",
        "0",
        "--ims",
        str(ims_file),
        "--key-out",
        str(tmp_path / "key.pem"),
        "--otp",
        "112233",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        env = _exports(process)
        session = requests.Session()
        session.trust_env = False
        client = connector_from_settings(session, environ=env, secrets_path=tmp_path / "none.toml", **FAST)
        client.request_otp(RECIPIENT)
        outcome = fetch_ims(client, RECIPIENT, otp="112233")
        assert outcome.result.docs.height == 8
        # Faults can be switched on from outside while it runs.
        admin = session.post(
            env["IMS_PORTAL_BASE_URL"] + "/sandbox/admin",
            data=json.dumps({"op": "fault", "kind": "error500", "action": "GETCNT"}),
            timeout=5,
        ).json()
        assert admin["ok"] and admin["held"][RECIPIENT]
        assert fetch_ims(client, RECIPIENT).result.docs.height == 8  # GETCNT retried after the 500
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_sandbox_with_an_unreadable_file_says_so_without_a_traceback(tmp_path):
    bad = tmp_path / "ims.json"
    bad.write_text('{"hello": []}')
    done = subprocess.run(
        [sys.executable, "-m", "recon", "sandbox", "--port", "0", "--ims", str(bad), "--gstin", RECIPIENT],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "no IMS sections" in done.stderr
    assert "Traceback" not in done.stderr
