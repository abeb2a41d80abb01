"""The generator: deterministic, every defect kind present, truth consistent with the documents."""

from __future__ import annotations

import polars as pl
import pytest

from recon import gstin as gstin_rules
from recon.model import COLUMNS, make_doc_id
from recon.normalise import doc_no_key
from recon.synth import DEFECTS, demo_corpus, generate, write_files
from recon.synth.truth import TRUTH_SCHEMA

CATEGORIES = {"matched", "mismatched", "ims_only", "books_only"}
FRAMES = ("books", "ims", "gstr2b", "truth")


@pytest.fixture(scope="module")
def corpus():
    return generate(seed=7, n_docs=2000)


@pytest.fixture(scope="module")
def fast_corpus():
    return generate(seed=7, n_docs=20_000, fast=True)


def test_same_seed_gives_identical_frames(corpus):
    again = generate(seed=7, n_docs=2000)
    for name in FRAMES:
        assert getattr(again, name).equals(getattr(corpus, name)), name
    assert again.client == corpus.client


def test_other_seed_gives_other_documents(corpus):
    other = generate(seed=8, n_docs=2000)
    assert other.client.gstin != corpus.client.gstin
    shared = set(other.ims["doc_id"]) & set(corpus.ims["doc_id"])
    assert len(shared) < 20  # a handful of "1045"-style numbers may coincide, not whole registers


@pytest.mark.parametrize("defect", DEFECTS)
def test_every_defect_kind_is_present(corpus, defect):
    count = corpus.truth.filter(pl.col("defect") == defect).height
    assert count >= 6, f"{defect}: only {count} truth rows at n_docs=2000"


def test_sizes_are_about_n_docs(corpus):
    assert 1700 <= corpus.ims.height <= 2300
    assert 1700 <= corpus.books.height <= 2300


def test_frames_are_canonical(corpus):
    for name in ("books", "ims", "gstr2b"):
        frame = getattr(corpus, name)
        assert tuple(frame.columns) == COLUMNS, name
        assert frame["doc_id"].is_unique().all(), name
        assert (frame["source"] == {"books": "books", "ims": "ims", "gstr2b": "gstr2b"}[name]).all()
    assert corpus.truth.schema == pl.Schema(TRUTH_SCHEMA)


def test_truth_points_at_real_documents(corpus):
    truth = corpus.truth
    for column, frame in (
        ("books_doc_id", corpus.books),
        ("portal_doc_id", corpus.ims),
        ("gstr2b_doc_id", corpus.gstr2b),
        ("duplicate_of", corpus.books),
    ):
        ids = truth[column].drop_nulls()
        assert ids.is_in(frame["doc_id"].implode()).all(), column
    # Every document is accounted for exactly once.
    assert set(truth["books_doc_id"].drop_nulls()) == set(corpus.books["doc_id"])
    assert truth["books_doc_id"].drop_nulls().is_unique().all()
    assert set(truth["portal_doc_id"].drop_nulls()) == set(corpus.ims["doc_id"])
    assert set(truth["expected_category"].drop_nulls()) <= CATEGORIES


def test_categories_follow_the_defects(corpus):
    truth = corpus.truth

    def cats(defect):
        return set(truth.filter(pl.col("defect") == defect)["expected_category"].to_list())

    assert cats("exact") == cats("number_format") == cats("rounding") == {"matched"}
    assert cats("value_diff") == cats("date_diff") == {"mismatched"}
    assert cats("ims_only") == {"ims_only"} and cats("books_only") == {"books_only"}
    only_books = truth.filter(pl.col("expected_category") == "books_only")
    only_ims = truth.filter(pl.col("expected_category") == "ims_only")
    assert only_books["portal_doc_id"].is_null().all() and only_ims["books_doc_id"].is_null().all()


def _pairs(corpus, defect):
    truth = corpus.truth.filter(
        (pl.col("defect") == defect)
        & pl.col("books_doc_id").is_not_null()
        & pl.col("portal_doc_id").is_not_null()
    )
    books = corpus.books.select(pl.all().name.prefix("b_"))
    ims = corpus.ims.select(pl.all().name.prefix("p_"))
    return truth.join(books, left_on="books_doc_id", right_on="b_doc_id").join(
        ims, left_on="portal_doc_id", right_on="p_doc_id"
    )


def test_number_format_differs_in_writing_not_in_key(corpus):
    pairs = _pairs(corpus, "number_format")
    assert (pairs["b_doc_no"] != pairs["p_doc_no"]).all()
    assert (pairs["b_doc_no_key"] == pairs["p_doc_no_key"]).all()


