"""From rows to documents: kinds, rate-wise lines grouped, signs settled, identity, checks and notes.

The rules are in the package docstring (``recon.readers.books``).
"""

from __future__ import annotations

import io
import re
from datetime import date

import polars as pl

from recon import gstin as gstin_rules
from recon import model
from recon.errors import InputError
from recon.normalise import fy_expr, with_doc_no_key
from recon.readers import synonyms
from recon.readers.books.context import Context, listing
from recon.readers.tabular import Workbook

# Voucher / document type words -> kind. Keys are lower-case with single spaces; matched whole, then by
# the longest word group contained in the text ("GST Purchase - Local" contains "purchase").
DEFAULT_KIND_WORDS: dict[str, str] = {
    "purchase": "invoice", "purchases": "invoice", "purchase invoice": "invoice", "purchase bill": "invoice",
    "bill": "invoice", "bills": "invoice", "invoice": "invoice", "tax invoice": "invoice", "inv": "invoice",
    "journal": "invoice", "expense": "invoice", "expenses": "invoice", "regular": "invoice",
    "kr": "invoice", "re": "invoice", "vendor invoice": "invoice", "b2b": "invoice",
    # The buyer's debit note is raised on receiving the supplier's credit note (Tally, ERPNext).
    "debit note": "credit_note", "dn": "credit_note", "purchase return": "credit_note",
    "purchase returns": "credit_note", "return": "credit_note", "vendor credit": "credit_note",
    "vendor credits": "credit_note", "kg": "credit_note", "credit memo": "credit_note",
    "supplier credit note": "credit_note", "credit note received": "credit_note",
    "credit note": "credit_note", "cn": "credit_note", "c": "credit_note", "cdnr": "credit_note",
    "supplier debit note": "debit_note", "debit note received": "debit_note", "vendor debit": "debit_note",
    "d": "debit_note", "subsequent debit": "debit_note", "subsequent credit": "credit_note",
    "bill of entry": "bill_of_entry", "import": "bill_of_entry", "import of goods": "bill_of_entry",
    "boe": "bill_of_entry", "isd": "isd", "isd invoice": "isd",
    # An ISD credit note takes back ITC distributed earlier (docs/reference/formats.md §3): it subtracts, like any credit note.
    "isd credit note": "credit_note", "isdcn": "credit_note", "isdc": "credit_note", "isd cn": "credit_note",
}  # fmt: skip


AMBIGUOUS_KIND_WORDS = {"credit note", "cn", "c"}


_SUPPLY_TYPES = {
    "r": "R", "regular": "R", "regular b2b": "R", "b2b": "R", "de": "DE", "deemed export": "DE",
    "deemed exports": "DE", "deemed exp": "DE", "sewp": "SEWP", "sez supplies with payment": "SEWP",
    "sez with payment": "SEWP", "sez supplies with payment of tax": "SEWP", "sewop": "SEWOP",
    "sez supplies without payment": "SEWOP", "sez without payment": "SEWOP",
    "sez supplies without payment of tax": "SEWOP", "cbw": "CBW", "custom bonded warehouse": "CBW",
}  # fmt: skip


_NO_GSTIN = (
    r"^\s*(urd|unregistered|un-registered|unregistered dealer|not registered|na|n/a|nil|none|-+|0)\s*$"
)


_YES = {"y", "yes", "true", "1", "rcm", "applicable"}


_NO = {"n", "no", "false", "0", "not applicable", "na", "n/a"}


def _kind_of_words(text: str, kind_words: dict[str, str]) -> str | None:
    key = re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()
    if key in kind_words:
        return kind_words[key]
    padded = f" {key} "
    for words in sorted(kind_words, key=len, reverse=True):
        if len(words) > 2 and f" {words} " in padded:
            return kind_words[words]
    return None


