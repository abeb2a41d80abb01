"""GST IMS reconciliation workbench: the UI-free core (no streamlit, st_aggrid or plotly here)."""

import os

__version__ = "0.1.0"

# polars' allocator (jemalloc) keeps pages it has freed for about ten seconds before giving them back. A
# large read frees and takes memory in waves (the cells, then the rows, then the documents), so a server
# would hold several times the file where it needs about four. Freed pages go back after a tenth of a
# second instead (at once would cost the matching engine's joins about 40% more CPU). Read when polars is
# first loaded: recon is imported before it (app, CLI, benchmarks); a setting in the environment wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:100,muzzy_decay_ms:0")