def test_rounding_stays_within_a_rupee_and_value_diff_exceeds_it(corpus):
    heads = ("igst", "cgst", "sgst")
    rounding = _pairs(corpus, "rounding")
    gaps = rounding.select([(pl.col(f"b_{h}") - pl.col(f"p_{h}")).abs().alias(h) for h in heads])
    assert (gaps.max_horizontal() <= 1.0 + 1e-9).all() and (gaps.max_horizontal() > 0).all()
    value = _pairs(corpus, "value_diff")
    taxed = value.select([(pl.col(f"b_{h}") - pl.col(f"p_{h}")).abs().alias(h) for h in heads])
    assert (taxed.max_horizontal() > 1.0).all()


def test_confusable_numbers_are_different_documents(corpus):
    pairs = _pairs(corpus, "confusable_number")
    assert (pairs["b_doc_no"] == pairs["p_doc_no"]).all()  # each pairs with its own twin
    by_supplier = pairs.group_by("p_supplier_gstin").agg(pl.col("p_doc_no_key").n_unique(), pl.len())
    assert (by_supplier["p_doc_no_key"] == by_supplier["len"]).all()
    for detail in pairs["detail"]:
        mine, theirs = detail.split(" must not pair with ")
        assert doc_no_key(mine.strip("'")) != doc_no_key(theirs.strip("'"))


def test_gstins_valid_except_the_mistyped(corpus):
    mistyped = set(_pairs(corpus, "mistyped_gstin")["b_supplier_gstin"])
    invalid_books = set(corpus.books.filter(~pl.col("gstin_valid"))["supplier_gstin"])
    assert invalid_books == mistyped and mistyped
    assert all("check character" in gstin_rules.problem(g) for g in mistyped)
    assert corpus.ims["gstin_valid"].all()
    assert gstin_rules.is_valid(corpus.client.gstin)


def test_branch_gstin_is_the_same_pan_elsewhere(corpus):
    pairs = _pairs(corpus, "branch_gstin")
    assert (pairs["b_supplier_gstin"] != pairs["p_supplier_gstin"]).all()
    assert (pairs["b_supplier_pan"] == pairs["p_supplier_pan"]).all()


def test_duplicates_point_at_their_twin(corpus):
    copies = corpus.truth.filter(pl.col("duplicate_of").is_not_null())
    assert copies.height >= 6 and (copies["defect"] == "duplicate_booking").all()
    books = corpus.books.select("doc_id", "supplier_gstin", "doc_no_key", "taxable_value")
    joined = copies.join(books, left_on="books_doc_id", right_on="doc_id").join(
        books, left_on="duplicate_of", right_on="doc_id", suffix="_twin"
    )
    assert (joined["supplier_gstin"] == joined["supplier_gstin_twin"]).all()
    assert (joined["doc_no_key"] == joined["doc_no_key_twin"]).all()


def test_not_in_ims_documents_are_in_2b_only(corpus):
    rows = corpus.truth.filter(pl.col("defect") == "not_in_ims")
    assert rows["portal_doc_id"].is_null().all() and rows["gstr2b_doc_id"].is_not_null().all()
    reasons = set(rows["not_in_ims_reason"])
    assert {"reverse charge", "ISD", "import of goods"} <= reasons
    rcm = corpus.gstr2b.filter(pl.col("reverse_charge"))
    identity = ("supplier_gstin", "doc_no")
    assert rcm.height >= 6
    assert rcm.join(corpus.ims, on=list(identity), how="semi").is_empty()


def test_portal_flags_and_amendments(corpus):
    ims = corpus.ims
    unfiled = _pairs(corpus, "unfiled_supplier")
    assert (unfiled["p_supplier_filing_status"] == "Not Filed").all()
    assert set(unfiled["portal_doc_id"]).isdisjoint(set(corpus.truth["gstr2b_doc_id"].drop_nulls()))
    assert _pairs(corpus, "pending_blocked")["p_pending_blocked"].all()
    amended = _pairs(corpus, "amendment")
    assert amended["p_is_amendment"].all()
    assert (amended["b_doc_no"] == amended["p_original_doc_no"]).all()
    assert set(ims["ims_action"]) >= {"N", "A", "P"}
    assert ims["raw"].str.contains(r'"hash":"[0-9a-f]{64}"').all()


def test_credit_notes_keep_positive_amounts(corpus):
    notes = _pairs(corpus, "credit_note")
    assert (notes["b_doc_kind"] == "credit_note").all() and (notes["p_section"] == "b2bcn").all()
    assert (notes["b_taxable_value"] > 0).all()
    # Some returns were typed with a minus sign in the register; the canonical amounts stay positive.
    typed_negative = corpus.register.filter(pl.col("negative"))
    assert typed_negative.height >= 6 and (typed_negative["doc_kind"] == "credit_note").all()


def test_fy_boundary_straddles_31_march(corpus):
    pairs = _pairs(corpus, "fy_boundary")
    assert (pairs["b_fy"] != pairs["p_fy"]).all()
    dates = set(
        pairs["b_doc_date"].dt.strftime("%d-%m").to_list()
        + pairs["p_doc_date"].dt.strftime("%d-%m").to_list()
    )
    assert dates == {"31-03", "01-04"}


