"""Secrets stay secret: not in logs (even at DEBUG, even from urllib3), not in reprs; settings load from
the environment or secrets.toml and say what is missing."""

from __future__ import annotations

import logging

import pytest
from portal_helpers import DECISIONS_FOR_LOG_TEST, LOOPBACK, RECIPIENT, connect, fetch_raw, save_body

from recon.errors import InputError
from recon.portal import crypto
from recon.portal.config import Secret, load_settings, settings_from_mapping
from recon.portal.service import fetch_ims, upload


def _session_secrets(client, sandbox) -> dict[str, str]:
    login = client._logins[RECIPIENT]
    return {
        "client secret": sandbox.client_secret,
        "otp": sandbox.otp,
        "app key": crypto.b64(login.app_key),
        "session key": crypto.b64(login.session_key),
        # ECB is deterministic: the sek the portal sent is the session key under the app key.
        "sek": crypto.aes_encrypt(login.session_key, login.app_key),
        "auth token": login.auth_token,
    }


@pytest.mark.parametrize("sandbox", [LOOPBACK], indirect=True)  # urllib3 logs only over a socket
def test_no_secret_in_logs_of_a_whole_conversation(sandbox, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, urllib3 and the sandbox's included
    client = connect(sandbox)
    client.request_otp(RECIPIENT)
    fetch_ims(client, RECIPIENT, otp=sandbox.otp)
    sandbox.portal.expire_sessions()  # forces REFRESHTOKEN: a new token and sek
    upload(client, [save_body(fetch_raw(client), DECISIONS_FOR_LOG_TEST)])
    # The safety net too: a careless debug line with a token in it is scrubbed.
    logging.getLogger("recon.portal.client").debug("careless %s", client._logins[RECIPIENT].auth_token)

    text = caplog.text + "\n".join(str(r.msg) + str(r.args) for r in caplog.records)
    assert "OTPREQUEST" in text and "REFRESHTOKEN" in text  # the conversation was logged at all
    assert "careless ***" in text
    for name, value in _session_secrets(client, sandbox).items():
        assert value not in text, f"the {name} appears in the log"


def test_repr_of_settings_and_client_masks_secrets(client, sandbox):
    settings = settings_from_mapping(
        {
            "base_url": "https://gsp.example/gus",
            "client_id": "firm-42",
            "client_secret": "s3cr3t-from-the-gsp",
            "public_key_pem": sandbox.public_key_pem,
            "gsp_headers": {"X-Asp-Auth-Token": "asp-token-value"},
        }
    )
    for text in (repr(settings), str(settings), f"{settings}", repr(settings.client_secret), repr(client)):
        assert "s3cr3t-from-the-gsp" not in text
        assert "asp-token-value" not in text
    assert "firm-42" in repr(settings) and "X-Asp-Auth-Token" in repr(settings)
    assert settings.headers()["client-secret"] == "s3cr3t-from-the-gsp"  # revealed only at the network edge
    assert settings.headers()["X-Asp-Auth-Token"] == "asp-token-value"
    for value in _session_secrets(client, sandbox).values():
        assert value not in repr(client)


def test_secret_formats_masked_everywhere():
    secret = Secret("abcd-1234")
    assert "abcd-1234" not in f"{secret} {secret!r} {secret:>20} {[secret]}"
    assert secret.reveal() == "abcd-1234"


def test_settings_from_secrets_toml_with_environment_overriding(tmp_path, sandbox):
    key_file = tmp_path / "gstn_public.pem"
    key_file.write_text(sandbox.public_key_pem)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        "[portal]\n"
        'base_url = "https://gsp.example/gus/"\n'
        'client_id = "firm-42"\n'
        'client_secret = "from-file"\n'
        f'public_key_path = "{key_file}"\n'
        'username = "default_user"\n'
        'ims_path = "/taxpayerapi/v2.0/returns/ims"\n'
        "[portal.usernames]\n"
        f'{RECIPIENT} = "client_user"\n'
        "[portal.headers]\n"
        'X-Asp-Auth-Token = "asp"\n'
    )
    env = {"IMS_PORTAL_CLIENT_SECRET": "from-env", "IMS_PORTAL_ECO_SECTIONS": "ECOM,ECOMA"}

    settings = load_settings(env, secrets)

    assert settings.base_url == "https://gsp.example/gus"
    assert settings.client_secret.reveal() == "from-env"
    assert settings.ims_path == "/taxpayerapi/v2.0/returns/ims"
    assert settings.auth_path == "/taxpayerapi/v1.0/authenticate"
    assert settings.username_for(RECIPIENT) == "client_user"
    assert settings.username_for("29AABCT1332L1ZA") == "default_user"
    assert settings.getinv_sections()["ecom"] == "ECOM"
    assert settings.headers()["X-Asp-Auth-Token"] == "asp"


def test_missing_settings_say_what_and_where(tmp_path):
    with pytest.raises(InputError) as err:
        load_settings({"IMS_PORTAL_BASE_URL": "https://gsp.example"}, tmp_path / "none.toml")
    message = str(err.value)
    assert "client_id" in message and "client_secret" in message and "public_key_path" in message
    assert "IMS_PORTAL_" in message


def test_public_key_path_that_does_not_exist_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="public key file not found"):
        settings_from_mapping(
            {
                "base_url": "x",
                "client_id": "a",
                "client_secret": "b",
                "public_key_path": str(tmp_path / "gstn.pem"),
            }
        )
