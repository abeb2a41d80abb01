"""The books read takes lean paths through a large register (columns split a few at a time, rate-wise lines
grouped by runs, double bookings looked for only among identities that hash alike, texts cleaned only when
they need it). Each must give exactly what the plain way gives: these tests compare the two on registers
and frames drawn at random, to the last binary digit of every amount.
"""

from __future__ import annotations

import csv
import io

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from recon.readers import read
from recon.readers.books import documents
from tests.handwritten_files import SUPPLIERS, TALLY_COLUMNS, tally_workbook

SPAN = "1-Nov-2025 to 30-Nov-2025"
paise = st.integers(min_value=1, max_value=10**9)


@st.composite
def tally_bills(draw) -> list[list[str]]:
    """Rows of a Tally register as an accountant's export shows them: Indian-comma amounts, a bill on
    one to four rate rows, some Debit Note vouchers, now and then a bill booked twice."""
    rows: list[list[str]] = []
    for index in range(draw(st.integers(min_value=1, max_value=12))):
        supplier = draw(st.integers(min_value=0, max_value=len(SUPPLIERS) - 1))
        gstin = SUPPLIERS[supplier]
        kind = draw(st.sampled_from(["Purchase", "Purchase", "Debit Note"]))
        number = f"INV/{draw(st.integers(min_value=1, max_value=6))}" if draw(st.booleans()) else f"B-{index}"
        lines = draw(st.lists(st.tuples(paise, st.sampled_from([5, 12, 18, 28])), min_size=1, max_size=4))
        value = sum(p / 100 * (1 + rate / 100) for p, rate in lines)
        for p, rate in lines:
            taxable = p / 100
            tax = round(taxable * rate / 100, 2)
            igst, half = (f"{tax:,.2f}", "") if gstin[:2] != "27" else ("", f"{tax / 2:,.2f}")
            rows.append(
                [
                    "03-11-2025",
                    f"Supplier {supplier}",
                    kind,
                    f"P/{index}",
                    number,
                    f"{1 + index % 28:02d}-11-2025",
                    gstin,
                    f"{taxable:,.2f}",
                    igst,
                    half,
                    half,
                    f"{value:,.2f}",
                ]
            )
    return rows


def csv_register(rows: list[list[str]]) -> bytes:
    """The cells ``tally_workbook`` writes, as Tally's CSV export: title block, then the column names."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([["Acme Industries Pvt Ltd"], ["Purchase Register"], [SPAN], [], TALLY_COLUMNS, *rows])
    return out.getvalue().encode()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tally_bills())
def test_a_csv_register_reads_to_the_documents_of_the_same_cells_in_a_workbook(rows):
    from_csv = read(csv_register(rows), "Purchase Register.csv", kind="books")
    from_xlsx = read(tally_workbook(rows, span=SPAN), "Purchase Register.xlsx", kind="books")
    where = ["origin_file", "origin_sheet"]  # the file's name and the sheet's: a CSV has none
    assert_frame_equal(from_csv.docs.drop(where), from_xlsx.docs.drop(where), check_exact=True)
    assert [w.message for w in from_csv.warnings] == [w.message for w in from_xlsx.warnings]
    assert (from_csv.rows_read, from_csv.rows_skipped) == (from_xlsx.rows_read, from_xlsx.rows_skipped)


amounts = st.one_of(st.none(), st.integers(min_value=-(10**9), max_value=10**9).map(lambda p: p / 100))


@st.composite
def register_lines(draw) -> pl.DataFrame:
    """Lines of documents as the books reader groups them: keys, amounts with blanks, a name and a flag.
    Keys come from small pools, so a document's lines are sometimes apart and keys often come back."""
    columns: dict[str, list] = {k: [] for k in ("g", "n", "d", "v", "_row", "a", "b", "name", "_flag")}
    for doc in range(draw(st.integers(min_value=1, max_value=25))):
        key = (
            draw(st.sampled_from(["27AAA", "29BBB", None])),
            draw(st.sampled_from(["1", "2", "X"])) if draw(st.booleans()) else f"N{doc}",
            draw(st.sampled_from(["2025-11-01", "2025-11-02"])),
            draw(st.sampled_from(["P/1", "P/2", None])),
        )
        for _ in range(draw(st.integers(min_value=1, max_value=6))):
            for column, value in zip(("g", "n", "d", "v"), key, strict=True):
                columns[column].append(value)
            columns["a"].append(draw(amounts))
            columns["b"].append(draw(amounts))
            columns["name"].append(draw(st.sampled_from(["Umbra", None])))
            columns["_flag"].append(draw(st.booleans()))
    columns["_row"] = list(range(6, 6 + len(columns["g"])))
    if draw(st.booleans()):  # lines of one document apart from each other
        order = draw(st.permutations(range(len(columns["g"]))))
        columns = {c: [values[i] for i in order] for c, values in columns.items()}
    schema = {c: pl.String for c in ("g", "n", "d", "v", "name")}
    numbers = {"_row": pl.Int64, "a": pl.Float64, "b": pl.Float64, "_flag": pl.Boolean}
    return pl.DataFrame(columns, schema={**schema, **numbers})