def row_kinds(
    rows: pl.DataFrame, ctx: Context, mapping: dict[str, str], kind_map: dict[str, str] | None
) -> pl.DataFrame:
    """``doc_kind`` per row from the voucher type (or the number column's header)."""
    kind_words = dict(DEFAULT_KIND_WORDS)
    user_words = {re.sub(r"[^a-z0-9]+", " ", k.lower()).strip(): v for k, v in (kind_map or {}).items()}
    for kind in user_words.values():
        if kind not in model.KINDS:
            raise InputError(
                f"kind_map: '{kind}' is not a document kind ({', '.join(model.KINDS)}).", file=ctx.file
            )
    kind_words.update(user_words)
    if "voucher_type" not in rows.columns:
        implied = synonyms.HEADER_KIND.get(synonyms.header_key(mapping["doc_no"]), "invoice")
        return rows.with_columns(pl.lit(implied).alias("doc_kind"))
    types = [t for t in rows.get_column("voucher_type").unique().to_list() if t is not None]
    table = {t: _kind_of_words(t, kind_words) for t in types}
    unknown = sorted(t for t, k in table.items() if k is None)
    if unknown:
        ctx.warn(
            f"voucher types not recognised, taken as invoices: {listing(unknown, 10)} (set kind_map to change)."
        )
    ambiguous = sorted(
        t
        for t in types
        if re.sub(r"[^a-z0-9]+", " ", t.lower()).strip() in AMBIGUOUS_KIND_WORDS - set(user_words)
    )
    if ambiguous:
        ctx.warn(
            f"voucher type {listing(ambiguous, 5)} taken as the supplier's credit note (reduces ITC); if these "
            "vouchers record supplier debit notes, set kind_map."
        )
    lookup = pl.DataFrame(
        {"voucher_type": list(table), "doc_kind": [k or "invoice" for k in table.values()]},
        schema={"voucher_type": pl.String, "doc_kind": pl.String},
    )
    return rows.with_columns(*_looked_up(rows, "voucher_type", lookup)).with_columns(
        pl.col("doc_kind").fill_null("invoice")
    )


def _looked_up(frame: pl.DataFrame, key: str, lookup: pl.DataFrame, *, nulls_equal: bool = False) -> list:
    """The other columns of ``lookup`` (one row per key) for each row of ``frame``, in its order.

    Only the key column is joined: joining the whole frame would copy every column of a large register.
    """
    joined = frame.select(key).join(
        lookup, on=key, how="left", nulls_equal=nulls_equal, maintain_order="left"
    )
    return [joined.get_column(c) for c in lookup.columns if c != key]


def group_documents(rows: pl.DataFrame, mapping: dict[str, str]) -> pl.DataFrame:
    """Rate-wise lines → one row per document (rule in the module docstring).

    ``rows`` is taken over: its columns change in place, and leave it as the documents take their values
    (see :func:`_grouped`), so that a large register's lines and documents are not both held whole.
    """
    rows.replace_column(rows.get_column_index("supplier_gstin"), _supplier_gstins(rows))
    rows.insert_column(rows.width, _numbers_upper(rows.get_column("doc_no")))
    keys = ["supplier_gstin", "_no_upper", "doc_date", "doc_kind"]
    if "voucher_no" in rows.columns:
        keys.append("voucher_no")
    else:
        # The n-th identical copy of a row belongs to the n-th booking of the document.
        content = [c for c in rows.columns if not c.startswith("_")]
        rows.insert_column(
            rows.width, rows.select(pl.int_range(pl.len()).over(content).alias("_copy")).to_series()
        )
        keys.append("_copy")
    amounts = [f for f in synonyms.AMOUNT_FIELDS if f in rows.columns and f != "doc_value"]
    flags = [c for c in rows.columns if c.startswith("_flag_")]
    firsts = [
        c
        for c in rows.columns
        if c not in keys and c not in amounts and not c.startswith("_") and c != "doc_value"
    ]
    aggregations = [
        pl.col("_row").alias("origin_rows"),
        pl.col("_row").min().alias("_first_row"),
        pl.len().alias("_lines"),
        # A blank cell in a taxable or tax column is zero: Tally and most ERPs print nothing for 0.
        # A column the register does not have at all stays null ("not given").
        *[pl.col(f).sum().alias(f) for f in amounts],
        *[_first_given(rows, f).alias(f) for f in firsts],
        *[pl.col(f).any().alias(f) for f in flags],
    ]
    if "doc_value" in rows.columns:
        aggregations += [
            pl.col("doc_value").sum().alias("_value_sum"),
            _first_given(rows, "doc_value").alias("_value_first"),
            _given(rows, "doc_value").n_unique().alias("_value_distinct"),
            pl.col("doc_value").is_null().all().alias("_value_blank"),
        ]
    sums = {f: f for f in amounts} | ({"_value_sum": "doc_value"} if "doc_value" in rows.columns else {})
    docs = _grouped(rows, keys, aggregations, sums)
    if not docs.get_column("_first_row").is_sorted():  # groups keep their first row's order already
        docs = docs.sort("_first_row")
    if "_value_sum" in docs.columns:
        docs = docs.with_columns(_document_value(amounts).alias("doc_value"))
    return docs


