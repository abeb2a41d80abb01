"""Vectorised generation for the million-document benchmark (``generate(..., fast=True)``).

Same defect kinds, the same canonical columns and the same truth columns as the detailed generator,
with a simpler distribution: one rate per document, number series without per-document variety, no
GSTR-2B-only documents and no files (write_files needs the detailed corpus). Everything per document is
numpy / polars; the only per-row Python is model.make_doc_id and model.content_hashes, which the
readers use too and which must give the same ids.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import numpy as np
import polars as pl

from recon.gstin import STATES
from recon.synth import numbers
from recon.synth.canonical import finish
from recon.synth.generate import BOOKS_FILE, BOOKS_SHEET, IMS_FILE, SHARES, Corpus
from recon.synth.layouts import voucher_word
from recon.synth.parties import make_client, make_suppliers, mistype_gstin, state_abbr, suppliers_frame
from recon.synth.register import REGISTER_SCHEMA
from recon.synth.truth import TRUTH_SCHEMA, with_2b_categories

_FAST_STYLES = ("state_fy", "inv_pad", "gst_fy", "plain", "bill_branch", "letter_dash")
_KIND_SECTION = {"invoice": "b2b", "credit_note": "b2bcn", "debit_note": "b2bdn"}


def _plan(rng: np.random.Generator, n_docs: int) -> np.ndarray:
    """Defect names per case, shuffled (built as integer codes: a million Python strings are slow)."""
    counts = {d: max(3, round(s * n_docs)) for d, s in SHARES.items()}
    counts["exact"] = max(3, n_docs - sum(counts.values()))
    names = np.array(list(counts))
    codes = np.repeat(np.arange(len(names)), list(counts.values()))
    rng.shuffle(codes)
    return names[codes]


def _cases(
    rng: np.random.Generator, plan: np.ndarray, suppliers: pl.DataFrame, period_start: date
) -> pl.DataFrame:
    """One row per case: supplier, date, amounts, serial; defect-specific columns come later."""
    n = len(plan)
    main = suppliers.with_row_index("sup").filter(~pl.col("is_branch"))
    branches = suppliers.with_row_index("sup").filter(
        pl.col("pan").is_in(suppliers.filter("is_branch")["pan"].implode())
    )
    weights = 1.0 / (1 + np.arange(main.height)) ** 0.6
    sup = main["sup"].to_numpy()[rng.choice(main.height, size=n, p=weights / weights.sum())]
    # branch_gstin cases need a supplier with a second registration of its PAN.
    is_branch_case = plan == "branch_gstin"
    if branches.height:
        sup[is_branch_case] = branches["sup"].to_numpy()[
            rng.integers(0, branches.height, is_branch_case.sum())
        ]
    days = (
        date(period_start.year + (period_start.month == 12), period_start.month % 12 + 1, 1) - period_start
    ).days
    rates = rng.choice([5.0, 12.0, 18.0, 28.0], size=n, p=[0.15, 0.2, 0.55, 0.1])
    taxable = np.round(np.exp(rng.uniform(np.log(500), np.log(500_000), n)), 2)
    return pl.DataFrame(
        {
            "case": np.arange(n),
            "defect": plan,
            "sup": sup,
            "day": rng.integers(0, days, n),
            "rate": rates,
            "taxable_value": taxable,
            "shift": rng.choice([-5, -3, -2, -1, 1, 2, 3], n),
            "delta": rng.integers(1, 101, n) / 100 * rng.choice([-1, 1], n),
            "action": rng.choice(["N", "A", "P"], n, p=[0.85, 0.08, 0.07]),
            "srcform": rng.choice(["R1", "IFF", "R1A"], n, p=[0.8, 0.15, 0.05]),
            "wrong_rate": rng.choice([5.0, 12.0, 18.0, 28.0], n),
            "coin": rng.random(n),
        }
    ).with_columns(pl.lit(period_start).alias("period_start"))


def _number_expr(style: pl.Expr, serial: pl.Expr, abbr: pl.Expr, fy: str, kind: pl.Expr) -> pl.Expr:
    t = numbers.fy_tokens(fy)
    s = serial.cast(pl.String)
    invoice = (
        pl.when(style == "state_fy")
        .then(pl.concat_str([abbr, pl.lit(f"/{t['fy4']}/"), s.str.zfill(4)]))
        .when(style == "inv_pad")
        .then(pl.concat_str([pl.lit("INV-"), s.str.zfill(5)]))
        .when(style == "gst_fy")
        .then(pl.concat_str([pl.lit(f"GST/{t['fy5']}/"), s]))
        .when(style == "plain")
        .then(s)
        .when(style == "bill_branch")
        .then(pl.concat_str([pl.lit("BILL-01-"), s.str.zfill(5)]))
        .otherwise(pl.concat_str([pl.lit("A-"), s]))
    )
    note = pl.concat_str(
        [pl.when(kind == "credit_note").then(pl.lit("CN-")).otherwise(pl.lit("DN-")), s.str.zfill(4)]
    )
    return pl.when(kind == "invoice").then(invoice).otherwise(note)


def _taxes(frame_rate: pl.Expr, taxable: pl.Expr, inter: pl.Expr) -> list[pl.Expr]:
    tax = (taxable * frame_rate / 100).round(2)
    half = (taxable * frame_rate / 200).round(2)
    return [
        pl.when(inter).then(tax).otherwise(0.0).alias("igst"),
        pl.when(inter).then(0.0).otherwise(half).alias("cgst"),
        pl.when(inter).then(0.0).otherwise(half).alias("sgst"),
        pl.lit(0.0).alias("cess"),
    ]


def generate_fast(seed: int, n_docs: int, period: str) -> Corpus:
    rng = np.random.default_rng(seed)
    prng = random.Random(seed)
    client = make_client(prng, period)
    suppliers_list = make_suppliers(prng, max(12, min(n_docs // 40, 20_000)), _FAST_STYLES)
    suppliers = suppliers_frame(suppliers_list)
    typos = [mistype_gstin(prng, s.gstin) for s in suppliers_list]
    siblings = _siblings(suppliers)
    period_start = date(int(period[2:]), int(period[:2]), 1)
    fy = f"{period_start.year if period_start.month >= 4 else period_start.year - 1}"
    fy = f"{fy}-{(int(fy) + 1) % 100:02d}"
    cases = _cases(rng, _plan(rng, n_docs), suppliers, period_start)
    sup_cols = suppliers.with_row_index("sup").select(
        pl.col("sup").cast(pl.Int64),
        pl.col("gstin").alias("supplier_gstin"),
        pl.col("name").alias("supplier_name"),
        pl.col("state"),
        pl.col("number_style"),
        pl.Series("typo_gstin", typos),
        pl.Series("sibling_gstin", siblings),
    )
    cases = cases.with_columns(pl.col("sup").cast(pl.Int64)).join(
        sup_cols, on="sup", how="left", maintain_order="left"
    )
    portal_rows, books_rows = _documents(cases, client, fy)
    ims = finish(portal_rows.drop("case", "role"), "ims", count_occurrences=False)
    books = finish(books_rows.drop("case", "role", "dup_role"), "books", count_occurrences=True)
    truth = _truth(
        cases,
        portal_rows.select("case", "role"),
        ims,
        books_rows.select("case", "role", "dup_role"),
        books,
        client.state_code,
    )
    gstr2b = _gstr2b_from_ims(ims)
    return Corpus(
        client=client,
        suppliers=suppliers,
        books=books,
        ims=ims,
        gstr2b=gstr2b,
        truth=_with_gstr2b_ids(truth, ims, gstr2b),
        register=pl.DataFrame(schema=REGISTER_SCHEMA),
        seed=seed,
        fast=True,
    )


def _siblings(suppliers: pl.DataFrame) -> list[str | None]:
    by_pan: dict[str, list[str]] = {}
    for pan, gstin in suppliers.select("pan", "gstin").iter_rows():
        by_pan.setdefault(pan, []).append(gstin)
    return [
        next((g for g in by_pan[pan] if g != gstin), None)
        for pan, gstin in suppliers.select("pan", "gstin").iter_rows()
    ]


def _documents(cases: pl.DataFrame, client, fy: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    d = pl.col("defect")
    inter = pl.col("state") != client.state_code
    kind = (
        pl.when(d == "credit_note")
        .then(pl.lit("credit_note"))
        .when(d == "debit_note")
        .then(pl.lit("debit_note"))
        .otherwise(pl.lit("invoice"))
    )
    # Serials: even numbers for ordinary documents; the odd neighbour is the confusable twin or the
    # amended number, so no two cases of one supplier ever share a number.
    # branch_gstin cases take serials from 900000 up: the registration the books carry numbers its own
    # documents from the same series, and must not hold a real document with the booked number.
    rank = pl.int_range(pl.len()).over("sup", kind)
    branch_rank = pl.int_range(pl.len()).over(d == "branch_gstin")
    serial = pl.when(d == "branch_gstin").then(900_000 + branch_rank * 2).otherwise((rank + 50) * 2)
    base = cases.with_columns(kind.alias("doc_kind")).with_columns(serial.alias("serial"))
    doc_date = pl.col("period_start") + pl.duration(days=pl.col("day"))
    base = base.with_columns(
        doc_date.alias("doc_date"),
        *_taxes(pl.col("rate"), pl.col("taxable_value"), inter),
        pl.col("state")
        .replace_strict({code: state_abbr(code) for code in STATES}, default="IN")
        .alias("abbr"),
    )
    base = base.with_columns(
        pl.when(d == "fy_boundary")
        .then(pl.lit("inv_pad"))
        .otherwise(pl.col("number_style"))
        .alias("number_style")
    )
    base = base.with_columns(
        _number_expr(pl.col("number_style"), pl.col("serial"), pl.col("abbr"), fy, pl.col("doc_kind")).alias(
            "doc_no"
        )
    )
    march = date(int(fy[:4]), 3, 31)
    base = base.with_columns(
        pl.when(d == "fy_boundary")
        .then(pl.when(pl.col("coin") < 0.5).then(pl.lit(march + timedelta(days=1))).otherwise(pl.lit(march)))
        .otherwise(pl.col("doc_date"))
        .alias("doc_date")
    )
    base = base.with_columns(
        (pl.col("taxable_value") + pl.col("igst") + pl.col("cgst") + pl.col("sgst") + pl.col("cess"))
        .round(2)
        .alias("doc_value")
    )
    twin = (
        base.filter(d == "confusable_number")
        .with_columns((pl.col("serial") + 1).alias("serial"), pl.lit("twin").alias("role"))
        .with_columns(
            _number_expr(
                pl.col("number_style"), pl.col("serial"), pl.col("abbr"), fy, pl.col("doc_kind")
            ).alias("doc_no")
        )
    )
    base = base.with_columns(pl.lit("main").alias("role"))
    portal = pl.concat([base, twin]).filter(~d.is_in(["books_only", "not_in_ims"]))
    portal = _portal_columns(portal, client, fy)
    books = _books_columns(pl.concat([base, twin]).filter(d != "ims_only"), client)
    return portal, books


def _portal_columns(p: pl.DataFrame, client, fy: str) -> pl.DataFrame:
    d = pl.col("defect")
    amend = d == "amendment"
    p = p.with_columns(
        pl.when(amend).then(pl.col("doc_no")).otherwise(None).alias("original_doc_no"),
        pl.when(amend).then(pl.col("doc_date")).otherwise(None).alias("original_doc_date"),
        pl.when(amend)
        .then(
            _number_expr(pl.col("number_style"), pl.col("serial") + 1, pl.col("abbr"), fy, pl.col("doc_kind"))
        )
        .otherwise(pl.col("doc_no"))
        .alias("doc_no"),
        pl.when(amend)
        .then(pl.lit("b2ba"))
        .otherwise(pl.col("doc_kind").replace_strict(_KIND_SECTION))
        .alias("section"),
        pl.when(d.is_in(["unfiled_supplier", "pending_blocked", "fy_boundary"]))
        .then(pl.lit("N"))
        .otherwise(pl.col("action"))
        .alias("ims_action"),
    )
    filed = d != "unfiled_supplier"
    p = p.with_columns(
        pl.lit(client.gstin).alias("recipient_gstin"),
        amend.alias("is_amendment"),
        pl.lit(client.state_code).alias("pos"),
        pl.lit("R").alias("supply_type"),
        pl.lit(False).alias("reverse_charge"),
        pl.lit(client.period).alias("supplier_period"),
        pl.when(filed).then(pl.lit("Filed")).otherwise(pl.lit("Not Filed")).alias("supplier_filing_status"),
        filed.alias("supplier_filed"),
        (d == "pending_blocked").alias("pending_blocked"),
        pl.lit(IMS_FILE).alias("origin_file"),
        pl.col("section").alias("origin_sheet"),
        pl.lit([], dtype=pl.List(pl.String)).alias("warnings"),
    )
    p = p.sort("section", "case", "role")
    p = p.with_columns(pl.int_range(1, pl.len() + 1).over("section").cast(pl.Int64).alias("_idx"))
    p = p.with_columns(
        pl.concat_list(pl.col("_idx")).alias("origin_rows"), _portal_hash().alias("portal_hash")
    )
    p = p.with_columns(_raw_expr().alias("raw"))
    keep = [c for c in _CANONICAL_INPUT if c in p.columns]
    return p.select("case", "role", *keep)


_CANONICAL_INPUT = (
    "recipient_gstin",
    "section",
    "doc_kind",
    "is_amendment",
    "original_doc_no",
    "original_doc_date",
    "supplier_gstin",
    "supplier_name",
    "doc_no",
    "doc_date",
    "pos",
    "supply_type",
    "reverse_charge",
    "taxable_value",
    "igst",
    "cgst",
    "sgst",
    "cess",
    "doc_value",
    "supplier_period",
    "supplier_filing_status",
    "supplier_filed",
    "ims_action",
    "pending_blocked",
    "portal_hash",
    "origin_file",
    "origin_sheet",
    "origin_rows",
    "raw",
    "voucher_type",
    "voucher_no",
    "warnings",
)


def _portal_hash() -> pl.Expr:
    parts = [pl.col("supplier_gstin"), pl.col("doc_no"), pl.col("doc_value").cast(pl.String)]
    key = pl.concat_str(parts, separator="|")
    # 64 hex characters like the portal's checksum, without a per-row Python call.
    hexed = [key.hash(seed=i).cast(pl.String).str.zfill(20).str.encode("hex") for i in range(2)]
    return pl.concat_str(hexed).str.slice(0, 64)


def _money(col: str) -> pl.Expr:
    """Two-decimal JSON literal (0 stays 0), from whole paise so no float formatting is involved."""
    paise = (pl.col(col) * 100).round(0).cast(pl.Int64)
    text = pl.concat_str(
        [(paise // 100).cast(pl.String), pl.lit("."), (paise % 100).cast(pl.String).str.zfill(2)]
    )
    return pl.when(paise == 0).then(pl.lit("0")).otherwise(text)


def _raw_expr() -> pl.Expr:
    """The IMS record as the portal writes it (docs/reference/formats.md §1.3), built as text in one pass."""
    note = pl.col("doc_kind") != "invoice"
    num_key = pl.when(note).then(pl.lit("nt_num")).otherwise(pl.lit("inum"))
    dt_key = pl.when(note).then(pl.lit("nt_dt")).otherwise(pl.lit("idt"))
    orig = (
        pl.when(pl.col("is_amendment"))
        .then(
            pl.concat_str(
                [
                    pl.lit(',"oinum":"'),
                    pl.col("original_doc_no"),
                    pl.lit('","oidt":"'),
                    pl.col("original_doc_date").dt.strftime("%d-%m-%Y"),
                    pl.lit('"'),
                ]
            )
        )
        .otherwise(pl.lit(""))
    )
    return pl.concat_str(
        [
            pl.lit('{"stin":"'),
            pl.col("supplier_gstin"),
            pl.lit('","'),
            num_key,
            pl.lit('":"'),
            pl.col("doc_no"),
            pl.lit('","'),
            dt_key,
            pl.lit('":"'),
            pl.col("doc_date").dt.strftime("%d-%m-%Y"),
            pl.lit('"'),
            orig,
            pl.lit(',"inv_typ":"R","pos":"'),
            pl.col("pos"),
            pl.lit('","val":'),
            _money("doc_value"),
            pl.lit(',"txval":'),
            _money("taxable_value"),
            pl.lit(',"iamt":'),
            _money("igst"),
            pl.lit(',"camt":'),
            _money("cgst"),
            pl.lit(',"samt":'),
            _money("sgst"),
            pl.lit(',"cess":'),
            _money("cess"),
            pl.lit(',"rtnprd":"'),
            pl.col("supplier_period"),
            pl.lit('","srcform":"'),
            pl.col("srcform"),
            pl.lit('","srcfilstatus":"'),
            pl.col("supplier_filing_status"),
            pl.lit('","action":"'),
            pl.col("ims_action"),
            pl.lit('","ispendactblocked":"'),
            pl.when(pl.col("pending_blocked")).then(pl.lit("Y")).otherwise(pl.lit("N")),
            pl.lit('","hash":"'),
            pl.col("portal_hash"),
            pl.lit('"}'),
        ]
    )


def _books_columns(b: pl.DataFrame, client) -> pl.DataFrame:
    d = pl.col("defect")
    inter = pl.col("state") != client.state_code
    # Duplicate bookings: the case's row is booked twice.
    dups = b.filter(d == "duplicate_booking").with_columns(pl.lit("copy").alias("dup_role"))
    b = pl.concat([b.with_columns(pl.lit("first").alias("dup_role")), dups])
    rounding = d == "rounding"
    value_diff = d == "value_diff"
    taxable = (
        pl.when(value_diff & _taxable_typo())
        .then((pl.col("taxable_value") * 1.2).round(2))
        .otherwise(pl.col("taxable_value"))
    )
    rate = pl.when(value_diff & ~_taxable_typo()).then(pl.col("wrong_rate")).otherwise(pl.col("rate"))
    b = b.with_columns(
        pl.when(value_diff).then(taxable).otherwise(pl.col("taxable_value")).alias("taxable_value"),
        pl.when(value_diff).then(rate).otherwise(pl.col("rate")).alias("rate"),
    )
    recomputed = _taxes(pl.col("rate"), pl.col("taxable_value"), inter)
    b = b.with_columns(
        [
            pl.when(value_diff).then(e).otherwise(pl.col(e.meta.output_name())).alias(e.meta.output_name())
            for e in recomputed
        ]
    )
    b = b.with_columns(
        pl.when(value_diff)
        .then((pl.col("taxable_value") + pl.col("igst") + pl.col("cgst") + pl.col("sgst")).round(2))
        .otherwise(pl.col("doc_value"))
        .alias("doc_value"),
        pl.when(rounding & inter)
        .then((pl.col("igst") + pl.col("delta")).round(2))
        .otherwise(pl.col("igst"))
        .alias("igst"),
        pl.when(rounding & ~inter)
        .then((pl.col("cgst") + pl.col("delta")).round(2))
        .otherwise(pl.col("cgst"))
        .alias("cgst"),
        pl.when(rounding & ~inter)
        .then((pl.col("sgst") + pl.col("delta")).round(2))
        .otherwise(pl.col("sgst"))
        .alias("sgst"),
    )
    march = pl.col("doc_date").dt.month() == 3
    b = b.with_columns(
        pl.when(d == "number_format").then(_reformat_expr()).otherwise(pl.col("doc_no")).alias("doc_no"),
        pl.when(d == "date_diff")
        .then(pl.col("doc_date") + pl.duration(days=pl.col("shift")))
        .when(d == "fy_boundary")
        .then(
            pl.when(march)
            .then(pl.col("doc_date") + pl.duration(days=1))
            .otherwise(pl.col("doc_date") - pl.duration(days=1))
        )
        .otherwise(pl.col("doc_date"))
        .alias("doc_date"),
        pl.when(d == "branch_gstin")
        .then(pl.col("sibling_gstin"))
        .when(d == "mistyped_gstin")
        .then(pl.col("typo_gstin"))
        .otherwise(pl.col("supplier_gstin"))
        .alias("supplier_gstin"),
        (d == "not_in_ims").alias("reverse_charge"),
    )
    # Rate-wise bookings take two register rows; row numbers follow the generic layout (data from row 2).
    lines = pl.when(d == "rate_wise_lines").then(2).otherwise(1)
    # The first booking precedes its copy in the register (occurrence 0 is the one that pairs).
    b = b.sort("case", "role", pl.col("dup_role") == "copy").with_columns(lines.alias("_lines"))
    b = b.with_columns((pl.col("_lines").cum_sum() - pl.col("_lines") + 2).alias("_first"))
    b = b.with_columns(
        pl.int_ranges(pl.col("_first"), pl.col("_first") + pl.col("_lines"))
        .cast(pl.List(pl.Int64))
        .alias("origin_rows"),
        pl.lit(client.gstin).alias("recipient_gstin"),
        pl.lit(False).alias("is_amendment"),
        pl.lit(client.state_code).alias("pos"),
        pl.lit(BOOKS_FILE).alias("origin_file"),
        pl.lit(BOOKS_SHEET).alias("origin_sheet"),
        pl.col("doc_kind")
        .replace_strict({k: voucher_word("generic", k, False) for k in _KIND_SECTION})
        .alias("voucher_type"),
        pl.concat_str([pl.lit("PUR/"), (pl.int_range(pl.len()) + 1).cast(pl.String).str.zfill(7)]).alias(
            "voucher_no"
        ),
        pl.lit([], dtype=pl.List(pl.String)).alias("warnings"),
    )
    keep = [c for c in _CANONICAL_INPUT if c in b.columns]
    return b.select("case", "role", "dup_role", *keep)


def _taxable_typo() -> pl.Expr:
    """value_diff cases: half have the taxable typed wrong; the rest were booked at another rate."""
    return (pl.col("coin") < 0.5) | (pl.col("wrong_rate") == pl.col("rate"))


def _reformat_expr() -> pl.Expr:
    """Books' retyping that keeps the key: other separators and lower case; zero-padding for bare digits."""
    no = pl.col("doc_no")
    swapped = (
        no.str.replace_all("/", "\x00")
        .str.replace_all("-", "/")
        .str.replace_all("\x00", "-")
        .str.to_lowercase()
    )
    return pl.when(no.str.contains(r"^[0-9]+$")).then(no.str.zfill(8)).otherwise(swapped)


