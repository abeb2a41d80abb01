"""The sentences the action rules show a user, each written once.

The suggestion warnings, the guards' cautions, the confirm dialog and the upload's "not exported" list
quote these, so a consultant reads the same words for the same fact on every surface.
"""

from __future__ import annotations

STALE = "supplier changed this document since you decided — review"

UNFILED_ACCEPT = (
    "Supplier has not filed: accepting now takes credit for a document that is not in a filed "
    "return yet (it reaches GSTR-2B only once filed)."
)
REJECT_DOCUMENT = (
    "Rejecting loses this ITC for the period; after GSTR-3B, undoing it needs the supplier to "
    "report the document again and the ITC moves to a later period."
)
REJECT_CREDIT_NOTE = (
    "Rejecting a credit note restores the supplier's liability; after GSTR-3B, undoing it "
    "needs the supplier to report the note again."
)
REJECT_NEEDS_REMARK = "A Reject needs a remark for the supplier (what is wrong with the document)."
PENDING_BLOCKED = "the portal blocks Pending for this document"
IMPORT_NEVER_REJECTED = (
    "An import of goods can be accepted or kept Pending, never rejected (docs/reference/ims-rules.md §6)."
)
REMARKS_BLOCKED = "The portal blocks remarks for this document: remove them."
CREDIT_NOTE_NEEDS_ANSWER = (
    "Accepting a credit note needs the ITC-reduction answer (Y: reduce ITC, N: nothing to reduce) — the "
    "portal refuses it otherwise (IMSSAV0054)."
)
PENDING_FALLBACK = "Pending is not available: review before the 14th (No Action = deemed accepted)."


def unfiled_accepts(count: int) -> str:
    """The confirm dialog's caution for an Accept of several documents whose supplier has not filed."""
    return (
        f"{count} supplier return(s) are not filed yet: accepting takes credit for documents that are "
        "not in a filed return (they reach GSTR-2B only once filed)."
    )


def credit_notes_among(count: int) -> str:
    return f"{count} of them are credit notes. {REJECT_CREDIT_NOTE}"


def remarks_too_long(limit: int) -> str:
    return f"Remarks are limited to {limit} characters"


def pending_refused(count: int) -> str:
    return f"{count} document(s) cannot be kept Pending (the portal blocks it); they are skipped."