def test_fast_mode_has_the_same_shape(corpus, fast_corpus):
    for name in FRAMES:
        assert getattr(fast_corpus, name).schema == getattr(corpus, name).schema, name
    assert set(fast_corpus.truth["defect"]) == set(DEFECTS)
    assert fast_corpus.ims["doc_id"].is_unique().all() and fast_corpus.books["doc_id"].is_unique().all()
    truth = fast_corpus.truth
    assert truth["books_doc_id"].drop_nulls().is_in(fast_corpus.books["doc_id"].implode()).all()
    assert truth["portal_doc_id"].drop_nulls().is_in(fast_corpus.ims["doc_id"].implode()).all()
    fmt = (
        truth.filter(pl.col("defect") == "number_format")
        .join(fast_corpus.books, left_on="books_doc_id", right_on="doc_id")
        .join(fast_corpus.ims, left_on="portal_doc_id", right_on="doc_id", suffix="_ims")
    )
    assert (fmt["doc_no"] != fmt["doc_no_ims"]).all() and (fmt["doc_no_key"] == fmt["doc_no_key_ims"]).all()


def test_doc_ids_are_make_doc_id(corpus, fast_corpus):
    """The generator builds ids column-wise; they must be the ids readers compute one by one."""
    for frame in (corpus.books, corpus.ims, corpus.gstr2b, fast_corpus.books.head(500)):
        occurrence = frame.with_columns(
            pl.int_range(pl.len())
            .over(
                pl.col("supplier_gstin").str.to_uppercase(),
                "doc_kind",
                pl.col("doc_no").str.to_uppercase(),
                "fy",
            )
            .alias("k")
        )
        for row in occurrence.head(300).iter_rows(named=True):
            k = row["k"] if row["source"] == "books" else 0
            expected = make_doc_id(
                row["source"],
                row["supplier_gstin"],
                row["doc_kind"],
                row["doc_no"],
                row["fy"],
                section=row["section"],
                occurrence=k,
            )
            assert row["doc_id"] == expected


def test_fast_mode_is_deterministic(fast_corpus):
    again = generate(seed=7, n_docs=20_000, fast=True)
    for name in FRAMES:
        assert getattr(again, name).equals(getattr(fast_corpus, name)), name


def test_demo_corpus_is_small_and_fixed():
    demo = demo_corpus()
    assert 250 <= demo.ims.height <= 400
    assert demo.ims.equals(demo_corpus().ims)


def test_demo_verb_writes_files_that_read_back(tmp_path, capsys):
    from recon.cli import main
    from recon.readers import read

    assert main(["demo", "--out", str(tmp_path), "--docs", "120", "--seed", "3"]) == 0
    printed = capsys.readouterr().out
    assert "books_tally.xlsx" in printed and "ims.json" in printed
    corpus = generate(seed=3, n_docs=120)
    assert read(tmp_path / "ims.json", recipient_gstin=corpus.client.gstin).docs.height == corpus.ims.height
    assert (tmp_path / "truth.csv").read_text().count("\n") == corpus.truth.height + 1


def test_demo_verb_refuses_a_bad_period(tmp_path, capsys):
    from recon.cli import main

    assert main(["demo", "--out", str(tmp_path), "--period", "2025-11"]) == 2
    assert "MMYYYY" in capsys.readouterr().err


def test_2b_categories_follow_what_2b_holds(corpus):
    truth = corpus.truth
    rcm = truth.filter(pl.col("not_in_ims_reason") == "reverse charge")
    assert (rcm["expected_category"] == "books_only").all() and (
        rcm["expected_category_2b"] == "matched"
    ).all()
    unfiled = truth.filter(pl.col("defect") == "unfiled_supplier")
    assert (unfiled["expected_category_2b"] == "books_only").all()  # an unfiled return never reaches 2B
    isd = truth.filter(pl.col("not_in_ims_reason") == "ISD")
    assert isd.height and (isd["expected_category_2b"] == "ims_only").all()


def test_same_seed_writes_the_same_bytes(tmp_path):
    first = write_files(generate(seed=5, n_docs=150), tmp_path / "a")
    second = write_files(generate(seed=5, n_docs=150), tmp_path / "b")
    assert list(first) == list(second)
    changed = [name for name in first if first[name].read_bytes() != second[name].read_bytes()]
    assert changed == []
    assert len(first) == 6 * 2 + 4  # six layouts x xlsx/csv, ims.json, gstr2b.json, gstr2b.xlsx, truth.csv


def test_demo_verb_defaults_are_the_demo_client():
    from recon import synth
    from recon.cli import demo

    assert (demo.DEFAULT_SEED, demo.DEFAULT_DOCS) == (synth.DEMO_SEED, synth.DEMO_DOCS)