_CATEGORY = {
    "exact": "matched",
    "number_format": "matched",
    "rounding": "matched",
    "value_diff": "mismatched",
    "date_diff": "mismatched",
    "branch_gstin": "mismatched",
    "mistyped_gstin": "mismatched",
    "duplicate_booking": "matched",
    "credit_note": "matched",
    "debit_note": "matched",
    "rate_wise_lines": "matched",
    "ims_only": "ims_only",
    "books_only": "books_only",
    "confusable_number": "matched",
    "amendment": "matched",
    "fy_boundary": "mismatched",
    "not_in_ims": "books_only",
    "unfiled_supplier": "matched",
    "pending_blocked": "matched",
}
_DIFFERENCES = {
    "date_diff": ["doc_date"],
    "fy_boundary": ["doc_date"],
    "branch_gstin": ["supplier_gstin"],
    "mistyped_gstin": ["supplier_gstin"],
}


def _truth(cases, portal_keys, ims, books_keys, books, client_state: str) -> pl.DataFrame:
    portal_ids = portal_keys.with_columns(ims["doc_id"].alias("portal_doc_id"))
    book_ids = books_keys.with_columns(books["doc_id"].alias("books_doc_id"))
    firsts = book_ids.filter(pl.col("dup_role") == "first").drop("dup_role")
    copies = (
        book_ids.filter(pl.col("dup_role") == "copy").drop("dup_role").rename({"books_doc_id": "copy_id"})
    )
    main_rows = cases.select("case", "defect", "state", "coin", "rate", "wrong_rate").join(
        pl.DataFrame({"role": ["main", "twin"]}), how="cross"
    )
    rows = (
        main_rows.join(firsts, on=["case", "role"], how="left")
        .join(portal_ids, on=["case", "role"], how="left")
        .filter(pl.col("books_doc_id").is_not_null() | pl.col("portal_doc_id").is_not_null())
    )
    rows = rows.with_columns(
        pl.col("defect").replace_strict(_CATEGORY).alias("expected_category"),
        _differences_expr(client_state).alias("expected_differences"),
        pl.lit(None, dtype=pl.String).alias("duplicate_of"),
        pl.when(pl.col("defect") == "not_in_ims")
        .then(pl.lit("reverse charge"))
        .otherwise(None)
        .alias("not_in_ims_reason"),
    )
    copies_rows = copies.join(firsts, on=["case", "role"]).join(cases.select("case", "defect"), on="case")
    copies_rows = copies_rows.select(
        pl.col("copy_id").alias("books_doc_id"),
        pl.lit(None, dtype=pl.String).alias("portal_doc_id"),
        pl.col("defect"),
        pl.lit("books_only").alias("expected_category"),
        pl.lit([], dtype=pl.List(pl.String)).alias("expected_differences"),
        pl.col("books_doc_id").alias("duplicate_of"),
        pl.lit(None, dtype=pl.String).alias("not_in_ims_reason"),
    )
    rows = rows.select(copies_rows.columns)
    truth = pl.concat([rows, copies_rows]).with_columns(
        pl.lit(None, dtype=pl.String).alias("gstr2b_doc_id"), pl.lit(None, dtype=pl.String).alias("detail")
    )
    columns = {k: v for k, v in TRUTH_SCHEMA.items() if k != "expected_category_2b"}
    return truth.select(columns.keys()).cast(columns)


