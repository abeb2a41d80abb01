"""A client's months as the open pool reads them from the workspace: the earlier periods, the GSTR-2B
statements imported for them, and the books of every month still open with each document's booking month
(docs/reference/ims-rules.md §1-§3, §7; docs/reference/matching-practice.md §6)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from recon import model
from recon.pool import booking_periods, is_earlier, is_earlier_statement

NO_MONTHS = {"doc_id": pl.String, "books_period": pl.String}


@dataclass
class ClientMonths:
    """``documents(client_id, period, source)``: the workspace's (cached) canonical documents of a period."""

    store: object
    documents: Callable[[int, str, str], pl.DataFrame]
    client_id: int
    quarterly: bool  # a QRMP client: one GSTR-2B per quarter

    def earlier_periods(self, period: str) -> list[str]:
        """The client's periods before ``period``, newest first."""
        return [p for p in self.store.periods(self.client_id) if p != period and is_earlier(p, period)]

    def statement_imports(self, period: str) -> list[list]:
        """[period, import id, revision] of each GSTR-2B imported for an earlier period of the client.

        A quarterly client's 2B is its quarter's: one of the current quarter is not earlier, whichever
        of the quarter's months it was imported for.
        """
        return [
            [p, r.id, r.revision]
            for p in self.earlier_periods(period)
            if is_earlier_statement(p, period, quarterly=self.quarterly)
            for r in self.store.imports(self.client_id, p)
            if r.source == "gstr2b"
        ]

    def earlier_books_imports(self, period: str) -> list[list]:
        """[period, import id, revision] of each books import of an earlier period."""
        return [
            [p, r.id, r.revision]
            for p in self.earlier_periods(period)
            for r in self.store.imports(self.client_id, p)
            if r.source == "books"
        ]

    def statements(self, period: str) -> list[tuple[str, pl.DataFrame]]:
        """(period, GSTR-2B documents) of each earlier statement the open pool settles against."""
        periods = sorted({p for p, _, _ in self.statement_imports(period)})
        return [(p, self.documents(self.client_id, p, "gstr2b")) for p in periods]

    def books(self, period: str) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The books of ``period`` and every earlier period, each document once, and (doc_id,
        books_period) for them: the voucher date's month, else the month the register was imported for.

        A register imported for a later period replaces the earlier copy of the months it covers (the
        financial-year-to-date export repeats the months before it): an earlier import keeps only its
        documents booked in months no later import covers, and none a later import holds by id.
        """
        frames, months_of, covered, seen = [], [], set(), set()
        for p in [period, *self.earlier_periods(period)]:  # newest first
            docs = self.documents(self.client_id, p, "books")
            if docs.is_empty():
                continue
            booked = booking_periods(docs, p)
            months = booked["books_period"]
            keep = ~months.is_in(list(covered)) & ~docs["doc_id"].is_in(list(seen))
            frames.append(docs.filter(keep) if covered else docs)
            months_of.append(booked.filter(keep) if covered else booked)
            covered |= set(months.drop_nulls().to_list())
            seen |= set(docs["doc_id"].to_list())
        if not frames:
            return model.empty(), pl.DataFrame(schema=NO_MONTHS)
        if len(frames) == 1:
            return frames[0], months_of[0]
        return pl.concat(frames, how="vertical_relaxed"), pl.concat(months_of)

    def booked(self, period: str, *, pooled: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
        """(books, booking months) a run reads: the open pool's when earlier statements exist (``pooled``),
        else the period's own register."""
        if pooled:
            return self.books(period)
        books = self.documents(self.client_id, period, "books")
        return books, booking_periods(books, period)

    def timeline_statements(self, period: str, *, pooled: bool) -> list[tuple[str, pl.DataFrame]]:
        """The statements a timeline shows: the earlier ones the pool settles against, and the period's own."""
        statements = self.statements(period) if pooled else []
        current = self.documents(self.client_id, period, "gstr2b")
        return statements if current.is_empty() else [*statements, (period, current)]
