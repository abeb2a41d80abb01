"""Fetch (IMS, GSTR-2B) and Upload through the portal connector (recon.portal.service), with the OTP prompt.

Demo clients talk to the local sandbox portal (started once per server process); other clients to the
firm's GSP as configured in ``.streamlit/secrets.toml`` ``[portal]`` or the environment.
"""

from __future__ import annotations

import logging

import streamlit as st

from recon.errors import InputError
from recon.safe_text import markdown_literal
from views._shared import form_key

SAVED_MESSAGE = "Your data has been successfully saved on the GSTN portal"


@st.cache_resource
def sandbox(gstin: str):
    """The local sandbox portal holding the demo client's IMS (demo mode)."""
    from recon.portal.sandbox import start_background

    return start_background(gstin=gstin)


def _portal_session_owner() -> int:
    """The signed-in user: a portal session is opened with the OTP one person typed, so it is theirs
    alone; another user (or an anonymous browser) never sends on it."""
    from views._access import current_user

    user = current_user()
    if user is None:
        st.stop()
    return user.id


def _gsp_connector():
    return _gsp_connector_of(_portal_session_owner())


@st.cache_resource
def _gsp_connector_of(user_id: int):
    from recon.portal.service import connector_from_settings

    return connector_from_settings()


def _demo_connector(gstin: str):
    return _demo_connector_of(gstin, _portal_session_owner())


@st.cache_resource
def _demo_connector_of(gstin: str, user_id: int):
    from recon.portal.service import demo_connector

    return demo_connector(sandbox(gstin))


NO_GSP = (
    "This app has no connection to the GST portal for this client, so it cannot fetch or upload by itself. "
    "There are two ways to reach the portal. Without any connection: download the IMS JSON at IMS "
    "Dashboard → Offline → Download JSON, import it into this app, and after reconciling upload the file "
    "the Upload page writes (Download JSON) at IMS Dashboard → Offline → Upload JSON. Or through the firm's "
    "GSP (GST Suvidha Provider): once the firm's administrator has set up its GSP account for this app, "
    "Fetch and Upload work here directly."
)


def connection(client):
    """(connector, note for the user) or (None, the two ways to reach the portal without one)."""
    try:
        if client.is_demo:
            handle = sandbox(client.gstin)
            return _demo_connector(client.gstin), f"Demo: the local sandbox portal (its OTP is {handle.otp})."
        return _gsp_connector(), "Your GSP connector."
    except (InputError, ValueError, KeyError, OSError) as err:
        # The consultant gets the plain choice; what exactly is missing is for the administrator's log.
        logging.getLogger(__name__).info("no GSP connector: %s", err)
        return None, NO_GSP


def _progress_reporter(bar):
    return lambda fraction, message: bar.progress(min(max(fraction, 0.0), 1.0), text=message)


def _otp_prompt(key: str) -> str | None:
    """Shown after the portal asked for an OTP: the code the signatory received."""
    if not st.session_state.get(f"{key}_otp_needed"):
        return None
    st.info("The portal sent an OTP to the authorised signatory's mobile / e-mail. Enter it to continue.")
    return st.text_input("OTP", max_chars=6, key=f"{key}_otp") or None


def fetch_panel(ws, client, period) -> None:
    connector, note = connection(client)
    if connector is None:
        st.info(note, icon=":material/info:")
        return
    st.caption(note)
    from recon.portal.client import OtpRequired, PortalError

    scope = form_key("fetch")  # the OTP asked for one client is never shown to another
    otp = _otp_prompt(scope)
    if st.button("Fetch from portal", key="fetch_portal", icon=":material/cloud_download:"):
        bar = st.progress(0.0, text="Connecting to the portal ...")
        try:
            outcome = ws.fetch_from_portal(
                client.id, period, connector, otp=otp, progress=_progress_reporter(bar)
            )
        except OtpRequired:  # the portal was asked to send the OTP
            st.session_state[f"{scope}_otp_needed"] = True
            st.rerun()
        except PortalError as err:
            st.error(f"The portal refused the download: {markdown_literal(str(err))}")
            return
        except InputError as err:
            st.session_state.pop(f"{scope}_otp_needed", None)
            st.error(markdown_literal(str(err)))
            return
        st.session_state.pop(f"{scope}_otp_needed", None)
        # The summary quotes what suppliers filed: shown as typed (safe_text). A warning is a caution, not
        # a success: it gets its own yellow box under the button.
        lines = [line for line in outcome.summary_lines() if not line.startswith("Warning: ")]
        st.session_state["_flash"] = ("success", "\n\n".join(map(markdown_literal, lines)))
        st.session_state[f"{scope}_warnings"] = [str(w) for w in outcome.result.warnings]
        st.rerun()
    for warning in st.session_state.pop(f"{scope}_warnings", []):
        st.warning(markdown_literal(warning), icon=":material/warning:")
    _fetch_gstr2b(ws, client, period, connector, scope, otp)


