"""The names the portal readers share, gathered from the modules of their ideas.

Each idea has its own module: loading a JSON download (portal_json), what a JSON is and its envelope
(portal_kind), one value of a record (portal_values), one record (portal_record), all records of a
section at once (portal_columns), a 2B / 2A section's documents and the joining of sections
(section_columns), the canonical table (portal_frame), the file and the client (portal_files); the facts
of each portal section are in :mod:`recon.readers.sections`. New code imports from those modules.
"""

from recon.readers.portal_columns import READ_ALONE, Columns, isd_kinds, map_distinct, note_kinds
from recon.readers.portal_files import check_recipient, combine, recipient_in_file
from recon.readers.portal_frame import canonical_frame, canonical_frame_of_columns, new_row
from recon.readers.portal_json import collector_paused, decode_text, load_json, non_finite_error
from recon.readers.portal_kind import IMS_WRAPPERS, KIND_WORDS, json_kind, unwrap, wrong_kind_error
from recon.readers.portal_record import Record
from recon.readers.portal_values import (
    date_of_text,
    flag_of,
    literal_text,
    period_mmyyyy,
    pos_code,
    raw_json,
    supply_type_code,
)
from recon.readers.section_columns import (
    SectionColumns,
    amounts_total,
    columns_of_rows,
    join_columns,
    origin_indexes,
    put_rows,
    rate_line_sums,
    section_documents,
    supplier_documents,
)
from recon.readers.sections import IMS_SECTIONS, ISD_CREDIT_NOTE_WARNING, isd_kind

__all__ = [
    "IMS_SECTIONS", "IMS_WRAPPERS", "ISD_CREDIT_NOTE_WARNING", "KIND_WORDS", "READ_ALONE", "Columns",
    "Record", "SectionColumns", "amounts_total", "canonical_frame", "canonical_frame_of_columns",
    "check_recipient", "collector_paused", "columns_of_rows", "combine", "date_of_text", "decode_text",
    "flag_of", "isd_kind", "isd_kinds", "join_columns", "json_kind", "literal_text", "load_json",
    "map_distinct", "new_row", "non_finite_error", "note_kinds", "origin_indexes", "period_mmyyyy",
    "pos_code", "put_rows", "rate_line_sums", "raw_json", "recipient_in_file", "section_documents",
    "supplier_documents", "supply_type_code", "unwrap", "wrong_kind_error",
]  # fmt: skip
