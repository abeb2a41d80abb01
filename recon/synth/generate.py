"""Seeded generation of a realistic client period: books, IMS, GSTR-2B and the ground truth.

Each defect kind (DEFECTS) is built by one small function that adds the portal documents and book
entries of one case and records what a correct reconciliation must conclude about them. The
conclusions follow docs/reference/matching-practice.md: ₹1 per head is rounding (§2); number formats are the same
document (§3); confusable numbers are different documents (§4); another registration of the same PAN
is a GSTIN mismatch, never a silent match (§5); 31 March vs 1 April is flagged, not refused (§6);
duplicates are "only in books — duplicate" (§9); amendments pair through the original number (docs/reference/matching-practice.md §10).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta

import polars as pl

from recon.synth import numbers, portal
from recon.synth.builder import Builder
from recon.synth.canonical import finish
from recon.synth.documents import BookEntry, PortalDoc, r2, sum_lines, taxed_line
from recon.synth.parties import (
    Client,
    Supplier,
    make_client,
    make_gstin,
    make_suppliers,
    mistype_gstin,
    state_abbr,
    suppliers_frame,
)
from recon.synth.register import books_frame, register_frame
from recon.synth.truth import truth_frame

DEFECTS = (
    "exact",
    "number_format",
    "rounding",
    "value_diff",
    "date_diff",
    "branch_gstin",
    "mistyped_gstin",
    "duplicate_booking",
    "credit_note",
    "debit_note",
    "rate_wise_lines",
    "ims_only",
    "books_only",
    "confusable_number",
    "amendment",
    "fy_boundary",
    "not_in_ims",
    "unfiled_supplier",
    "pending_blocked",
)

# Share of cases per defect (the rest are exact matches). Chosen to look like a mid-size client's
# month: most documents agree, a few percent carry each kind of trouble.
SHARES = {
    "number_format": 0.09,
    "rounding": 0.05,
    "value_diff": 0.03,
    "date_diff": 0.02,
    "branch_gstin": 0.012,
    "mistyped_gstin": 0.012,
    "duplicate_booking": 0.014,
    "credit_note": 0.04,
    "debit_note": 0.015,
    "rate_wise_lines": 0.03,
    "ims_only": 0.04,
    "books_only": 0.03,
    "confusable_number": 0.01,
    "amendment": 0.01,
    "fy_boundary": 0.006,
    "not_in_ims": 0.02,
    "unfiled_supplier": 0.02,
    "pending_blocked": 0.01,
}
MIN_CASES = 3

BOOKS_FILE = "books_generic.xlsx"  # the default books file; corpus.books is what it reads as
BOOKS_SHEET = "Purchase Register"
IMS_FILE = "ims.json"
GSTR2B_FILE = "gstr2b.json"


@dataclass
class Corpus:
    """One generated client period. Frames are canonical (recon.model.SCHEMA) except suppliers/truth."""

    client: Client
    suppliers: pl.DataFrame
    books: pl.DataFrame
    ims: pl.DataFrame
    gstr2b: pl.DataFrame
    truth: pl.DataFrame
    register: pl.DataFrame  # one row per purchase-register line, layout-neutral (writers render it)
    ims_payload: dict | None = None  # the IMS download, records as written (None in fast mode)
    gstr2b_payload: dict | None = None
    seed: int = 7
    fast: bool = False


# ---------------------------------------------------------------------------------------------------
# One function per defect kind
# ---------------------------------------------------------------------------------------------------


def _exact(b: Builder) -> None:
    doc = b.portal_doc()
    b.link("exact", "matched", b.booking(doc), doc)


def _number_format(b: Builder) -> None:
    for _ in range(50):
        supplier = b.supplier()
        fy = b.fy(b.period_start)
        probe = numbers.series_number(supplier.number_style, 45, fy, state_abbr(supplier.state), 1)
        if numbers.reformat(b.rng, probe, fy):
            break
    doc = b.portal_doc(supplier)
    typed = numbers.reformat(b.rng, doc.doc_no, b.fy(doc.doc_date)) or doc.doc_no.lower()
    book = b.booking(doc, doc_no=typed)
    b.link("number_format", "matched", book, doc, detail=f"books wrote {typed!r} for {doc.doc_no!r}")


def _rounding(b: Builder) -> None:
    doc = b.portal_doc(rates=1)
    line = replace(doc.lines[0])
    delta = b.rng.choice([-1, 1]) * b.rng.randint(1, 100) / 100  # ≤ ₹1 per head: still the same bill
    if line.igst:
        line.igst = r2(line.igst + delta)
    else:
        line.cgst, line.sgst = r2(line.cgst + delta), r2(line.sgst + delta)
    # Books round the gross total off to the rupee with a round-off ledger; heads carry the paise.
    book = b.booking(doc, lines=[line], gross_total=doc.value)
    b.link("rounding", "matched", book, doc, detail=f"tax per head differs by {abs(delta):.2f}")


def _value_diff(b: Builder) -> None:
    doc = b.portal_doc(rates=1)
    inter = doc.supplier.state != b.client.state_code
    original = doc.lines[0]
    if b.rng.random() < 0.5:
        # Taxable typed wrong (digits swapped or a wrong figure): tax follows it.
        taxable = r2(
            original.taxable + b.rng.choice([-1, 1]) * b.rng.uniform(50, max(60, original.taxable / 5))
        )
        taxable = max(taxable, 10.0)
        line = taxed_line(original.rate, taxable, inter, 12.0 if original.cess else 0.0)
        diffs = ["taxable_value", "igst" if inter else "cgst", *([] if inter else ["sgst"])]
        if original.cess:
            diffs.append("cess")
    else:
        # Booked at another rate (12 % instead of 18 %): taxable agrees, tax does not.
        rate = b.rng.choice([r for r in (5.0, 12.0, 18.0, 28.0) if r != original.rate])
        line = taxed_line(rate, original.taxable, inter, original.cess and 12.0)
        diffs = ["igst"] if inter else ["cgst", "sgst"]
    book = b.booking(doc, lines=[line])
    diffs = [d for d in diffs if abs(sum_lines([line])[d] - sum_lines(doc.lines)[d]) > 1.0]
    if abs(book.value - doc.value) > 1.0:
        diffs.append("doc_value")
    b.link("value_diff", "mismatched", book, doc, differences=tuple(diffs))


def _date_diff(b: Builder) -> None:
    doc = b.portal_doc()
    shift = b.rng.choice([-5, -3, -2, -1, 1, 2, 3, 7])
    other = doc.doc_date + timedelta(days=shift)
    if b.fy(other) != b.fy(doc.doc_date):
        other = doc.doc_date - timedelta(days=shift)
    book = b.booking(doc, doc_date=other)
    b.link("date_diff", "mismatched", book, doc, differences=("doc_date",))


def _branch_gstin(b: Builder) -> None:
    supplier = b.supplier(with_branch=True)
    other = b.sibling(supplier)
    doc_date, rtnprd = b.doc_date()
    fy = b.fy(doc_date)
    # Each registration numbers its own documents; the number must be free under the registration the
    # books carry too, or the booking would collide with a real document of that registration.
    number = b.number(supplier, "invoice", fy)
    while not b.claim(other.gstin, "invoice", number, fy):
        number = b.number(supplier, "invoice", fy)
    doc = b.portal_doc(supplier, doc_no=number, doc_date=doc_date, rtnprd=rtnprd)
    book = b.booking(doc, supplier_gstin=other.gstin)
    # Same PAN, another registration: a GSTIN mismatch to resolve, never an automatic match (docs/reference/matching-practice.md §5).
    b.link(
        "branch_gstin",
        "mismatched",
        book,
        doc,
        differences=("supplier_gstin",),
        detail=f"books carry {other.gstin}, the supplier billed from {supplier.gstin}",
    )


def _mistyped_gstin(b: Builder) -> None:
    doc = b.portal_doc()
    typo = mistype_gstin(b.rng, doc.supplier.gstin)
    book = b.booking(doc, supplier_gstin=typo)
    b.link(
        "mistyped_gstin",
        "mismatched",
        book,
        doc,
        differences=("supplier_gstin",),
        detail=f"books typed {typo} for {doc.supplier.gstin} (fails the check character)",
    )


def _duplicate_booking(b: Builder) -> None:
    doc = b.portal_doc(rates=1)
    first = b.booking(doc)
    fy = b.fy(doc.doc_date)
    number = doc.doc_no if b.rng.random() < 0.6 else (numbers.reformat(b.rng, doc.doc_no, fy) or doc.doc_no)
    copy = b.booking(doc, doc_no=number)
    copy.voucher_date = min(first.voucher_date + timedelta(days=b.rng.randint(2, 20)), b.period_end)
    b.link("duplicate_booking", "matched", first, doc)
    b.link(
        "duplicate_booking",
        "books_only",
        copy,
        None,
        duplicate_of=first,
        detail=f"second booking of {doc.doc_no!r}",
    )


def _note(b: Builder, kind: str) -> None:
    doc = b.portal_doc(kind=kind, rates=1)
    # Some purchase returns are typed as negative purchases; the reader turns them positive.
    negative = kind == "credit_note" and b.rng.random() < 0.4
    book = b.booking(doc, negative=negative)
    b.link(kind, "matched", book, doc, detail="booked with negative amounts" if negative else None)


def _rate_wise_lines(b: Builder) -> None:
    doc = b.portal_doc(rates=b.rng.choice([2, 2, 3]))
    doc.items_in_2b = True
    book = b.booking(doc, split_rates=b.rng.random() < 0.7)
    b.link(
        "rate_wise_lines",
        "matched",
        book,
        doc,
        detail=f"{len(doc.lines)} rates; books {'one row per rate' if book.split_rates else 'one row'}",
    )


def _ims_only(b: Builder) -> None:
    doc = b.portal_doc()
    b.link("ims_only", "ims_only", None, doc)


def _books_only(b: Builder) -> None:
    supplier = b.supplier()
    doc_date, _ = b.doc_date()
    fy = b.fy(doc_date)
    ghost = PortalDoc(
        supplier,
        "invoice",
        b.number(supplier, "invoice", fy),
        doc_date,
        b.lines(supplier),
        b.client.state_code,
        b.client.period,
    )
    book = b.booking(ghost)  # the supplier has not reported it: no portal document exists
    b.link("books_only", "books_only", book, None)


def _confusable_number(b: Builder) -> None:
    for _ in range(100):
        supplier = b.supplier()
        doc_date, rtnprd = b.doc_date()
        fy = b.fy(doc_date)
        first_no = b.number(supplier, "invoice", fy)
        second_no = numbers.confusable(b.rng, first_no, fy)
        if second_no and b.claim(supplier.gstin, "invoice", second_no, fy):
            break
    same_amounts = b.rng.random() < 0.3
    first = b.portal_doc(supplier, doc_no=first_no, doc_date=doc_date, rtnprd=rtnprd, rates=1)
    second = b.portal_doc(
        supplier,
        doc_no=second_no,
        rates=1,
        rtnprd=rtnprd,
        doc_date=doc_date if same_amounts else doc_date + timedelta(days=b.rng.randint(0, 3)),
    )
    if same_amounts:
        second.lines = [replace(x) for x in first.lines]
    if b.fy(second.doc_date) != fy:
        second.doc_date = doc_date
    for doc, twin in ((first, second), (second, first)):
        b.link(
            "confusable_number",
            "matched",
            b.booking(doc),
            doc,
            detail=f"{doc.doc_no!r} must not pair with {twin.doc_no!r}",
        )


def _amendment(b: Builder) -> None:
    kind = b.rng.choice(["invoice", "invoice", "credit_note"])
    doc = b.portal_doc(kind=kind, rates=1)
    fy = b.fy(doc.doc_date)
    original_date = doc.doc_date - timedelta(days=b.rng.randint(0, 20))
    if b.fy(original_date) != fy:
        original_date = doc.doc_date
    if b.rng.random() < 0.5:
        # The supplier corrected the number; books still hold the original, amounts agree.
        original_no = doc.doc_no
        doc.doc_no = b.number(doc.supplier, kind, fy)
        doc.original_no, doc.original_date = original_no, original_date
        doc.doc_date = original_date if b.rng.random() < 0.5 else doc.doc_date
        book = b.booking(doc, doc_no=original_no, doc_date=original_date)
        b.link("amendment", "matched", book, doc, detail=f"amended number {doc.doc_no!r} of {original_no!r}")
        return
    # The supplier revised the value downward; books hold the original amounts.
    doc.original_no, doc.original_date = doc.doc_no, original_date
    booked = [replace(x) for x in doc.lines]
    inter = doc.supplier.state != b.client.state_code
    line = doc.lines[0]
    doc.lines = [taxed_line(line.rate, r2(line.taxable * 0.9), inter, 12.0 if line.cess else 0.0)]
    book = b.booking(doc, doc_date=original_date, lines=booked)
    diffs = ["taxable_value", *(["igst"] if inter else ["cgst", "sgst"])]
    diffs = [d for d in diffs if abs(sum_lines(booked)[d] - sum_lines(doc.lines)[d]) > 1.0]
    if line.cess:
        diffs.append("cess")
    diffs.append("doc_value")
    if original_date != doc.doc_date:
        diffs.append("doc_date")
    b.link(
        "amendment",
        "mismatched",
        book,
        doc,
        differences=tuple(diffs),
        detail=f"value revised downward in {doc.doc_no!r}",
    )


def _fy_boundary(b: Builder) -> None:
    supplier = b.supplier(style_has_fy=False)
    march = date(b.period_start.year if b.period_start.month >= 4 else b.period_start.year - 1, 3, 31)
    april = march + timedelta(days=1)
    portal_date, books_date = (april, march) if b.rng.random() < 0.5 else (march, april)
    # The number must be free in both FYs, or the books' date would make it another real document.
    number = b.number(supplier, "invoice", b.fy(portal_date))
    while not b.claim(supplier.gstin, "invoice", number, b.fy(books_date)):
        number = b.number(supplier, "invoice", b.fy(portal_date))
    doc = b.portal_doc(supplier, doc_no=number, doc_date=portal_date, rtnprd=b.client.period, action="N")
    book = b.booking(doc, doc_date=books_date)
    # Equal-FY rules never pair these; flag for review rather than refuse (docs/reference/matching-practice.md §6).
    b.link(
        "fy_boundary",
        "mismatched",
        book,
        doc,
        differences=("doc_date",),
        detail=f"books {books_date:%d-%m-%Y}, portal {portal_date:%d-%m-%Y}",
    )


def _not_in_ims(b: Builder) -> None:
    """Reverse charge: in books and 2B, never in IMS (docs/reference/ims-rules.md §1) — not 'missing from IMS'."""
    doc = b.portal_doc(rates=1, reverse_charge=True, in_ims=False, action="N")
    book = b.booking(doc)
    b.link("not_in_ims", "books_only", book, doc, reason="reverse charge")


def _unfiled_supplier(b: Builder) -> None:
    doc = b.portal_doc(filed=False, action="N")
    b.link("unfiled_supplier", "matched", b.booking(doc), doc, detail="supplier return not filed")


def _pending_blocked(b: Builder) -> None:
    doc = b.portal_doc(pending_blocked=True, action="N")
    b.link("pending_blocked", "matched", b.booking(doc), doc)


_BUILDERS = {
    "exact": _exact,
    "number_format": _number_format,
    "rounding": _rounding,
    "value_diff": _value_diff,
    "date_diff": _date_diff,
    "branch_gstin": _branch_gstin,
    "mistyped_gstin": _mistyped_gstin,
    "duplicate_booking": _duplicate_booking,
    "credit_note": lambda b: _note(b, "credit_note"),
    "debit_note": lambda b: _note(b, "debit_note"),
    "rate_wise_lines": _rate_wise_lines,
    "ims_only": _ims_only,
    "books_only": _books_only,
    "confusable_number": _confusable_number,
    "amendment": _amendment,
    "fy_boundary": _fy_boundary,
    "not_in_ims": _not_in_ims,
    "unfiled_supplier": _unfiled_supplier,
    "pending_blocked": _pending_blocked,
}


def _two_b_only(b: Builder) -> None:
    """Documents that go straight to GSTR-2B: ISD credit, imports, POS-rule ineligible (docs/reference/ims-rules.md §1).

    None is in the books: they belong to a 2B reconciliation and must never count as missing from IMS.
    """
    makers = (
        (_isd_doc, "ISD"),
        (_import_doc, "import of goods"),
        (_pos_rule_doc, "ITC not available (POS rule)"),
    )
    for i in range(max(3, len(b.docs) // 200)):
        make, reason = makers[i % 3]
        doc = make(b, b.period_start.replace(day=b.rng.randint(1, b.period_end.day)))
        b.docs.append(doc)
        b.link("not_in_ims", None, None, doc, reason=reason)


def _isd_doc(b: Builder, when: date) -> PortalDoc:
    """ITC distributed by the client's own head office registration (an ISD in Karnataka)."""
    pan = b.client.gstin[2:12]
    isd = Supplier(make_gstin("29", pan), f"{b.client.name} (ISD)", pan, "29", "plain", is_branch=True)
    number = ""
    while not number or not b.claim(isd.gstin, "isd", number, b.fy(when)):
        number = f"ISD/{numbers.fy_tokens(b.fy(when))['fy5']}/{b.rng.randint(10, 999):03d}"
    return PortalDoc(
        isd,
        "isd",
        number,
        when,
        b.lines(isd, inter_state=True),
        b.client.state_code,
        b.client.period,
        in_ims=False,
    )


