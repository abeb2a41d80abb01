"""Every reader reads back exactly what the generator wrote (the must-show of the readers).

write_files() writes the books in six ERP layouts × xlsx/csv, the IMS download and the GSTR-2B JSON and
Excel; recon.readers.read() of each file must give the canonical documents the generator holds, column
for column, matched by doc_id; amounts to the paisa (a sum of rate lines may carry float noise below it).
Not compared value for value: ``warnings`` (their wording belongs to the reader, so the test checks only
that every document the generator knows to be odd — a return typed as a negative purchase — carries a
warning) and, for the 2B Excel only, ``raw`` (there it is the reader's record of the row cells).
"""

from __future__ import annotations

import polars as pl
import pytest

from recon.model import COLUMNS
from recon.readers import read
from recon.synth import generate, write_files
from recon.synth.files import books_as_read, books_file_name
from recon.synth.gstr2b_excel import gstr2b_excel_as_read
from recon.synth.layouts import LAYOUTS

# A supplier's debit note is a "Credit Note" voucher in Tally, Busy and Marg (the buyer's wording,
# docs/reference/matching-practice.md §7); the word is ambiguous, so — as the reference recommends — the user confirms
# the voucher-type mapping once. Zoho, SAP and the generic template read right without one.
KIND_MAPS = {
    "tally": {"credit note": "debit_note"},
    "busy": {"credit note": "debit_note"},
    "marg": {"credit note": "debit_note"},
}
COMPARED = [c for c in COLUMNS if c != "warnings"]


def compared(frame: pl.DataFrame) -> list[str]:
    return [c for c in COMPARED if c in frame.columns]


@pytest.fixture(scope="module")
def corpus():
    return generate(seed=11, n_docs=400)


@pytest.fixture(scope="module")
def files(corpus, tmp_path_factory):
    return write_files(corpus, tmp_path_factory.mktemp("synth"))


def differences(got: pl.DataFrame, want: pl.DataFrame) -> list[str]:
    """Readable differences between two canonical frames, matched by doc_id."""
    problems = []
    missing = sorted(set(want["doc_id"]) - set(got["doc_id"]))
    extra = sorted(set(got["doc_id"]) - set(want["doc_id"]))
    if missing:
        rows = want.filter(pl.col("doc_id").is_in(missing[:3])).select("doc_kind", "supplier_gstin", "doc_no")
        problems.append(f"{len(missing)} documents not read back, e.g. {rows.to_dicts()}")
    if extra:
        rows = got.filter(pl.col("doc_id").is_in(extra[:3])).select("doc_kind", "supplier_gstin", "doc_no")
        problems.append(f"{len(extra)} documents read that were not written, e.g. {rows.to_dicts()}")
    columns = compared(want)
    both = want.select(columns).join(got.select(columns), on="doc_id", suffix="__read")
    for column in columns[1:]:
        wanted, read_back = pl.col(column), pl.col(f"{column}__read")
        if want.schema[column] == pl.Float64:
            # Amounts are rupees to the paisa: a sum of lines may carry float noise below that.
            wanted, read_back = wanted.round(2), read_back.round(2)
        differ = both.filter(~wanted.eq_missing(read_back))
        if differ.height:
            sample = differ.select("doc_id", column, f"{column}__read").head(3).to_dicts()
            problems.append(f"{column}: {differ.height} rows differ, e.g. {sample}")
    return problems


def assert_flagged(got: pl.DataFrame, want: pl.DataFrame) -> None:
    odd = want.filter(pl.col("warnings").list.len() > 0).get_column("doc_id")
    silent = got.filter(pl.col("doc_id").is_in(odd.implode()) & (pl.col("warnings").list.len() == 0))
    assert silent.is_empty(), (
        f"documents typed oddly but read without a warning: {silent['doc_no'].to_list()}"
    )


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_books_layout_reads_back(corpus, files, layout, fmt):
    name = books_file_name(layout, fmt)
    result = read(files[name], recipient_gstin=corpus.client.gstin, kind_map=KIND_MAPS.get(layout))
    want = books_as_read(corpus, layout, fmt)
    assert result.source == "books"
    assert differences(result.docs, want) == []
    assert_flagged(result.docs, want)


def test_default_books_file_is_corpus_books(corpus, files):
    """corpus.books is exactly the generic xlsx register read back."""
    result = read(files["books_generic.xlsx"], recipient_gstin=corpus.client.gstin)
    assert differences(result.docs, corpus.books) == []


def test_ims_download_reads_back(corpus, files):
    result = read(files["ims.json"], recipient_gstin=corpus.client.gstin)
    assert result.source == "ims"
    assert differences(result.docs, corpus.ims) == []
    # raw is the exact record text: amounts keep their two decimals for the action JSON's echo.
    assert result.docs["raw"].str.contains(r'"txval":\d+\.\d\d[,}]').any()


def test_gstr2b_reads_back(corpus, files):
    result = read(files["gstr2b.json"])
    assert result.source == "gstr2b"
    assert result.recipient_gstin == corpus.client.gstin
    assert differences(result.docs, corpus.gstr2b) == []


def test_gstr2b_excel_reads_back(corpus, files):
    """The portal's 2B Excel: one row per rate, words for codes; the same documents and ids as the JSON.

    ``raw`` is not compared: for an Excel document it is the reader's record of the row cells.
    """
    result = read(files["gstr2b.xlsx"])
    assert result.source == "gstr2b"
    assert (result.recipient_gstin, result.period) == (corpus.client.gstin, corpus.client.period)
    want = gstr2b_excel_as_read(corpus)
    assert differences(result.docs.drop("raw"), want.drop("raw")) == []
    assert set(result.docs["doc_id"]) == set(corpus.gstr2b["doc_id"])  # Excel and JSON name documents alike
    assert result.docs["origin_rows"].list.len().max() >= 2  # multi-rate documents span rows


def test_tally_credit_note_vouchers_without_a_mapping_are_flagged(corpus, files):
    """Without the user's mapping, the reader must say how it took Tally's ambiguous 'Credit Note' vouchers."""
    assert corpus.books.filter(pl.col("doc_kind") == "debit_note").height > 0
    result = read(files["books_tally.xlsx"], recipient_gstin=corpus.client.gstin)
    assert any("Credit Note" in str(w) for w in result.warnings)