@settings(max_examples=200, deadline=None)
@given(register_lines())
def test_grouping_by_runs_gives_what_the_group_by_gives_to_the_last_digit(lines):
    keys = ["g", "n", "d", "v"]
    aggregations = [
        pl.col("_row").alias("origin_rows"),
        pl.col("_row").min().alias("_first_row"),
        pl.len().alias("_lines"),
        pl.col("a").sum().alias("a"),
        pl.col("b").sum().alias("_b_sum"),
        pl.col("b").drop_nulls().first().alias("_b_first"),
        pl.col("b").drop_nulls().n_unique().alias("_b_distinct"),
        pl.col("name").drop_nulls().first().alias("name"),
        pl.col("_flag").any().alias("_flag"),
    ]
    expected = lines.group_by(keys, maintain_order=True).agg(aggregations)
    # The lines are taken over (columns leave as they are aggregated): a copy of the frame is handed over.
    grouped = documents._grouped(lines.clone(), keys, aggregations, {"a": "a", "_b_sum": "b"})
    assert_frame_equal(grouped, expected, check_exact=True)


@settings(max_examples=200, deadline=None)
@given(register_lines())
def test_double_bookings_are_counted_as_a_window_over_every_document_counts_them(lines):
    docs = lines.rename({"_row": "_first_row"})
    identity = ["g", "n", "d", "v"]
    found = docs.with_columns(*documents._occurrences(docs, identity))
    expected = docs.with_columns(
        pl.int_range(pl.len()).over(identity).alias("_occurrence"),
        pl.col("_first_row").first().over(identity).alias("_original_row"),
    )
    assert_frame_equal(found, expected, check_exact=True)


texts = st.lists(st.one_of(st.none(), st.text(max_size=12)), min_size=1, max_size=30)
codes = st.lists(
    st.one_of(
        st.none(),
        st.sampled_from(
            ["27AAFCS3333C1Z5", "27aafcs3333c1z5", " 27 AAFCS3333C1Z5", "URD", "Unregistered", "NA"]
        ),
        st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdez-/", max_size=16),
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_numbers_are_upper_cased_as_the_full_unicode_rules_do(values):
    numbers = pl.Series("doc_no", values, dtype=pl.String)
    expected = numbers.str.strip_chars().str.to_uppercase().alias("_no_upper")
    assert_frame_equal(documents._numbers_upper(numbers).to_frame(), expected.to_frame(), check_exact=True)


@settings(max_examples=300, deadline=None)
@given(codes)
def test_supplier_gstins_are_cleaned_as_each_row_alone_would_be(values):
    rows = pl.DataFrame({"supplier_gstin": values}, schema={"supplier_gstin": pl.String})
    expected = rows.select(
        pl.when(pl.col("supplier_gstin").str.to_lowercase().str.contains(documents._NO_GSTIN))
        .then(None)
        .otherwise(pl.col("supplier_gstin").str.replace_all(r"\s+", "").str.to_uppercase())
        .alias("supplier_gstin")
    )
    assert_frame_equal(documents._supplier_gstins(rows).to_frame(), expected, check_exact=True)
