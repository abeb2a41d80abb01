"""Where does the app's service layer spend its time from "file bytes arrive" to "four tabs have data"?

Uses ``Workspace`` directly on a temporary SQLite: imports a books workbook and an IMS JSON written by
``recon.synth`` (N documents per side), reconciles, builds the review table and the wanted actions, then
bulk-Accepts every portal document that a consultant could accept in one go. Prints one line per step.

Usage: ``python benchmarks/bench_workspace.py [N] [--data DIR]`` (default 50000; DIR keeps the generated files
between runs: generating 50k takes ~40 s). Prints figures and the machine's load, asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recon import synth  # noqa: E402
from recon.store import Store  # noqa: E402
from recon.workspace import Workspace  # noqa: E402


def step(label: str, started: float) -> float:
    now = time.perf_counter()
    print(f"{label:<34} {now - started:6.2f} s   load {os.getloadavg()[0]:.2f}", flush=True)
    return now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=50000)
    parser.add_argument("--data", type=Path, default=None)
    args = parser.parse_args()
    folder = args.data or Path(tempfile.mkdtemp())
    folder.mkdir(parents=True, exist_ok=True)
    meta = folder / f"client-{args.n}.txt"
    if not meta.exists():
        corpus = synth.generate(seed=3, n_docs=args.n)
        synth.write_files(corpus, folder, layouts=("tally",), formats=("xlsx",))
        meta.write_text(f"{corpus.client.gstin} {corpus.client.period}")
    gstin, period = meta.read_text().split()
    books_bytes = (folder / "books_tally.xlsx").read_bytes()
    ims_bytes = (folder / "ims.json").read_bytes()

    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace(Store(f"sqlite:///{tmp}/w.db"), user="bench")
        client = ws.create_client("Bench", gstin, period)
        t = time.perf_counter()
        ws.import_file(client.id, period, books_bytes, "books_tally.xlsx", kind="books")
        t = step("import books", t)
        ws.import_file(client.id, period, ims_bytes, "ims.json")
        t = step("import IMS JSON", t)
        ws.reconcile(client.id, period)
        t = step("reconcile", t)
        review = ws.review(client.id, period)
        t = step(f"review table ({review.height} rows)", t)
        ws.wanted_actions(client.id, period)
        t = step("wanted actions (cached?)", t)
        portal = ws.documents(client.id, period, ws.portal_source(client.id, period))
        ids = portal.filter(portal["doc_kind"] != "credit_note")["doc_id"].to_list()
        t = time.perf_counter()
        outcome = ws.set_action(client.id, period, ids, "A", confirmed=True)
        t = step(f"bulk Accept {len(ids)} (saved {outcome.saved})", t)
        ws.review(client.id, period)
        step("review table after Accept", t)
        ws.store.dispose()


if __name__ == "__main__":
    main()