def _import_doc(b: Builder, when: date) -> PortalDoc:
    """A bill of entry from ICEGATE: no supplier GSTIN, IGST on the assessable value."""
    line = taxed_line(18.0, float(b.rng.randint(50_000, 900_000)), True)
    return PortalDoc(
        None,
        "bill_of_entry",
        str(b.rng.randint(1_000_000, 9_999_999)),
        when,
        [line],
        b.client.state_code,
        b.client.period,
        in_ims=False,
        port_code=b.rng.choice(["INNSA1", "INBOM4", "INMAA1"]),
    )


def _pos_rule_doc(b: Builder, when: date) -> PortalDoc:
    """An out-of-state supplier charging its own state's CGST + SGST (POS = its state): 2B 'ITC not
    available', reason P, and never in IMS."""
    supplier = b.supplier(out_of_state=True)
    fy = b.fy(when)
    return PortalDoc(
        supplier,
        "invoice",
        b.number(supplier, "invoice", fy),
        when,
        b.lines(supplier, inter_state=False),
        supplier.state,
        b.client.period,
        in_ims=False,
        itc_available="N",
        itc_reason="P",
    )


def _plan(rng: random.Random, n_docs: int) -> list[str]:
    """Defect per case, shuffled; counts from SHARES with a floor so small corpora have every kind."""
    plan = []
    for defect, share in SHARES.items():
        plan += [defect] * max(MIN_CASES, round(share * n_docs))
    plan += ["exact"] * max(MIN_CASES, n_docs - len(plan))
    rng.shuffle(plan)
    return plan


