"""IMS records and GSTR-2B JSON for generated portal documents (docs/reference/formats.md §1, §3).

Records are built as the portal writes them (field order, codes, DD-MM-YYYY dates, amounts as
numbers with two decimals via Decimal so that 59000.00 stays literal through recon.jsonio), and the
canonical rows are read back *from these records*, field by field, the way docs/reference/formats.md §1.3 defines
them — so the canonical frame describes exactly what the file says.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal

import polars as pl

from recon import jsonio, model
from recon.normalise import portal_date
from recon.synth.documents import PortalDoc, sum_lines

IMS_SECTION = {  # (doc_kind, is_amendment) -> IMS section key (docs/reference/formats.md §1.2)
    ("invoice", False): "b2b",
    ("invoice", True): "b2ba",
    ("debit_note", False): "b2bdn",
    ("debit_note", True): "b2bdna",
    ("credit_note", False): "b2bcn",
    ("credit_note", True): "b2bcna",
}
IMS_SECTION_ORDER = ("b2b", "b2ba", "b2bdn", "b2bdna", "b2bcn", "b2bcna")


def money(value: float):
    """A JSON amount: 0 as the portal writes it, anything else with exactly two decimals."""
    return 0 if value == 0 else Decimal(f"{value:.2f}")


def ims_section(doc: PortalDoc) -> str:
    return IMS_SECTION[(doc.doc_kind, doc.is_amendment)]


def _record_hash(parts: list[str]) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def ims_record(doc: PortalDoc) -> dict:
    """One IMS download record (docs/reference/formats.md §1.3), keys in the portal's order."""
    is_note = doc.doc_kind != "invoice"
    rec: dict = {"stin": doc.supplier.gstin}
    rec["nt_num" if is_note else "inum"] = doc.doc_no
    rec["nt_dt" if is_note else "idt"] = portal_date(doc.doc_date)
    if doc.is_amendment:
        rec["ont_num" if is_note else "oinum"] = doc.original_no
        rec["ont_dt" if is_note else "oidt"] = portal_date(doc.original_date)
    amounts = sum_lines(doc.lines)
    rec.update(
        {
            "inv_typ": "R",
            "pos": doc.pos,
            "val": money(doc.value),
            "txval": money(amounts["taxable_value"]),
            "iamt": money(amounts["igst"]),
            "camt": money(amounts["cgst"]),
            "samt": money(amounts["sgst"]),
            "cess": money(amounts["cess"]),
            "rtnprd": doc.rtnprd,
            "srcform": doc.srcform,
            "srcfilstatus": "Filed" if doc.filed else "Not Filed",
            "action": doc.action,
            "ispendactblocked": "Y" if doc.pending_blocked else "N",
        }
    )
    rec["hash"] = _record_hash([str(v) for v in rec.values()])
    return rec


def ims_payload(docs: list[PortalDoc]) -> dict:
    """The bare download form {"b2b": [...], "b2bcn": [...]} (docs/reference/formats.md §1.1), sections in portal order."""
    grouped: dict[str, list[dict]] = {}
    for doc in docs:
        grouped.setdefault(ims_section(doc), []).append(ims_record(doc))
    return {key: grouped[key] for key in IMS_SECTION_ORDER if key in grouped}


