"""The cryptography of the GSTN taxpayer API (docs/reference/portal-api.md §2.1).

Layers, as the protocol stacks them:

* app key: 32 random bytes made per login, sent RSA-encrypted (PKCS#1 v1.5) with GSTN's public key;
* OTP and refresh: AES-256-ECB/PKCS7 under the app key (OTP) or the session key (app key on refresh);
* ``sek``: the session key, AES-encrypted under the app key in the AUTHTOKEN reply;
* request bodies: JSON -> base64 text -> AES under the session key -> base64 = ``data``; HMAC-SHA256 of the
  same base64 text keyed by the session key = ``hmac``;
* replies: ``rek`` (AES under the session key) gives a per-reply key that decrypts ``data``; the reply's
  HMAC is over the decrypted base64 text keyed by that reply key;
* queued files: the file content is decrypted with the FILEDET ``ek`` the same way.

ECB is what the protocol prescribes, not a choice made here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac as _hmac
import os

from cryptography.hazmat.primitives import padding, serialization
from cryptography.hazmat.primitives.asymmetric import padding as rsa_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.x509 import load_der_x509_certificate, load_pem_x509_certificate

from recon.jsonio import dumps_exact, loads_exact

KEY_BYTES = 32  # AES-256


class CryptoError(Exception):
    """A key, ciphertext or signature that does not fit the protocol (wrong key, tampering, garbage)."""


def new_key() -> bytes:
    """A fresh random AES-256 key (app key, session key, reply key, file key)."""
    return os.urandom(KEY_BYTES)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str | bytes) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (ValueError, TypeError) as err:
        raise CryptoError("not valid base64") from err


# ---------------------------------------------------------------------------------------------------
# AES-256-ECB with PKCS7
# ---------------------------------------------------------------------------------------------------


def aes_encrypt(plain: bytes, key: bytes) -> str:
    """AES-256-ECB/PKCS7 of ``plain`` under ``key``, base64 text."""
    _check_key(key)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return b64(encryptor.update(padded) + encryptor.finalize())


def aes_decrypt(cipher_b64: str | bytes, key: bytes) -> bytes:
    """Inverse of :func:`aes_encrypt`; a wrong key shows up as bad padding -> CryptoError."""
    _check_key(key)
    cipher = unb64(cipher_b64)
    if not cipher or len(cipher) % 16:
        raise CryptoError("ciphertext is not a whole number of AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.ECB()).decryptor()
    padded = decryptor.update(cipher) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError as err:
        raise CryptoError("decryption failed (wrong key or damaged data)") from err


def _check_key(key: bytes) -> None:
    if not isinstance(key, bytes) or len(key) != KEY_BYTES:
        raise CryptoError("an AES-256 key must be 32 bytes")


# ---------------------------------------------------------------------------------------------------
# HMAC-SHA256
# ---------------------------------------------------------------------------------------------------


def hmac_sign(message: bytes, key: bytes) -> str:
    return b64(_hmac.new(key, message, hashlib.sha256).digest())


def hmac_verify(message: bytes, key: bytes, signature_b64: str) -> bool:
    """Constant-time comparison, so a forged signature cannot be found byte by byte."""
    expected = _hmac.new(key, message, hashlib.sha256).digest()
    try:
        given = base64.b64decode(signature_b64 or "", validate=True)
    except (ValueError, TypeError):
        return False
    return _hmac.compare_digest(expected, given)


# ---------------------------------------------------------------------------------------------------
# RSA (the app key under GSTN's public key)
# ---------------------------------------------------------------------------------------------------


def load_public_key(pem_or_der: bytes | str) -> rsa.RSAPublicKey:
    """GSTN hands GSPs a certificate (PEM or DER); a bare public key PEM is accepted too."""
    data = pem_or_der.encode() if isinstance(pem_or_der, str) else pem_or_der
    loaders = (
        lambda d: load_pem_x509_certificate(d).public_key(),
        lambda d: load_der_x509_certificate(d).public_key(),
        serialization.load_pem_public_key,
        serialization.load_der_public_key,
    )
    for loader in loaders:
        try:
            key = loader(data)
        except (ValueError, TypeError):
            continue
        if isinstance(key, rsa.RSAPublicKey):
            return key
    raise CryptoError("the GSTN public key is neither an RSA certificate nor an RSA public key (PEM/DER)")


def rsa_encrypt(plain: bytes, public_key: rsa.RSAPublicKey) -> str:
    return b64(public_key.encrypt(plain, rsa_padding.PKCS1v15()))


def rsa_decrypt(cipher_b64: str, private_key: rsa.RSAPrivateKey) -> bytes:
    try:
        return private_key.decrypt(unb64(cipher_b64), rsa_padding.PKCS1v15())
    except ValueError as err:
        raise CryptoError("RSA decryption failed (wrong public key?)") from err


def new_rsa_key_pair() -> tuple[rsa.RSAPrivateKey, str]:
    """A key pair for the sandbox portal: the private key and its public key as PEM text."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_key, pem.decode("ascii")


# ---------------------------------------------------------------------------------------------------
# Bodies and replies
# ---------------------------------------------------------------------------------------------------


def encode_json(value) -> str:
    """JSON -> base64 text: the plaintext that is encrypted and signed. Decimals keep their digits."""
    return b64(dumps_exact(value).encode("utf-8"))


def decode_json(base64_text: bytes | str):
    try:
        return loads_exact(unb64(base64_text).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise CryptoError("decrypted payload is not base64-encoded JSON") from err


def seal(value, key: bytes) -> tuple[str, str]:
    """Encrypt and sign a JSON value under ``key``: returns (data, hmac)."""
    text = encode_json(value).encode("ascii")
    return aes_encrypt(text, key), hmac_sign(text, key)


def open_sealed(data: str, signature: str | None, key: bytes, *, require_hmac: bool = True):
    """Decrypt ``data`` under ``key``, verify its HMAC and return the JSON value."""
    text = aes_decrypt(data, key)
    if signature is None:
        if require_hmac:
            raise CryptoError("the message carries no HMAC")
    elif not hmac_verify(text, key, signature):
        raise CryptoError("HMAC does not match: the message was altered or signed with another key")
    return decode_json(text)


def seal_reply(value, session_key: bytes) -> dict:
    """A reply as the portal sends it: fresh reply key ``rek`` under the session key, data under rek."""
    reply_key = new_key()
    data, signature = seal(value, reply_key)
    return {"data": data, "rek": aes_encrypt(reply_key, session_key), "hmac": signature}


def open_reply(reply: dict, session_key: bytes):
    """Inverse of :func:`seal_reply`."""
    reply_key = aes_decrypt(reply["rek"], session_key)
    return open_sealed(reply["data"], reply.get("hmac"), reply_key, require_hmac=False)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
