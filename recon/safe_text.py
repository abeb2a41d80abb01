"""Text from a supplier's file stays text wherever it is shown or written.

A supplier name or document number comes from someone else's file: ``=HYPERLINK(...)`` must not become a
live formula when the consultant opens a CSV in Excel, and ``[link](http://...)`` or ``<img src=...>``
must not become a link or an outside fetch on a page or a chart. One definition of "starts a formula"
serves every CSV the app and the CLI write (and the grid's CSV export, through
``FORMULA_START_PATTERN_JS``).

* CSV: a text cell that starts a formula gets an apostrophe in front, which spreadsheets read as
  "this is text" (the usual advice against CSV injection). A text that is a plain number ("-250.00") is
  left alone: a spreadsheet reads it as that number and nothing runs. Number columns are never touched,
  so a negative amount stays a number.
* Excel written by xlsxwriter: text cells go through ``write_string`` and the workbook has
  ``strings_to_formulas`` / ``strings_to_urls`` off (``XLSX_OPTIONS``), so no text becomes a formula or
  a link.
* Markdown (st.markdown, st.caption, st.error ...): ``markdown_literal`` escapes the marks that start
  markup with a backslash and breaks bare addresses with an invisible word joiner, so no link, image,
  emphasis, HTML tag, LaTeX or Streamlit directive forms.
* Plotly labels and hover text: ``plot_literal`` writes ``<``, ``>`` and ``&`` as entities, which plotly
  shows as the characters themselves instead of reading tags.
"""

from __future__ import annotations

import re

import polars as pl

# A cell starting with one of these is read by Excel, LibreOffice or Google Sheets as a formula (tab and
# carriage return can precede one); the full-width forms are turned into the ASCII ones by some locales.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
TEXT_MARK = "'"

# Written so that Python's re and polars (Rust regex) read the class alike.
_CLASS_CHARS = {"\t": r"\t", "\r": r"\r", "-": r"\-"}
FORMULA_START_PATTERN = "^[" + "".join(_CLASS_CHARS.get(c, c) for c in FORMULA_STARTS) + "]"
# "-250", "+1,234.50", "-1.5e3": a spreadsheet reads these as the number they are, nothing runs.
PLAIN_NUMBER_PATTERN = r"^[+-]?(?:\d[\d,]*)?\.?\d+(?:[eE][+-]?\d+)?$"

# The same two patterns for the browser (the grid's CSV export), built from the same characters.
FORMULA_START_PATTERN_JS = "^[" + "".join(f"\\u{ord(c):04x}" for c in FORMULA_STARTS) + "]"
PLAIN_NUMBER_PATTERN_JS = PLAIN_NUMBER_PATTERN

XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


def starts_formula(text: str | None) -> bool:
    """True when a spreadsheet would read this text as a formula."""
    if not text or not re.match(FORMULA_START_PATTERN, text):
        return False
    return re.match(PLAIN_NUMBER_PATTERN, text) is None


def _escaped_text(column: str) -> pl.Expr:
    value = pl.col(column)
    risky = value.str.contains(FORMULA_START_PATTERN) & ~value.str.contains(PLAIN_NUMBER_PATTERN)
    return pl.when(risky).then(pl.lit(TEXT_MARK) + value).otherwise(value).alias(column)


def csv_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with every text column made safe for a spreadsheet; number columns as they are."""
    texts = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns([_escaped_text(name) for name in texts]) if texts else frame


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """The frame as CSV bytes, text cells that start a formula marked as text."""
    return csv_safe(frame).write_csv().encode()


def write_csv(frame: pl.DataFrame, path) -> None:
    """Write the frame as CSV at ``path``, text cells that start a formula marked as text."""
    csv_safe(frame).write_csv(path)


def csv_unescaped(frame: pl.DataFrame) -> pl.DataFrame:
    """A frame read from a safe CSV with each text cell as it was before ``csv_safe`` marked it."""
    texts = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns([_unescaped_text(name) for name in texts]) if texts else frame


def _unescaped_text(column: str) -> pl.Expr:
    value = pl.col(column)
    rest = value.str.slice(1)
    marked = (
        value.str.starts_with(TEXT_MARK)
        & rest.str.contains(FORMULA_START_PATTERN)
        & ~rest.str.contains(PLAIN_NUMBER_PATTERN)
    )
    return pl.when(marked).then(rest).otherwise(value).alias(column)


# What can make Markdown out of plain text on a Streamlit page: links and images ([ ]), HTML and
# autolinks (< >), emphasis and code (* ` ~, and _ where it is not inside a word), LaTeX ($), tables (|),
# headings (#), entities (&), and the backslash itself. Other punctuation ("acme-nov.xlsx", "(JSON)")
# is left as it is, so messages read and compare the same.
_MARKDOWN_SPECIAL = re.compile(r"[\\`*~\[\]<>$|#&]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
# Bare web and mail addresses become links in GitHub-flavoured Markdown, escapes or not (Streamlit finds
# them in the text after escapes are read): an invisible word joiner after "http", "www" or "@" keeps
# the address from being recognised, and the text reads the same.
WORD_JOINER = "\u2060"
_AUTOLINK_STARTS = re.compile(r"https?(?=:)|www(?=\.)|@", re.IGNORECASE)


def markdown_literal(text: str | None) -> str:
    """The text as Markdown that shows these very characters: no link, image, tag or emphasis forms.

    Any ASCII punctuation may be escaped with a backslash in CommonMark; only the marks that can start
    markup are. A bare address (``http://``, ``www.``, ``name@host``) gets a word joiner, which shows
    nothing, so that it stays text rather than a link.
    """
    escaped = _MARKDOWN_SPECIAL.sub(lambda m: "\\" + m.group(0), text or "")
    return _AUTOLINK_STARTS.sub(lambda m: m.group(0) + WORD_JOINER, escaped)


def plot_literal(text: str | None) -> str | None:
    """The text as a plotly label or hover value that shows its tags as characters, never as markup."""
    if text is None:
        return None
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
