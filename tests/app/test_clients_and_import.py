"""Clients and Import pages, driven through AppTest as a consultant would use them."""

from __future__ import annotations

import json
import os

from handwritten_files import CLIENT_A, CLIENT_B, ims_download, tally_register

from recon import gstin as gstin_rules

from .conftest import XLSX

VALID_GSTIN = "27AAPFU0939F1ZV"


def uploader(at, name: str):
    """The page's uploader of that name (its key also names the client and period it belongs to)."""
    [found] = [u for u in at.file_uploader if u.key.startswith(f"{name}__")]
    return found


def fill_new_client(at, name, gstin, period):
    at.text_input(key="new_client_name").input(name)
    at.text_input(key="new_client_gstin").input(gstin)
    at.text_input(key="new_client_period").input(period)
    at.button(key="FormSubmitter:new_client-Create client").click().run()
    return at


def test_a_mistyped_gstin_is_refused_with_the_reason(app, workspace):
    assert gstin_rules.problem(VALID_GSTIN) is None
    typo = VALID_GSTIN[:-1] + ("A" if VALID_GSTIN[-1] != "A" else "B")  # wrong check character
    at = fill_new_client(app("views/clients.py"), "Acme Traders", typo, "112025")
    assert [e.value for e in at.error], "a bad GSTIN must show an error"
    assert "check character" in at.error[0].value
    assert workspace.clients() == []  # nothing saved


def test_a_bad_period_is_refused(app, workspace):
    at = fill_new_client(app("views/clients.py"), "Acme Traders", VALID_GSTIN, "132025")
    assert "MMYYYY" in at.error[0].value
    assert workspace.clients() == []


def test_creating_a_client_selects_it_everywhere(app, workspace):
    at = fill_new_client(app("views/clients.py"), "Acme Traders", VALID_GSTIN, "112025")
    assert not at.error
    [client] = workspace.clients()
    assert (client.name, client.gstin, client.state_code, client.return_period) == (
        "Acme Traders",
        VALID_GSTIN,
        "27",
        "112025",
    )
    assert any("created and selected" in s.value for s in at.success)
    assert at.selectbox(key="sidebar_client").value == client.id
    # The selection sticks when moving to another page.
    at.switch_page("views/import.py").run()
    assert at.selectbox(key="sidebar_client").value == client.id
    assert any(VALID_GSTIN in c.value for c in at.caption)


def test_importing_books_shows_the_layout_and_saves_the_documents(app, workspace, demo_files):
    corpus, files = demo_files
    client = workspace.create_client("Sahyadri", corpus.client.gstin, corpus.client.period)
    at = app("views/import.py")
    books = files["books_tally.xlsx"].read_bytes()
    uploader(at, "books_file").set_value(("books_tally.xlsx", books, XLSX)).run()
    assert not at.exception
    # The recognised layout is shown and editable before anything is saved.
    mapped = {sb.label: sb.value for sb in at.selectbox if sb.key and sb.key.startswith("books_map_")}
    assert mapped, "the column mapping must be shown"
    assert "(not in this file)" not in (mapped.get("supplier gstin"), mapped.get("Supplier GSTIN"))
    assert workspace.imports(client.id, client.return_period) == []
    at.button(key="import_books").click().run()
    assert not at.error
    [record] = workspace.imports(client.id, client.return_period)
    assert record.source == "books"
    assert record.doc_count == corpus.books.height  # every document of the register came in
    assert any(f"{record.doc_count:,} documents" in s.value for s in at.success)


def test_a_bad_portal_file_shows_the_reason_and_keeps_what_was_imported(app, workspace, demo_files):
    corpus, files = demo_files
    client = workspace.create_client("Sahyadri", corpus.client.gstin, corpus.client.period)
    workspace.import_file(
        client.id, client.return_period, files["ims.json"].read_bytes(), "ims.json", kind="ims"
    )
    at = app("views/import.py")
    uploader(at, "portal_file").set_value(("ims-broken.json", b'{"b2b": [ {"stin": ', "application/json"))
    at.run()
    at.button(key="import_portal").click().run()
    assert at.error, "a broken file must be reported"
    assert "ims-broken.json" in at.error[0].value
    assert not at.exception
    [record] = workspace.imports(client.id, client.return_period)
    assert record.file_name == "ims.json"  # the earlier import is untouched


