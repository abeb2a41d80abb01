"""What the product hands out, hashed: proof that a refactor changed no output.

    python benchmarks/fingerprint.py                   # prints one line per output: name, sha256
    python benchmarks/fingerprint.py --dump /tmp/fp    # also writes each output there, to diff two trees

Run it on the commit before a refactor and on the one after; the two listings must be identical. It drives
the public surfaces only (the CLI verbs and ``Workspace``), so it runs unchanged on both trees. Outputs: the
reconcile CSV (with and without earlier GSTR-2Bs), the action JSON files the ``actions`` verb writes, and
through the workspace the review table, the action JSON (offline and API profile) after a fixed set of
decisions, the working paper's cell values and the supplier follow-ups. Corpora: generated periods in three
register layouts, the demo client, and an open-pool corpus of three months. Time stamps are blanked.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402
import polars as pl  # noqa: E402
import polars.selectors as cs  # noqa: E402

from recon.store import Store  # noqa: E402
from recon.synth import generate, write_files  # noqa: E402
from recon.workspace import Workspace  # noqa: E402

# A generated corpus per seed, written in the layout named (the layouts differ in columns and title rows).
CORPORA = ((5, 5000, "tally", "xlsx"), (7, 2000, "busy", "csv"), (11, 3000, "zoho", "xlsx"))
STAMP = re.compile(
    rb"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:?\d{2}|Z)?|\d{2}-\d{2}-\d{4} \d{2}:\d{2}"
)


def digest(data: bytes) -> str:
    return hashlib.sha256(STAMP.sub(b"<time>", data)).hexdigest()


class Recorder:
    def __init__(self, dump: Path | None) -> None:
        self.dump = dump
        self.lines: list[str] = []

    def add(self, name: str, data: bytes) -> None:
        self.lines.append(f"{name}\t{digest(data)}")
        if self.dump:
            path = self.dump / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(STAMP.sub(b"<time>", data))


def frame_bytes(frame: pl.DataFrame) -> bytes:
    return frame.write_ndjson().encode()


def paper_cells(xlsx: bytes) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(xlsx), read_only=True)
    lines = []
    for sheet in book.worksheets:
        lines.append(f"## {sheet.title}")
        for row in sheet.iter_rows(values_only=True):
            lines.append("\t".join("" if v is None else str(v) for v in row))
    return "\n".join(lines).encode()


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "recon", *args], cwd=ROOT, capture_output=True, check=False)


def cli_outputs(rec: Recorder, tag: str, books: Path, ims: Path, gstin: str, out: Path) -> None:
    csv = out / f"{tag}.csv"
    done = cli("reconcile", "--books", str(books), "--ims", str(ims), "--out", str(csv))
    rec.add(f"{tag}/cli-reconcile.exit", f"{done.returncode}\n{done.stderr.decode()}".encode())
    if done.returncode != 0:
        return
    rec.add(f"{tag}/cli-reconcile.csv", csv.read_bytes())
    folder = out / f"{tag}-actions"
    for suggested in ("accepts", "all"):
        target = folder / suggested
        target.mkdir(parents=True, exist_ok=True)
        done = cli(
            "actions",
            "--ims",
            str(ims),
            "--decisions",
            str(csv),
            "--suggested",
            suggested,
            "--gstin",
            gstin,
            "--out-dir",
            str(target),
        )
        rec.add(f"{tag}/cli-actions-{suggested}.exit", f"{done.returncode}\n{done.stderr.decode()}".encode())
        for written in sorted(target.iterdir()):
            rec.add(f"{tag}/cli-actions-{suggested}/{written.name}", written.read_bytes())


def decide(ws: Workspace, client_id: int, period: str) -> None:
    """A fixed set of decisions: every 7th mismatched rejected, every 5th IMS-only pending, matched accepted."""
    review = ws.review(client_id, period).sort("result_id")
    by_category = {c: review.filter(pl.col("category") == c) for c in ("matched", "mismatched", "ims_only")}
    ws.accept_matched(client_id, period, filed_only=False)
    rejects = by_category["mismatched"].filter(pl.col("portal_doc_id").is_not_null())["portal_doc_id"]
    ws.set_action(
        client_id, period, rejects.gather_every(7).to_list(), "R", remarks="amounts differ", confirmed=True
    )
    pendings = by_category["ims_only"].filter(pl.col("portal_doc_id").is_not_null())["portal_doc_id"]
    ws.set_action(client_id, period, pendings.gather_every(5).to_list(), "P", confirmed=True)


def workspace_outputs(rec: Recorder, tag: str, ws: Workspace, client_id: int, period: str) -> None:
    ws.reconcile(client_id, period)
    decide(ws, client_id, period)
    review = ws.review(client_id, period).sort("result_id")
    rec.add(f"{tag}/ws-review.ndjson", frame_bytes(review.select(sorted(review.columns)).drop(cs.datetime())))
    for profile in ("offline", "api"):
        upload = ws.build_upload(client_id, period, profile)
        for name, body in sorted(upload.to_files().items()):
            rec.add(f"{tag}/ws-upload-{profile}/{name}", body)
        rec.add(f"{tag}/ws-upload-{profile}-records.ndjson", frame_bytes(upload.records))
        rec.add(f"{tag}/ws-upload-{profile}-left-out.csv", upload.left_out_csv())
    rec.add(f"{tag}/ws-paper.cells", paper_cells(ws.working_paper(client_id, period)))
    rec.add(
        f"{tag}/ws-followups.json", json.dumps(ws.supplier_followups(client_id, period), default=str).encode()
    )


def generated(rec: Recorder, folder: Path) -> None:
    for seed, n_docs, layout, fmt in CORPORA:
        tag = f"seed{seed}-{layout}-{fmt}"
        corpus = generate(seed=seed, n_docs=n_docs)
        files = write_files(corpus, folder / tag, layouts=(layout,), formats=(fmt,))
        books = next(p for n, p in files.items() if n.startswith("books"))
        cli_outputs(rec, tag, books, files["ims.json"], corpus.client.gstin, folder)
        ws = Workspace(Store(f"sqlite:///{folder / tag / 'ws.db'}"))
        client = ws.create_client(corpus.client.name, corpus.client.gstin, corpus.client.period)
        ws.import_file(client.id, corpus.client.period, books.read_bytes(), books.name, kind="books")
        ws.import_file(
            client.id, corpus.client.period, files["ims.json"].read_bytes(), "ims.json", kind="ims"
        )
        workspace_outputs(rec, tag, ws, client.id, corpus.client.period)


def demo(rec: Recorder, folder: Path) -> None:
    from recon.demo import ensure_demo

    ws = Workspace(Store(f"sqlite:///{folder / 'demo.db'}"))
    client_id = ensure_demo(ws)
    period = ws.client(client_id).return_period
    workspace_outputs(rec, "demo", ws, client_id, period)


def open_pool(rec: Recorder, folder: Path) -> None:
    from recon.synth.timeline import IMS_FILE, books_file_name, generate_timeline, gstr2b_file, write_timeline

    timeline = generate_timeline(seed=20251, n_docs=400)
    write_timeline(timeline, folder / "pool", layout="tally")
    args = ["reconcile", "--books", str(folder / "pool" / books_file_name("tally", timeline.months))]
    args += ["--ims", str(folder / "pool" / IMS_FILE)]
    for month in timeline.months[:-1]:
        args += ["--history", str(folder / "pool" / gstr2b_file(month))]
    out = folder / "pool.csv"
    done = cli(*args, "--out", str(out))
    rec.add("pool/cli-reconcile.exit", f"{done.returncode}\n{done.stderr.decode()}".encode())
    if done.returncode == 0:
        rec.add("pool/cli-reconcile.csv", out.read_bytes())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dump", type=Path, help="also write every output into this folder")
    args = parser.parse_args()
    rec = Recorder(args.dump)
    with tempfile.TemporaryDirectory(prefix="fingerprint-") as tmp:
        folder = Path(tmp)
        generated(rec, folder)
        demo(rec, folder)
        open_pool(rec, folder)
    print("\n".join(rec.lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
