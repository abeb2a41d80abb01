"""Measures: how right a reconciliation is against ground truth (recon.synth's ``corpus.truth``).

* pair precision = pairs made that are true / pairs made;
* pair recall    = true pairs made / true pairs;
* category accuracy = truth rows whose document landed in the expected category;
all overall and per defect kind. A pair is (books doc_id, portal doc_id); the truth's ``portal_doc_id``
is the IMS document (use ``portal_column="gstr2b_doc_id"`` when reconciling against GSTR-2B).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class PairMeasures:
    made: int
    true: int
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.made if self.made else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.true if self.true else 1.0


def made_pairs(results: pl.DataFrame) -> pl.DataFrame:
    return results.filter(
        pl.col("books_doc_id").is_not_null() & pl.col("portal_doc_id").is_not_null()
    ).select("books_doc_id", "portal_doc_id")


def true_pairs(truth: pl.DataFrame, portal_column: str = "portal_doc_id") -> pl.DataFrame:
    return truth.filter(pl.col("books_doc_id").is_not_null() & pl.col(portal_column).is_not_null()).select(
        "books_doc_id", pl.col(portal_column).alias("portal_doc_id"), "defect"
    )


def pair_measures(
    results: pl.DataFrame, truth: pl.DataFrame, portal_column: str = "portal_doc_id"
) -> PairMeasures:
    made = made_pairs(results)
    expected = true_pairs(truth, portal_column)
    correct = made.join(expected, on=["books_doc_id", "portal_doc_id"], how="semi").height
    return PairMeasures(made=made.height, true=expected.height, correct=correct)


def false_pairs(
    results: pl.DataFrame, truth: pl.DataFrame, portal_column: str = "portal_doc_id"
) -> pl.DataFrame:
    """Pairs made that the truth does not hold, with the defect kind of the books and portal documents."""
    made = results.filter(pl.col("books_doc_id").is_not_null() & pl.col("portal_doc_id").is_not_null())
    expected = true_pairs(truth, portal_column)
    wrong = made.join(expected, on=["books_doc_id", "portal_doc_id"], how="anti")
    books_defect = truth.select("books_doc_id", pl.col("defect").alias("books_defect")).unique("books_doc_id")
    portal_defect = (
        truth.filter(pl.col(portal_column).is_not_null())
        .select(pl.col(portal_column).alias("portal_doc_id"), pl.col("defect").alias("portal_defect"))
        .unique("portal_doc_id")
    )
    return wrong.join(books_defect, on="books_doc_id", how="left").join(
        portal_defect, on="portal_doc_id", how="left"
    )


def category_outcomes(
    results: pl.DataFrame, truth: pl.DataFrame, portal_column: str = "portal_doc_id"
) -> pl.DataFrame:
    """Per truth row with an expected category: the category the engine gave its document."""
    by_books = results.filter(pl.col("books_doc_id").is_not_null()).select(
        "books_doc_id", pl.col("category").alias("_by_books")
    )
    by_portal = results.filter(pl.col("portal_doc_id").is_not_null()).select(
        pl.col("portal_doc_id").alias(portal_column), pl.col("category").alias("_by_portal")
    )
    frame = (
        truth.filter(pl.col("expected_category").is_not_null())
        .join(by_books, on="books_doc_id", how="left")
        .join(by_portal, on=portal_column, how="left")
    )
    got = pl.coalesce(pl.col("_by_books"), pl.col("_by_portal")).alias("category")
    return frame.with_columns(got).with_columns(
        (pl.col("category") == pl.col("expected_category")).alias("right")
    )


def per_defect(
    results: pl.DataFrame, truth: pl.DataFrame, portal_column: str = "portal_doc_id"
) -> pl.DataFrame:
    """One row per defect kind: cases, true pairs found, false pairs touching it, categories right."""
    expected = true_pairs(truth, portal_column)
    made = made_pairs(results)
    found = (
        expected.join(made, on=["books_doc_id", "portal_doc_id"], how="semi").group_by("defect").len("found")
    )
    total = expected.group_by("defect").len("true_pairs")
    wrong = false_pairs(results, truth, portal_column)
    wrong_by = (
        pl.concat(
            [
                wrong.select(pl.col("books_defect").alias("defect"), pl.int_range(pl.len()).alias("_i")),
                wrong.select(pl.col("portal_defect").alias("defect"), pl.int_range(pl.len()).alias("_i")),
            ]
        )
        .drop_nulls("defect")
        .unique()
        .group_by("defect")
        .len("false_pairs")
    )
    outcomes = category_outcomes(results, truth, portal_column)
    categories = outcomes.group_by("defect").agg(
        pl.len().alias("cases"), pl.col("right").fill_null(False).sum().alias("category_right")
    )
    return (
        categories.join(total, on="defect", how="full", coalesce=True)
        .join(found, on="defect", how="left")
        .join(wrong_by, on="defect", how="left")
        .with_columns(pl.col("true_pairs", "found", "false_pairs", "cases", "category_right").fill_null(0))
        .with_columns(
            (pl.col("found") / pl.col("true_pairs")).alias("recall"),
            (pl.col("category_right") / pl.col("cases")).alias("category_accuracy"),
        )
        .sort("defect")
    )