def test_an_ims_file_of_another_gstin_is_refused(app, workspace, demo_files):
    corpus, files = demo_files
    # The portal's download names the recipient ('rtin'); this one is the demo client's, not ours.
    sections = json.loads(files["ims.json"].read_text())
    download = json.dumps({"rtin": corpus.client.gstin, **sections}).encode()
    client = workspace.create_client("Someone else", VALID_GSTIN, "112025")
    at = app("views/import.py")
    uploader(at, "portal_file").set_value(("ims.json", download, "application/json"))
    at.run()
    at.button(key="import_portal").click().run()
    assert at.error and VALID_GSTIN in at.error[0].value
    assert workspace.imports(client.id, "112025") == []


# -- clients never mix; the right file in the right place ------------------------------------------------
# Hand-written files (tests/handwritten_files.py): a Tally register with title rows and Tally's column
# names, an IMS download with or without 'rtin'.

B_INVOICES = [(0, "SF/101"), (1, "KA-2207"), (2, "GJ/55"), (0, "SF/102"), (1, "KA-2208"), (2, "DN-9")]
A_INVOICES = [(0, "SF/901"), (1, "KA-3301"), (2, "GJ/77"), (0, "SF/902")]


def two_clients(workspace):
    a = workspace.create_client("Acme Industries", CLIENT_A, "112025")
    b = workspace.create_client("Bharat Castings", CLIENT_B, "112025")
    return a, b


def choose_client(at, client_id):
    at.selectbox(key="sidebar_client").set_value(client_id).run()
    assert not at.exception, at.exception
    return at


def test_switching_client_empties_the_uploaders_and_the_choices(app, workspace):
    a, b = two_clients(workspace)
    at = app("views/import.py")
    assert at.selectbox(key="sidebar_client").value == a.id
    uploader(at, "books_file").set_value(("acme-nov.xlsx", tally_register(A_INVOICES), XLSX))
    uploader(at, "portal_file").set_value(("ims.json", ims_download(A_INVOICES), "application/json"))
    at.run()
    [books_mode, _] = [r for r in at.radio if r.label == "This file"]
    books_mode.set_value("add").run()
    assert [c.value for c in at.caption if c.value.startswith("Selected:")] == [
        "Selected: acme-nov.xlsx",
        "Selected: ims.json",
    ]
    assert at.button(key="import_books") and at.button(key="import_portal")

    choose_client(at, b.id)
    assert any("Bharat Castings" in c.value for c in at.caption)
    assert [u.value for u in at.file_uploader] == [None, None]  # nothing chosen for B
    assert not [c for c in at.caption if c.value.startswith("Selected:")]
    assert not [b for b in at.button if b.key in ("import_books", "import_portal")]
    choose_client(at, a.id)  # and back: A's choice is not waiting there either
    assert [u.value for u in at.file_uploader] == [None, None]
    assert workspace.imports(a.id, "112025") == workspace.imports(b.id, "112025") == []


def test_a_new_client_stays_selected_and_nothing_offers_to_switch_back(app, workspace):
    at = fill_new_client(app("views/clients.py"), "Acme Industries", CLIENT_A, "112025")
    at.text_input(key="new_client_1_name").input("Bharat Castings")
    at.text_input(key="new_client_1_gstin").input(CLIENT_B)
    at.text_input(key="new_client_1_period").input("112025")
    at.button(key="FormSubmitter:new_client_1-Create client").click().run()
    assert not at.exception and not at.error
    bharat = next(c for c in workspace.clients() if c.name == "Bharat Castings")
    assert at.selectbox(key="sidebar_client").value == bharat.id
    assert [s.value for s in at.selectbox if s.label == "Work on client"] == [bharat.id]
    assert not [b for b in at.button if b.key == "select_client"]  # nothing to switch back to
    at.run()  # any later rerun keeps it
    for page in ("views/import.py", "views/reconcile.py", "views/clients.py"):
        at.switch_page(page).run()
        assert at.selectbox(key="sidebar_client").value == bharat.id, page


