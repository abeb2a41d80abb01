"""The demo client: on a fresh install the workspace shows the whole workflow without any file.

Books and IMS come from ``recon.synth.demo_corpus()``, written to files and imported through the same
readers a consultant's files go through, so the demo exercises the real path.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from recon.workspace import Workspace

# Order matters: books first, then the portal files (IMS before 2B so IMS is the compared source).
_SOURCE_ORDER = {"books": 0, "ims": 1, "gstr2b": 2, "gstr2a": 3}


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
        write_files(corpus, folder)
        reads = []
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file() and path.suffix.lower() in (".xlsx", ".xls", ".csv", ".json"):
                result = ws.read_file(path.read_bytes(), path.name)
                reads.append(result)
        seen: set[str] = set()
        for result in sorted(reads, key=lambda r: _SOURCE_ORDER.get(r.source, 9)):
            mode = "add" if result.source in seen else "replace"
            seen.add(result.source)
            ws.import_read(client, corpus.client.period, result, mode=mode, origin="demo")
    ws.reconcile(client.id, corpus.client.period)
    return client.id