def _given(rows: pl.DataFrame, column: str) -> pl.Expr:
    """The column's non-blank values in a group. Dropping blanks takes a copy of every group's values: a
    column with no blank at all (the usual case) is taken as it is."""
    return pl.col(column).drop_nulls() if rows.get_column(column).null_count() else pl.col(column)


def _first_given(rows: pl.DataFrame, column: str) -> pl.Expr:
    return _given(rows, column).first()


def _grouped(
    rows: pl.DataFrame, keys: list[str], aggregations: list[pl.Expr], sums: dict[str, str]
) -> pl.DataFrame:
    """``rows.group_by(keys, maintain_order=True).agg(aggregations)``, without comparing every row's texts
    with every other's when each document's lines are next to each other (as registers print them).

    Then the documents take their values a column at a time, and each column of ``rows`` leaves it (in
    place) once no later aggregation reads it. ``sums`` names the aggregations that are sums (output
    column -> summed column): see :func:`_resummed`.
    """
    runs = _runs(rows, keys)
    if runs is None:
        return rows.group_by(keys, maintain_order=True).agg(aggregations)
    # Flagged sorted, the runs are grouped as slices of the frame, with no table of every key.
    rows.insert_column(rows.width, runs.set_sorted())
    lines = rows.group_by("_run", maintain_order=True).agg(pl.len())
    long = lines.filter(pl.col("len") >= 3).get_column("_run")
    del lines
    batches = _by_column([*[pl.col(k).first() for k in keys], *aggregations])
    parts = []
    for i, batch in enumerate(batches):
        part = rows.group_by("_run", maintain_order=True).agg(batch)
        part = _resummed(rows, runs, part, long, {n: c for n, c in sums.items() if n in part.columns})
        parts.append(part.drop("_run"))
        later = {c for b in batches[i + 1 :] for e in b for c in e.meta.root_names()}
        for column in {c for e in batch for c in e.meta.root_names()} - later:
            rows.drop_in_place(column)
    return pl.concat(parts, how="horizontal")


def _by_column(aggregations: list[pl.Expr]) -> list[list[pl.Expr]]:
    """The aggregations in batches, in order: those reading the same columns (or none) go together."""
    batches: list[list[pl.Expr]] = []
    columns: set[str] = set()
    for aggregation in aggregations:
        reads = set(aggregation.meta.root_names())
        if batches and (not reads or reads == columns):
            batches[-1].append(aggregation)
        else:
            batches.append([aggregation])
            columns = reads
    return batches


