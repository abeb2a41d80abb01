"""Demo mode: the portal panel fetches a month's GSTR-2B from the sandbox portal and keeps it as that
month's 2B, listed like an uploaded one and marked as coming from the portal."""

from __future__ import annotations

from .test_portal_demo import demo_env, enter_otp_and_retry  # noqa: F401 (a fixture)


def _documents_in(statement: dict) -> int:
    data = statement["data"]
    return sum(
        len(group.get("inv") or group.get("nt") or [])
        for block in ("docdata", "docRejdata")
        for groups in (data.get(block) or {}).values()
        for group in groups
    )


def test_fetch_gstr2b_of_an_earlier_month_keeps_it_as_that_months_2b(demo_env, app, workspace):  # noqa: F811
    from views._portal import sandbox

    at = app("views/import.py")
    [client] = workspace.clients()
    period = "102025"  # the demo client works on Nov 2025
    current = workspace.imports(client.id, client.return_period)
    # October's 3B is filed on the (sandbox) portal: October's 2B is fixed, its records leave the inbox.
    portal = sandbox(client.gstin).portal
    assert portal.file_3b(client.gstin, period) > 0
    # One heading above the panel names both fetches it offers.
    assert "Fetch from the portal (IMS, GSTR-2B)" in [h.value for h in at.subheader]
    month = next(s for s in at.selectbox if s.label == "GSTR-2B of")
    assert month.options[:2] == ["Nov 2025", "Oct 2025"]
    month.set_value(period).run()
    assert at.button(key="fetch_gstr2b").label == "Fetch GSTR-2B for Oct 2025"
    enter_otp_and_retry(at, "fetch", "fetch_gstr2b")

    [record] = workspace.imports(client.id, period)
    expected = _documents_in(portal.gstr2b(client.gstin, period))
    assert (record.source, record.origin, record.doc_count) == ("gstr2b", "portal", expected)
    assert any(
        s.value.startswith(f"Downloaded GSTR-2B for Oct 2025: {expected} documents") for s in at.success
    )
    # The month being worked on keeps its own imports (the demo's November 2B among them).
    assert workspace.imports(client.id, client.return_period) == current


def test_fetch_gstr2b_of_the_current_month_is_listed_with_its_imports(demo_env, app, workspace):  # noqa: F811
    at = app("views/import.py")
    [client] = workspace.clients()
    enter_otp_and_retry(at, "fetch", "fetch_gstr2b")
    # It replaces the demo's November 2B file.
    [record] = [r for r in workspace.imports(client.id, client.return_period) if r.source == "gstr2b"]
    assert record.origin == "portal"
    at.run()
    listed = [e.label for e in at.expander if e.label.startswith("GSTR2B · ")]
    assert len(listed) == 1 and listed[0].endswith("· portal")


def test_an_earlier_month_the_portal_has_no_2b_for_says_so_and_keeps_nothing(demo_env, app, workspace):  # noqa: F811
    at = app("views/import.py")
    [client] = workspace.clients()
    # October's 3B was never filed on this (sandbox) portal, so it holds no October 2B.
    next(s for s in at.selectbox if s.label == "GSTR-2B of").set_value("102025").run()
    enter_otp_and_retry(at, "fetch", "fetch_gstr2b")
    assert [i.value for i in at.info if "GSTR-2B" in i.value] == [
        "The portal's GSTR-2B for Oct 2025 holds no documents: nothing was imported."
    ]
    assert not [s for s in at.success if "GSTR-2B" in s.value]
    assert workspace.imports(client.id, "102025") == []
