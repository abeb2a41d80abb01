"""The open pool: a client's months reconciled as one continuous story.

IMS is an inbox, not a month: a bill booked in September may reach IMS with the supplier's October return,
a document already in August's GSTR-2B may be booked in October, and a Pending record stays in the inbox
month after month. Reconciling each month alone puts all of these in the wrong tab. Here:

1. every earlier GSTR-2B statement *settles* the books documents it pairs with (matched or mismatched):
   their ITC already entered a return, so they are shown apart as ``settled``, never as books_only;
2. the books documents still open, from every month within the s.16(4) window, are reconciled against the
   current IMS inbox with the ordinary engine: a cross-period pair is Matched/Mismatched like any other and
   its explanation names both months;
3. documents of a history statement that pair with nothing are history, not this run's ims_only;
4. an inbox record an earlier statement already holds (the download predates that month's GSTR-3B) is a
   stale copy: it is settled with the statement's books entry, or alone, and nothing is suggested for it.

All earlier statements are settled in **one** engine call over their concatenation (oldest first), not one
call per month. That is the more correct reading as well as the faster one: each document enters GSTR-2B
once, so the statements are disjoint and together form one portal side; the engine keys on (GSTIN, kind,
number, FY), so the same number in another financial year never pairs; and one call lets the strongest
evidence win across all months (an exact pair in September beats a fuzzy one in August), where a
month-by-month loop would let an earlier, weaker candidate take the document first.

Frames in, frames out: no files, no database (the workspace and the CLI call this).
Reference: docs/reference/ims-rules.md §1-§3 (what reaches 2B and when), §7 (s.16(4));
docs/reference/formats.md §3 (the 2B statement's ``rtnprd``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import polars as pl

from recon import model
from recon.match import Settings, reconcile
from recon.match.result import RESULT_SCHEMA
from recon.normalise import doc_no_key_expr, fy_expr

SETTLED = "settled"
SETTLED_LABEL = "Settled in an earlier period"
POOL_COLUMNS = ("books_period", "portal_source", "portal_period")
POOL_SCHEMA: dict[str, pl.DataType] = {**RESULT_SCHEMA, **dict.fromkeys(POOL_COLUMNS, pl.String)}

# s.16(4) bars ITC on invoices and debit notes; a credit note reduces ITC and is never time-barred.
_TIME_BARRED_KINDS = ("invoice", "debit_note")
_PAIRED = ("matched", "mismatched")

Statement = tuple[str, pl.DataFrame]  # (return period MMYYYY, canonical GSTR-2B documents)


def reconcile_open_pool(
    books: pl.DataFrame,
    ims: pl.DataFrame,
    history: Sequence[Statement] = (),
    *,
    settings: Settings = Settings(),  # noqa: B008 — frozen dataclass, safe as a default
    today: date | None = None,
    import_period: str | None = None,
    current_period: str | None = None,
    links: Iterable[tuple[str, str]] = (),
    unlinks: Iterable[tuple[str, str]] = (),
    books_periods: pl.DataFrame | None = None,
    quarterly: bool = False,
) -> pl.DataFrame:
    """Settle books against earlier GSTR-2B statements, then reconcile what is open against IMS.

    ``books``: canonical books that may span months; a document's booking month is its voucher date's
    month, else ``import_period`` (MMYYYY), else the current period (the register came with this inbox).
    ``books_periods`` (doc_id, books_period) gives those months instead, when the books come from several
    imports (the workspace's). ``history``: (period, canonical GSTR-2B frame) per earlier statement.
    ``current_period``: the return period being worked on (MMYYYY), which the s.16(4) window is judged
    against; None takes the newest supplier period in the inbox, else the newest statement. ``quarterly``:
    the client files quarterly (QRMP): a statement is the quarter's, named by its last month, and the
    window is judged from the quarter's start (docs/reference/ims-rules.md §8). ``today`` and
    ``links``/``unlinks`` are passed to the engine as they are.

    Returns RESULT_SCHEMA rows plus ``books_period``, ``portal_source`` (ims | gstr2b) and
    ``portal_period``: the engine's rows of the open pool against IMS (in its order), then the books
    documents kept out of the pool as books_only (duplicates of a settled document, past the s.16(4)
    deadline), then the ``settled`` rows. An inbox record an earlier statement already holds (a stale
    copy: the download predates that month's GSTR-3B) is settled too — in its statement document's place
    beside the books entry that document settled, else alone — with ``portal_source`` ims and the
    statement's ``portal_period``. Without history and with nothing past the deadline, the rows are
    exactly ``recon.match.reconcile(books, ims)``'s.
    """
    links, unlinks = list(links), list(unlinks)
    statements = history_frame(history, quarterly=quarterly)
    held = _linked_to(links, ims)  # a user's link to an IMS record wins over any statement
    unsettled = books.filter(~pl.col("doc_id").is_in(held.implode())) if held.len() else books
    settle = _settle(unsettled, statements, settings, today, links, unlinks)
    copies = stale_inbox_copies(ims, statements)
    settle["settled"], swapped = _with_inbox_copies(settle["settled"], copies, links)
    settled_ids = settle["settled"]["books_doc_id"]
    twin_ids = settle["twins"]["books_doc_id"]
    taken = pl.concat([settled_ids, twin_ids])
    still_open = books.filter(~pl.col("doc_id").is_in(taken.implode())) if taken.len() else books
    period = current_period or _current_period(ims, statements)
    if books_periods is None:
        books_periods = booking_periods(books, import_period or period)
    expired_mask = past_deadline(still_open, quarter_start(period) if quarterly and period else period)
    in_pool, expired = still_open.filter(~expired_mask), still_open.filter(expired_mask)
    inbox = ims.filter(~pl.col("doc_id").is_in(swapped.implode())) if swapped.len() else ims
    main = reconcile(in_pool, inbox, settings, links, unlinks, today, quarterly=quarterly)
    # An inbox copy no books document settled with its statement twin is settled all the same: alone,
    # or with the books entry it paired with here.
    stale_main = main["portal_doc_id"].is_in(copies["portal_doc_id"].implode()).fill_null(False)
    kept_out = _kept_out(expired, twin_rows=settle["twins"], period=period, settings=settings, today=today)
    rows = pl.concat(
        [
            main.filter(~stale_main).with_columns(pl.lit("pool").alias("_part")),
            kept_out.with_columns(pl.lit("kept").alias("_part")),
            settle["settled"].with_columns(pl.lit(SETTLED).alias("_part")),
            main.filter(stale_main).with_columns(pl.lit(SETTLED).alias("_part")),
        ],
        how="vertical",
    )
    rows = _with_months(rows, books_periods, _portal_periods(ims, statements, copies))
    return (
        _in_words(rows, name_months=bool(history), quarterly=quarterly, stale=copies["portal_doc_id"])
        .select(list(POOL_SCHEMA))
        .cast(POOL_SCHEMA)
    )


# ---------------------------------------------------------------------------------------------------
# Months
# ---------------------------------------------------------------------------------------------------


def booking_periods(books: pl.DataFrame, import_period: str | None = None) -> pl.DataFrame:
    """(doc_id, books_period MMYYYY): the voucher date's month, else the month it was imported for.

    The booking month is when the buyer entered the bill, not the supplier's date on it: a September
    invoice booked in October belongs to October's books (docs/reference/matching-practice.md §6: the
    register's voucher date beside the supplier invoice date).
    """
    voucher = pl.col("voucher_date") if "voucher_date" in books.columns else pl.lit(None, pl.Date)
    return books.select(
        "doc_id",
        pl.coalesce(voucher.dt.strftime("%m%Y"), pl.lit(import_period, pl.String)).alias("books_period"),
    )


_MONTHS = {f"{m:02d}": date(2025, m, 1).strftime("%b") for m in range(1, 13)}


def month_words(period: pl.Expr) -> pl.Expr:
    """'092025' → 'Sep 2025' (null stays null)."""
    month = period.str.slice(0, 2).replace_strict(_MONTHS, default=None, return_dtype=pl.String)
    return pl.concat_str(month, pl.lit(" "), period.str.slice(2, 4))


def quarter_end(period: str) -> str:
    """The last month (MMYYYY) of the quarter holding ``period``: a quarterly 2B is named by it."""
    month = (int(period[:2]) - 1) // 3 * 3 + 3
    return f"{month:02d}{period[2:]}"


def quarter_start(period: str) -> str:
    """The first month (MMYYYY) of the quarter holding ``period``."""
    return f"{int(quarter_end(period)[:2]) - 2:02d}{period[2:]}"


def quarter_words(period: pl.Expr) -> pl.Expr:
    """'082025' → 'Jul–Sep 2025': the quarter holding the period (null stays null)."""
    month = period.str.slice(0, 2).cast(pl.Int32, strict=False)
    first = ((month - 1) // 3 * 3 + 1).cast(pl.String).str.zfill(2)
    last = ((month - 1) // 3 * 3 + 3).cast(pl.String).str.zfill(2)
    return pl.concat_str(
        first.replace_strict(_MONTHS, default=None, return_dtype=pl.String),
        pl.lit("–"),
        last.replace_strict(_MONTHS, default=None, return_dtype=pl.String),
        pl.lit(" "),
        period.str.slice(2, 4),
    )


def is_earlier_statement(period: str, than: str, *, quarterly: bool = False) -> bool:
    """Whether a GSTR-2B of ``period`` is earlier than the return period ``than``.

    A quarterly client's statement covers its whole quarter: one of the current quarter is the current
    statement, never an earlier one, whichever of the quarter's months it was filed under.
    """
    if quarterly:
        return is_earlier(quarter_end(period), quarter_start(than))
    return is_earlier(period, than)


def _period_order(period: str) -> tuple[int, int]:
    return int(period[2:]), int(period[:2])


def _current_period(ims: pl.DataFrame, statements: pl.DataFrame) -> str | None:
    """The newest supplier period in the inbox, else the newest statement's period."""
    newest = newest_inbox_period(ims)
    if newest is None and not statements.is_empty():
        newest = max(statements["portal_period"].unique().to_list(), key=_period_order)
    return newest


def newest_inbox_period(ims: pl.DataFrame) -> str | None:
    """The newest supplier period (MMYYYY) among the inbox's records, None when none says one."""
    periods = [p for p in ims["supplier_period"].drop_nulls().unique().to_list() if _is_period(p)]
    return max(periods, key=_period_order) if periods else None


def is_earlier(period: str, than: str) -> bool:
    """Whether the return period ``period`` comes before ``than`` (both MMYYYY)."""
    return _period_order(period) < _period_order(than)


def _is_period(text: str) -> bool:
    return len(text) == 6 and text.isdigit() and 1 <= int(text[:2]) <= 12


def s16_deadline() -> pl.Expr:
    """30 November after the end of the document's financial year (docs/reference/ims-rules.md §7)."""
    fy_end_year = pl.col("doc_date").dt.year() + (pl.col("doc_date").dt.month() >= 4).cast(pl.Int32)
    return pl.date(fy_end_year, 11, 30)


def past_deadline(books: pl.DataFrame, period: str | None) -> pl.Series:
    """True for invoices and debit notes whose s.16(4) deadline fell before ``period`` began.

    The claim is made in that period's return, so a deadline inside the period still counts as open.
    """
    if period is None or books.is_empty():
        return pl.Series("expired", [False] * books.height, dtype=pl.Boolean)
    start = date(int(period[2:]), int(period[:2]), 1)
    barred = pl.col("doc_kind").is_in(_TIME_BARRED_KINDS) & (s16_deadline() < pl.lit(start))
    return books.select(barred.fill_null(False).alias("expired")).to_series()


# ---------------------------------------------------------------------------------------------------
# History: the earlier GSTR-2B statements
# ---------------------------------------------------------------------------------------------------


def history_frame(history: Sequence[Statement], *, quarterly: bool = False) -> pl.DataFrame:
    """All statements as one canonical portal frame, oldest first, plus ``portal_period``.

    ``quarterly``: each statement is its quarter's, and ``portal_period`` is the quarter's last month.

    Rejected documents (2B ``docRejdata``) settle nothing: their ITC never entered, and a supplier who
    reports one again brings it back through IMS. A document given in two statements (the same file twice)
    counts once, in the earlier one.
    """
    for period, _ in history:
        if not _is_period(period):
            raise ValueError(f"GSTR-2B statement period {period!r} is not MMYYYY")
    frames = []
    for period, docs in sorted(history, key=lambda s: _period_order(s[0])):
        docs = docs if list(docs.columns) == list(model.COLUMNS) else model.conform(docs)
        named = quarter_end(period) if quarterly else period
        frames.append(docs.with_columns(pl.lit(named).alias("portal_period")))
    if not frames:
        return model.empty().with_columns(pl.lit(None, pl.String).alias("portal_period"))
    statements = pl.concat(frames, how="vertical")
    rejected = statements["ims_action"] == "R"
    if rejected.any():  # an eager filter copies every column of a million rows: only when there is one
        statements = statements.filter(~rejected.fill_null(False))
    # Comparing 64-bit hashes first is several times cheaper than hashing the text into groups, and two
    # ids of one hash are rare: only then is the text looked at.
    if not statements.select(pl.col("doc_id").hash().is_duplicated().any()).item():
        return statements
    return statements.unique("doc_id", keep="first", maintain_order=True)


def _settle(
    books: pl.DataFrame,
    statements: pl.DataFrame,
    settings: Settings,
    today: date | None,
    links: list[tuple[str, str]],
    unlinks: list[tuple[str, str]],
) -> dict[str, pl.DataFrame]:
    """The engine's rows of books × all statements that settle a document, and its twins.

    The user's links and unlinks apply here too: one naming a statement's document is honoured, one
    naming an inbox record is unknown to this run and ignored by the engine.

    ``settled``: matched or mismatched pairs. ``twins``: books_only rows of a second booking of a settled
    document (the engine names the kept copy in ``duplicate_of``) — a duplicate, not an open document.
    """
    empty = pl.DataFrame(schema=RESULT_SCHEMA)
    if statements.is_empty() or books.is_empty():
        return {"settled": empty, "twins": empty}
    rows = reconcile(books, statements.drop("portal_period"), settings, links, unlinks, today)
    settled = rows.filter(pl.col("category").is_in(_PAIRED))
    twins = rows.filter(
        (pl.col("category") == "books_only")
        & pl.col("duplicate_of").is_in(settled["books_doc_id"].implode()).fill_null(False)
    )
    return {"settled": settled, "twins": twins}


def stale_inbox_copies(ims: pl.DataFrame, statements: pl.DataFrame) -> pl.DataFrame:
    """(portal_doc_id, statement_doc_id, statement_period) of each inbox record an earlier statement holds.

    A record leaves IMS once the GSTR-3B of its 2B period is filed; an inbox downloaded before that
    filing still shows it, though its ITC is already in that 2B (docs/reference/ims-rules.md §3).
    It is the same document when supplier GSTIN, kind, number (the engine's key), financial year and
    being an amendment or not all agree: an amendment that keeps its number is a new record to act on,
    not a stale copy of its original.
    """
    empty = {"portal_doc_id": pl.String, "statement_doc_id": pl.String, "statement_period": pl.String}
    if ims.is_empty() or statements.is_empty():
        return pl.DataFrame(schema=empty)
    inbox = _identity(ims).rename({"doc_id": "portal_doc_id"})
    held = _identity(_sharing_a_hash(statements, inbox), "portal_period").rename(
        {"doc_id": "statement_doc_id", "portal_period": "statement_period"}
    )
    found = inbox.join(held.with_row_index("_at"), on=list(_IDENTITY), how="inner")
    # Oldest statement first (history_frame's order): a copy names the earliest 2B that holds it.
    found = found.sort("_at").unique("portal_doc_id", keep="first")
    order = inbox.select("portal_doc_id").with_row_index("_in")
    return found.join(order, on="portal_doc_id").sort("_in").select(list(empty))


_IDENTITY = ("gstin", "kind", "key", "fy", "amendment")


def _identity_hash(gstin: str, kind: str, key: str, fy: str, amendment: str) -> pl.Expr:
    return (
        pl.col(gstin).hash(1)
        ^ pl.col(kind).hash(2)
        ^ pl.col(key).hash(3)
        ^ pl.col(fy).hash(4)
        ^ pl.col(amendment).fill_null(False).hash(5)
    )


def _sharing_a_hash(statements: pl.DataFrame, inbox: pl.DataFrame) -> pl.DataFrame:
    """The statement documents whose identity hashes like an inbox record's (a superset of the copies).

    A year of statements is a million documents: comparing 64-bit hashes first is far cheaper than
    keying and joining them all. Only statements whose number key and FY the reader left empty need
    the full work.
    """
    if statements["doc_no_key"].null_count() or statements["fy"].null_count():
        return statements
    wanted = inbox.select(_identity_hash(*_IDENTITY).alias("h"))["h"]
    hashed = _identity_hash("supplier_gstin", "doc_kind", "doc_no_key", "fy", "is_amendment")
    return statements.filter(hashed.is_in(wanted.implode()))


def _identity(docs: pl.DataFrame, *keep: str) -> pl.DataFrame:
    """(doc_id, *_IDENTITY, *keep) with the number keyed as the engine keys it (recon.match.block.prepare);
    documents without a supplier GSTIN or a number are left out: they identify nothing."""
    fy = pl.coalesce(pl.col("fy"), fy_expr("doc_date"))
    frame = docs.select(
        "doc_id", "supplier_gstin", "doc_kind", "doc_no", "doc_no_key", fy.alias("fy"), "is_amendment", *keep
    )
    if frame["doc_no_key"].null_count():
        fys = [f for f in frame["fy"].unique().to_list() if f]
        frame = frame.with_columns(
            pl.coalesce("doc_no_key", doc_no_key_expr("doc_no", "fy", fys)).alias("doc_no_key")
        )
    return frame.select(
        "doc_id",
        pl.col("supplier_gstin").alias("gstin"),
        pl.col("doc_kind").alias("kind"),
        pl.col("doc_no_key").alias("key"),
        "fy",
        pl.col("is_amendment").fill_null(False).alias("amendment"),
        *keep,
    ).filter(pl.col("gstin").is_not_null() & (pl.col("key").fill_null("") != "") & pl.col("fy").is_not_null())


def _with_inbox_copies(
    settled: pl.DataFrame, copies: pl.DataFrame, links: list[tuple[str, str]]
) -> tuple[pl.DataFrame, pl.Series]:
    """Settled rows whose statement document has a stale inbox copy name that copy instead, and the
    copies so taken: the books entry and the inbox record are one settled pair, and the record is not
    offered to the open pool as new. A copy the user linked to a books entry is left to that link."""
    linked = {str(p) for _, p in links}
    copies = copies.filter(~pl.col("portal_doc_id").is_in(list(linked))) if linked else copies
    if copies.is_empty() or settled.is_empty():
        return settled, pl.Series("portal_doc_id", [], dtype=pl.String)
    swap = dict(zip(copies["statement_doc_id"].to_list(), copies["portal_doc_id"].to_list(), strict=True))
    taken = settled["portal_doc_id"].replace_strict(swap, default=None, return_dtype=pl.String).drop_nulls()
    settled = settled.with_columns(
        pl.col("portal_doc_id").replace_strict(swap, default=pl.col("portal_doc_id"), return_dtype=pl.String)
    )
    return settled, taken.rename("portal_doc_id")


def _linked_to(links: list[tuple[str, str]], ims: pl.DataFrame) -> pl.Series:
    """Books doc_ids the user linked to a record of the current inbox."""
    in_inbox = set(ims["doc_id"].to_list()) if links else set()
    return pl.Series("doc_id", [str(b) for b, p in links if str(p) in in_inbox], dtype=pl.String)


# ---------------------------------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------------------------------


def _portal_periods(ims: pl.DataFrame, statements: pl.DataFrame, copies: pl.DataFrame) -> pl.DataFrame:
    """(portal_doc_id, portal_period): an inbox record's supplier period, a statement document's period;
    a stale inbox copy (``copies``) takes the period of the statement that already holds it.

    IMS and GSTR-2B documents never share an id (the source is part of it).
    """
    inbox = ims.select(
        pl.col("doc_id").alias("portal_doc_id"), pl.col("supplier_period").alias("portal_period")
    )
    if copies.height:
        inbox = inbox.filter(~pl.col("portal_doc_id").is_in(copies["portal_doc_id"].implode()))
    return pl.concat(
        [
            inbox,
            copies.select("portal_doc_id", pl.col("statement_period").alias("portal_period")),
            statements.select(pl.col("doc_id").alias("portal_doc_id"), "portal_period"),
        ]
    )


def _with_months(
    rows: pl.DataFrame, books_periods: pl.DataFrame, portal_periods: pl.DataFrame
) -> pl.DataFrame:
    """``books_period`` and ``portal_period`` of each row, looked up by its doc ids."""
    rows = _looked_up(rows, "books_doc_id", books_periods.rename({"doc_id": "books_doc_id"}))
    return _looked_up(rows, "portal_doc_id", portal_periods)


def _looked_up(rows: pl.DataFrame, key: str, table: pl.DataFrame) -> pl.DataFrame:
    """``rows`` with ``table``'s other column, found by the id ``key`` (one row of ``table`` per id).

    Only the key goes through the join: joining the wide rows themselves would copy every explanation and
    difference list of a million rows to add one short column.
    """
    found = rows.select(key).join(table, on=key, how="left", maintain_order="left").drop(key)
    return pl.concat([rows, found], how="horizontal")


def _in_words(
    rows: pl.DataFrame, *, name_months: bool, quarterly: bool = False, stale: pl.Series | None = None
) -> pl.DataFrame:
    """Where each portal document came from, and both months in the sentence of a pair across months.

    Settled rows name the statement; nothing is suggested for them, as the document is no longer in the
    inbox to act on, or (``stale``: inbox records an earlier statement holds) its inbox copy is stale.
    With ``name_months`` off (a single-period run) the engine's sentences stay word for word: its results
    stay as they always were.
    """
    part = pl.col("_part")
    settled = part == SETTLED
    is_copy = (
        settled & pl.col("portal_doc_id").is_in(stale.implode())
        if stale is not None and stale.len()
        else pl.lit(False)
    )
    across = (part == "pool") & pl.col("category").is_in(_PAIRED)
    across = (pl.lit(name_months) & across & (pl.col("books_period") != pl.col("portal_period"))).fill_null(
        False
    )
    booked = pl.concat_str(pl.lit("booked "), month_words(pl.col("books_period")).fill_null("(no date)"))
    statement = (quarter_words if quarterly else month_words)(pl.col("portal_period"))
    in_2b = pl.concat_str(booked, pl.lit("; in GSTR-2B of "), statement, pl.lit(". "))
    stale_copy = pl.concat_str(
        pl.when(pl.col("books_doc_id").is_not_null())
        .then(pl.concat_str(booked, pl.lit("; ")))
        .otherwise(pl.lit("")),
        pl.lit("already in GSTR-2B of "),
        statement,
        pl.lit("; the IMS download predates its GSTR-3B. "),
    )
    in_ims = pl.concat_str(
        booked,
        pl.lit("; in IMS from the supplier's "),
        month_words(pl.col("portal_period")),
        pl.lit(" GSTR-1. "),
    )
    explanation = pl.col("explanation")
    none = pl.lit(None, pl.String)
    return rows.with_columns(
        pl.when(settled).then(pl.lit(SETTLED)).otherwise(pl.col("category")).alias("category"),
        pl.when(is_copy)
        .then(pl.concat_str(stale_copy, explanation))
        .when(settled)
        .then(pl.concat_str(in_2b, explanation))
        .when(across)
        .then(pl.concat_str(in_ims, explanation))
        .otherwise(explanation)
        .alias("explanation"),
        pl.when(settled).then(none).otherwise(pl.col("suggested_action")).alias("suggested_action"),
        pl.when(settled).then(none).otherwise(pl.col("action_reason")).alias("action_reason"),
        pl.when(settled)
        .then(pl.lit([], pl.List(pl.String)))
        .otherwise(pl.col("action_warnings"))
        .alias("action_warnings"),
        # A stale copy is the inbox's record (it counts in the download's figures); its period stays
        # the statement's, which settled it.
        pl.when(is_copy)
        .then(pl.lit("ims"))
        .when(settled)
        .then(pl.lit("gstr2b"))
        .when(pl.col("portal_doc_id").is_not_null())
        .then(pl.lit("ims"))
        .otherwise(none)
        .alias("portal_source"),
    )


def _kept_out(
    expired: pl.DataFrame,
    *,
    twin_rows: pl.DataFrame,
    period: str | None,
    settings: Settings,
    today: date | None,
) -> pl.DataFrame:
    """books_only rows for the documents left out of the pool, each saying why.

    Past the deadline: ITC can no longer be taken, so the document is not offered to any IMS record. A
    second booking of a settled document keeps the engine's duplicate row from the settling run.
    """
    parts = []
    if twin_rows.height:
        parts.append(twin_rows)
    if expired.height:
        rows = reconcile(expired, model.empty(), settings, today=today)
        deadlines = expired.select(
            pl.col("doc_id").alias("books_doc_id"), s16_deadline().dt.strftime("%d %b %Y").alias("_deadline")
        )
        rows = rows.join(deadlines, on="books_doc_id", how="left", maintain_order="left")
        parts.append(
            rows.with_columns(
                pl.concat_str(
                    pl.lit("Past the s.16(4) deadline of "),
                    pl.col("_deadline"),
                    pl.lit(
                        f" for the return of {_month_text(period)}: ITC can no longer be taken, so it is not "
                        "matched against IMS. "
                    ),
                    pl.col("explanation"),
                ).alias("explanation")
            ).drop("_deadline")
        )
    if not parts:
        return pl.DataFrame(schema=RESULT_SCHEMA)
    return pl.concat([p.select(list(RESULT_SCHEMA)) for p in parts], how="vertical")


def _month_text(period: str | None) -> str:
    if not period:
        return "this period"
    return date(int(period[2:]), int(period[:2]), 1).strftime("%b %Y")