def ims_rows(payload: dict, recipient: str, file_name: str) -> list[dict]:
    """Canonical rows of an IMS payload, from the records themselves."""
    rows = []
    for section, records in payload.items():
        for index, rec in enumerate(records, start=1):
            is_note = "nt_num" in rec
            amend = "oinum" in rec or "ont_num" in rec
            rows.append(
                {
                    "section": section,
                    "recipient_gstin": recipient,
                    "doc_kind": {"b2b": "invoice", "b2ba": "invoice"}.get(
                        section, "credit_note" if section.startswith("b2bcn") else "debit_note"
                    ),
                    "is_amendment": amend,
                    "original_doc_no": rec.get("ont_num" if is_note else "oinum"),
                    "original_doc_date": _parse(rec.get("ont_dt" if is_note else "oidt")),
                    "supplier_gstin": rec["stin"],
                    "doc_no": rec["nt_num" if is_note else "inum"],
                    "doc_date": _parse(rec["nt_dt" if is_note else "idt"]),
                    "pos": rec["pos"],
                    "supply_type": rec["inv_typ"],
                    "reverse_charge": False,  # RCM supplies never enter IMS (docs/reference/ims-rules.md §1)
                    **{col: float(rec[key]) for col, key in _AMOUNT_KEYS.items()},
                    "supplier_period": rec["rtnprd"],
                    "supplier_filing_status": rec["srcfilstatus"],
                    "supplier_filed": rec["srcfilstatus"].lower() == "filed",
                    "ims_action": rec["action"],
                    "pending_blocked": rec["ispendactblocked"] == "Y",
                    "portal_hash": rec["hash"],
                    "origin_file": file_name,
                    "origin_sheet": section,
                    "origin_rows": [index],
                    "raw": jsonio.dumps_exact(rec),
                    "warnings": [],
                }
            )
    return rows


_AMOUNT_KEYS = {
    "taxable_value": "txval",
    "igst": "iamt",
    "cgst": "camt",
    "sgst": "samt",
    "cess": "cess",
    "doc_value": "val",
}


def _parse(text: str | None) -> date | None:
    if not text:
        return None
    d, m, y = text.split("-")
    return date(int(y), int(m), int(d))


# ---------------------------------------------------------------------------------------------------
# GSTR-2B (docs/reference/formats.md §3)
# ---------------------------------------------------------------------------------------------------


def _irn(doc: PortalDoc) -> str:
    return hashlib.sha256(f"irn|{doc.supplier.gstin}|{doc.doc_no}".encode()).hexdigest()


def _b2b_amounts(doc: PortalDoc, rec: dict, head_keys=("igst", "cgst", "sgst")) -> None:
    if doc.items_in_2b:
        rec["items"] = [
            {
                "num": i,
                "rt": line.rate,
                "txval": money(line.taxable),
                head_keys[0]: money(line.igst),
                head_keys[1]: money(line.cgst),
                head_keys[2]: money(line.sgst),
                "cess": money(line.cess),
            }
            for i, line in enumerate(doc.lines, start=1)
        ]
        return
    amounts = sum_lines(doc.lines)
    rec["txval"] = money(amounts["taxable_value"])
    rec["igst"] = money(amounts["igst"])
    rec["cgst"] = money(amounts["cgst"])
    rec["sgst"] = money(amounts["sgst"])
    rec["cess"] = money(amounts["cess"])


def gstr2b_doc_record(doc: PortalDoc) -> dict:
    """One document inside a supplier's inv[] / nt[] list."""
    is_note = doc.doc_kind in ("credit_note", "debit_note")
    rec: dict = {}
    if is_note:
        rec["ntnum"] = doc.doc_no
        rec["typ"] = "C" if doc.doc_kind == "credit_note" else "D"
        rec["suptyp"] = "R"
    else:
        rec["inum"] = doc.doc_no
        rec["typ"] = "R"
    rec["dt"] = portal_date(doc.doc_date)
    if doc.is_amendment:
        if is_note:
            rec["onttyp"] = rec["typ"]
            rec["ontnum"] = doc.original_no
            rec["ontdt"] = portal_date(doc.original_date)
        else:
            rec["oinum"] = doc.original_no
            rec["oidt"] = portal_date(doc.original_date)
    rec["val"] = money(doc.value)
    rec["pos"] = doc.pos
    rec["rev"] = "Y" if doc.reverse_charge else "N"
    rec["itcavl"] = doc.itc_available
    if doc.itc_reason:
        rec["rsn"] = doc.itc_reason
    rec["diffprcnt"] = 1
    _b2b_amounts(doc, rec)
    rec["srctyp"] = "e-Invoice" if doc.e_invoice else "Upload"
    if doc.e_invoice:
        rec["irn"] = _irn(doc)
        rec["irngendate"] = portal_date(doc.doc_date)
    if doc.in_ims:
        rec["imsStatus"] = doc.action
    return rec