def test_another_clients_register_is_asked_about_before_anything_is_stored(app, workspace):
    a, b = two_clients(workspace)
    workspace.import_file(b.id, "112025", tally_register(B_INVOICES), "bharat-nov.xlsx", kind="books")
    at = app("views/import.py")
    uploader(at, "books_file").set_value(("register.xlsx", tally_register(B_INVOICES), XLSX)).run()
    at.button(key="import_books").click().run()
    assert not at.exception
    [warning] = [w.value for w in at.warning if "looks like the data of" in w.value]
    assert "Bharat Castings" in warning and "6 of its 6 documents" in warning
    assert workspace.imports(a.id, "112025") == []
    at.button(key="books_file_confirm").click().run()
    assert [r.file_name for r in workspace.imports(a.id, "112025")] == ["register.xlsx"]
    assert any("Imported 6 documents" in s.value for s in at.success)


def test_adding_the_same_register_twice_is_refused_naming_the_first(app, workspace):
    a, _ = two_clients(workspace)
    workspace.import_file(a.id, "112025", tally_register(A_INVOICES), "acme-nov.xlsx", kind="books")
    at = app("views/import.py")
    uploader(at, "books_file").set_value(("acme-nov-again.xlsx", tally_register(A_INVOICES), XLSX)).run()
    [books_mode] = [r for r in at.radio if r.label == "This file"]  # the books uploader's only
    books_mode.set_value("add").run()
    at.button(key="import_books").click().run()
    assert at.error and "acme-nov.xlsx" in at.error[0].value and "twice" in at.error[0].value
    assert len(workspace.imports(a.id, "112025")) == 1


def test_a_register_on_the_portal_uploader_is_refused_in_words(app, workspace):
    a, _ = two_clients(workspace)
    at = app("views/import.py")
    uploader(at, "portal_file").set_value(("acme-nov.xlsx", tally_register(A_INVOICES), XLSX)).run()
    [message] = [e.value for e in at.error]
    assert "acme-nov.xlsx" in message and "purchase register" in message and "books uploader" in message
    assert not [b for b in at.button if b.key == "import_portal"]
    assert workspace.imports(a.id, "112025") == []


def test_a_portal_download_on_the_books_uploader_is_explained(app, workspace):
    a, _ = two_clients(workspace)
    at = app("views/import.py")
    uploader(at, "books_file").set_value(("ims.json", ims_download(A_INVOICES), "application/json")).run()
    [message] = [e.value for e in at.error]
    assert "this is an IMS download (JSON)" in message and "portal uploader" in message
    assert not [b for b in at.button if b.key == "import_books"]
    assert workspace.imports(a.id, "112025") == []


def test_without_a_gsp_the_import_page_says_the_two_ways_to_the_portal(app, workspace, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml here
    for name in [k for k in os.environ if k.startswith("IMS_PORTAL_")]:
        monkeypatch.delenv(name)
    two_clients(workspace)
    at = app("views/import.py")
    [paragraph] = [i.value for i in at.info if "GST portal" in i.value]
    assert "IMS Dashboard → Offline → Download JSON" in paragraph and "administrator" in paragraph
    assert "secrets" not in paragraph and "missing" not in paragraph and "[portal]" not in paragraph
    assert not [b for b in at.button if b.key == "fetch_portal"]


def test_an_otp_asked_for_one_client_is_not_waiting_after_a_switch(app, workspace, monkeypatch):
    monkeypatch.setenv("IMS_WORKBENCH_DEMO", "1")  # the demo client talks to the local sandbox portal
    at = app("views/upload.py")
    [demo] = workspace.clients()
    workspace.accept_matched(demo.id, demo.return_period)  # only decisions are sent: decide something
    at.run()
    at.button(key="upload_portal").click().run()
    assert not at.exception
    assert [t for t in at.text_input if t.label == "OTP"], "the portal asked for an OTP"
    other = workspace.create_client("Acme Industries", CLIENT_A, "112025")
    at.run()
    choose_client(at, other.id)
    choose_client(at, demo.id)
    assert not [t for t in at.text_input if t.label == "OTP"]
