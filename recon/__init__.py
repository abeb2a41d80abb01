"""GST IMS reconciliation workbench: the UI-free core (no streamlit, st_aggrid or plotly here)."""

__version__ = "0.1.0"