def _isd_record(doc: PortalDoc) -> dict:
    amounts = sum_lines(doc.lines)
    return {
        "doctyp": "ISDI",
        "docnum": doc.doc_no,
        "docdt": portal_date(doc.doc_date),
        "igst": money(amounts["igst"]),
        "cgst": money(amounts["cgst"]),
        "sgst": money(amounts["sgst"]),
        "cess": money(amounts["cess"]),
        "itcelg": "Y",
    }


def _impg_record(doc: PortalDoc) -> dict:
    amounts = sum_lines(doc.lines)
    return {
        "refdt": portal_date(doc.doc_date + timedelta(days=2)),
        "recdt": portal_date(doc.doc_date + timedelta(days=3)),
        "portcode": doc.port_code,
        "boenum": doc.doc_no,
        "boedt": portal_date(doc.doc_date),
        "isamd": "N",
        "txval": money(amounts["taxable_value"]),
        "igst": money(amounts["igst"]),
        "cess": money(amounts["cess"]),
    }


def gstr2b_section(doc: PortalDoc) -> str:
    if doc.doc_kind == "isd":
        return "isd"
    if doc.doc_kind == "bill_of_entry":
        return "impg"
    if doc.doc_kind == "invoice":
        return "b2ba" if doc.is_amendment else "b2b"
    return "cdnra" if doc.is_amendment else "cdnr"


def gstr2b_payload(docs: list[PortalDoc], recipient: str, period: str, generated: date) -> dict:
    """The GSTR-2B JSON: suppliers grouped per section, imports flat (docs/reference/formats.md §3)."""
    sections: dict[str, dict[str, dict]] = {}
    impg: list[dict] = []
    for doc in docs:
        section = gstr2b_section(doc)
        if section == "impg":
            impg.append(_impg_record(doc))
            continue
        suppliers = sections.setdefault(section, {})
        supplier = suppliers.get(doc.supplier.gstin)
        if supplier is None:
            supplier = {
                "ctin": doc.supplier.gstin,
                "trdnm": doc.supplier.name,
                "supfildt": portal_date(_filing_date(doc.rtnprd)),
                "supprd": doc.rtnprd,
            }
            supplier[{"isd": "doclist", "cdnr": "nt", "cdnra": "nt"}.get(section, "inv")] = []
            suppliers[doc.supplier.gstin] = supplier
        list_key = {"isd": "doclist", "cdnr": "nt", "cdnra": "nt"}.get(section, "inv")
        record = _isd_record(doc) if section == "isd" else gstr2b_doc_record(doc)
        supplier[list_key].append(record)
    docdata: dict = {}
    for key in ("b2b", "b2ba", "cdnr", "cdnra", "isd"):
        if key in sections:
            docdata[key] = list(sections[key].values())
    if impg:
        docdata["impg"] = impg
    data = {
        "gstin": recipient,
        "rtnprd": period,
        "version": "GSTR2B_V4.0",
        "gendt": portal_date(generated),
        "itcsumm": {},
        "cpsumm": {},
        "docdata": docdata,
        "docRejdata": {},
    }
    checksum = hashlib.sha256(jsonio.dumps_exact(data).encode()).hexdigest()
    return {"chksum": checksum, "data": data}


def _filing_date(rtnprd: str) -> date:
    """GSTR-1 of a month is filed by the 11th of the next one."""
    month, year = int(rtnprd[:2]), int(rtnprd[2:])
    return date(year + (month == 12), month % 12 + 1, 11)


