"""Checks made before a file's documents are stored: is this the client's file, and is it new here?

Pure functions over canonical frames; ``recon.workspace`` feeds them the stored documents. Two questions:

* **Same content again.** A file whose documents (ids and content) are exactly those of an earlier import of
  the same period would, with "Add", book every document twice: the workspace refuses it and names the
  earlier import. A file whose documents are mostly already in the period is asked about.
* **Another client's file.** Suppliers and document numbers are the fingerprint of a client's purchases: a
  register or download whose (supplier GSTIN, number) pairs are found far more in another client's data
  than in this client's is most likely that client's file, and the import is asked about first.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import polars as pl

from recon.errors import InputError

# Share of a file's documents already in the period above which "Add" asks first.
MOSTLY_PRESENT = 0.5
# Another client "owns" a file when it holds this share of its documents, this many times more than the
# selected client, and at least MIN_DOCUMENTS of them (a handful of common numbers proves nothing).
OTHER_CLIENT_SHARE = 0.3
OTHER_CLIENT_FACTOR = 3
MIN_DOCUMENTS = 3


@dataclass(frozen=True)
class Overlap:
    """How much of a new file is found in some stored data."""

    documents: int  # (supplier GSTIN, number) pairs of the file found there
    suppliers: int  # supplier GSTINs of the file found there
    file_documents: int
    file_suppliers: int

    @property
    def share(self) -> float:
        return self.documents / self.file_documents if self.file_documents else 0.0

    def words(self) -> str:
        return (
            f"{self.documents:,} of its {self.file_documents:,} documents and "
            f"{self.suppliers:,} of its {self.file_suppliers:,} suppliers"
        )


@dataclass(frozen=True)
class OtherClientMatch:
    """The file looks like another client's: who, and the figures behind it."""

    client_id: int
    client_name: str
    client_gstin: str
    theirs: Overlap  # found in the other client's data
    ours: Overlap  # found in the selected client's data


@dataclass(frozen=True)
class ImportConcern:
    """Something the consultant confirms before the import goes ahead."""

    kind: str  # other_client | already_in_period
    message: str


class ImportNeedsConfirmation(InputError):
    """The file was read but not stored: the concerns must be confirmed first.

    ``result`` is the file as read, so that confirming stores it without reading the file again.
    """

    def __init__(self, concerns: list[ImportConcern], result) -> None:
        self.concerns = concerns
        self.result = result
        super().__init__(
            " ".join(c.message for c in concerns),
            hint="Confirm to import it anyway, or choose another file or client.",
        )


NO_OVERLAP = Overlap(documents=0, suppliers=0, file_documents=0, file_suppliers=0)


def document_keys(docs: pl.DataFrame) -> pl.DataFrame:
    """The distinct (supplier GSTIN, normalised number) pairs of documents: what identifies a purchase."""
    if docs.is_empty():
        return pl.DataFrame(schema={"supplier_gstin": pl.String, "number": pl.String})
    number = pl.col("doc_no_key") if "doc_no_key" in docs.columns else pl.lit(None, dtype=pl.String)
    fallback = pl.col("doc_no").cast(pl.String).str.strip_chars().str.to_uppercase()
    return (
        docs.select(
            pl.col("supplier_gstin").cast(pl.String).str.strip_chars().str.to_uppercase(),
            pl.when(number.fill_null("") == "").then(fallback).otherwise(number).alias("number"),
        )
        .drop_nulls()
        .filter(pl.col("supplier_gstin") != "")
        .unique()
    )


def overlap(new_keys: pl.DataFrame, known_keys: pl.DataFrame) -> Overlap:
    """How many of the new file's documents and suppliers are among the known ones."""
    suppliers = new_keys.get_column("supplier_gstin").unique()
    known_suppliers = known_keys.get_column("supplier_gstin").unique()
    return Overlap(
        documents=new_keys.join(known_keys, on=["supplier_gstin", "number"], how="semi").height,
        suppliers=int(suppliers.is_in(known_suppliers.implode()).sum()) if suppliers.len() else 0,
        file_documents=new_keys.height,
        file_suppliers=suppliers.len(),
    )


def belongs_elsewhere(theirs: Overlap, ours: Overlap) -> bool:
    """Far more of the file is in the other client's data than in this client's."""
    return (
        theirs.documents >= MIN_DOCUMENTS
        and theirs.share >= OTHER_CLIENT_SHARE
        and theirs.documents > OTHER_CLIENT_FACTOR * ours.documents
    )


def other_client_message(match: OtherClientMatch, client_name: str, file: str) -> str:
    return (
        f"{file} looks like the data of '{match.client_name}' (GSTIN {match.client_gstin}), not of "
        f"'{client_name}': {match.theirs.words()} are in the imports of '{match.client_name}', against "
        f"{match.ours.documents:,} documents and {match.ours.suppliers:,} suppliers in those of "
        f"'{client_name}'. Check the client in the sidebar before importing."
    )


def content_signature(docs: pl.DataFrame) -> str:
    """One checksum of a file's documents (ids and content): equal for the same register or download
    exported again, whatever the file is called or however its bytes differ."""
    if docs.is_empty():
        return ""
    text = (
        docs.select(
            pl.concat_str(
                pl.col("doc_id").cast(pl.String).fill_null(""),
                pl.col("content_hash").cast(pl.String).fill_null(""),
                separator="\x1f",
            ).alias("pair")
        )
        .sort("pair")
        .select(pl.col("pair").str.join("\x1e"))
        .item()
    )
    digest = hashlib.blake2b(text.encode(), digest_size=16)
    return digest.hexdigest()
