"""crypto.subtle as workerd offers it, checked against published test vectors and against the cryptography
library; JWT verification the way Python Workers do it (HS256, RS256, ES256, EdDSA); workerd's error texts."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

import pyflare.workers.js as js
from pyflare.kernel.jsdict import JsDict
from pyflare.kernel.jserrors import DOMException
from pyflare.workers.pyodide.ffi import to_js

subtle = js.crypto.subtle
Obj = JsDict


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


async def verify_jwt(token: str, key, algorithm) -> dict:
    """What a Python Worker writes to check a JWT with crypto.subtle."""
    head, body, signature = token.split(".")
    ok = await subtle.verify(algorithm, key, to_js(unb64u(signature)), js.TextEncoder.new().encode(f"{head}.{body}"))
    if not ok:
        raise ValueError("bad signature")
    return json.loads(unb64u(body))


async def test_digests_match_the_standard_vectors():
    assert (await subtle.digest("SHA-256", to_js(b"abc"))).to_bytes() == hashlib.sha256(b"abc").digest()
    assert (await subtle.digest(Obj(name="sha-1"), to_js(b""))).to_bytes().hex() == \
        "da39a3ee5e6b4b0d3255bfef95601890afd80709"
    assert (await subtle.digest("MD5", to_js(b""))).to_bytes().hex() == "d41d8cd98f00b204e9800998ecf8427e"
    with pytest.raises(DOMException, match="Unrecognized or unimplemented digest algorithm requested.") as caught:
        await subtle.digest("SHA-3", to_js(b""))
    assert caught.value.name == "NotSupportedError"


async def test_hs256_jwt_verification():
    secret = b"a-shared-secret"
    head, body = b64u(b'{"alg":"HS256","typ":"JWT"}'), b64u(b'{"sub":"ada"}')
    signature = b64u(hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest())
    key = await subtle.importKey("raw", js.TextEncoder.new().encode("a-shared-secret"),
                                 Obj(name="HMAC", hash=Obj(name="SHA-256")), False, ["verify"])
    assert key.type == "secret" and key.algorithm.length == 120 and list(key.usages) == ["verify"]
    assert await verify_jwt(f"{head}.{body}.{signature}", key, "HMAC") == {"sub": "ada"}
    with pytest.raises(ValueError, match="bad signature"):
        await verify_jwt(f"{head}.{body}.{b64u(b'x' * 32)}", key, "HMAC")
    with pytest.raises(DOMException, match='Requested key usage "sign" does not match any usage listed in this '
                                           "CryptoKey."):
        await subtle.sign("HMAC", key, to_js(b"x"))


async def test_rs256_and_ps256_with_keys_from_pkcs8_spki_and_jwk():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pkcs8 = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())
    spki = private.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)
    algorithm = Obj(name="RSASSA-PKCS1-v1_5", hash="SHA-256")
    signing = await subtle.importKey("pkcs8", to_js(pkcs8), algorithm, True, ["sign"])
    verifying = await subtle.importKey("spki", to_js(spki), algorithm, True, ["verify"])
    head, body = b64u(b'{"alg":"RS256"}'), b64u(b'{"iss":"me"}')
    signature = (await subtle.sign("RSASSA-PKCS1-v1_5", signing, to_js(f"{head}.{body}".encode()))).to_bytes()
    private.public_key().verify(signature, f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    assert await verify_jwt(f"{head}.{body}.{b64u(signature)}", verifying, "RSASSA-PKCS1-v1_5") == {"iss": "me"}
    jwk = await subtle.exportKey("jwk", verifying)
    assert jwk.kty == "RSA" and jwk.alg == "RS256" and jwk.e == "AQAB"
    from_jwk = await subtle.importKey("jwk", jwk, algorithm, False, ["verify"])
    assert await subtle.verify("RSASSA-PKCS1-v1_5", from_jwk, to_js(signature), to_js(f"{head}.{body}".encode()))
    pss = Obj(name="RSA-PSS", hash="SHA-256")
    pss_private = await subtle.importKey("pkcs8", to_js(pkcs8), pss, False, ["sign"])
    pss_public = await subtle.importKey("spki", to_js(spki), pss, False, ["verify"])
    pss_signature = await subtle.sign(Obj(name="RSA-PSS", saltLength=32), pss_private, to_js(b"msg"))
    assert await subtle.verify(Obj(name="RSA-PSS", saltLength=32), pss_public, pss_signature, to_js(b"msg"))


async def test_es256_signatures_are_raw_r_and_s_as_web_crypto_has_them():
    pair = await subtle.generateKey(Obj(name="ECDSA", namedCurve="P-256"), True, ["sign", "verify"])
    signature = (await subtle.sign(Obj(name="ECDSA", hash="SHA-256"), pair.privateKey, to_js(b"data"))).to_bytes()
    assert len(signature) == 64
    raw = (await subtle.exportKey("raw", pair.publicKey)).to_bytes()
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    der = utils.encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    public.verify(der, b"data", ec.ECDSA(hashes.SHA256()))
    jwk = await subtle.exportKey("jwk", pair.publicKey)
    imported = await subtle.importKey("jwk", jwk, Obj(name="ECDSA", namedCurve="P-256"), True, ["verify"])
    assert await subtle.verify(Obj(name="ECDSA", hash="SHA-256"), imported, to_js(signature), to_js(b"data"))
    assert not await subtle.verify(Obj(name="ECDSA", hash="SHA-256"), imported, to_js(signature), to_js(b"other"))


async def test_ed25519_matches_rfc_8032_test_1():
    secret = h("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    public = h("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    expected = h("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b4"
                 "6bd25bf5f0595bbe24655141438e7a100b")
    private_key = await subtle.importKey("jwk", Obj(kty="OKP", crv="Ed25519", d=b64u(secret), x=b64u(public)),
                                         "Ed25519", False, ["sign"])
    assert (await subtle.sign("Ed25519", private_key, to_js(b""))).to_bytes() == expected
    public_key = await subtle.importKey("raw", to_js(public), Obj(name="NODE-ED25519", namedCurve="NODE-ED25519"),
                                        False, ["verify"])
    assert await subtle.verify("NODE-ED25519", public_key, to_js(expected), to_js(b""))


async def test_aes_gcm_cbc_ctr_and_kw_match_published_vectors():
    gcm_key = await subtle.importKey("raw", to_js(h("feffe9928665731c6d6a8f9467308308")), "AES-GCM", True,
                                     ["encrypt", "decrypt"])
    plain = h("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b"
              "16aedf5aa0de657ba637b391aafd255")
    sealed = await subtle.encrypt(Obj(name="AES-GCM", iv=to_js(h("cafebabefacedbaddecaf888"))), gcm_key, to_js(plain))
    assert sealed.to_bytes().hex() == (
        "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b3"
        "96a0aac973d58e091473f5985" "4d5c2af327cd64a62cf35abd2ba6fab4")
    opened = await subtle.decrypt(Obj(name="AES-GCM", iv=to_js(h("cafebabefacedbaddecaf888"))), gcm_key, sealed)
    assert opened.to_bytes() == plain
    with pytest.raises(DOMException, match="^Decryption failed.") as caught:
        await subtle.decrypt(Obj(name="AES-GCM", iv=to_js(b"\x00" * 12)), gcm_key, sealed)
    assert caught.value.name == "OperationError"

    ctr_key = await subtle.importKey("raw", to_js(h("2b7e151628aed2a6abf7158809cf4f3c")), "AES-CTR", False,
                                     ["encrypt"])
    out = await subtle.encrypt(Obj(name="AES-CTR", counter=to_js(h("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")), length=64),
                               ctr_key, to_js(h("6bc1bee22e409f96e93d7e117393172a")))
    assert out.to_bytes().hex() == "874d6191b620e3261bef6864990db6ce"

    cbc_key = await subtle.generateKey(Obj(name="AES-CBC", length=256), False, ["encrypt", "decrypt"])
    iv = js.crypto.getRandomValues(js.Uint8Array.new(16))
    cipher = await subtle.encrypt(Obj(name="AES-CBC", iv=iv), cbc_key, to_js(b"sixteen byte msg!"))
    assert cipher.byteLength == 32  # PKCS#7 padding
    assert (await subtle.decrypt(Obj(name="AES-CBC", iv=iv), cbc_key, cipher)).to_bytes() == b"sixteen byte msg!"
    with pytest.raises(DOMException, match=r"AES-CBC IV must be 16 bytes long \(provided 8 bytes\)."):
        await subtle.encrypt(Obj(name="AES-CBC", iv=to_js(b"12345678")), cbc_key, to_js(b"x"))

    kek = await subtle.importKey("raw", to_js(h("000102030405060708090A0B0C0D0E0F")), "AES-KW", False,
                                 ["wrapKey", "unwrapKey"])
    inner = await subtle.importKey("raw", to_js(h("00112233445566778899AABBCCDDEEFF")), "AES-GCM", True, ["encrypt"])
    wrapped = await subtle.wrapKey("raw", inner, kek, "AES-KW")
    assert wrapped.to_bytes().hex().upper() == "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"
    unwrapped = await subtle.unwrapKey("raw", wrapped, kek, "AES-KW", "AES-GCM", True, ["encrypt"])
    assert (await subtle.exportKey("raw", unwrapped)).to_bytes().hex() == "00112233445566778899aabbccddeeff"


async def test_pbkdf2_and_hkdf_match_their_rfc_vectors_and_derive_keys():
    password = await subtle.importKey("raw", to_js(b"password"), "PBKDF2", False, ["deriveBits", "deriveKey"])
    bits = await subtle.deriveBits(Obj(name="PBKDF2", hash="SHA-256", salt=to_js(b"salt"), iterations=1),
                                   password, 256)
    assert bits.to_bytes().hex() == "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"
    with pytest.raises(DOMException, match=r"iteration counts above 100000 are not supported \(requested 100001\)"):
        await subtle.deriveBits(Obj(name="PBKDF2", hash="SHA-256", salt=to_js(b"s"), iterations=100001), password, 8)
    derived = await subtle.deriveKey(Obj(name="PBKDF2", hash="SHA-256", salt=to_js(b"salt"), iterations=2),
                                     password, Obj(name="AES-GCM", length=128), True, ["encrypt"])
    assert derived.algorithm.length == 128 and (await subtle.exportKey("raw", derived)).byteLength == 16

    ikm = await subtle.importKey("raw", to_js(b"\x0b" * 22), "HKDF", False, ["deriveBits"])
    okm = await subtle.deriveBits(Obj(name="HKDF", hash="SHA-256", salt=to_js(h("000102030405060708090a0b0c")),
                                      info=to_js(h("f0f1f2f3f4f5f6f7f8f9"))), ikm, 336)
    assert okm.to_bytes().hex() == ("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887"
                                    "185865")
    with pytest.raises(DOMException, match="HKDF key cannot be extractable."):
        await subtle.importKey("raw", to_js(b"k"), "HKDF", True, ["deriveBits"])


async def test_ecdh_x25519_and_rsa_oaep_round_trips():
    alice = await subtle.generateKey(Obj(name="ECDH", namedCurve="P-384"), False, ["deriveBits"])
    bob = await subtle.generateKey(Obj(name="ECDH", namedCurve="P-384"), False, ["deriveBits"])
    one = await subtle.deriveBits(Obj(name="ECDH", public=bob.publicKey), alice.privateKey, 384)
    two = await subtle.deriveBits(Obj(name="ECDH", public=alice.publicKey), bob.privateKey, 384)
    assert one.to_bytes() == two.to_bytes() and one.byteLength == 48
    x1 = await subtle.generateKey("X25519", False, ["deriveBits"])
    x2 = await subtle.generateKey("X25519", False, ["deriveBits"])
    assert (await subtle.deriveBits(Obj(name="X25519", public=x2.publicKey), x1.privateKey, 256)).to_bytes() == \
        (await subtle.deriveBits(Obj(name="X25519", public=x1.publicKey), x2.privateKey, 256)).to_bytes()
    oaep = await subtle.generateKey(Obj(name="RSA-OAEP", modulusLength=2048,
                                        publicExponent=js.Uint8Array.new([1, 0, 1]), hash="SHA-256"),
                                    False, ["encrypt", "decrypt"])
    sealed = await subtle.encrypt(Obj(name="RSA-OAEP", label=to_js(b"l")), oaep.publicKey, to_js(b"secret"))
    assert (await subtle.decrypt(Obj(name="RSA-OAEP", label=to_js(b"l")), oaep.privateKey, sealed)).to_bytes() \
        == b"secret"


async def test_key_errors_are_workerds():
    key = await subtle.generateKey(Obj(name="HMAC", hash="SHA-256"), False, ["sign"])
    assert key.algorithm.length == 512
    with pytest.raises(DOMException, match="Attempt to export non-extractable HMAC key.") as caught:
        await subtle.exportKey("raw", key)
    assert caught.value.name == "InvalidAccessError"
    with pytest.raises(DOMException, match='Attempt to import secret HMAC key with invalid usage "encrypt".'):
        await subtle.importKey("raw", to_js(b"k"), Obj(name="HMAC", hash="SHA-256"), False, ["encrypt"])
    with pytest.raises(DOMException, match='Requested algorithm "AES-GCM" does not match this CryptoKey\'s '
                                           'algorithm "HMAC".'):
        await subtle.encrypt(Obj(name="AES-GCM", iv=to_js(b"1" * 12)), key, to_js(b"x"))
    with pytest.raises(DOMException, match="Secret/private CryptoKeys must have at least one usage."):
        await subtle.importKey("raw", to_js(b"k" * 16), "AES-GCM", False, [])
    with pytest.raises(TypeError, match='Missing field "hash" in "algorithm".'):
        await subtle.importKey("raw", to_js(b"k"), "HMAC", False, ["sign"])
    assert subtle.timingSafeEqual(to_js(b"ab"), to_js(b"ab")) is True
    with pytest.raises(TypeError, match="Input buffers must have the same byte length."):
        subtle.timingSafeEqual(to_js(b"a"), to_js(b"ab"))


async def test_random_values_uuid_and_digest_stream():
    view = js.crypto.getRandomValues(js.Uint32Array.new(4))
    assert len(view) == 4 and any(view)
    with pytest.raises(DOMException, match=r"only accepts buffers of size <= 64K but provided 65537 bytes"):
        js.crypto.getRandomValues(js.Uint8Array.new(65537))
    with pytest.raises(DOMException, match="must be an integer-typed view"):
        js.crypto.getRandomValues(js.Float32Array.new(1))
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                        js.crypto.randomUUID())
    stream = js.crypto.DigestStream.new("SHA-256")
    writer = stream.getWriter()
    await writer.write(to_js(b"ab"))
    await writer.write(js.TextEncoder.new().encode("c"))
    await writer.close()
    assert (await stream.digest).to_bytes() == hashlib.sha256(b"abc").digest() and stream.bytesWritten == 3
    crc = js.crypto.DigestStream.new("crc32c")
    crc_writer = crc.getWriter()
    await crc_writer.write(to_js(b"123456789"))
    await crc_writer.close()
    assert (await crc.digest).to_bytes().hex() == "e3069283"  # the CRC-32C check value
