"""Seeded synthetic data with ground truth: books in six ERP layouts, IMS and GSTR-2B downloads.

Used by the tests (every reader must read back what was written), the benchmarks (a million documents
a side with ``fast=True``) and the app's demo client. Same seed → same frames and same file bytes.

    corpus = generate(seed=7, n_docs=2000)          # canonical frames + truth
    files = write_files(corpus, folder)  # books_<layout>.<fmt>, ims.json, gstr2b.json/.xlsx, truth.csv
"""

from recon.synth.generate import DEFECTS, Corpus, generate
from recon.synth.parties import Client

__all__ = ["DEFECTS", "Client", "Corpus", "demo_corpus", "generate", "write_files"]

DEMO_SEED = 2025
DEMO_DOCS = 300


def demo_corpus() -> Corpus:
    """The small fixed corpus of the app's demo client and the sandbox portal (~300 documents)."""
    return generate(seed=DEMO_SEED, n_docs=DEMO_DOCS)


def write_files(corpus, folder, **kwargs):
    from recon.synth.files import write_files as _write

    return _write(corpus, folder, **kwargs)
