"""Clients and Import pages, driven through AppTest as a consultant would use them."""

from __future__ import annotations

import json

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