def _fetch_gstr2b(ws, client, period, connector, scope: str, otp: str | None) -> None:
    """The client's GSTR-2B of this month or an earlier one still within the s.16(4) window, kept as that
    month's 2B: what the open pool settles earlier books against."""
    from recon.portal.client import OtpRequired, PortalError
    from recon.portal.service import gstr2b_periods
    from recon.present import period_label

    month = st.selectbox(
        "GSTR-2B of", gstr2b_periods(period), format_func=period_label, key=f"{scope}_2b_month"
    )
    if not st.button(
        f"Fetch GSTR-2B for {period_label(month)}", key="fetch_gstr2b", icon=":material/cloud_download:"
    ):
        return
    bar = st.progress(0.0, text="Connecting to the portal ...")
    try:
        outcome, stored = ws.fetch_gstr2b(
            client.id, month, connector, otp=otp, progress=_progress_reporter(bar)
        )
    except OtpRequired:  # the portal was asked to send the OTP
        st.session_state[f"{scope}_otp_needed"] = True
        st.rerun()
    except PortalError as err:
        st.error(f"The portal refused the GSTR-2B download: {markdown_literal(str(err))}")
        return
    except InputError as err:
        st.error(markdown_literal(str(err)))
        return
    st.session_state.pop(f"{scope}_otp_needed", None)
    lines = [line for line in outcome.summary_lines() if not line.startswith("Warning: ")]
    if stored is not None:
        lines.append(f"Kept as the GSTR-2B of {period_label(month)} for {client.name}.")
    # An empty 2B is news, not a success: nothing was kept.
    kind = "success" if stored is not None else "info"
    st.session_state["_flash"] = (kind, "\n\n".join(map(markdown_literal, lines)))
    if outcome.result is not None:
        st.session_state[f"{scope}_warnings"] = [str(w) for w in outcome.result.warnings]
    st.rerun()


def upload_panel(ws, client, period, upload) -> None:
    connector, note = connection(client)
    st.caption(note)
    if connector is None:
        return
    from recon.portal.client import OtpRequired, PortalError

    if ws.pending_uploads(client.id, period):
        st.caption("Upload again once the interrupted upload's answer is recorded (above).")
        return
    last = st.session_state.get(f"upload_result_{client.id}_{period}")
    otp = _otp_prompt("upload")
    label = (
        "Upload to portal" if not last or not last["failed"] else "Upload again (only what is not saved yet)"
    )
    st.caption(f"Sends the {upload.records.height:,} document(s) counted above, nothing else.")
    if not st.button(label, type="primary", key="upload_portal", icon=":material/cloud_upload:"):
        return
    # The very Upload the screen counted: its API twin (prev_status on every record) holds the same
    # records, whatever profile the files were written in.
    if upload.is_empty:
        st.info("Nothing to send: the portal already holds every decided action.")
        return
    bar = st.progress(0.0, text="Connecting to the portal ...")
    try:
        result = ws.send_to_portal(
            client.id, period, upload, connector, otp=otp, progress=_progress_reporter(bar)
        )
    except OtpRequired:  # the portal was asked to send the OTP
        st.session_state["upload_otp_needed"] = True
        st.rerun()
    except PortalError as err:
        st.error(f"The portal refused the upload: {markdown_literal(str(err))}")
        return
    st.session_state.pop("upload_otp_needed", None)
    st.session_state[f"upload_result_{client.id}_{period}"] = result
    st.rerun()


def resume_panel(ws, client, period) -> None:
    """An upload of this client's period was interrupted after the portal took it: fetch its answer."""
    pending = ws.pending_uploads(client.id, period)
    if not pending:
        return
    connector, note = connection(client)
    for interruption in pending:
        st.warning(
            f"{interruption.headline}. Fetch its answer to record what the portal now holds; until then "
            "these documents still count as to be sent.",
            icon=":material/sync_problem:",
        )
    if connector is None:
        st.caption(note)
        return
    from recon.portal.client import OtpRequired, PortalError

    otp = _otp_prompt("resume")
    if not st.button("Fetch the portal's answer", key="resume_upload", icon=":material/sync:"):
        return
    try:
        with st.spinner("Asking the portal for the status of the interrupted upload ..."):
            messages = ws.resume_uploads(client.id, period, connector, otp=otp)
    except OtpRequired:  # the portal was asked to send the OTP
        st.session_state["resume_otp_needed"] = True
        st.rerun()
    except PortalError as err:
        st.error(f"The portal did not answer: {err}. The upload stays to be checked; try again later.")
        return
    st.session_state.pop("resume_otp_needed", None)
    st.session_state["_flash"] = ("success", "\n\n".join(messages))
    st.rerun()


def show_last_outcome(client, period) -> None:
    """What the last upload through the connector did (kept until the next upload)."""
    result = st.session_state.get(f"upload_result_{client.id}_{period}")
    if result:
        _show_outcome(result)


def _show_outcome(result: dict) -> None:
    if result["applied"] and not result["failed"] and not result["unknown"]:
        st.success(SAVED_MESSAGE, icon=":material/task_alt:")
        st.caption(
            f"{result['applied']:,} document(s) now hold the uploaded action; the grid shows the portal's state."
        )
        return
    if result["applied"]:
        st.success(f"{result['applied']:,} document(s) saved on the portal.")
    if result["failed"]:
        st.error(f"{len(result['failed']):,} document(s) were refused by the portal:")
        st.dataframe(
            [
                {
                    "Section": f["section"],
                    "Supplier GSTIN": f["supplier_gstin"],
                    "Document": f["doc_no"],
                    "Action": f["action"],
                    "Portal says": f"{f['error_cd'] or ''} {f['error_msg'] or ''}".strip(),
                }
                for f in result["failed"]
            ],
            hide_index=True,
        )
    if result["unknown"]:
        st.warning(f"{result['unknown']:,} document(s): not known yet whether the portal applied them.")
