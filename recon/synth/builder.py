"""The toolbox a generated case is built with: the period, the suppliers, fresh document numbers, amounts,
portal documents and their bookings, and the link that records what a correct reconciliation concludes."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from recon.normalise import doc_no_key
from recon.synth import numbers
from recon.synth.documents import BookEntry, Line, PortalDoc, r2, taxed_line
from recon.synth.parties import Client, Supplier, state_abbr


@dataclass
class Link:
    defect: str
    category: str | None
    book: BookEntry | None = None
    doc: PortalDoc | None = None
    differences: tuple[str, ...] = ()
    duplicate_of: BookEntry | None = None
    reason: str | None = None
    detail: str | None = None


@dataclass
class Builder:
    rng: random.Random
    client: Client
    suppliers: list[Supplier]
    docs: list[PortalDoc] = field(default_factory=list)
    books: list[BookEntry] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    serials: dict = field(default_factory=dict)
    used: set = field(default_factory=set)

    # -- period -------------------------------------------------------------------------------------

    @property
    def period_start(self) -> date:
        return date(int(self.client.period[2:]), int(self.client.period[:2]), 1)

    @property
    def period_end(self) -> date:
        start = self.period_start
        nxt = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
        return nxt - timedelta(days=1)

    @property
    def previous_period(self) -> str:
        prev = self.period_start - timedelta(days=1)
        return f"{prev.month:02d}{prev.year}"

    def fy(self, d: date) -> str:
        start = d.year if d.month >= 4 else d.year - 1
        return f"{start}-{(start + 1) % 100:02d}"

    def doc_date(self) -> tuple[date, str]:
        """A date in the period (or, for one in ten, the month before: still open in IMS)."""
        if self.rng.random() < 0.1:
            prev_end = self.period_start - timedelta(days=1)
            return prev_end.replace(day=self.rng.randint(1, prev_end.day)), self.previous_period
        return self.period_start.replace(day=self.rng.randint(1, self.period_end.day)), self.client.period

    # -- parties ------------------------------------------------------------------------------------

    def supplier(
        self, *, with_branch: bool = False, style_has_fy: bool | None = None, out_of_state: bool = False
    ) -> Supplier:
        pool = self.suppliers
        if out_of_state:
            pool = [s for s in pool if s.state != self.client.state_code] or pool
        if with_branch:
            pans = {s.pan for s in pool if s.is_branch}
            pool = [s for s in pool if s.pan in pans]
        if style_has_fy is not None:
            pool = [s for s in pool if (s.number_style in _FY_STYLES) == style_has_fy] or pool
        # Zipf-like weights: a few suppliers carry most of the documents, as in real registers.
        weights = [self._supplier_weight(s) for s in pool]
        return self.rng.choices(pool, weights=weights)[0]

    def _supplier_weight(self, supplier: Supplier) -> float:
        # By identity, computed once: looking a supplier up by value compares whole dataclasses per call.
        if not hasattr(self, "_weights"):
            self._weights = {id(s): 1.0 / (1 + i) ** 0.8 for i, s in enumerate(self.suppliers)}
        return self._weights[id(supplier)]

    def sibling(self, supplier: Supplier) -> Supplier:
        return next(s for s in self.suppliers if s.pan == supplier.pan and s.gstin != supplier.gstin)

    # -- numbers and amounts ------------------------------------------------------------------------

    def number(self, supplier: Supplier, kind: str, fy: str) -> str:
        """The supplier's next unused number of the series for this kind and FY."""
        slot = (supplier.gstin, kind, fy)
        if slot not in self.serials:
            self.serials[slot] = self.rng.randint(20, 900)
        branch = int(supplier.gstin[12], 36) + 10 * (int(supplier.gstin[:2]) % 9)
        while True:
            self.serials[slot] += self.rng.randint(1, 3)
            serial = self.serials[slot]
            if kind == "invoice":
                no = numbers.series_number(
                    supplier.number_style, serial, fy, state_abbr(supplier.state), branch
                )
            else:
                no = numbers.note_number(kind, serial, fy)
            if self.claim(supplier.gstin, kind, no, fy):
                return no

    def claim(self, gstin: str, kind: str, number: str, fy: str) -> bool:
        """Numbers are unique per supplier, class and FY (Rule 46(b)); False if already used."""
        key = (gstin, kind, doc_no_key(number, fy), fy)
        if key in self.used:
            return False
        self.used.add(key)
        return True

    def lines(self, supplier: Supplier, rates: int = 1, inter_state: bool | None = None) -> list[Line]:
        """Amounts at one or more rates; IGST when the supplier is in another state, unless told."""
        if inter_state is None:
            inter_state = supplier.state != self.client.state_code
        chosen = self.rng.sample([5.0, 12.0, 18.0, 28.0], rates) if rates > 1 else [self._rate()]
        out = []
        for rate in chosen:
            taxable = self._taxable()
            cess_rate = 12.0 if rate == 28.0 and self.rng.random() < 0.15 else 0.0
            out.append(taxed_line(rate, taxable, inter_state, cess_rate))
        return out

    def _rate(self) -> float:
        return self.rng.choices([5.0, 12.0, 18.0, 28.0], weights=[15, 20, 55, 10])[0]

    def _taxable(self) -> float:
        # Log-uniform from ₹500 to ₹5 lakh; a third are whole rupees, as many bills are.
        value = math.exp(self.rng.uniform(math.log(500), math.log(500_000)))
        return float(round(value)) if self.rng.random() < 0.33 else r2(value)

    # -- documents ----------------------------------------------------------------------------------

    def portal_doc(
        self, supplier: Supplier | None = None, kind: str = "invoice", rates: int | None = None, **changes
    ) -> PortalDoc:
        supplier = supplier or self.supplier()
        doc_date, rtnprd = self.doc_date()
        if rates is None:
            rates = self.rng.choices([1, 2, 3], weights=[90, 8, 2])[0]
        action = self.rng.choices(["N", "A", "P"], weights=[85, 8, 7])[0]
        if rtnprd != self.client.period and self.rng.random() < 0.5:
            action = "P"  # kept pending last month
        doc = PortalDoc(
            supplier=supplier,
            doc_kind=kind,
            doc_no="",
            doc_date=doc_date,
            lines=self.lines(supplier, rates),
            pos=self.client.state_code,
            rtnprd=rtnprd,
            srcform=self.rng.choices(["R1", "IFF", "R1A"], weights=[80, 15, 5])[0],
            action=action,
            e_invoice=self.rng.random() < 0.4,
        )
        doc.items_in_2b = rates > 1 or self.rng.random() < 0.3
        for key, value in changes.items():
            setattr(doc, key, value)
        if not doc.doc_no:
            doc.doc_no = self.number(supplier, kind, self.fy(doc.doc_date))
        self.docs.append(doc)
        return doc

    def booking(self, doc: PortalDoc, **changes) -> BookEntry:
        """The client's booking of ``doc``, as the supplier printed it unless ``changes`` say otherwise."""
        entry = BookEntry(
            supplier_gstin=doc.supplier.gstin,
            supplier_name=doc.supplier.name,
            doc_kind=doc.doc_kind,
            doc_no=doc.doc_no,
            doc_date=doc.doc_date,
            lines=[replace(x) for x in doc.lines],
            pos=doc.pos,
            reverse_charge=doc.reverse_charge,
        )
        for key, value in changes.items():
            setattr(entry, key, value)
        entry.voucher_date = self.voucher_date(entry.doc_date)
        self.books.append(entry)
        return entry

    def voucher_date(self, doc_date: date) -> date:
        """Booked on the document date or a few days later, never after the period closes."""
        booked = doc_date + timedelta(days=self.rng.choice([0, 0, 0, 1, 2, 3, 5]))
        earliest = (self.period_start - timedelta(days=1)).replace(day=1)
        return min(max(booked, earliest), self.period_end)

    def link(self, defect: str, category: str | None, book=None, doc=None, **kw) -> None:
        self.links.append(Link(defect, category, book, doc, **kw))


_FY_STYLES = ("state_fy", "gst_fy", "inv_fy_tail")
