"""The protocol layer against the sandbox's own keys: what a GSP would reject, we must not send."""

from __future__ import annotations

import pytest
from portal_helpers import RECIPIENT, connect, held, save_body

from recon.portal import crypto
from recon.portal.client import OtpRequired, PortalError


@pytest.mark.parametrize("length", [0, 1, 15, 16, 17, 31, 32, 33, 1000])
def test_aes_ecb_pkcs7_round_trip_for_every_padding_length(length):
    key = crypto.new_key()
    plain = bytes(range(256)) * 4
    plain = plain[:length]
    cipher = crypto.aes_encrypt(plain, key)
    # PKCS7 always adds 1..16 bytes: a block-aligned input gets a whole extra block.
    assert len(crypto.unb64(cipher)) == (length // 16 + 1) * 16
    assert crypto.aes_decrypt(cipher, key) == plain


def test_aes_is_ecb_same_block_same_ciphertext():
    # The protocol prescribes ECB; equal plaintext blocks giving equal cipher blocks proves the mode.
    key = crypto.new_key()
    cipher = crypto.unb64(crypto.aes_encrypt(b"A" * 32, key))
    assert cipher[:16] == cipher[16:32]


def test_aes_wrong_key_is_refused_not_garbage():
    cipher = crypto.aes_encrypt(b"575757", crypto.new_key())
    with pytest.raises(crypto.CryptoError):
        # A wrong key almost always breaks the padding; repeat to make a lucky pad vanishingly rare.
        for _ in range(5):
            crypto.aes_decrypt(cipher, crypto.new_key())


def test_app_key_encrypted_with_the_sandbox_public_key_opens_with_its_private_key(sandbox):
    app_key = crypto.new_key()
    public_key = crypto.load_public_key(sandbox.public_key_pem)
    sent = crypto.rsa_encrypt(app_key, public_key)
    assert crypto.rsa_decrypt(sent, sandbox.portal.private_key) == app_key
    # PKCS#1 v1.5 is randomised: the same key encrypts differently each time.
    assert crypto.rsa_encrypt(app_key, public_key) != sent


def test_sealed_body_verifies_and_a_changed_hmac_or_body_is_rejected():
    key = crypto.new_key()
    data, signature = crypto.seal({"rtin": RECIPIENT, "n": 1}, key)
    assert crypto.open_sealed(data, signature, key) == {"rtin": RECIPIENT, "n": 1}
    assert crypto.hmac_verify(crypto.encode_json({"rtin": RECIPIENT, "n": 1}).encode(), key, signature)
    forged = crypto.hmac_sign(crypto.encode_json({"rtin": RECIPIENT, "n": 2}).encode(), key)
    with pytest.raises(crypto.CryptoError, match="HMAC"):
        crypto.open_sealed(data, forged, key)
    other, _ = crypto.seal({"rtin": RECIPIENT, "n": 2}, key)
    with pytest.raises(crypto.CryptoError, match="HMAC"):
        crypto.open_sealed(other, signature, key)


def test_session_key_from_sek_decrypts_the_sandbox_replies(client, sandbox):
    login = client._logins[RECIPIENT]
    # The reply to GETINV, fetched raw: rek under the session key, data under rek, HMAC under rek.
    reply = client.http.get(
        client.base_url + client.settings.ims_path,
        params={"action": "GETINV", "gstin": RECIPIENT, "section": "CN"},
        headers=client._headers(RECIPIENT, login.username, login.auth_token),
        timeout=5,
    ).json()
    assert set(reply) >= {"data", "rek", "hmac"}
    records = crypto.open_reply(reply, login.session_key)["b2bcn"]
    assert [r["nt_num"] for r in records] == ["CN-0093"]
    reply["hmac"] = crypto.hmac_sign(b"something else", crypto.new_key())
    with pytest.raises(crypto.CryptoError, match="HMAC"):
        crypto.open_reply(reply, login.session_key)


def test_sandbox_refuses_a_save_with_a_tampered_hmac_and_applies_nothing(client, sandbox):
    login = client._logins[RECIPIENT]
    records = {"b2b": client.get_section(RECIPIENT, "b2b")}
    body = save_body(records, {("b2b", "MH/2526/0417"): "A"})
    data, _ = crypto.seal(body["data"], login.session_key)
    forged = crypto.hmac_sign(b"not the body", login.session_key)
    response = client.http.put(
        client.base_url + client.settings.ims_path,
        json={"action": "SAVE", "data": data, "hmac": forged},
        headers=client._headers(RECIPIENT, login.username, login.auth_token),
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json()["error"]["error_cd"] == "SBX-HMAC"
    assert held(sandbox.portal)[("b2b", "MH/2526/0417")] == "N"
    # The same body correctly signed goes through.
    reference = client.submit(RECIPIENT, body)
    assert client.wait_for_status(RECIPIENT, reference)["status_cd"] == "P"
    assert held(sandbox.portal)[("b2b", "MH/2526/0417")] == "A"


def test_wrong_otp_is_refused_and_leaves_no_session(sandbox):
    connector = connect(sandbox)
    connector.request_otp(RECIPIENT)
    with pytest.raises(PortalError) as err:
        connector.authenticate(RECIPIENT, "000000")
    assert err.value.code == "RET13506"
    assert not connector.has_session(RECIPIENT)
    with pytest.raises(OtpRequired):
        connector.get_section(RECIPIENT, "b2b")


def test_otp_without_an_otp_request_is_refused(sandbox):
    # The portal sends the OTP only after OTPREQUEST; guessing the demo OTP alone must not log in.
    connector = connect(sandbox)
    with pytest.raises(PortalError) as err:
        connector.authenticate(RECIPIENT, sandbox.otp)
    assert err.value.code == "RET13506"


def test_app_key_under_another_public_key_never_opens_a_session(sandbox):
    _, other_pem = crypto.new_rsa_key_pair()
    connector = connect(sandbox)
    connector._public_key = crypto.load_public_key(other_pem)
    # PKCS#1 v1.5 decryption with the wrong key uses implicit rejection (no padding oracle): it may yield
    # random bytes instead of an error, so the refusal can come at OTPREQUEST (key length) or at
    # AUTHTOKEN (the OTP does not decrypt). Either way no session may open.
    with pytest.raises(PortalError) as err:
        connector.request_otp(RECIPIENT)
        connector.authenticate(RECIPIENT, sandbox.otp)
    assert err.value.code in ("TEC4002", "RET13506")
    assert not connector.has_session(RECIPIENT)


def test_wrong_client_secret_is_refused(sandbox):
    connector = connect(sandbox)
    sandbox.portal.client_secret = "rotated-by-the-gsp"
    with pytest.raises(PortalError) as err:
        connector.request_otp(RECIPIENT)
    assert err.value.code == "AUTH158"
