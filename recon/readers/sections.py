"""One table of facts per portal section: the IMS download, GSTR-2B and GSTR-2A, and the IMS action upload.

Each section of a return is one :class:`Section` row: the keys its documents are numbered and dated under
(and, for amendments, the original's), the kinds of document it holds and where a kind comes from (the
section itself, a note-type code, an ISD document type), the keys of its amounts, how its documents sit in
the file (under each supplier or in a flat list), the workbook sheets that carry it, and for IMS which
actions the portal takes for it and which fields an upload may and must carry. The IMS, 2B (JSON and
Excel) and 2A readers, the IMS Offline Tool reader and the action-file writer (recon.ims_json) all read
these rows; no other module lists a section's keys.

Reference: docs/reference/formats.md §1.2 (IMS sections), §2 (the upload's fields), §3 (2B JSON), §4 (2B
Excel), §5 (2A), §6 (the offline tool's sheets); docs/reference/ims-rules.md §2 and §6 (actions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# ---------------------------------------------------------------------------------------------------
# A section's facts
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Section:
    """What one section of one return holds and how its documents are written."""

    key: str  # the section key as the JSON writes it, lower case
    source: str  # the return it belongs to: ims | gstr2b | gstr2a (the canonical ``source``)
    doc_kind: str | None  # the kind of every document; "isd": from its ISD document type; None: note type
    number: tuple[str, ...]  # keys of the document number, first present wins
    date: tuple[str, ...]
    original_number: tuple[str, ...] = ()  # the amended (or distributed) document's number
    original_date: tuple[str, ...] = ()
    is_amendment: bool = False
    list_key: str | None = None  # 2B / 2A: documents under each supplier's key; None: a flat list
    kind_keys: tuple[str, ...] = ()  # where doc_kind is None or "isd": the keys of the type code
    note_kinds: dict[str, str] = field(default_factory=dict)  # note-type code -> kind (doc_kind None)
    supply_type_keys: tuple[str, ...] = ()
    amounts: dict[str, tuple[str, ...]] = field(default_factory=dict)  # canonical column -> keys
    sheets: tuple[str, ...] = ()  # normalised names of the workbook sheets that carry the section
    actions: tuple[str, ...] = ()  # IMS actions the portal takes for the section (SAVE); () none
    itc_reduction: str = ""  # required: every Accept answers itcRedReq; asked: when the user answered
    fetched: bool = False  # IMS: read from the portal by the connector (GETINV)
    api_fields: tuple[str, ...] = ()  # fields the API schema allows in an upload record, besides actions
    api_required: tuple[str, ...] = ()

    @property
    def needs_supplier(self) -> bool:
        """Imports from abroad (bills of entry) have no supplier GSTIN; every other document has one."""
        return self.doc_kind != "bill_of_entry"

    @property
    def kinds(self) -> tuple[str, ...]:
        """Every kind a document of the section can have."""
        if self.doc_kind == "isd":
            return ("isd", "credit_note")
        if self.doc_kind is None:
            return tuple(dict.fromkeys(self.note_kinds.values()))
        return (self.doc_kind,)

    @property
    def signs(self) -> dict[str, int]:
        """How each of its kinds moves ITC: +1 adds, -1 (credit notes) subtracts."""
        return {kind: sign_of(kind) for kind in self.kinds}


def sign_of(kind: str) -> int:
    """+1 for a kind that adds ITC, -1 for a credit note; the row form of ``model.itc_direction``."""
    return -1 if kind == "credit_note" else 1


# ---------------------------------------------------------------------------------------------------
# Kinds read from the document
# ---------------------------------------------------------------------------------------------------

ISD_CREDIT_NOTE_WARNING = "ISD credit note: it reduces the ITC distributed earlier"
_ISD_CREDIT_CODES = {"ISDC", "ISDCN", "ISDCR", "C", "CN", "CR"}


def isd_kind(doc_type) -> str:
    """The kind of an ISD document from its type: ``credit_note`` for an ISD credit note, else ``isd``.

    2B writes ISDC (ISDCN in some GSP copies), 2A ``isd_docty`` ISDCN, the portal's workbooks "ISD Credit
    Note" (docs/reference/formats.md §3, §5). A credit note reduces the ITC distributed earlier, so it
    takes the kind every total subtracts (model.itc_direction); an ISD invoice and a credit note sharing a
    number then stay two documents.
    """
    if type(doc_type) is not str:
        return "isd"
    letters = re.sub(r"[^A-Z]", "", doc_type.upper())
    return "credit_note" if letters in _ISD_CREDIT_CODES or "CREDIT" in letters else "isd"


# ---------------------------------------------------------------------------------------------------
# IMS download (docs/reference/formats.md §1.2, §1.3) and what an upload may carry (§2)
# ---------------------------------------------------------------------------------------------------

_IMS_AMOUNTS = {
    "taxable_value": ("txval",),
    "igst": ("iamt", "igst"),
    "cgst": ("camt", "cgst"),
    "sgst": ("samt", "sgst"),
    "cess": ("cess", "csamt"),
    "doc_value": ("val",),
}
# The amounts every upload record echoes exactly as downloaded (docs/reference/formats.md §2 rule 3).
UPLOAD_AMOUNTS = ("val", "txval", "iamt", "camt", "samt", "cess")
_UPLOAD_B2B = ("stin", "rtnprd", "srcform", "inum", "idt", "inv_typ", "pos", *UPLOAD_AMOUNTS)
_UPLOAD_NOTE = ("stin", "rtnprd", "srcform", "nt_num", "nt_dt", "inv_typ", "pos", *UPLOAD_AMOUNTS)
_UPLOAD_ECOM = tuple(k for k in _UPLOAD_B2B if k != "inv_typ")
# Import of goods: fields known from one GSP client only, so the allow-list is lenient and only the
# bill-of-entry number and date are required.
_UPLOAD_IMPG = (
    "stin",
    "rgstinrefId",
    "irefdt",
    "itcprd",
    "portcd",
    "boenum",
    "boedt",
    "rtnprd",
    "srcform",
    "txval",
    "iamt",
    "igst",
    "cess",
)
_UPLOAD_IMPGA = (*_UPLOAD_IMPG, "oboenum", "oboedt")

_INV = {"number": ("inum",), "date": ("idt",)}
_INV_AMENDED = {**_INV, "original_number": ("oinum",), "original_date": ("oidt",), "is_amendment": True}
_NOTE = {"number": ("nt_num",), "date": ("nt_dt",)}
_NOTE_AMENDED = {**_NOTE, "original_number": ("ont_num",), "original_date": ("ont_dt",), "is_amendment": True}
# Bills of entry are read leniently (known from one GSP client only): their own keys, else invoice keys.
_BOE = {"number": ("boenum", "inum"), "date": ("boedt", "idt")}
_BOE_AMENDED = {
    **_BOE,
    "original_number": ("oboenum", "oinum"),
    "original_date": ("oboedt", "oidt"),
    "is_amendment": True,
}
# ISD groups appear in the count API; whether records come is not established
# (docs/reference/ims-rules.md §1).
_ISD = {"number": ("docnum", "inum", "nt_num"), "date": ("docdt", "idt", "nt_dt")}
_ISD_AMENDED = {
    **_ISD,
    "original_number": ("odocnum", "oinum", "ont_num"),
    "original_date": ("odocdt", "oidt", "ont_dt"),
    "is_amendment": True,
}
_ACTIONS = ("A", "R", "P")
# An import of goods can be accepted or kept Pending, never rejected (docs/reference/ims-rules.md §6).
_IMPORT_ACTIONS = ("A", "P")


def _ims(
    key: str,
    doc_kind: str,
    keys: dict,
    sheets: tuple[str, ...] = (),
    upload: tuple[str, ...] = (),
    required: tuple[str, ...] | None = None,
    **facts,
) -> Section:
    """An IMS section; an upload record must carry every field it may carry unless ``required`` says less."""
    return Section(
        key,
        "ims",
        doc_kind,
        **keys,
        supply_type_keys=("inv_typ", "typ"),
        amounts=_IMS_AMOUNTS,
        sheets=sheets,
        api_fields=upload,
        api_required=upload if required is None else required,
        **facts,
    )


IMS: dict[str, Section] = {
    s.key: s
    for s in (
        _ims("b2b", "invoice", _INV, ("b2b",), actions=_ACTIONS, fetched=True, upload=_UPLOAD_B2B),
        _ims("b2ba", "invoice", _INV_AMENDED, ("b2ba",), actions=_ACTIONS, fetched=True, itc_reduction="asked", upload=(*_UPLOAD_B2B, "oinum", "oidt")),
        _ims("b2bdn", "debit_note", _NOTE, ("b2bdn",), actions=_ACTIONS, fetched=True, upload=_UPLOAD_NOTE),
        _ims("b2bdna", "debit_note", _NOTE_AMENDED, ("b2bdna",), actions=_ACTIONS, fetched=True, itc_reduction="asked", upload=(*_UPLOAD_NOTE, "ont_num", "ont_dt")),
        _ims("b2bcn", "credit_note", _NOTE, ("b2bcn",), actions=_ACTIONS, fetched=True, itc_reduction="required", upload=_UPLOAD_NOTE),
        _ims("b2bcna", "credit_note", _NOTE_AMENDED, ("b2bcna",), actions=_ACTIONS, fetched=True, itc_reduction="required", upload=(*_UPLOAD_NOTE, "ont_num", "ont_dt")),
        _ims("ecom", "invoice", _INV, ("eco",), actions=_ACTIONS, fetched=True, upload=_UPLOAD_ECOM),
        _ims("ecoma", "invoice", _INV_AMENDED, ("ecoa",), actions=_ACTIONS, fetched=True, itc_reduction="asked", upload=(*_UPLOAD_ECOM, "oinum", "oidt")),
        _ims("impg", "bill_of_entry", _BOE, actions=_IMPORT_ACTIONS, upload=_UPLOAD_IMPG, required=("boenum", "boedt")),
        _ims("impga", "bill_of_entry", _BOE_AMENDED, actions=_IMPORT_ACTIONS, upload=_UPLOAD_IMPGA, required=("boenum", "boedt")),
        _ims("impgsez", "bill_of_entry", _BOE, actions=_IMPORT_ACTIONS, upload=_UPLOAD_IMPG, required=("boenum", "boedt")),
        _ims("impgseza", "bill_of_entry", _BOE_AMENDED, actions=_IMPORT_ACTIONS, upload=_UPLOAD_IMPGA, required=("boenum", "boedt")),
        # ISD records take no action: the upload schema has no ISD section.
        _ims("isd", "isd", _ISD, kind_keys=("doctyp",)),
        _ims("isda", "isd", _ISD_AMENDED, kind_keys=("doctyp",)),
        # ISD credit notes reduce the ITC distributed earlier: the kind every total subtracts.
        _ims("isdcn", "credit_note", _ISD),
        _ims("isdcna", "credit_note", _ISD_AMENDED),
    )
}  # fmt: skip
IMS_SECTIONS = tuple(IMS)

# ---------------------------------------------------------------------------------------------------
# GSTR-2B JSON (docs/reference/formats.md §3) and Excel (§4)
# ---------------------------------------------------------------------------------------------------

# The document's own amounts; a document without them has them summed from its rate ``items``.
_2B_AMOUNTS = {
    "taxable_value": ("txval",),
    "igst": ("igst", "iamt"),
    "cgst": ("cgst", "camt"),
    "sgst": ("sgst", "samt"),
    "cess": ("cess", "csamt"),
}
_2B_NOTE_KINDS = {"C": "credit_note", "D": "debit_note"}
_2B_INV = {"number": ("inum",), "date": ("dt", "idt")}
_2B_INV_AMENDED = {**_2B_INV, "original_number": ("oinum",), "original_date": ("oidt",), "is_amendment": True}
_2B_NOTE = {"number": ("ntnum", "nt_num"), "date": ("dt", "nt_dt")}
_2B_NOTE_AMENDED = {
    **_2B_NOTE,
    "original_number": ("ontnum", "ont_num"),
    "original_date": ("ontdt", "ont_dt"),
    "is_amendment": True,
}
_2B_ISD = {"number": ("docnum",), "date": ("docdt",)}
# ISD documents carry the invoice they distribute (oinvnum) even when not amended.
_2B_ISD_DISTRIBUTED = {**_2B_ISD, "original_number": ("oinvnum",), "original_date": ("oinvdt",)}
_2B_ISD_AMENDED = {
    **_2B_ISD,
    "original_number": ("odocnum",),
    "original_date": ("odocdt",),
    "is_amendment": True,
}
_2B_BOE = {"number": ("boenum",), "date": ("boedt",)}
_2B_BOE_AMENDED = {**_2B_BOE, "is_amendment": True}


def _2b(
    key: str, doc_kind: str | None, list_key: str | None, keys: dict, sheets: tuple[str, ...] = (), **facts
) -> Section:
    # In cdnr ``typ`` is the note type (C/D); the supply type is ``suptyp`` there.
    supply = ("suptyp",) if doc_kind is None else ("typ", "inv_typ")
    return Section(
        key,
        "gstr2b",
        doc_kind,
        **keys,
        list_key=list_key,
        supply_type_keys=supply,
        amounts=_2B_AMOUNTS,
        sheets=sheets,
        **facts,
    )


GSTR2B: dict[str, Section] = {
    s.key: s
    for s in (
        _2b("b2b", "invoice", "inv", _2B_INV, ("b2b",)),
        _2b("b2ba", "invoice", "inv", _2B_INV_AMENDED, ("b2ba",)),
        _2b("cdnr", None, "nt", _2B_NOTE, ("b2bcdnr",), kind_keys=("typ", "ntty"), note_kinds=_2B_NOTE_KINDS),
        _2b("cdnra", None, "nt", _2B_NOTE_AMENDED, ("b2bcdnra",), kind_keys=("typ", "ntty"), note_kinds=_2B_NOTE_KINDS),
        _2b("ecom", "invoice", "inv", _2B_INV, ("eco",)),
        _2b("ecoma", "invoice", "inv", _2B_INV_AMENDED, ("ecoa",)),
        _2b("isd", "isd", "doclist", _2B_ISD_DISTRIBUTED, ("isd",), kind_keys=("doctyp",)),
        _2b("isda", "isd", "doclist", _2B_ISD_AMENDED, ("isda",), kind_keys=("doctyp",)),
        _2b("impg", "bill_of_entry", None, _2B_BOE, ("impg",)),
        _2b("impga", "bill_of_entry", None, _2B_BOE_AMENDED, ("impga",)),
        _2b("impgsez", "bill_of_entry", "boe", _2B_BOE, ("impgsez",)),
        # The statement writes SEZ import amendments under either key; the workbook's sheet is one.
        _2b("impgasez", "bill_of_entry", "boe", _2B_BOE_AMENDED, ("impgseza",)),
        _2b("impgseza", "bill_of_entry", "boe", _2B_BOE_AMENDED),
    )
}  # fmt: skip
# Sections of docdata that are not documents to reconcile: ITC-reversal records repeat documents of earlier
# statements and would pair twice.
GSTR2B_SKIPPED = {"itcrev": "ITC-reversal records"}
# Workbook sheets B2B-DNR / B2B-DNRA: their meaning is not established (docs/reference/formats.md §4);
# read by header, each kept in a section of its own, the kind from a type column when there is one.
GSTR2B_SHEET_ONLY: dict[str, Section] = {
    "b2b-dnr": Section("b2b-dnr", "gstr2b", None, (), (), sheets=("b2bdnr",)),
    "b2b-dnra": Section("b2b-dnra", "gstr2b", None, (), (), is_amendment=True, sheets=("b2bdnra",)),
}

# ---------------------------------------------------------------------------------------------------
# GSTR-2A JSON and Excel (docs/reference/formats.md §5)
# ---------------------------------------------------------------------------------------------------

# Amounts sit in rate lines ``itms[].itm_det`` (summed); a document without lines has its own.
_2A_AMOUNTS = {
    "taxable_value": ("txval",),
    "igst": ("iamt", "igst"),
    "cgst": ("camt", "cgst"),
    "sgst": ("samt", "sgst"),
    "cess": ("csamt", "cess"),
}
# R: refund voucher in older 2A notes; it reduces what was paid in advance, so it reads as a credit note.
_2A_NOTE_KINDS = {"C": "credit_note", "D": "debit_note", "R": "credit_note"}
_2A_INV = {"number": ("inum",), "date": ("idt",)}
_2A_NOTE = {"number": ("nt_num", "ntnum"), "date": ("nt_dt", "ntdt")}
_2A_ISD = {"number": ("docnum",), "date": ("docdt",)}
_2A_BOE = {"number": ("benum", "boenum", "be_num"), "date": ("bedt", "boedt", "be_dt")}


def _2a(
    key: str, doc_kind: str | None, list_key: str | None, keys: dict, sheets: tuple[str, ...] = (), **facts
) -> Section:
    return Section(
        key,
        "gstr2a",
        doc_kind,
        **keys,
        list_key=list_key,
        supply_type_keys=("inv_typ",),
        amounts=_2A_AMOUNTS,
        sheets=sheets,
        **facts,
    )


def _amended(keys: dict, number: str, date: str) -> dict:
    return {**keys, "original_number": (number,), "original_date": (date,), "is_amendment": True}


GSTR2A: dict[str, Section] = {
    s.key: s
    for s in (
        _2a("b2b", "invoice", "inv", _2A_INV, ("b2b",)),
        _2a("b2ba", "invoice", "inv", _amended(_2A_INV, "oinum", "oidt"), ("b2ba",)),
        _2a("cdn", None, "nt", _2A_NOTE, ("cdnr",), kind_keys=("ntty", "typ"), note_kinds=_2A_NOTE_KINDS),
        _2a("cdna", None, "nt", _amended(_2A_NOTE, "ont_num", "ont_dt"), ("cdnra",), kind_keys=("ntty", "typ"), note_kinds=_2A_NOTE_KINDS),
        _2a("isd", "isd", "doclist", _2A_ISD, ("isd",), kind_keys=("isd_docty", "doctyp")),
        _2a("isda", "isd", "doclist", _amended(_2A_ISD, "odocnum", "odocdt"), ("isda",), kind_keys=("isd_docty", "doctyp")),
        _2a("impg", "bill_of_entry", None, _2A_BOE, ("impg",)),
        _2a("impgsez", "bill_of_entry", None, _2A_BOE, ("impgsez",)),
    )
}  # fmt: skip

# ---------------------------------------------------------------------------------------------------
# What the action-file writer and the portal connector read
# ---------------------------------------------------------------------------------------------------

# Sections that take IMS actions: the fields the API schema allows per section (besides the action keys)
# and which of them a record must carry.
API_FIELDS: dict[str, tuple[str, ...]] = {s.key: s.api_fields for s in IMS.values() if s.actions}
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {s.key: s.api_required for s in IMS.values() if s.actions}
NUMBER_KEY: dict[str, str] = {s.key: s.number[0] for s in IMS.values() if s.actions}
# Every Accept of a credit note answers the ITC-reduction question (itcRedReq).
CREDIT_NOTE_SECTIONS = tuple(s.key for s in IMS.values() if s.itc_reduction == "required")
# Amendments where the portal asks the question when they go downward (invoice / debit note) or upward
# (credit note); the direction is unknown without the original, so the answer goes when the user gave one.
AMENDMENT_SECTIONS = tuple(s.key for s in IMS.values() if s.is_amendment and s.itc_reduction)
IMPORT_SECTIONS = tuple(s.key for s in IMS.values() if s.doc_kind == "bill_of_entry")
FETCHED_SECTIONS = tuple(s.key for s in IMS.values() if s.fetched)
