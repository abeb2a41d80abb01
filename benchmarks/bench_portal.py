"""How long the portal round trip takes through the local sandbox: download (direct and queued files),
read into canonical documents, and upload one decision per record. Prints figures; asserts nothing.

    python benchmarks/bench_portal.py [--records 5000]

The sandbox runs in the same process on 127.0.0.1, so the figures measure our encryption, parsing and
bookkeeping (both sides), not the network or GSTN's queue.
"""

from __future__ import annotations

import argparse
import time

from recon.jsonio import loads_exact
from recon.portal.sandbox import start_background
from recon.portal.service import demo_connector, fetch_ims, upload

RECIPIENT = "27AHQPA7588L1ZJ"
SUPPLIERS = ("27AAPFU0939F1ZV", "33GSPTN0791G1Z5", "32TAAOA2947A1Z7", "29AABCT1332L1ZA")
FAST = {"poll_schedule": (0.05,) * 20, "retry_schedule": (0.1,), "est_unit_seconds": 0.0}


def invoices(count: int) -> dict:
    records = []
    for i in range(count):
        taxable = 1000 + i
        records.append(
            loads_exact(
                f'{{"stin": "{SUPPLIERS[i % 4]}", "inum": "B/{i:06d}", "idt": "07-11-2025", "inv_typ": "R", '
                f'"pos": "27", "val": {taxable * 1.18:.2f}, "txval": {taxable}.00, "iamt": {taxable * 0.18:.2f}, '
                f'"camt": 0, "samt": 0, "cess": 0, "rtnprd": "112025", "srcform": "R1", '
                f'"srcfilstatus": "Filed", "action": "N", "ispendactblocked": "N"}}'
            )
        )
    return {"b2b": records}


def accept_all(records: list[dict]) -> dict:
    sent = []
    for record in records:
        echo = {
            k: v for k, v in record.items() if k not in ("hash", "srcfilstatus", "ispendactblocked", "action")
        }
        sent.append({**echo, "action": "A", "prev_status": record["action"]})
    return {"action": "SAVE", "data": {"rtin": RECIPIENT, "reqtyp": "SAVE", "invdata": {"b2b": sent}}}


def run(count: int, queued: bool) -> None:
    threshold = 100 if queued else count + 1
    handle = start_background(seed_docs=invoices(count), gstin=RECIPIENT, queue_threshold=threshold)
    try:
        client = demo_connector(handle, **FAST)
        client.request_otp(RECIPIENT)
        started = time.perf_counter()
        outcome = fetch_ims(client, RECIPIENT, otp=handle.otp, sections=["b2b"])
        fetched = time.perf_counter() - started
        records = client.get_section(RECIPIENT, "b2b")
        started = time.perf_counter()
        result = upload(client, [accept_all(records)])
        uploaded = time.perf_counter() - started
        label = "queued files" if queued else "direct GETINV"
        print(
            f"{count:>7} records, {label:<13}: fetch+read {fetched:6.2f} s ({count / fetched:8.0f}/s), "
            f"upload+poll+confirm {uploaded:6.2f} s ({count / uploaded:8.0f}/s), status {result.status}, "
            f"docs {outcome.result.docs.height}"
        )
    finally:
        handle.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5000)
    args = parser.parse_args()
    for queued in (False, True):
        run(args.records, queued)


if __name__ == "__main__":
    main()
