"""Import: purchase books (layout editable before accepting), IMS / GSTR-2B files, fetch from the portal."""

from __future__ import annotations

import streamlit as st

from recon.errors import InputError
from recon.import_checks import ImportNeedsConfirmation
from recon.present import india_time, inr, period_label
from recon.readers import synonyms
from recon.readers.books import missing_required
from recon.safe_text import markdown_literal
from views._shared import flash, form_key, heading, require_client, show_error, show_flash, workspace

ws = workspace()
client, period = require_client()
heading("Import", client, period)
show_flash()

MODES = {"replace": "Replace what was imported before", "add": "Add to what was imported before"}
NOT_MAPPED = "(not in this file)"
# Both uploaders take every kind of file the workflow knows, so that a file on the wrong one is explained
# in words (ws.misplaced) instead of getting the uploader's bare "file type not allowed" mark.
FILE_TYPES = ["xlsx", "xls", "xlsm", "xlsb", "csv", "txt", "json", "zip"]


@st.cache_data(max_entries=4, show_spinner="Reading the register's layout ...")
def guess_layout(content: bytes, name: str, sheet: str | None, header_row: int | None):
    # Every widget change on this page reruns it; the layout of the same file is read once.
    return ws.guess_books_layout(content, name, sheet=sheet, header_row=header_row)


@st.cache_data(max_entries=4, show_spinner=False)
def misplaced(content: bytes, name: str, uploader: str) -> str | None:
    err = ws.misplaced(content, name, uploader)
    return str(err) if err else None


def uploader_key(name: str) -> str:
    """Bound to the client and period (form_key); a new key also empties the uploader after its file was
    imported (the summary says what came in)."""
    version = st.session_state.get("uploads_done", {}).get(name, 0)
    return form_key(name if version == 0 else f"{name}_{version}")


def clear_uploader(name: str) -> None:
    done = st.session_state.setdefault("uploads_done", {})
    done[name] = done.get(name, 0) + 1
    st.session_state.pop(form_key(f"{name}_question"), None)


def mode_choice(key: str) -> str:
    return st.radio("This file", list(MODES), format_func=MODES.get, horizontal=True, key=form_key(key))


def run_import(uploader: str, request: tuple, mode: str, label: str, read_and_import) -> None:
    """Read and store the file; when the workspace asks first (another client's data, documents already
    here), keep its question on screen (``pending_question``) and store nothing yet."""
    outcome = refusal = None
    with st.status(f"Reading the {label} ...", expanded=False) as status:
        try:
            outcome = read_and_import()
        except ImportNeedsConfirmation as ask:
            st.session_state[form_key(f"{uploader}_question")] = {
                "request": request,
                "mode": mode,
                "concerns": ask.concerns,
                "result": ask.result,
            }
            st.rerun()
        except InputError as err:
            refusal = err
            status.update(label=f"Could not import the {label}", state="error")
        else:
            status.update(label=f"{label.capitalize()} imported", state="complete")
    if refusal is not None:
        show_error(refusal)  # outside the collapsed status box, where it is seen
        return
    report(outcome)
    clear_uploader(uploader)
    st.rerun()


def pending_question(uploader: str, request: tuple) -> bool:
    """The workspace's question about this file, with Import anyway / Cancel; True while it is shown."""
    key = form_key(f"{uploader}_question")
    question = st.session_state.get(key)
    if question is None:
        return False
    if question["request"] != request:  # another file, mapping or mode since: that answer no longer fits
        st.session_state.pop(key, None)
        return False
    for concern in question["concerns"]:
        st.warning(markdown_literal(concern.message), icon=":material/warning:")
    answers = st.container(horizontal=True)  # side by side, each as wide as its words
    if answers.button("Import anyway", type="primary", key=f"{uploader}_confirm"):
        try:
            outcome = ws.import_read(
                client, period, question["result"], mode=question["mode"], origin="upload"
            )
        except InputError as err:
            st.session_state.pop(key, None)
            show_error(err)
            return True
        report(outcome)
        clear_uploader(uploader)
        st.rerun()
    if answers.button("Cancel", key=f"{uploader}_cancel"):
        clear_uploader(uploader)
        st.rerun()
    return True