def _differences_expr(client_state: str) -> pl.Expr:
    d = pl.col("defect")
    expr = pl.lit([], dtype=pl.List(pl.String))
    for defect, fields in _DIFFERENCES.items():
        expr = pl.when(d == defect).then(pl.lit(fields, dtype=pl.List(pl.String))).otherwise(expr)
    # value_diff: taxable and the heads of the supply's kind, or the heads only (another rate).
    inter = pl.col("state") != client_state
    heads = pl.when(inter).then(pl.lit(["igst"])).otherwise(pl.lit(["cgst", "sgst"]))
    taxable = (
        pl.when(_taxable_typo())
        .then(pl.lit(["taxable_value"]))
        .otherwise(pl.lit([], dtype=pl.List(pl.String)))
    )
    changed = pl.concat_list([taxable, heads, pl.lit(["doc_value"])])
    return pl.when(d == "value_diff").then(changed).otherwise(expr)


def _gstr2b_from_ims(ims: pl.DataFrame) -> pl.DataFrame:
    """Fast mode's 2B: the filed, not-pending IMS documents as 2B holds them (ids in the 2B's sections)."""
    from recon import model

    twob = ims.filter(pl.col("supplier_filed") & (pl.col("ims_action") != "P")).with_columns(
        pl.lit("gstr2b").alias("source"),
        pl.col("section").replace({"b2bcn": "cdnr", "b2bdn": "cdnr", "b2bcna": "cdnra"}).alias("section"),
        pl.lit(None, dtype=pl.String).alias("portal_hash"),
        pl.lit("Y").alias("itc_available"),
        pl.lit(None, dtype=pl.String).alias("raw"),
        pl.lit("gstr2b.json").alias("origin_file"),
    )
    twob = twob.with_columns(pl.col("section").alias("origin_sheet"), pl.lit(0).alias("occurrence"))
    from recon.synth.canonical import doc_ids

    twob = twob.with_columns(doc_ids(twob, "gstr2b")).drop("occurrence")
    return model.conform(twob)


def _with_gstr2b_ids(truth: pl.DataFrame, ims: pl.DataFrame, gstr2b: pl.DataFrame) -> pl.DataFrame:
    """gstr2b_doc_id for the truth rows whose IMS document reached 2B (same row order as filtered)."""
    reached = ims.filter(pl.col("supplier_filed") & (pl.col("ims_action") != "P")).select(
        pl.col("doc_id").alias("portal_doc_id"), gstr2b["doc_id"].alias("twob")
    )
    joined = truth.join(reached, on="portal_doc_id", how="left", maintain_order="left")
    return with_2b_categories(joined.with_columns(pl.col("twob").alias("gstr2b_doc_id")).drop("twob"))
