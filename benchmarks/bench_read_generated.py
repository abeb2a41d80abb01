"""How long does reading the generator's own IMS and GSTR-2B downloads take, against a bare json.loads?

``recon.synth.generate(seed, n_docs)`` writes the portal files a large client would download (50,000
documents give about 48,000 IMS records and 43,000 GSTR-2B documents, amounts with two decimals, a few
sections). This times, best of 3 and each of the 3 runs:

* ``json.loads`` of the file, which is the floor;
* ``recon.readers.read`` of it (sniffing, exact literals, field variants, raw, ids, hashes).

Generating 50,000 documents takes about half a minute; pass a folder to keep the files for the next run.
Usage: ``python -m benchmarks.bench_read_generated [n_docs] [folder]`` (default 50000, a temporary
folder). Prints figures, asserts nothing.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recon.readers import read  # noqa: E402
from recon.synth import generate, write_files  # noqa: E402

SEED = 11
FILES = (("IMS JSON", "ims.json"), ("GSTR-2B JSON", "gstr2b.json"))


def portal_files(n_docs: int, folder: Path) -> None:
    """Write ims.json and gstr2b.json of a generated corpus into ``folder`` unless they are there."""
    if all((folder / name).exists() for _, name in FILES):
        return
    start = time.perf_counter()
    write_files(generate(seed=SEED, n_docs=n_docs), folder, layouts=("generic",), formats=("csv",))
    print(f"generated {n_docs} documents in {time.perf_counter() - start:.0f} s into {folder}")


def timed(runs: int, task) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        task()
        times.append(time.perf_counter() - start)
    return times


def report(label: str, path: Path) -> None:
    data = path.read_bytes()
    bare = min(timed(3, lambda: json.loads(data)))
    docs = read(data, path.name).docs.height  # the first read also loads what reading needs
    runs = timed(3, lambda: read(data, path.name))
    shown = " ".join(f"{t:.2f}" for t in runs)
    print(
        f"{label:<13} {len(data) / 1e6:5.1f} MB {docs:>7} docs  bare {bare:5.2f} s  read {shown} s  "
        f"(best {min(runs) / bare:4.1f} × bare)"
    )


def main() -> None:
    n_docs = int(sys.argv[1]) if len(sys.argv) > 1 else 50000
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(scratch)
        portal_files(n_docs, folder)
        for label, name in FILES:
            report(label, folder / name)


if __name__ == "__main__":
    main()