def report(outcome) -> None:
    """Say what was read: the reader's summary (counts, totals, warnings)."""
    flash(
        f"Imported {outcome.documents:,} documents from {outcome.source} into {period_label(period)} · "
        f"taxable {inr(outcome.taxable)} · tax {inr(outcome.tax)} (credit notes subtracted).\n\n"
        + summary_markdown(outcome.summary)
    )


def summary_markdown(lines: list[str]) -> str:
    """The reader's summary as a markdown list that wraps inside its box (a long warning names every
    document); its indented lines (warnings, columns) become a nested list. Text from the file stays text."""
    items = []
    for line in lines:
        nested = line.startswith(" ")
        text = markdown_literal(line.strip().removeprefix("- "))
        items.append(f"    - {text}" if nested else f"- {text}")
    return "\n".join(items)


def books_section(wide) -> None:
    """The uploader in its half of the page; the chosen register's layout check, mapping and Import in
    ``wide``, the page's full width, where a mapping of summed ledger columns is read whole."""
    st.subheader("Purchase books (ITC register)")
    upload = st.file_uploader(
        "Excel or CSV export of the purchase register (Tally, Busy, Zoho, SAP ...)",
        type=FILE_TYPES,
        key=uploader_key("books_file"),
    )
    if upload is None:
        return
    content = upload.getvalue()
    st.caption(f"Selected: {markdown_literal(upload.name)}")
    wrong_place = misplaced(content, upload.name, "books")
    if wrong_place:
        st.error(markdown_literal(wrong_place), icon=":material/error:")
        return
    with wide:
        register_check(upload, content)


def register_check(upload, content: bytes) -> None:
    """What the reader recognised in the register, editable, then the Import button."""
    st.markdown(f"**Purchase register {markdown_literal(upload.name)}**")
    sheet = st.session_state.get(f"books_sheet_{upload.file_id}")
    header_row = st.session_state.get(f"books_header_{upload.file_id}")
    try:
        layout = guess_layout(content, upload.name, sheet, header_row)
    except InputError as err:
        show_error(err)
        return
    st.caption("Check what was recognised; change anything that is wrong before importing.")
    left, right = st.columns(2)
    sheets = list(layout.sheet_names or [])
    if layout.sheet in sheets:
        left.selectbox("Sheet", sheets, index=sheets.index(layout.sheet), key=f"books_sheet_{upload.file_id}")
    right.number_input(
        "Header row (as Excel numbers it)",
        min_value=1,
        value=int(layout.header_row or 1),
        step=1,
        key=f"books_header_{upload.file_id}",
    )
    mapping = mapping_editor(layout, upload.file_id)
    kind_map = credit_note_wording(upload.file_id)
    read_all = every_register_sheet(layout, upload.file_id)
    missing = [] if read_all else missing_required({k: v for k, v in mapping.items() if v})
    if missing:
        st.warning(
            "Still needed before import: " + ", ".join(missing) + ". Pick the column for each in the mapping."
        )
    mode = mode_choice("books_mode")
    # Every monthly sheet is read only when no sheet or mapping is imposed (the reader's rule).
    where = {} if read_all else {"mapping": mapping, "sheet": layout.sheet, "header_row": layout.header_row}
    request = (upload.file_id, mode, repr(sorted(where.items())), repr(sorted(kind_map.items())))
    if pending_question("books_file", request):
        return
    if st.button("Import books", type="primary", key="import_books"):
        run_import(
            "books_file",
            request,
            mode,
            "purchase register",
            lambda: ws.import_file(
                client.id, period, content, upload.name, kind="books", mode=mode, kind_map=kind_map, **where
            ),
        )


