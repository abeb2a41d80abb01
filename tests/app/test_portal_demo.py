"""Demo mode: a fresh install shows a demo client; Fetch and Upload talk to the local sandbox portal."""

from __future__ import annotations

import polars as pl
import pytest

from views._portal import SAVED_MESSAGE


@pytest.fixture
def demo_env(db_url, monkeypatch):
    monkeypatch.setenv("IMS_WORKBENCH_DEMO", "1")
    return db_url


def enter_otp_and_retry(at, prefix: str, button: str):
    """The first press asks the portal for an OTP; type the one the (sandbox) signatory received."""
    at.button(key=button).click().run()
    assert not at.exception, at.exception
    otp = sandbox_otp(at)
    # The OTP field's key may also name the client and period it was asked for (views._shared.form_key).
    [field] = [t for t in at.text_input if t.key.startswith(prefix) and t.key.endswith("_otp")]
    field.input(otp).run()
    at.button(key=button).click().run()
    assert not at.exception, at.exception
    return at


def sandbox_otp(at) -> str:
    caption = next(c.value for c in at.caption if "local sandbox portal" in c.value)
    return caption.split("its OTP is ")[1].rstrip(").")


def test_a_fresh_install_opens_on_the_demo_client_with_its_tabs(demo_env, app, workspace):
    at = app()
    assert not at.exception
    [client] = workspace.clients()
    assert client.is_demo
    assert at.selectbox(key="sidebar_client").value == client.id
    labels = [t.label for t in at.tabs]
    assert any(label.startswith("Matched with ITC · ") for label in labels)


def test_upload_to_the_sandbox_portal_changes_exactly_what_the_screen_counted(demo_env, app, workspace):
    from views._portal import sandbox

    at = app("views/upload.py")
    [client] = workspace.clients()
    period = client.return_period
    # One click accepts the matched documents of filed suppliers; one Reject with a remark by hand.
    workspace.accept_matched(client.id, period)
    other = workspace.suggestions_to_apply(client.id, period, actions=("P",)).head(1)
    workspace.set_action(
        client.id, period, other["portal_doc_id"].to_list(), "R", remarks="Not ordered", confirmed=True
    )
    at.run()
    counted = int({m.label: m.value for m in at.metric}["Documents to change"].replace(",", ""))
    sent = workspace.build_upload(client.id, period).records
    assert counted == sent.height > 1
    log = sandbox(client.gstin).portal.log
    before = len(log)
    enter_otp_and_retry(at, "upload", "upload_portal")
    assert any(s.value == SAVED_MESSAGE for s in at.success), [s.value for s in at.success] + [
        e.value for e in at.error
    ]
    # The portal changed exactly the records counted on screen, no suggestion among them.
    applied = [key for entry in log[before:] for key in entry.applied]
    assert len(applied) == len(set(applied)) == counted
    held = workspace.documents(client.id, period, "ims").select("doc_id", "ims_action")
    after = sent.join(held, left_on="portal_doc_id", right_on="doc_id", how="left")
    assert after.filter(pl.col("ims_action") != pl.col("action")).is_empty()
    assert sorted(after["ims_action"].unique().to_list()) == ["A", "R"]
    # Nothing is left to send: the page now says so instead of offering a file.
    at.run()
    assert any(i.value.startswith("No changes") for i in at.info)


def test_fetch_from_the_sandbox_portal_imports_and_says_what_changed(demo_env, app, workspace):
    at = app("views/import.py")
    [client] = workspace.clients()
    [demo_file] = [r for r in workspace.imports(client.id, client.return_period) if r.source == "ims"]
    enter_otp_and_retry(at, "fetch", "fetch_portal")
    records = [r for r in workspace.imports(client.id, client.return_period) if r.source == "ims"]
    assert [r.origin for r in records] == ["portal"]  # the download replaced the demo file
    # The sandbox holds the same demo IMS as the demo file, so the download brings the same documents.
    assert records[0].doc_count == demo_file.doc_count
    assert any(s.value.startswith(f"Downloaded {demo_file.doc_count} documents") for s in at.success)


def test_a_fetch_warning_is_shown_as_a_warning_not_inside_the_success(demo_env, app, monkeypatch):
    from recon.errors import Issue
    from recon.portal import service

    fetch = service.fetch_ims
    caution = "b2b document 'KPC/2025-26/INV/000123': the number has 22 characters; the portal allows 1 to 16"

    def fetch_with_a_warning(*args, **kwargs):
        outcome = fetch(*args, **kwargs)
        outcome.result.warnings.append(Issue(caution))
        return outcome

    monkeypatch.setattr(service, "fetch_ims", fetch_with_a_warning)
    at = enter_otp_and_retry(app("views/import.py"), "fetch", "fetch_portal")
    assert [s.value for s in at.success if caution in s.value] == []
    assert any("KPC/2025-26/INV/000123" in w.value for w in at.warning)