def _resummed(
    rows: pl.DataFrame, runs: pl.Series, docs: pl.DataFrame, long: pl.Series, sums: dict[str, str]
) -> pl.DataFrame:
    """``docs`` with the sums of ``long`` runs (three lines or more) added as the full group-by adds them.

    The group-by adds a group's amounts with compensated summation, a slice of the frame left to right;
    from the third amount on the two can differ in the last binary digit, and the same register must give
    the same documents whichever way its lines were grouped.
    """
    if long.is_empty() or not sums:
        return docs
    columns = sorted(set(sums.values()))
    subset = rows.select(columns).with_columns(runs).filter(runs.is_in(long.implode()))
    resummed = subset.group_by("_run", maintain_order=True).agg(
        pl.col(column).sum().alias(name) for name, column in sums.items()
    )
    positions = long - 1  # the runs count 1, 2, 3 ... in the order of the documents
    return docs.with_columns(
        docs.get_column(name).clone().scatter(positions, resummed.get_column(name)) for name in sums
    )


_MIX = 0x9E3779B97F4A7C15


def _runs(rows: pl.DataFrame, keys: list[str]) -> pl.Series | None:
    """A number per row, counting up where ``keys`` change from the row above, when no ``keys`` come back
    after other keys (no two runs share a hash of their keys); else None.

    Equal keys always hash alike, so runs that all hash differently are exactly the groups of ``keys``.
    """
    changed = pl.repeat(False, rows.height - 1, dtype=pl.Boolean, eager=True)
    for key in keys:  # each row against the row above: two views of the column, no copy
        column = rows.get_column(key)
        changed = changed | column.slice(1).ne_missing(column.slice(0, rows.height - 1))
    starts = pl.concat([pl.Series([True]), changed]).rechunk().alias("_run")
    hashes = _key_hashes(rows, keys).filter(starts).sort()
    if (hashes.slice(1) == hashes.slice(0, hashes.len() - 1)).any():
        return None
    return starts.cast(pl.UInt32).cum_sum().alias("_run")


def _key_hashes(frame: pl.DataFrame, keys: list[str]) -> pl.Series:
    """A hash of each row's ``keys``: equal keys hash alike (blanks too). A column at a time, mixed, over
    a batch of rows at a time (the working copies stay small)."""
    batches = []
    for offset in range(0, frame.height, _HASH_BATCH):
        hashes = pl.zeros(min(_HASH_BATCH, frame.height - offset), dtype=pl.UInt64, eager=True)
        for key in keys:
            # wraps around: any mix of the keys' hashes will do
            hashes = hashes * _MIX + frame.get_column(key).slice(offset, _HASH_BATCH).hash()
        batches.append(hashes)
    return pl.concat(batches).rechunk() if batches else pl.Series([], dtype=pl.UInt64)


_HASH_BATCH = 1 << 16


def _supplier_gstins(rows: pl.DataFrame) -> pl.Series:
    """The supplier GSTIN column without spaces, upper-cased, and blank where it names no GSTIN.

    A register names a few hundred suppliers over lakhs of rows: each distinct text is cleaned once, and
    the column is kept as it is when no text changes (the usual export).
    """
    # "URD", "Unregistered", "NA": a purchase from an unregistered supplier has no GSTIN at all.
    cleaned = (
        pl.when(pl.col("supplier_gstin").str.to_lowercase().str.contains(_NO_GSTIN))
        .then(None)
        .otherwise(pl.col("supplier_gstin").str.replace_all(r"\s+", "").str.to_uppercase())
        .alias("_cleaned")
    )
    lookup = rows.select(pl.col("supplier_gstin").unique()).with_columns(cleaned)
    column = rows.get_column("supplier_gstin")
    if lookup.get_column("supplier_gstin").equals(lookup.get_column("_cleaned")):
        return column
    (looked_up,) = _looked_up(rows, "supplier_gstin", lookup, nulls_equal=True)
    return looked_up.alias("supplier_gstin")


# Text that trimming and upper-casing leave as it is: printable ASCII without lower-case letters, and no
# space at either end. Anything else (other scripts, accents) goes through the full Unicode rules.
_UPPER_ASCII = r"^$|^[!-`{-~]$|^[!-`{-~][ -`{-~]*[!-`{-~]$"