def mapping_editor(layout, file_id: str) -> dict[str, str]:
    """One selectbox per canonical field, pre-set to the column the reader recognised.

    One field per row, its name beside the box: a choice such as "Input CGST @2.5% + Input CGST @6%" is
    read whole on a 1366-pixel laptop, where three boxes side by side in half the page cut it off.
    """
    headers = [h for h in (layout.headers or []) if h]
    labels = getattr(synonyms, "LABELS", {})
    chosen = {}
    with st.expander("Column mapping", expanded=not layout.mapping):
        for field in synonyms.FIELDS:
            current = layout.mapping.get(field)
            options = [NOT_MAPPED, *headers]
            if current and current not in options:
                options.append(current)  # summed ledger columns ("Input CGST @9% + Input CGST @6%")
            label = labels.get(field, field.replace("_", " "))
            name, box = st.columns([1, 3], vertical_alignment="center")
            name.markdown(markdown_literal(label))
            picked = box.selectbox(
                label,
                options,
                index=options.index(current) if current in options else 0,
                key=f"books_map_{file_id}_{field}",
                label_visibility="collapsed",
            )
            # '' tells the reader to drop a field it had guessed.
            chosen[field] = "" if picked == NOT_MAPPED else picked
    return chosen


CREDIT_NOTE_WORDING = {
    "credit_note": "the supplier's credit notes (reduce ITC)",
    "debit_note": "the supplier's debit notes (a value increase)",
}


def credit_note_wording(file_id: str) -> dict[str, str]:
    """Registers word notes the buyer's way (docs/reference/matching-practice.md §7): the firm says what its
    'Credit Note' vouchers hold; the reader's default is the supplier's credit note."""
    meaning = st.radio(
        "Vouchers worded 'Credit Note' in this register hold",
        list(CREDIT_NOTE_WORDING),
        format_func=CREDIT_NOTE_WORDING.get,
        horizontal=True,
        key=f"books_cn_{file_id}",
    )
    return {"credit note": meaning}


def every_register_sheet(layout, file_id: str) -> bool:
    """A workbook with one register sheet per month is read whole unless the user picks one sheet."""
    if not layout.other_registers:
        return False
    sheets = ", ".join([layout.sheet, *layout.other_registers])
    return st.checkbox(
        f"Read every register sheet as one register ({sheets})",
        value=True,
        key=f"books_all_sheets_{file_id}",
        help="A number booked in two sheets is then reported as a double booking.",
    )


def portal_section() -> None:
    st.subheader("IMS download or GSTR-2B / 2A")
    upload = st.file_uploader(
        "IMS JSON (IMS Dashboard → Offline), GSTR-2B JSON or Excel, GSTR-2A JSON",
        type=FILE_TYPES,
        key=uploader_key("portal_file"),
    )
    if upload is None:
        return
    st.caption(f"Selected: {markdown_literal(upload.name)}")
    content = upload.getvalue()
    wrong_place = misplaced(content, upload.name, "portal")
    if wrong_place:
        st.error(markdown_literal(wrong_place), icon=":material/error:")
        return
    kinds = {"auto": "Recognise it", "ims": "IMS", "gstr2b": "GSTR-2B", "gstr2a": "GSTR-2A"}
    picked = st.selectbox("What is it", list(kinds), format_func=kinds.get, key=form_key("portal_kind"))
    kind = None if picked == "auto" else picked
    mode = mode_choice("portal_mode")
    request = (upload.file_id, mode, kind)
    if pending_question("portal_file", request):
        return
    if st.button("Import portal file", type="primary", key="import_portal"):
        run_import(
            "portal_file",
            request,
            mode,
            "portal file",
            lambda: ws.import_file(client.id, period, content, upload.name, kind=kind, mode=mode),
        )


def fetch_section() -> None:
    st.subheader("Fetch from the portal (IMS, GSTR-2B)")
    from views import _portal

    _portal.fetch_panel(ws, client, period)


def imported_so_far() -> None:
    st.subheader(f"Imported for {period_label(period)}")
    records = ws.imports(client.id, period)
    if not records:
        st.info("Nothing imported for this period yet.")
        return
    for record in records:
        label = (
            f"{record.source.upper()} · {markdown_literal(record.file_name)} · {record.doc_count:,} documents · "
            f"{india_time(record.imported_at)} · {record.origin}"
        )
        with st.expander(label):
            st.markdown(summary_markdown(record.summary))
    ready, advice = ws.ready(client.id, period)
    if ready:
        st.page_link("views/reconcile.py", label="Go to Reconcile", icon=":material/fact_check:")
    else:
        st.info(advice)


books_col, portal_col = st.columns(2, gap="large")
register_area = st.container()  # below both uploaders, full width
with books_col:
    books_section(register_area)
with portal_col:
    portal_section()
    fetch_section()
st.divider()
imported_so_far()
