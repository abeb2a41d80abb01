"""The IMS-action rules, one module per idea; every surface (grid, CLI, upload builder) calls these.

* :mod:`recon.actions.suggest` — the suggested action, its reason and warnings per result row.
* :mod:`recon.actions.guards` — the one check an action passes before it is saved or written, and the
  cautions the user confirms.
* :mod:`recon.actions.decisions` — decisions over suggestions: the action the portal should hold.
* :mod:`recon.actions.declarations` — the ITC-reduction declaration on accepted credit notes.
* :mod:`recon.actions.texts` — the sentences shown to a user, each written once.
* :mod:`recon.actions.facts` / :mod:`recon.actions.kinds` — the shared facts the rules read, and the
  kinds of rows the suggestion rules run once for.

The decision itself (:class:`recon.model.Decision`, ``DECISION_SCHEMA``) lives in ``recon.model`` so the
store can keep decisions without importing the rules.
"""

from recon.actions.decisions import EFFECTIVE_SCHEMA, decisions_frame, effective_actions, suggested_remark
from recon.actions.declarations import books_declaration
from recon.actions.facts import DECL_COLUMNS, HEADS, REMARKS_MAX, needs_pair_confirmation
from recon.actions.guards import (
    ActionPreview,
    check_decision,
    decision_cautions,
    guard_check,
    preview_action,
)
from recon.actions.suggest import suggest
from recon.model import DECISION_SCHEMA, Decision

__all__ = [
    "DECISION_SCHEMA",
    "DECL_COLUMNS",
    "EFFECTIVE_SCHEMA",
    "HEADS",
    "REMARKS_MAX",
    "ActionPreview",
    "Decision",
    "books_declaration",
    "check_decision",
    "decision_cautions",
    "decisions_frame",
    "effective_actions",
    "guard_check",
    "needs_pair_confirmation",
    "preview_action",
    "suggest",
    "suggested_remark",
]