def _numbers_upper(numbers: pl.Series) -> pl.Series:
    """``_no_upper``: the document numbers trimmed and upper-cased; the column itself when it already is."""
    if numbers.str.contains(_UPPER_ASCII).fill_null(True).all():
        return numbers.alias("_no_upper")
    return numbers.str.strip_chars().str.to_uppercase().alias("_no_upper")


def _document_value(amounts: list[str]) -> pl.Expr:
    """Invoice value of a group: once when every line repeats it, else the sum of the lines."""
    parts = pl.sum_horizontal([pl.col(f).fill_null(0.0) for f in amounts])
    repeated = (pl.col("_lines") > 1) & (pl.col("_value_distinct") == 1)
    closer = (pl.col("_value_first") - parts).abs() < (pl.col("_value_sum") - parts).abs()
    value = pl.when(repeated & closer).then(pl.col("_value_first")).otherwise(pl.col("_value_sum"))
    return pl.when(pl.col("_value_blank")).then(None).otherwise(value)


def settle_signs(docs: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """Positive amounts; negative purchases become credit notes (module docstring, 'Document kind')."""
    amounts = [f for f in synonyms.AMOUNT_FIELDS if f in docs.columns]
    parts = pl.sum_horizontal([pl.col(f).fill_null(0.0) for f in amounts if f != "doc_value"])
    net = pl.coalesce(pl.col("doc_value"), parts) if "doc_value" in docs.columns else parts
    docs = docs.with_columns((net < 0).alias("_negative"))
    docs = docs.with_columns(_convention=pl.lit(False))
    if "voucher_type" in docs.columns:
        per_type = docs.group_by("voucher_type").agg(
            (pl.col("_negative").all() & (pl.len() >= 2) & pl.col("voucher_type").is_not_null().all()).alias(
                "_all_negative"
            )
        )
        docs = docs.with_columns(*_looked_up(docs, "voucher_type", per_type, nulls_equal=True))
        docs = docs.with_columns(pl.col("_all_negative").fill_null(False).alias("_convention")).drop(
            "_all_negative"
        )
        conventional = (
            docs.filter(pl.col("_convention")).get_column("voucher_type").unique(maintain_order=True)
        )
        for vtype in conventional.to_list():
            ctx.warn(
                f"every '{vtype}' document carries negative amounts: taken as the export's sign convention "
                "(amounts made positive, kind kept)."
            )
    flip = pl.col("_negative") & (pl.col("doc_kind") == "invoice") & ~pl.col("_convention")
    flipped = docs.filter(flip).get_column("_first_row").to_list()
    if flipped:
        ctx.warn_rows(
            "negative amounts on a purchase: taken as a credit note, amounts stored positive", flipped
        )
    return docs.with_columns(
        flip.alias("_flag_flip"),
        pl.when(flip).then(pl.lit("credit_note")).otherwise(pl.col("doc_kind")).alias("doc_kind"),
        *[pl.col(f).abs().alias(f) for f in amounts],
    )


GST_START = date(2017, 7, 1)


def sanity_checks(docs: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """Entries a consultant would query: CGST ≠ SGST, IGST beside CGST/SGST, a date before GST.

    They are read as booked; the warnings point at likely typing errors in the register.
    """
    zero = pl.lit(0.0)
    cgst = pl.col("cgst").fill_null(zero) if "cgst" in docs.columns else zero
    sgst = pl.col("sgst").fill_null(zero) if "sgst" in docs.columns else zero
    igst = pl.col("igst").fill_null(zero) if "igst" in docs.columns else zero
    docs = docs.with_columns(
        ((cgst - sgst).abs() > 0.5).alias("_flag_cgst_sgst"),
        ((igst > 0.5) & ((cgst > 0.5) | (sgst > 0.5))).alias("_flag_both_taxes"),
        (pl.col("doc_date") < GST_START).fill_null(False).alias("_flag_pre_gst"),
    )
    checks = (
        ("_flag_cgst_sgst", "CGST and SGST differ (they are equal halves of the tax)", "cgst"),
        ("_flag_both_taxes", "both IGST and CGST/SGST are charged on one document", "igst"),
        ("_flag_pre_gst", "the document date is before GST began (1-Jul-2017): a typing error?", "doc_date"),
    )
    for flag, message, fld in checks:
        rows = docs.filter(pl.col(flag)).get_column("_first_row").to_list()
        if rows:
            ctx.warn_rows(message, rows, fld)
    return docs


def identify(docs: pl.DataFrame, ctx: Context, recipient_gstin: str | None) -> pl.DataFrame:
    """fy, doc_no_key, doc_id (with occurrences for double bookings), GSTIN checks, origin."""
    docs = docs.with_columns(
        fy_expr("doc_date").alias("fy"),
        pl.lit("books").alias("source"),
        _recipient(docs, recipient_gstin).alias("recipient_gstin"),
        pl.lit(False).alias("is_amendment"),
        pl.lit(ctx.file).alias("origin_file"),
        pl.lit(ctx.sheet, dtype=pl.String).alias("origin_sheet"),
        pl.col("supplier_gstin").str.slice(2, 10).alias("supplier_pan"),
    )
    identity = ["supplier_gstin", "doc_kind", "_no_upper", "fy"]
    docs = docs.with_columns(*_occurrences(docs, identity))
    docs = docs.with_columns(_doc_ids(docs))
    docs = with_doc_no_key(docs)
    copies = docs.filter(pl.col("_occurrence") > 0).select("_first_row", "_original_row", "doc_no")
    for first_row, original_row, doc_no in copies.iter_rows():
        ctx.warn(
            f"'{doc_no}' of this supplier is booked again (first at row {original_row}): a double booking?",
            first_row,
            "doc_no",
        )
    return _check_gstins(docs, ctx)


def _occurrences(docs: pl.DataFrame, identity: list[str]) -> list[pl.Series]:
    """``_occurrence`` (0, 1, ... in file order) of each document among those of the same identity, and
    ``_original_row``, the first one's row.

    Only documents whose identity hashes alike can share it: those few are compared in full, the rest
    are each the first of their identity (comparing every text of lakhs of documents takes far more memory
    than a hash of each).
    """
    occurrence = pl.zeros(docs.height, dtype=pl.Int64, eager=True).alias("_occurrence")
    original = docs.get_column("_first_row").alias("_original_row")
    shared = _key_hashes(docs, identity).is_duplicated()
    if not shared.any():
        return [occurrence, original]
    alike = docs.select(*identity, "_first_row").filter(shared)
    found = alike.select(
        pl.int_range(pl.len()).over(identity).alias("_occurrence"),
        pl.col("_first_row").first().over(identity).alias("_original_row"),
    )
    positions = shared.arg_true()
    return [
        occurrence.scatter(positions, found.get_column("_occurrence")),
        original.clone().scatter(positions, found.get_column("_original_row")),
    ]


PYTHON_BATCH = 20_000  # documents whose fields are Python objects at one time (per-row Python work)


def _doc_ids(docs: pl.DataFrame) -> pl.Series:
    """``doc_id`` of every document, computed a batch at a time: the fields of a few lakh documents as
    Python strings would take several times the memory of the frame itself."""
    batches = []
    for offset in range(0, docs.height, PYTHON_BATCH):
        batch = docs.slice(offset, PYTHON_BATCH)
        ids = [
            model.make_doc_id("books", g, k, n, fy, occurrence=o)
            for g, k, n, fy, o in zip(
                *(batch.get_column(c).to_list() for c in ("supplier_gstin", "doc_kind", "doc_no", "fy")),
                batch.get_column("_occurrence").to_list(),
                strict=True,
            )
        ]
        batches.append(pl.Series("doc_id", ids, dtype=pl.String))
    if not batches:
        return pl.Series("doc_id", [], dtype=pl.String)
    return pl.concat(batches).rechunk()


def _recipient(docs: pl.DataFrame, option: str | None) -> pl.Expr:
    """The register's own recipient GSTIN column where it has one, else the option."""
    given = pl.lit(gstin_rules.clean(option) or None, dtype=pl.String)
    if "recipient_gstin" not in docs.columns:
        return given
    own = pl.col("recipient_gstin").str.replace_all(r"\s+", "").str.to_uppercase()
    return pl.coalesce(pl.when(own != "").then(own), given)


def _check_gstins(docs: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """gstin_valid / gstin_note from recon.gstin, computed once per distinct GSTIN (docs/reference/ims-rules.md §9)."""
    values = docs.get_column("supplier_gstin").unique().to_list()
    problems = {g: gstin_rules.problem(g) if g else _BLANK_GSTIN for g in values}
    notes = {g: problems[g] or gstin_rules.caution(g or "") for g in values}
    lookup = pl.DataFrame(
        {
            "supplier_gstin": values,
            "gstin_valid": [problems[g] is None for g in values],
            "gstin_note": [notes[g] for g in values],
        },
        schema={"supplier_gstin": pl.String, "gstin_valid": pl.Boolean, "gstin_note": pl.String},
    )
    docs = docs.with_columns(*_looked_up(docs, "supplier_gstin", lookup, nulls_equal=True))
    invalid = (
        docs.filter(~pl.col("gstin_valid"))
        .group_by("supplier_gstin", maintain_order=True)
        .agg(pl.col("_first_row").sort(), pl.col("gstin_note").first())
    )
    for gstin, first_rows, note in invalid.iter_rows():
        message = note if gstin is None else f"{note}; {_TYPO_PAIRING}"
        ctx.warn_rows(message, first_rows, "supplier_gstin")
    return docs


# A mistyped GSTIN still pairs at PAN level (recon.match stage 4), but only as a suggestion the user confirms.
_TYPO_PAIRING = (
    "kept: it can pair with the portal only as a suggestion you confirm (Reconcile → Confirm pair)"
)
_BLANK_GSTIN = "no supplier GSTIN (unregistered supplier?): such purchases never appear in IMS or GSTR-2B"


# Per-document notes (the ``warnings`` column), from flags set along the way.
_DOC_NOTES = (
    ("_flag_date_fallback", pl.lit("no supplier invoice date: the voucher date was used")),
    ("_flag_no_date", pl.lit("no document date")),
    ("_flag_no_number", pl.lit("no supplier invoice number")),
    ("_flag_no_amount", pl.lit("no amounts")),
    ("_flag_flip", pl.lit("negative amounts: taken as a credit note, amounts stored positive")),
    ("_flag_cgst_sgst", pl.lit("CGST and SGST differ")),
    ("_flag_both_taxes", pl.lit("both IGST and CGST/SGST charged")),
    ("_flag_pre_gst", pl.lit("dated before GST began (1-Jul-2017)")),
)


def doc_warnings(docs: pl.DataFrame) -> pl.DataFrame:
    """The ``warnings`` column: notes built only for the few documents that need any."""
    flags = [flag for flag, _ in _DOC_NOTES if flag in docs.columns]
    needs_note = pl.any_horizontal(
        [pl.col(f) for f in flags] + [pl.col("_occurrence") > 0, ~pl.col("gstin_valid")]
    )
    docs = docs.with_row_index("_position")
    odd = docs.filter(needs_note)
    notes = [pl.when(pl.col(flag)).then(text) for flag, text in _DOC_NOTES if flag in docs.columns]
    notes.append(
        pl.when(pl.col("_occurrence") > 0).then(
            pl.format("booked again: same supplier, number and year as row {}", pl.col("_original_row"))
        )
    )
    notes.append(pl.when(~pl.col("gstin_valid")).then(pl.col("gstin_note")))
    odd = odd.select("_position", pl.concat_list(notes).list.drop_nulls().alias("warnings"))
    docs = docs.with_columns(*_looked_up(docs, "_position", odd))
    return docs.with_columns(pl.col("warnings").fill_null(pl.lit([], dtype=pl.List(pl.String)))).drop(
        "_position"
    )


def describe_codes(docs: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """Place of supply, reverse charge and supply type words → the portal's codes."""
    if "pos" in docs.columns:
        docs = _map_words(docs, ctx, "pos", gstin_rules.state_code_from_name, pl.String, "place of supply")
    if "reverse_charge" in docs.columns:

        def yes_no(text: str) -> bool | None:
            key = text.strip().lower()
            return True if key in _YES else False if key in _NO else None

        docs = _map_words(docs, ctx, "reverse_charge", yes_no, pl.Boolean, "reverse charge (Yes/No)")
    if "supply_type" in docs.columns:

        def supply(text: str) -> str | None:
            return _SUPPLY_TYPES.get(re.sub(r"[^a-z0-9]+", " ", text.lower()).strip())

        docs = _map_words(docs, ctx, "supply_type", supply, pl.String, "supply type")
    return docs


def _map_words(docs: pl.DataFrame, ctx: Context, fld: str, convert, dtype, what: str) -> pl.DataFrame:
    values = [v for v in docs.get_column(fld).unique().to_list() if v is not None]
    table = {v: convert(v) for v in values}
    unknown = sorted(v for v, c in table.items() if c is None)
    if unknown:
        ctx.warn(f"not a recognised {what}, left blank: {listing(unknown, 10)}", None, fld)
    lookup = pl.DataFrame(
        {fld: list(table), "_code": list(table.values())}, schema={fld: pl.String, "_code": dtype}
    )
    return docs.with_columns(*_looked_up(docs, fld, lookup)).drop(fld).rename({"_code": fld})


def check_large_numbers(
    docs: pl.DataFrame, ctx: Context, wb: Workbook, mapping: dict[str, str]
) -> pl.DataFrame:
    """Document numbers Excel may have damaged: 16+ digit numbers and scientific notation.

    Excel keeps 15 significant digits of a number, so a 16-digit invoice number typed into a cell
    formatted General loses its last digit; CSV written by Excel may show it as 1.23457E+15.
    """
    suspicious = docs.filter(
        pl.col("doc_no").str.contains(r"^[0-9]{16,}$")
        | pl.col("doc_no").str.contains(r"^[0-9.]+[eE]\+[0-9]+$")
    )
    if suspicious.is_empty():
        return docs
    # CSV and HTML hold the number as text, exactly as written; only Excel cells can be numbers.
    excel = wb.file_format not in ("csv", "html")
    numeric_rows = _numeric_cells(wb, ctx.sheet, suspicious) if excel else set()
    for doc_no, rows in suspicious.select("doc_no", "origin_rows").iter_rows():
        if "E+" in doc_no.upper():
            ctx.warn(
                f"invoice number '{doc_no}' is in scientific notation: Excel turned a long number into a "
                "float and its digits are lost; format the column as Text in the ERP export and re-export.",
                rows[0],
                "doc_no",
            )
        elif rows[0] in numeric_rows or (excel and numeric_rows is None):
            ctx.warn(
                f"invoice number {doc_no} is stored as a number: Excel keeps only 15 significant digits, "
                "so it may not be the real number; format the column as Text and re-export.",
                rows[0],
                "doc_no",
            )
    return docs


def _numeric_cells(wb: Workbook, sheet: str | None, suspicious: pl.DataFrame) -> set[int] | None:
    """Rows (1-based) among the suspicious ones whose number cell is a numeric cell, not text."""
    try:
        import python_calamine

        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(wb.data))
        values = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except Exception:
        return None
    found = set()
    for doc_no, rows in suspicious.select("doc_no", "origin_rows").iter_rows():
        row = rows[0]
        if row - 1 < len(values):
            cells = values[row - 1]
            if any(isinstance(c, float) and not isinstance(c, bool) and c == float(doc_no) for c in cells):
                found.add(row)
    return found
