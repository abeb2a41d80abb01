"""A workbench process that tests/test_durability.py kills mid-operation (SIGKILL, no clean-up).

    python tests/durability_worker.py SCENARIO DATABASE_URL MARKER ARGS_JSON

It runs one operation through the real Workspace and, at the point the test wants to kill it, writes
MARKER and sleeps: ``import`` and ``bulk`` pause inside the transaction that saves the result (rows
written, not committed); ``upload`` pauses right after the portal's reference id was stored, before its
status is asked for. The pause is patched in here, so the product carries no test hook.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace

from recon.store import Store
from recon.store import operation as operation_rows
from recon.workspace import Workspace


def _pause(marker: str) -> None:
    Path(marker).write_text("paused")
    time.sleep(600)  # the test kills this process long before


def _pause_when_closing(marker: str) -> None:
    """Pause inside the transaction that saves a result: the operation row is closed there, last."""
    original = operation_rows.close

    def closing(conn, operation_id, outcome, **options):
        original(conn, operation_id, outcome, **options)
        _pause(marker)

    operation_rows.close = closing


def _pause_after_reference(marker: str) -> None:
    original = Store.add_operation_reference

    def stored(self, operation_id, reference, body):
        original(self, operation_id, reference, body)
        _pause(marker)

    Store.add_operation_reference = stored


def main(scenario: str, url: str, marker: str, args: dict) -> None:
    ws = Workspace(Store(url), user="worker")
    client_id, period = args["client_id"], args["period"]
    if scenario == "import":
        _pause_when_closing(marker)
        content = Path(args["file"]).read_bytes()
        ws.import_file(client_id, period, content, Path(args["file"]).name, mode="replace", confirmed=True)
    elif scenario == "bulk":
        _pause_when_closing(marker)
        ws.set_action(client_id, period, args["doc_ids"], "A", source="bulk", confirmed=True)
    elif scenario == "upload":
        from recon.portal.service import demo_connector

        _pause_after_reference(marker)
        connector = demo_connector(SimpleNamespace(**args["portal"]), **args["fast"])
        connector.request_otp(args["gstin"])
        connector.authenticate(args["gstin"], args["portal"]["otp"])
        ws.upload_to_portal(client_id, period, ws.build_upload(client_id, period, "api"), connector)
    else:
        raise SystemExit(f"unknown scenario {scenario}")
    Path(marker).write_text("finished")  # the kill came too late: the test says so


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4]))
