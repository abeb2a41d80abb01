"""Finishing generated rows into the canonical document table exactly as the readers must.

The derived fields follow docs/architecture.md §1 with the shared functions (model.make_doc_id,
normalise.doc_no_key_expr, gstin.problem / caution, model.content_hashes), vectorised so that the
million-row benchmark corpus goes through the same code as the small one.
"""

from __future__ import annotations

from hashlib import blake2b

import polars as pl

from recon import gstin as gstin_rules
from recon import model, normalise


def gstin_checks(frame: pl.DataFrame) -> pl.DataFrame:
    """supplier_pan, gstin_valid and gstin_note, checked once per distinct GSTIN."""
    distinct = frame.select(pl.col("supplier_gstin").unique()).drop_nulls()
    gstins = distinct.get_column("supplier_gstin").to_list()
    notes = []
    for g in gstins:
        problem = gstin_rules.problem(g)
        notes.append((problem is None, problem or gstin_rules.caution(g)))
    checked = pl.DataFrame(
        {
            "supplier_gstin": gstins,
            "gstin_valid": [ok for ok, _ in notes],
            "gstin_note": [note for _, note in notes],
        },
        schema={"supplier_gstin": pl.String, "gstin_valid": pl.Boolean, "gstin_note": pl.String},
    )
    return (
        frame.drop("gstin_valid", "gstin_note", strict=False)
        .join(checked, on="supplier_gstin", how="left", maintain_order="left")
        .with_columns(
            pl.col("supplier_gstin").str.slice(2, 10).alias("supplier_pan"),
            # A bill of entry from abroad has no supplier GSTIN at all: say so rather than leave it blank.
            pl.when(pl.col("supplier_gstin").is_null() & (pl.col("doc_kind") == "bill_of_entry"))
            .then(pl.lit("no supplier GSTIN (import of goods)"))
            .otherwise(pl.col("gstin_note"))
            .alias("gstin_note"),
        )
    )


def occurrences(frame: pl.DataFrame) -> pl.Expr:
    """How many earlier rows share (supplier, kind, number upper-cased, FY): a double booking's copy is 1."""
    del frame
    key = [
        pl.col("supplier_gstin").fill_null("").str.strip_chars().str.to_uppercase(),
        pl.col("doc_kind"),
        pl.col("doc_no").fill_null("").str.strip_chars().str.to_uppercase(),
        pl.col("fy").fill_null(""),
    ]
    return pl.int_range(pl.len()).over(key).alias("occurrence")


def doc_ids(frame: pl.DataFrame, source: str) -> pl.Series:
    """model.make_doc_id for every row, with the identity text built column-wise.

    The id must equal the readers' own, so the text is exactly make_doc_id's ("|"-joined, number and
    GSTIN trimmed and upper-cased); only the digest runs per row. tests/test_synth.py checks the two agree.
    """
    text = frame.select(
        pl.concat_str(
            [
                pl.lit(source),
                pl.col("section").fill_null(""),
                pl.col("supplier_gstin").fill_null("").str.strip_chars().str.to_uppercase(),
                pl.col("doc_kind"),
                pl.col("doc_no").fill_null("").str.strip_chars().str.to_uppercase(),
                pl.col("fy").fill_null(""),
                pl.col("occurrence").cast(pl.String),
            ],
            separator="|",
        )
    ).to_series()
    prefix = source[:1]
    ids = [prefix + blake2b(t.encode(), digest_size=8).hexdigest() for t in text.to_list()]
    return pl.Series("doc_id", ids, dtype=pl.String)


def finish(frame: pl.DataFrame, source: str, *, count_occurrences: bool) -> pl.DataFrame:
    """Fill fy, doc_no_key, GSTIN checks, doc_id and content_hash; return the canonical table."""
    frame = frame.with_columns(pl.lit(source).alias("source"), normalise.fy_expr("doc_date").alias("fy"))
    frame = normalise.with_doc_no_key(frame)
    frame = gstin_checks(frame)
    if count_occurrences:
        frame = frame.with_columns(occurrences(frame))
    else:
        frame = frame.with_columns(pl.lit(0).alias("occurrence"))
    if "section" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("section"))
    frame = frame.with_columns(doc_ids(frame, source)).drop("occurrence")
    frame = model.conform(frame)
    return model.with_content_hash(frame)
