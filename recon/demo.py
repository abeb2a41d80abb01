"""The demo client: on a fresh install the workspace shows the whole workflow without any file.

Books and IMS come from ``recon.synth.demo_corpus()``, written to files and imported through the same
readers a consultant's files go through, so the demo exercises the real path.
"""

from __future__ import annotations

import tempfile

from recon.workspace import Workspace

# A Tally register, the IMS download and GSTR-2B: what a consultant typically has for a month.
DEMO_FILES = (("books_tally.xlsx", "books"), ("ims.json", "ims"), ("gstr2b.json", "gstr2b"))
# This register books the supplier's debit notes as Tally "Credit Note" vouchers (the buyer's wording,
# docs/reference/matching-practice.md §7); the reader's default for that word is a supplier's credit note, so the demo
# states the firm's convention as a consultant would when the import page warns about it.
DEMO_BOOKS_OPTIONS = {"kind_map": {"credit note": "debit_note"}}


def ensure_demo(ws: Workspace) -> int | None:
    """Create the demo client when the store has no client at all; returns its id (None if not created)."""
    if ws.clients():
        return None
    from recon.synth import demo_corpus, write_files

    corpus = demo_corpus()
    client = ws.create_client(
        f"{corpus.client.name} (demo)", corpus.client.gstin, corpus.client.period, is_demo=True
    )
    with tempfile.TemporaryDirectory(prefix="ims-demo-") as folder:
        files = write_files(corpus, folder, layouts=("tally",), formats=("xlsx",))
        for name, kind in DEMO_FILES:
            options = DEMO_BOOKS_OPTIONS if kind == "books" else {}
            ws.import_file(
                client.id,
                corpus.client.period,
                files[name].read_bytes(),
                name,
                kind=kind,
                origin="demo",
                **options,
            )
    ws.reconcile(client.id, corpus.client.period)
    return client.id