def gstr2b_rows(payload: dict, file_name: str) -> list[dict]:
    """Canonical rows of a 2B payload, from its records."""
    data = payload["data"]
    recipient = data["gstin"]
    rows = []
    for section, suppliers in data["docdata"].items():
        if section == "impg":
            for index, rec in enumerate(suppliers, start=1):
                rows.append(_impg_row(rec, recipient, file_name, index))
            continue
        list_key = {"isd": "doclist", "cdnr": "nt", "cdnra": "nt"}.get(section, "inv")
        index = 0
        for supplier in suppliers:
            for rec in supplier[list_key]:
                index += 1
                rows.append(_b2b_row(section, supplier, rec, recipient, file_name, index))
    return rows


def _amount_of(rec: dict, key: str) -> float:
    if key in rec:
        return float(rec[key])
    return round(sum(float(item[key]) for item in rec.get("items", [])), 2)


def _b2b_row(section: str, supplier: dict, rec: dict, recipient: str, file_name: str, index: int) -> dict:
    if section == "isd":
        kind, number, when = "isd", rec["docnum"], rec["docdt"]
    elif section in ("cdnr", "cdnra"):
        kind = "credit_note" if rec["typ"] == "C" else "debit_note"
        number, when = rec["ntnum"], rec["dt"]
    else:
        kind, number, when = "invoice", rec["inum"], rec["dt"]
    original_no = rec.get("oinum") or rec.get("ontnum")
    original_dt = rec.get("oidt") or rec.get("ontdt")
    row = {
        "section": section,
        "recipient_gstin": recipient,
        "doc_kind": kind,
        "is_amendment": original_no is not None,
        "original_doc_no": original_no,
        "original_doc_date": _parse(original_dt),
        "supplier_gstin": supplier["ctin"],
        "supplier_name": supplier.get("trdnm"),
        "doc_no": number,
        "doc_date": _parse(when),
        "pos": rec.get("pos"),
        "supply_type": rec.get("suptyp") or (rec.get("typ") if section in ("b2b", "b2ba") else None),
        "reverse_charge": rec.get("rev") == "Y" if "rev" in rec else None,
        "taxable_value": _amount_of(rec, "txval") if section != "isd" else None,
        "igst": _amount_of(rec, "igst"),
        "cgst": _amount_of(rec, "cgst"),
        "sgst": _amount_of(rec, "sgst"),
        "cess": _amount_of(rec, "cess"),
        "doc_value": float(rec["val"]) if "val" in rec else None,
        "supplier_period": supplier.get("supprd"),
        # 2B says when, not whether: only filed returns reach it (docs/reference/ims-rules.md §1).
        "supplier_filing_status": f"Filed on {supplier['supfildt']}" if supplier.get("supfildt") else "Filed",
        "supplier_filed": True,
        "ims_action": rec.get("imsStatus"),
        "itc_available": rec.get("itcavl") or rec.get("itcelg"),
        "itc_unavailable_reason": rec.get("rsn"),
        "origin_file": file_name,
        "origin_sheet": section,
        "origin_rows": [index],
        # The supplier's keys travel with each document so that raw is a self-contained record.
        "raw": jsonio.dumps_exact({k: v for k, v in supplier.items() if not isinstance(v, list)} | rec),
        "warnings": [],
    }
    return row


def _impg_row(rec: dict, recipient: str, file_name: str, index: int) -> dict:
    return {
        "section": "impg",
        "recipient_gstin": recipient,
        "doc_kind": "bill_of_entry",
        "is_amendment": False,
        "supplier_gstin": None,
        "doc_no": rec["boenum"],
        "doc_date": _parse(rec["boedt"]),
        "taxable_value": float(rec["txval"]),
        "igst": float(rec["igst"]),  # imports carry IGST and cess only: CGST/SGST are not stated
        "cess": float(rec["cess"]),
        "supplier_filing_status": "Filed",
        "supplier_filed": True,
        "origin_file": file_name,
        "origin_sheet": "impg",
        "origin_rows": [index],
        "raw": jsonio.dumps_exact(rec),
        "warnings": [],
    }


def rows_frame(rows: list[dict]) -> pl.DataFrame:
    """Rows as a frame of the canonical columns (fields a row does not mention are null)."""
    return pl.from_dicts(rows, schema=model.SCHEMA) if rows else model.empty()
