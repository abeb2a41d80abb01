"""The review grid's JavaScript and CSS: what runs in the browser, kept out of the UI-free recon package.

``recon.present.grid_columns`` names these by marker strings ("JS_INR", ...); ``views._grid`` swaps each
marker for the code below wrapped in st_aggrid.JsCode.
"""

from __future__ import annotations

import json

from recon.safe_text import FORMULA_START_PATTERN_JS, PLAIN_NUMBER_PATTERN_JS, TEXT_MARK

JS_ROW_ID = "function(p){return p.data.result_id;}"

# Indian grouping with paise (12,34,567.00), written out rather than left to the browser's locale data so
# every machine shows the same text; an amount that rounds to zero shows as 0.00, never as -0.00.
JS_INR = r"""
function(p){
  const v = p.value;
  if (v === null || v === undefined || v === '') return '';
  let n = Number(v);
  if (!isFinite(n)) return '';
  n = Math.round(n * 100) / 100;
  if (Math.abs(n) < 0.005) n = 0;
  const parts = Math.abs(n).toFixed(2).split('.');
  let whole = parts[0];
  if (whole.length > 3) {
    const head = whole.slice(0, -3).replace(/\B(?=(\d{2})+(?!\d))/g, ',');
    whole = head + ',' + whole.slice(-3);
  }
  return (n < 0 ? '-' : '') + whole + '.' + parts[1];
}"""

# Dates travel as DD-MM-YYYY text: sort them as dates, not as text.
JS_DATE_COMPARE = """
function(a, b){
  const key = s => s ? s.slice(6, 10) + s.slice(3, 5) + s.slice(0, 2) : '';
  const x = key(a), y = key(b);
  return x < y ? -1 : (x > y ? 1 : 0);
}"""

# Per-row editor values: Pending is not offered where the portal blocks it
# (docs/reference/matching-practice.md §12.1), Reject not for import-of-goods records
# (docs/reference/ims-rules.md §6).
JS_ACTION_VALUES = """
function(p){
  const d = p.data || {};
  let v = ['Accept', 'Reject', 'Pending', 'No Action'];
  if (d.pending_blocked) v = v.filter(x => x !== 'Pending');
  if (d.reject_blocked) v = v.filter(x => x !== 'Reject');
  return {values: v};
}"""

# A suggestion's cell value carries " (suggested)", so picking the action already shown is a change the
# grid reports: that is how a suggestion is confirmed in the cell. The formatter shows the bare label.
JS_ACTION_GET = """
function(p){
  const d = p.data || {};
  if (!d.action) return null;
  return d.action_source === 'user' ? d.action : d.action + ' (suggested)';
}"""
JS_ACTION_FORMAT = """
function(p){
  return p.value ? String(p.value).replace(' (suggested)', '') : '';
}"""
# The row shows the person's choice at once: an Accept or No Action is saved straight away (the grid is
# remounted if the server refuses it); a Reject or Pending waits for its dialog, which remounts the grid.
JS_ACTION_SET = """
function(p){
  const direct = p.newValue === 'Accept' || p.newValue === 'No Action';
  p.data.action = p.newValue;
  p.data.action_source = direct ? 'user' : 'asking';
  p.data.set_by = direct ? 'you · just now' : 'you · confirm in the dialog';
  setTimeout(() => p.api.refreshCells({rowNodes: [p.node], force: true}), 0);
  return true;
}"""

JS_REFUSE_MARK = """
function(p){
  return p.value ? 'would refuse' : '';
}"""

JS_PAIR_MARK = """
function(p){
  return p.value ? 'to confirm' : '';
}"""

# The grid's CSV export: a cell shows what the grid shows (its formatter, unless the column exports its
# raw number), and text that starts a formula gets an apostrophe so Excel keeps it as text
# (recon.safe_text); numbers stay numbers.
JS_CSV_CELL = (
    """
function(p){
  const def = p.column.getColDef();
  let v = p.value;
  if (def.valueFormatter && def.useValueFormatterForExport !== false && p.formatValue) v = p.formatValue(v);
  if (typeof v !== 'string') return v;
  if (/@FORMULA@/.test(v) && !/@NUMBER@/.test(v)) return @MARK@ + v;
  return v;
}""".replace("@FORMULA@", FORMULA_START_PATTERN_JS)
    .replace("@NUMBER@", PLAIN_NUMBER_PATTERN_JS)
    .replace("@MARK@", json.dumps(TEXT_MARK))
)

JS = {
    "JS_ROW_ID": JS_ROW_ID,
    "JS_INR": JS_INR,
    "JS_DATE_COMPARE": JS_DATE_COMPARE,
    "JS_ACTION_VALUES": JS_ACTION_VALUES,
    "JS_ACTION_GET": JS_ACTION_GET,
    "JS_ACTION_FORMAT": JS_ACTION_FORMAT,
    "JS_ACTION_SET": JS_ACTION_SET,
    "JS_REFUSE_MARK": JS_REFUSE_MARK,
    "JS_PAIR_MARK": JS_PAIR_MARK,
    "JS_CSV_CELL": JS_CSV_CELL,
}

# Colours a consultant reads at a glance: red for a difference, amber for a review, green for agreement.
# A decision is a filled, bold cell; a suggestion is the same colour as plain italic text with a dashed
# edge, and a decided row carries a blue stripe on its left.
GRID_CSS = {
    ".diff-cell": {"background-color": "#fde2e1 !important", "color": "#8a1c14", "font-weight": "600"},
    ".refuse-cell": {"background-color": "#b42318 !important", "color": "#ffffff", "font-weight": "600"},
    ".pair-cell": {"background-color": "#fff4d6 !important", "color": "#7a4b00", "font-weight": "600"},
    ".ag-header-cell-label": {"font-weight": "600"},
    # st_aggrid's toolbar (search, CSV) floats over the top right corner, where the pinned "Set by" and
    # "Remarks" headers are: it sits in the empty left end of the pagination bar instead.
    ".grid-toolbar": {
        "top": "auto !important",
        "bottom": "6px !important",
        "left": "6px !important",
        "right": "auto !important",
    },
    ".action-decided.action-accept": {
        "background-color": "#cdebd6",
        "color": "#14532d",
        "font-weight": "700",
    },
    ".action-decided.action-reject": {
        "background-color": "#f9c9c5",
        "color": "#8a1c14",
        "font-weight": "700",
    },
    ".action-decided.action-pending": {
        "background-color": "#ffe7a8",
        "color": "#7a4b00",
        "font-weight": "700",
    },
    ".action-decided.action-none": {"background-color": "#e5e7eb", "color": "#333", "font-weight": "700"},
    ".action-suggested": {"font-style": "italic", "border-left": "3px dashed #9ca3af !important"},
    ".action-suggested.action-accept": {"color": "#166534"},
    ".action-suggested.action-reject": {"color": "#b42318"},
    ".action-suggested.action-pending": {"color": "#92400e"},
    ".action-suggested.action-none": {"color": "#555"},
    ".ag-pinned-left-cols-container .row-decided": {"box-shadow": "inset 4px 0 0 #1d4ed8"},
    ".set-by-user": {"color": "#1d4ed8", "font-weight": "600"},
    ".set-by-suggested": {"color": "#6b7280", "font-style": "italic"},
}
