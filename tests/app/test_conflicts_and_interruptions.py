"""What a consultant sees when another session changed the same documents, and after a killed run.

AppTest cannot render AgGrid: the grid's delta is put in session state under its key, as the browser
would send it (tests/app/test_reconcile_and_upload.py does the same).
"""

from __future__ import annotations

import polars as pl

from recon.store import Store, operations

PAGE = "views/reconcile.py"


def selection(ids):
    return {"trigger": "selectionChanged", "nonce": "n1", "selected": list(ids)}


def test_a_bulk_accept_over_a_colleagues_reject_is_stopped_and_the_user_decides(
    app, workspace, loaded_client, monkeypatch
):
    monkeypatch.setenv("IMS_WORKBENCH_USER", "ravi")
    period = loaded_client.return_period
    review = workspace.review(loaded_client.id, period)
    chosen = review.filter(
        (pl.col("category") == "matched") & (pl.col("doc_kind") == "invoice") & (pl.col("filing") == "Filed")
    ).head(25)
    at = app(PAGE)  # ravi's grid is open: nothing decided yet
    at.session_state["grid_matched_0"] = selection(chosen["result_id"].to_list())
    at.run()
    # Meanwhile asha (another session, its own store) rejects one of them with a remark.
    target = chosen.row(3, named=True)
    workspace.user = "asha"
    workspace.set_action(
        loaded_client.id, period, [target["portal_doc_id"]], "R", remarks="goods returned", confirmed=True
    )
    at.button(key="bulk_A_matched").click().run()
    at.button(key="confirm_go").click().run()
    assert not at.exception, at.exception

    warnings = " ".join(w.value for w in at.warning)
    assert "Not saved: 1 of the 25 document(s) were changed by someone else" in warnings
    said = " ".join(c.value for c in at.caption)
    assert "asha set Reject" in said and "goods returned" in said and "you chose Accept" in said
    assert f"{target['supplier_name']} {target['portal_doc_no']}: asha" in said, "named as on the grid"
    assert "SELECT" not in warnings + said
    decided = workspace.decisions(loaded_client.id)
    assert decided.select("portal_doc_id", "action").rows() == [(target["portal_doc_id"], "R")]

    at.button(key="conflict_keep_matched").click().run()
    assert not at.exception, at.exception
    decided = workspace.decisions(loaded_client.id)
    assert decided.height == 25
    kept = decided.filter(pl.col("portal_doc_id") == target["portal_doc_id"]).row(0, named=True)
    assert (kept["action"], kept["remarks"], kept["decided_by"]) == ("R", "goods returned", "asha")
    others = decided.filter(pl.col("portal_doc_id") != target["portal_doc_id"])
    assert set(others["action"].to_list()) == {"A"} and set(others["decided_by"].to_list()) == {"ravi"}


def test_the_app_says_once_what_a_killed_run_left_unfinished(app, workspace, db_url):
    client = workspace.create_client("Acme Traders", "27AAPFU0939F1ZV", "112025")
    store = Store(db_url)
    operation = store.start_operation("import", client.id, "112025", {"file": "Purchase register Nov.xlsx"})
    with store.engine.begin() as conn:  # as if started by a process that is gone (killed)
        conn.execute(operations.update().where(operations.c.id == operation).values(owner=_dead_owner()))
    store.dispose()

    at = app()
    assert not at.exception, at.exception
    notice = " ".join(w.value for w in at.warning)
    assert "An import of Purchase register Nov.xlsx (Acme Traders, " in notice
    assert "nothing of it was saved" in notice
    at.button(key="interrupted_seen").click().run()
    assert not any("An import of" in w.value for w in at.warning)


def _dead_owner() -> str:
    """An owner on this host whose process has exited."""
    import socket
    import subprocess
    import sys

    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    return f"{socket.gethostname()}:{int(finished.stdout)}:"