def generate(seed: int = 7, n_docs: int = 2000, period: str = "112025", *, fast: bool = False) -> Corpus:
    """A client period with about ``n_docs`` portal documents and as many book entries, plus truth.

    Same seed, same arguments → identical frames (and identical files from write_files).
    ``fast=True`` builds the million-row benchmark corpus with vectorised code (recon.synth.fast).
    """
    if fast:
        from recon.synth.fast import generate_fast

        return generate_fast(seed, n_docs, period)
    rng = random.Random(seed)
    client = make_client(rng, period)
    # About 2 % of the documents per supplier on average (a few large ones, many small).
    suppliers = make_suppliers(rng, max(25, n_docs // 40), numbers.STYLES)
    builder = Builder(rng, client, suppliers)
    for defect in _plan(rng, n_docs):
        _BUILDERS[defect](builder)
    _two_b_only(builder)
    return _assemble(builder, seed)


def _assemble(b: Builder, seed: int) -> Corpus:
    ims_docs = [d for d in b.docs if d.in_ims]
    ims_payload = portal.ims_payload(ims_docs)
    ims = finish(
        portal.rows_frame(portal.ims_rows(ims_payload, b.client.gstin, IMS_FILE)),
        "ims",
        count_occurrences=False,
    )
    twob_docs = [d for d in b.docs if d.in_2b]
    generated = b.period_end + timedelta(days=14)
    twob_payload = portal.gstr2b_payload(twob_docs, b.client.gstin, b.client.period, generated)
    gstr2b = finish(
        portal.rows_frame(portal.gstr2b_rows(twob_payload, GSTR2B_FILE)), "gstr2b", count_occurrences=False
    )
    entries = sorted(range(len(b.books)), key=lambda i: (b.books[i].voucher_date, i))
    ordered = [b.books[i] for i in entries]
    _voucher_numbers(ordered, b.fy(b.period_start))
    register = register_frame(ordered)
    books = books_frame(register, b.client.gstin, layout="generic", file_name=BOOKS_FILE, sheet=BOOKS_SHEET)
    truth = truth_frame(b.links, ordered, books, ims_docs, ims, twob_docs, gstr2b)
    return Corpus(
        client=b.client,
        suppliers=suppliers_frame(b.suppliers),
        books=books,
        ims=ims,
        gstr2b=gstr2b,
        truth=truth,
        register=register,
        ims_payload=ims_payload,
        gstr2b_payload=twob_payload,
        seed=seed,
    )


def _voucher_numbers(entries: list[BookEntry], fy: str) -> None:
    """The buyer's own voucher series, one per voucher class, in booking order."""
    counters: dict[str, int] = {}
    # buyer's wording (docs/reference/matching-practice.md §7)
    prefix = {"invoice": "PUR", "credit_note": "DN", "debit_note": "CN"}
    token = numbers.fy_tokens(fy)["fy5"]
    for entry in entries:
        p = prefix[entry.doc_kind]
        counters[p] = counters.get(p, 0) + 1
        entry.voucher_no = f"{p}/{token}/{counters[p]:04d}"


__all__ = ["DEFECTS", "Corpus", "generate"]
