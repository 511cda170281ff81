"""``crypto``: ``getRandomValues``, ``randomUUID``, ``DigestStream`` and ``crypto.subtle`` (Web Crypto) as
workerd implements them, on the ``cryptography`` library (imported when a key operation first needs it).

``crypto.subtle`` offers workerd's algorithms: digests SHA-1/256/384/512 and MD5; HMAC; AES-GCM, AES-CBC,
AES-CTR, AES-KW; PBKDF2 and HKDF; RSASSA-PKCS1-v1_5, RSA-PSS, RSA-OAEP; ECDSA and ECDH on P-256/384/521;
Ed25519 (also as ``NODE-ED25519``) and X25519. Keys import and export as ``raw``, ``pkcs8``, ``spki`` and
``jwk`` where the algorithm allows; ``generateKey``, ``sign``/``verify``, ``encrypt``/``decrypt``,
``deriveBits``/``deriveKey``, ``wrapKey``/``unwrapKey``, and workerd's ``timingSafeEqual``. Errors are the
DOMExceptions and TypeErrors workerd raises, with its texts. Each method returns a promise (await it).

Algorithm parameters are objects (``to_js({...}, dict_converter=Object.fromEntries)``) or names; pyflare also
takes a plain dict and ``bytes`` where JavaScript wants a BufferSource (Pyodide would not).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import uuid
import zlib
from collections.abc import Callable
from typing import Any

from pyflare.kernel.jsdict import JsDict, field
from pyflare.kernel.jserrors import DOMException
from pyflare.kernel.jsobjects import ArrayBuffer, JsArray, JsProxy, TypedArray, as_bytes
from pyflare.kernel.jspromise import JsPromise
from pyflare.workers._writable import WritableStream

__all__ = ["Crypto", "CryptoKey", "DigestStream", "SubtleCrypto", "crypto"]

PBKDF2_MAX_ITERATIONS = 100_000
DECRYPTION_FAILED = ("Decryption failed. This could be due to a ciphertext authentication failure, bad padding, "
                     "incorrect CryptoKey, or another algorithm-specific reason.")
DIGESTS = {"SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512", "MD5": "md5"}
_BLOCK_BITS = {"SHA-1": 512, "SHA-256": 512, "SHA-384": 1024, "SHA-512": 1024, "MD5": 512}
_CURVES = {"P-256": ("secp256r1", 32), "P-384": ("secp384r1", 48), "P-521": ("secp521r1", 66)}
_CANONICAL = {name.upper(): name for name in (
    "AES-CTR", "AES-CBC", "AES-GCM", "AES-KW", "HMAC", "PBKDF2", "HKDF", "RSASSA-PKCS1-v1_5", "RSA-PSS",
    "RSA-OAEP", "ECDSA", "ECDH", "NODE-ED25519", "Ed25519", "X25519", "RSA-RAW", *DIGESTS)}
_USAGES = {
    "AES-CTR": ("encrypt", "decrypt", "wrapKey", "unwrapKey"), "AES-CBC": ("encrypt", "decrypt", "wrapKey", "unwrapKey"),
    "AES-GCM": ("encrypt", "decrypt", "wrapKey", "unwrapKey"), "AES-KW": ("wrapKey", "unwrapKey"),
    "HMAC": ("sign", "verify"), "PBKDF2": ("deriveKey", "deriveBits"), "HKDF": ("deriveKey", "deriveBits"),
    "RSASSA-PKCS1-v1_5": ("sign", "verify"), "RSA-PSS": ("sign", "verify"),
    "RSA-OAEP": ("encrypt", "decrypt", "wrapKey", "unwrapKey"), "ECDSA": ("sign", "verify"),
    "ECDH": ("deriveKey", "deriveBits"), "Ed25519": ("sign", "verify"), "NODE-ED25519": ("sign", "verify"),
    "X25519": ("deriveKey", "deriveBits"),
}
# usages a public / private key of an asymmetric algorithm may have
_PUBLIC_USAGES = {"sign": False, "verify": True, "encrypt": True, "decrypt": False, "wrapKey": True,
                  "unwrapKey": False, "deriveKey": False, "deriveBits": False}


def _err(name: str, message: str) -> DOMException:
    return DOMException(message, name)


def _c() -> Any:
    """The ``cryptography`` primitives (imported on first use, keeping worker start-up light)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils, x25519
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, aes_key_wrap

    return JsDict(hashes=hashes, serialization=serialization, ec=ec, ed25519=ed25519, padding=padding, rsa=rsa,
                  utils=utils, x25519=x25519, Cipher=Cipher, algorithms=algorithms, modes=modes, AESGCM=AESGCM,
                  HKDF=HKDF, aes_key_wrap=aes_key_wrap, aes_key_unwrap=aes_key_unwrap)


def _hash(name: str) -> Any:
    return getattr(_c().hashes, {"SHA-1": "SHA1", "SHA-256": "SHA256", "SHA-384": "SHA384", "SHA-512": "SHA512",
                                 "MD5": "MD5"}[name])()


# -- arguments --------------------------------------------------------------------------------------
def _data(value: Any, what: str = "data") -> bytes:
    found = as_bytes(value)
    if found is None:
        raise TypeError(f"Failed to execute: parameter {what} is not of type 'ArrayBuffer or ArrayBufferView'.")
    return found


def _algorithm(param: Any) -> JsDict:
    """An algorithm parameter as an object with its canonical ``name``."""
    if isinstance(param, str):
        param = JsDict(name=param)
    name = field(param, "name")
    if name is None:
        raise TypeError('Missing field "name" in "algorithm".')
    out = JsDict(param) if isinstance(param, dict) else JsDict(
        (k, getattr(param, k)) for k in dir(param) if not k.startswith("_"))
    out["name"] = _CANONICAL.get(str(name).upper(), str(name))
    return out


def _hash_name(param: Any, what: str = "algorithm") -> str:
    value = field(param, "hash")
    if value is None:
        raise TypeError(f'Missing field "hash" in "{what}".')
    name = value if isinstance(value, str) else field(value, "name")
    canonical = _CANONICAL.get(str(name).upper())
    if canonical not in DIGESTS:
        raise _err("NotSupportedError", "Unrecognized or unimplemented digest algorithm requested.")
    return canonical


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64u(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise _err("DataError", f"Invalid or missing field \"{what}\" in JSON Web Key.")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise _err("DataError", f"Invalid base64url value in field \"{what}\" of the JSON Web Key.") from None


def _int_bytes(n: int, size: int | None = None) -> bytes:
    return n.to_bytes(size or max(1, (n.bit_length() + 7) // 8), "big")


# -- keys ---------------------------------------------------------------------------------------------
class CryptoKey(JsProxy):
    """A key of ``crypto.subtle``: ``type``, ``extractable``, ``algorithm``, ``usages``."""

    js_type = "CryptoKey"

    def __init__(self, kind: str, algorithm: JsDict, extractable: bool, usages: list[str], material: Any) -> None:
        self.type = kind
        self.algorithm = algorithm
        self.extractable = bool(extractable)
        self.usages = JsArray(u for u in ("encrypt", "decrypt", "sign", "verify", "deriveKey", "deriveBits",
                                          "wrapKey", "unwrapKey") if u in usages)
        self._material = material

    @classmethod
    def new(cls, *_: Any) -> Any:
        raise TypeError("Illegal constructor")

    @property
    def _name(self) -> str:
        return self.algorithm["name"]

    def __repr__(self) -> str:
        return f"CryptoKey {{ type: {self.type!r}, algorithm: {self._name!r}, extractable: {self.extractable} }}"


def _check_usages(name: str, usages: Any, allowed: tuple[str, ...] | list[str], context: str) -> list[str]:
    usages = [str(u) for u in (usages or [])]
    for usage in usages:
        if usage not in allowed:
            raise _err("SyntaxError", f'Attempt to {context} {name} key with invalid usage "{usage}".')
    return usages


def _validate(key: Any, name: str, usage: str) -> None:
    if not isinstance(key, CryptoKey):
        raise TypeError("Failed to execute: parameter key is not of type 'CryptoKey'.")
    if name.upper() != key._name.upper():
        raise _err("InvalidAccessError", f'Requested algorithm "{name}" does not match this CryptoKey\'s '
                                         f'algorithm "{key._name}".')
    if usage not in key.usages:
        raise _err("InvalidAccessError", f'Requested key usage "{usage}" does not match any usage listed in '
                                         "this CryptoKey.")


def _secret_usages_required(key: CryptoKey) -> CryptoKey:
    if key.type in ("secret", "private") and not key.usages:
        raise _err("SyntaxError", "Secret/private CryptoKeys must have at least one usage.")
    return key


# -- import ---------------------------------------------------------------------------------------------
def _import(fmt: str, data: Any, algorithm: JsDict, extractable: bool, usages: Any) -> CryptoKey:
    name = algorithm["name"]
    if fmt not in ("raw", "pkcs8", "spki", "jwk"):
        raise _err("NotSupportedError", f'Unrecognized key import format "{fmt}".')
    if fmt == "jwk":
        if not isinstance(data, dict):
            raise TypeError("Import data provided for \"jwk\" import format must be a JsonWebKey.")
        ext = data.get("ext")
        if ext is False and extractable:
            raise _err("DataError", f'JWK ext field for "{name}" is set to false but extractable is true')
    elif as_bytes(data) is None:
        raise TypeError(f"Import data provided for \"{fmt}\" import format must be a buffer source.")
    if name in ("HMAC",):
        return _import_hmac(fmt, data, algorithm, extractable, usages)
    if name.startswith("AES-"):
        return _import_aes(fmt, data, algorithm, extractable, usages)
    if name in ("PBKDF2", "HKDF"):
        if fmt != "raw":
            raise _err("NotSupportedError", f'Unrecognized key import format "{fmt}".')
        if extractable:
            raise _err("SyntaxError", f"{name} key cannot be extractable.")
        usages = _check_usages(name, usages, _USAGES[name], "import secret")
        return CryptoKey("secret", JsDict(name=name), False, usages, _data(data))
    if name in ("RSASSA-PKCS1-v1_5", "RSA-PSS", "RSA-OAEP"):
        return _import_rsa(fmt, data, algorithm, extractable, usages)
    if name in ("ECDSA", "ECDH"):
        return _import_ec(fmt, data, algorithm, extractable, usages)
    if name in ("Ed25519", "NODE-ED25519", "X25519"):
        return _import_okp(fmt, data, algorithm, extractable, usages)
    if name == "RSA-RAW":
        raise _err("NotSupportedError", "RSA-RAW (workerd's blind-signing algorithm) is not available in pyflare")
    raise _err("NotSupportedError", f'Unrecognized key import algorithm "{name}" requested.')


def _import_hmac(fmt: str, data: Any, algorithm: JsDict, extractable: bool, usages: Any) -> CryptoKey:
    usages = _check_usages("HMAC", usages, _USAGES["HMAC"], "import secret")
    hash_name = _hash_name(algorithm)
    if fmt == "raw":
        secret = _data(data)
    elif fmt == "jwk":
        if data.get("kty") != "oct":
            raise _err("DataError", "HMAC \"jwk\" key import requires a JSON Web Key with Key Type parameter "
                                    "\"kty\" equal to \"oct\" (encountered \"{}\").".format(data.get("kty")))
        secret = _unb64u(data.get("k"), "k")
    else:
        raise _err("NotSupportedError", f'Unrecognized key import format "{fmt}".')
    length = field(algorithm, "length")
    if length is None:
        length = len(secret) * 8
    elif not len(secret) * 8 - 8 < int(length) <= len(secret) * 8:
        raise _err("DataError", f"Imported HMAC key length ({length}) must be a non-zero value that does not "
                                f"exceed the imported key's length ({len(secret) * 8}) and is within 7 bits of it.")
    if not secret:
        raise _err("DataError", "HMAC key length must be a non-zero unsigned long integer.")
    return CryptoKey("secret", JsDict(name="HMAC", hash=JsDict(name=hash_name), length=int(length)), extractable,
                     usages, secret)


def _import_aes(fmt: str, data: Any, algorithm: JsDict, extractable: bool, usages: Any) -> CryptoKey:
    name = algorithm["name"]
    usages = _check_usages(name, usages, _USAGES[name], "import secret")
    if fmt == "raw":
        secret = _data(data)
    elif fmt == "jwk":
        if data.get("kty") != "oct":
            raise _err("DataError", f'{name} "jwk" key import requires a JSON Web Key with Key Type parameter '
                                    f'"kty" equal to "oct" (encountered "{data.get("kty")}").')
        secret = _unb64u(data.get("k"), "k")
    else:
        raise _err("NotSupportedError", f'Unrecognized key import format "{fmt}".')
    if len(secret) not in (16, 24, 32):
        raise _err("DataError", f"Imported AES key length must be 128, 192, or 256 bits but provided "
                                f"{len(secret) * 8}.")
    return CryptoKey("secret", JsDict(name=name, length=len(secret) * 8), extractable, usages, secret)


def _asymmetric_usages(name: str, usages: Any, public: bool, fmt: str) -> list[str]:
    allowed = [u for u in _USAGES[name] if _PUBLIC_USAGES.get(u, False) == public]
    if name in ("ECDH", "X25519") and public:
        allowed = []
    return _check_usages(name, usages, allowed, "import public" if public else "import private")


def _import_rsa(fmt: str, data: Any, algorithm: JsDict, extractable: bool, usages: Any) -> CryptoKey:
    c = _c()
    name = algorithm["name"]
    hash_name = _hash_name(algorithm)
    ser = c.serialization
    try:
        if fmt == "spki":
            key = ser.load_der_public_key(_data(data))
        elif fmt == "pkcs8":
            key = ser.load_der_private_key(_data(data), password=None)
        elif fmt == "jwk":
            key = _rsa_from_jwk(data)
        else:
            raise _err("NotSupportedError", f'Unrecognized key import format "{fmt}".')
    except (ValueError, TypeError) as exc:
        if isinstance(exc, DOMException):
            raise
        raise _err("DataError", f"Invalid {fmt.upper()} input.") from None
    if not isinstance(key, (c.rsa.RSAPublicKey, c.rsa.RSAPrivateKey)):
        raise _err("DataError", "Input was not an RSA key")
    public = isinstance(key, c.rsa.RSAPublicKey)
    usages = _asymmetric_usages(name, usages, public, fmt)
    numbers = key.public_numbers() if public else key.public_key().public_numbers()
    alg = JsDict(name=name, modulusLength=key.key_size, publicExponent=_exponent(numbers.e),
                 hash=JsDict(name=hash_name))
    return CryptoKey("public" if public else "private", alg, extractable, usages, key)


def _exponent(e: int) -> TypedArray:
    from pyflare.kernel.jsobjects import Uint8Array

    return Uint8Array(_int_bytes(e))


def _rsa_from_jwk(jwk: dict[str, Any]) -> Any:
    rsa = _c().rsa
    if jwk.get("kty") != "RSA":
        raise _err("DataError", "RSA \"jwk\" key import requires a JSON Web Key with Key Type parameter \"kty\" "
                                f"equal to \"RSA\" (encountered \"{jwk.get('kty')}\").")
    n = int.from_bytes(_unb64u(jwk.get("n"), "n"), "big")
    e = int.from_bytes(_unb64u(jwk.get("e"), "e"), "big")
    public = rsa.RSAPublicNumbers(e, n)
    if "d" not in jwk:
        return public.public_key()
    d = int.from_bytes(_unb64u(jwk["d"], "d"), "big")
    if all(k in jwk for k in ("p", "q", "dp", "dq", "qi")):
        p, q = (int.from_bytes(_unb64u(jwk[k], k), "big") for k in ("p", "q"))
        dp, dq, qi = (int.from_bytes(_unb64u(jwk[k], k), "big") for k in ("dp", "dq", "qi"))
    else:
        p, q = rsa.rsa_recover_prime_factors(n, e, d)
        dp, dq, qi = rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q)
    return rsa.RSAPrivateNumbers(p, q, d, dp, dq, qi, public).private_key()


def _curve(algorithm: JsDict) -> str:
    curve = field(algorithm, "namedCurve")
    if curve is None:
        raise TypeError('Missing field "namedCurve" in "algorithm".')
    if curve not in _CURVES:
        raise _err("NotSupportedError", f'Unrecognized or unimplemented EC curve "{curve}" requested.')
    return curve


def _import_ec(fmt: str, data: Any, algorithm: JsDict, extractable: bool, usages: Any) -> CryptoKey:
    c = _c()
    name = algorithm["name"]
    curve = _curve(algorithm)
    curve_class = getattr(c.ec, _CURVES[curve][0].upper())
    ser = c.serialization
    try:
        if fmt == "raw":
            key = c.ec.EllipticCurvePublicKey.from_encoded_point(curve_class(), _data(data))
        elif fmt == "spki":
            key = ser.load_der_public_key(_data(data))
        elif fmt == "pkcs8":
            key = ser.load_der_private_key(_data(data), password=None)
        else:
            key = _ec_from_jwk(data, curve)
    except (ValueError, TypeError) as exc:
        if isinstance(exc, DOMException):
            raise
        raise _err("DataError", "Invalid raw EC key provided." if fmt == "raw" else f"Invalid {fmt.upper()} input.") \
            from None
    if not isinstance(key, (c.ec.EllipticCurvePublicKey, c.ec.EllipticCurvePrivateKey)):
        raise _err("DataError", "Input was not an EC key")
    if key.curve.name != _CURVES[curve][0]:
        raise _err("DataError", f"Imported EC key is not of curve {curve}.")
    public = isinstance(key, c.ec.EllipticCurvePublicKey)
    usages = _asymmetric_usages(name, usages, public, fmt)
    return CryptoKey("public" if public else "private", JsDict(name=name, namedCurve=curve), extractable, usages, key)


def _ec_from_jwk(jwk: dict[str, Any], curve: str) -> Any:
    ec = _c().ec
    if jwk.get("kty") != "EC":
        raise _err("DataError", "Invalid EC key in JSON Web Key; missing or invalid Key Type parameter (\"kty\").")
    if jwk.get("crv") != curve:
        raise _err("DataError", f'Missing field "crv" for {curve} key.' if "crv" not in jwk else
                   f"Invalid EC key in JSON Web Key; \"crv\" is \"{jwk.get('crv')}\", not \"{curve}\".")
    curve_class = getattr(ec, _CURVES[curve][0].upper())
    x = int.from_bytes(_unb64u(jwk.get("x"), "x"), "big")
    y = int.from_bytes(_unb64u(jwk.get("y"), "y"), "big")
    public = ec.EllipticCurvePublicNumbers(x, y, curve_class())
    if "d" not in jwk:
        return public.public_key()
    d = int.from_bytes(_unb64u(jwk["d"], "d"), "big")
    return ec.EllipticCurvePrivateNumbers(d, public).private_key()


def _okp_name(algorithm: JsDict) -> str:
    name = algorithm["name"]
    if name == "NODE-ED25519":
        curve = field(algorithm, "namedCurve")
        if curve is None:
            raise TypeError('Missing field "namedCurve" in "algorithm".')
        if curve != "NODE-ED25519":
            raise _err("NotSupportedError", f'Only NODE-ED25519 is supported but "{curve}" was requested.')
    return name


def _import_okp(fmt: str, data: Any, algorithm: JsDict, extractable: bool, usages: Any) -> CryptoKey:
    c = _c()
    name = _okp_name(algorithm)
    x25519 = name == "X25519"
    module = c.x25519 if x25519 else c.ed25519
    public_cls = module.X25519PublicKey if x25519 else module.Ed25519PublicKey
    private_cls = module.X25519PrivateKey if x25519 else module.Ed25519PrivateKey
    curve = "X25519" if x25519 else "Ed25519"
    ser = c.serialization
    try:
        if fmt == "raw":
            raw = _data(data)
            if len(raw) != 32:
                raise _err("DataError", f"Invalid length {len(raw)} for public key")
            key = public_cls.from_public_bytes(raw)
        elif fmt == "spki":
            key = ser.load_der_public_key(_data(data))
        elif fmt == "pkcs8":
            key = ser.load_der_private_key(_data(data), password=None)
        else:
            if data.get("kty") != "OKP" or data.get("crv") != curve:
                raise _err("DataError", f"Invalid {curve} key in JSON Web Key.")
            if "d" in data:
                key = private_cls.from_private_bytes(_unb64u(data["d"], "d"))
            else:
                key = public_cls.from_public_bytes(_unb64u(data.get("x"), "x"))
    except ValueError as exc:
        if isinstance(exc, DOMException):
            raise
        raise _err("DataError", f"Invalid {fmt.upper()} input.") from None
    if not isinstance(key, (public_cls, private_cls)):
        raise _err("DataError", f"Input was not an {curve} key")
    public = isinstance(key, public_cls)
    usages = _asymmetric_usages(name, usages, public, fmt)
    alg = JsDict(name=name, namedCurve="NODE-ED25519") if name == "NODE-ED25519" else JsDict(name=name)
    return CryptoKey("public" if public else "private", alg, extractable, usages, key)


# -- export ---------------------------------------------------------------------------------------------
def _export(fmt: str, key: CryptoKey) -> Any:
    if not isinstance(key, CryptoKey):
        raise TypeError("Failed to execute 'exportKey': parameter 2 is not of type 'CryptoKey'.")
    if not key.extractable:
        raise _err("InvalidAccessError", f"Attempt to export non-extractable {key._name} key.")
    name = key._name
    if fmt not in ("raw", "pkcs8", "spki", "jwk"):
        raise _err("NotSupportedError", f'Unrecognized key export format "{fmt}".')
    if key.type == "secret":
        secret = key._material
        if fmt == "raw":
            return ArrayBuffer(secret)
        if fmt == "jwk" and name != "PBKDF2" and name != "HKDF":
            jwk = JsDict(kty="oct", k=_b64u(secret), key_ops=JsArray(key.usages), ext=key.extractable)
            alg = _jwk_alg(key)
            if alg:
                jwk["alg"] = alg
            return jwk
        raise _err("InvalidAccessError", f'Cannot export "{name}" in "{fmt}" format.')
    c = _c()
    ser = c.serialization
    material = key._material
    if fmt == "spki":
        if key.type != "public":
            raise _err("InvalidAccessError", "Asymmetric \"spki\" export requires public key.")
        return ArrayBuffer(material.public_bytes(ser.Encoding.DER, ser.PublicFormat.SubjectPublicKeyInfo))
    if fmt == "pkcs8":
        if key.type != "private":
            raise _err("InvalidAccessError", "Asymmetric \"pkcs8\" export requires private key.")
        return ArrayBuffer(material.private_bytes(ser.Encoding.DER, ser.PrivateFormat.PKCS8, ser.NoEncryption()))
    if fmt == "raw":
        if key.type != "public":
            raise _err("InvalidAccessError", f'Cannot export "{name}" in "raw" format.')
        if name in ("ECDSA", "ECDH"):
            return ArrayBuffer(material.public_bytes(ser.Encoding.X962, ser.PublicFormat.UncompressedPoint))
        if name in ("Ed25519", "NODE-ED25519", "X25519"):
            return ArrayBuffer(material.public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw))
        raise _err("InvalidAccessError", f'Cannot export "{name}" in "raw" format.')
    return _export_jwk(key)


def _jwk_alg(key: CryptoKey) -> str | None:
    name = key._name
    if name == "HMAC":
        return "HS" + key.algorithm["hash"]["name"].split("-")[1] if key.algorithm["hash"]["name"] != "MD5" else None
    if name.startswith("AES-"):
        return f"A{key.algorithm['length']}{name.split('-')[1]}"
    return None


def _export_jwk(key: CryptoKey) -> JsDict:
    c = _c()
    material, name = key._material, key._name
    jwk = JsDict(key_ops=JsArray(key.usages), ext=key.extractable)
    if name in ("RSASSA-PKCS1-v1_5", "RSA-PSS", "RSA-OAEP"):
        public = material.public_numbers() if key.type == "public" else material.public_key().public_numbers()
        jwk.update(kty="RSA", n=_b64u(_int_bytes(public.n)), e=_b64u(_int_bytes(public.e)))
        if key.type == "private":
            private = material.private_numbers()
            jwk.update(d=_b64u(_int_bytes(private.d)), p=_b64u(_int_bytes(private.p)),
                       q=_b64u(_int_bytes(private.q)), dp=_b64u(_int_bytes(private.dmp1)),
                       dq=_b64u(_int_bytes(private.dmq1)), qi=_b64u(_int_bytes(private.iqmp)))
        bits = key.algorithm["hash"]["name"].split("-")[-1]
        jwk["alg"] = {"RSASSA-PKCS1-v1_5": f"RS{bits}", "RSA-PSS": f"PS{bits}",
                      "RSA-OAEP": "RSA-OAEP" if bits == "1" else f"RSA-OAEP-{bits}"}[name]
    elif name in ("ECDSA", "ECDH"):
        curve = key.algorithm["namedCurve"]
        size = _CURVES[curve][1]
        public = material.public_numbers() if key.type == "public" else material.public_key().public_numbers()
        jwk.update(kty="EC", crv=curve, x=_b64u(_int_bytes(public.x, size)), y=_b64u(_int_bytes(public.y, size)))
        if key.type == "private":
            jwk["d"] = _b64u(_int_bytes(material.private_numbers().private_value, size))
    else:
        ser = c.serialization
        public_key = material if key.type == "public" else material.public_key()
        jwk.update(kty="OKP", crv="X25519" if name == "X25519" else "Ed25519",
                   x=_b64u(public_key.public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw)))
        if key.type == "private":
            jwk["d"] = _b64u(material.private_bytes(ser.Encoding.Raw, ser.PrivateFormat.Raw, ser.NoEncryption()))
        if name != "X25519":
            jwk["alg"] = "EdDSA"
    return jwk


# -- generate -------------------------------------------------------------------------------------------
def _generate(algorithm: JsDict, extractable: bool, usages: Any) -> Any:
    name = algorithm["name"]
    if name == "HMAC":
        usages = _check_usages(name, usages, _USAGES[name], "generate")
        hash_name = _hash_name(algorithm)
        length = field(algorithm, "length")
        length = _BLOCK_BITS[hash_name] if length is None else int(length)
        if length <= 0:
            raise TypeError("HMAC key length must be a non-zero unsigned long integer.")
        secret = bytearray(os.urandom((length + 7) // 8))
        if length % 8:
            secret[-1] &= (0xFF << (8 - length % 8)) & 0xFF
        return _secret_usages_required(CryptoKey("secret", JsDict(name="HMAC", hash=JsDict(name=hash_name),
                                                                  length=length), extractable, usages, bytes(secret)))
    if name.startswith("AES-"):
        usages = _check_usages(name, usages, _USAGES[name], "generate")
        length = field(algorithm, "length")
        if length is None:
            raise TypeError('Missing field "length" in "algorithm".')
        if int(length) not in (128, 192, 256):
            raise _err("OperationError", f"Generated AES key length must be 128, 192, or 256 bits but "
                                         f"requested {length}.")
        return _secret_usages_required(CryptoKey("secret", JsDict(name=name, length=int(length)), extractable,
                                                 usages, os.urandom(int(length) // 8)))
    c = _c()
    if name in ("RSASSA-PKCS1-v1_5", "RSA-PSS", "RSA-OAEP"):
        hash_name = _hash_name(algorithm)
        modulus = field(algorithm, "modulusLength")
        if modulus is None:
            raise TypeError('Missing field "modulusLength" in "algorithm".')
        if int(modulus) % 128:
            raise _err("OperationError", "Can't generate key: RSA key size is required to be a multiple of 128")
        exponent_bytes = _data(field(algorithm, "publicExponent", b"\x01\x00\x01"), "publicExponent")
        exponent = int.from_bytes(exponent_bytes, "big")
        if exponent not in (3, 65537):
            raise _err("OperationError", "The \"publicExponent\" must be either 3 or 65537")
        usages = _check_usages(name, usages, _USAGES[name], "generate")
        private = c.rsa.generate_private_key(public_exponent=exponent, key_size=int(modulus))
        alg = JsDict(name=name, modulusLength=int(modulus), publicExponent=_exponent(exponent),
                     hash=JsDict(name=hash_name))
        return _pair(alg, extractable, usages, private, private.public_key())
    if name in ("ECDSA", "ECDH"):
        curve = _curve(algorithm)
        usages = _check_usages(name, usages, _USAGES[name], "generate")
        private = c.ec.generate_private_key(getattr(c.ec, _CURVES[curve][0].upper())())
        return _pair(JsDict(name=name, namedCurve=curve), extractable, usages, private, private.public_key())
    if name in ("Ed25519", "NODE-ED25519", "X25519"):
        name = _okp_name(algorithm)
        usages = _check_usages(name, usages, _USAGES[name], "generate")
        private = (c.x25519.X25519PrivateKey if name == "X25519" else c.ed25519.Ed25519PrivateKey).generate()
        alg = JsDict(name=name, namedCurve="NODE-ED25519") if name == "NODE-ED25519" else JsDict(name=name)
        return _pair(alg, extractable, usages, private, private.public_key())
    raise _err("NotSupportedError", f'Unrecognized key generation algorithm "{name}" requested.')


def _pair(alg: JsDict, extractable: bool, usages: list[str], private: Any, public: Any) -> JsDict:
    public_usages = [u for u in usages if _PUBLIC_USAGES.get(u, False)]
    private_usages = [u for u in usages if not _PUBLIC_USAGES.get(u, False)]
    if not private_usages:
        raise _err("SyntaxError", "Attempt to generate asymmetric keys with no valid private key usages.")
    return JsDict(publicKey=CryptoKey("public", alg, True, public_usages, public),
                  privateKey=CryptoKey("private", JsDict(alg), extractable, private_usages, private))


# -- sign / verify ----------------------------------------------------------------------------------------
def _sign(algorithm: JsDict, key: CryptoKey, data: bytes) -> bytes:
    name = algorithm["name"]
    _validate(key, name, "sign")
    if name == "HMAC":
        return hmac.new(key._material, data, DIGESTS[key.algorithm["hash"]["name"]]).digest()
    c = _c()
    material = key._material
    if name == "RSASSA-PKCS1-v1_5":
        return material.sign(data, c.padding.PKCS1v15(), _hash(key.algorithm["hash"]["name"]))
    if name == "RSA-PSS":
        salt = field(algorithm, "saltLength")
        if salt is None:
            raise TypeError('Missing field "saltLength" in "algorithm".')
        if int(salt) < 0:
            raise _err("DataError", f"SaltLength for RSA-PSS must be non-negative (provided {salt}).")
        hash_obj = _hash(key.algorithm["hash"]["name"])
        return material.sign(data, c.padding.PSS(c.padding.MGF1(hash_obj), int(salt)), hash_obj)
    if name == "ECDSA":
        hash_obj = _hash(_hash_name(algorithm))
        der = material.sign(data, c.ec.ECDSA(hash_obj))
        r, s = c.utils.decode_dss_signature(der)
        size = _CURVES[key.algorithm["namedCurve"]][1]
        return _int_bytes(r, size) + _int_bytes(s, size)
    if name in ("Ed25519", "NODE-ED25519"):
        return material.sign(data)
    raise _err("NotSupportedError", f'Unrecognized signature algorithm "{name}" requested.')


def _verify(algorithm: JsDict, key: CryptoKey, signature: bytes, data: bytes) -> bool:
    name = algorithm["name"]
    _validate(key, name, "verify")
    if name == "HMAC":
        expected = hmac.new(key._material, data, DIGESTS[key.algorithm["hash"]["name"]]).digest()
        return hmac.compare_digest(expected, signature)
    from cryptography.exceptions import InvalidSignature

    c = _c()
    material = key._material
    try:
        if name == "RSASSA-PKCS1-v1_5":
            material.verify(signature, data, c.padding.PKCS1v15(), _hash(key.algorithm["hash"]["name"]))
        elif name == "RSA-PSS":
            salt = field(algorithm, "saltLength")
            if salt is None:
                raise TypeError('Missing field "saltLength" in "algorithm".')
            hash_obj = _hash(key.algorithm["hash"]["name"])
            material.verify(signature, data, c.padding.PSS(c.padding.MGF1(hash_obj), int(salt)), hash_obj)
        elif name == "ECDSA":
            size = _CURVES[key.algorithm["namedCurve"]][1]
            if len(signature) != 2 * size:
                return False
            r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
            material.verify(c.utils.encode_dss_signature(r, s), data, c.ec.ECDSA(_hash(_hash_name(algorithm))))
        elif name in ("Ed25519", "NODE-ED25519"):
            material.verify(signature, data)
        else:
            raise _err("NotSupportedError", f'Unrecognized signature algorithm "{name}" requested.')
    except InvalidSignature:
        return False
    return True


# -- encrypt / decrypt ------------------------------------------------------------------------------------
def _aes(algorithm: JsDict, key: CryptoKey, data: bytes, encrypt: bool) -> bytes:
    c = _c()
    name, secret = algorithm["name"], key._material
    if name == "AES-GCM":
        iv = field(algorithm, "iv")
        if iv is None:
            raise TypeError('Missing field "iv" in "algorithm".')
        iv = _data(iv, "iv")
        if not iv:
            raise _err("OperationError", "AES-GCM IV must not be empty.")
        tag_length = int(field(algorithm, "tagLength", 128))
        if tag_length not in (32, 64, 96, 104, 112, 120, 128):
            raise _err("OperationError", f"Invalid AES-GCM tag length {tag_length}.")
        aad = field(algorithm, "additionalData")
        aad = _data(aad, "additionalData") if aad is not None else None
        tag_bytes = tag_length // 8
        if encrypt:
            encryptor = c.Cipher(c.algorithms.AES(secret), c.modes.GCM(iv)).encryptor()
            if aad:
                encryptor.authenticate_additional_data(aad)
            out = encryptor.update(data) + encryptor.finalize()
            return out + encryptor.tag[:tag_bytes]
        if len(data) < tag_bytes:
            raise _err("OperationError", f"Ciphertext length of {len(data) * 8} bits must be greater than or "
                                         f"equal to the size of the tag ({tag_length} bits).")
        from cryptography.exceptions import InvalidTag

        try:
            decryptor = c.Cipher(c.algorithms.AES(secret), c.modes.GCM(iv, data[-tag_bytes:],
                                                                       min_tag_length=tag_bytes)).decryptor()
            if aad:
                decryptor.authenticate_additional_data(aad)
            return decryptor.update(data[:-tag_bytes]) + decryptor.finalize()
        except InvalidTag:
            raise _err("OperationError", DECRYPTION_FAILED) from None
    if name == "AES-CBC":
        iv = field(algorithm, "iv")
        if iv is None:
            raise TypeError('Missing field "iv" in "algorithm".')
        iv = _data(iv, "iv")
        if len(iv) != 16:
            raise _err("OperationError", f"AES-CBC IV must be 16 bytes long (provided {len(iv)} bytes).")
        cipher = c.Cipher(c.algorithms.AES(secret), c.modes.CBC(iv))
        from cryptography.hazmat.primitives import padding as sym_padding

        if encrypt:
            padder = sym_padding.PKCS7(128).padder()
            encryptor = cipher.encryptor()
            return encryptor.update(padder.update(data) + padder.finalize()) + encryptor.finalize()
        try:
            decryptor = cipher.decryptor()
            padded = decryptor.update(data) + decryptor.finalize()
            unpadder = sym_padding.PKCS7(128).unpadder()
            return unpadder.update(padded) + unpadder.finalize()
        except ValueError:
            raise _err("OperationError", DECRYPTION_FAILED) from None
    if name == "AES-CTR":
        counter = field(algorithm, "counter")
        if counter is None:
            raise TypeError('Missing "counter" member in "algorithm".')
        length = field(algorithm, "length")
        if length is None:
            raise TypeError('Missing "length" member in "algorithm".')
        counter = _data(counter, "counter")
        if len(counter) != 16:
            raise _err("OperationError", f"Counter must have length of 16 bytes (provided {len(counter)}).")
        if not 0 < int(length) <= 128:
            raise _err("OperationError", f"Invalid counter of length {length} bits provided.")
        return _aes_ctr(secret, counter, int(length), data)
    raise _err("NotSupportedError", f'Unrecognized encryption algorithm "{name}" requested.')


def _aes_ctr(secret: bytes, counter: bytes, length: int, data: bytes) -> bytes:
    """AES-CTR where only the low ``length`` bits of the counter block count (and wrap), as Web Crypto says."""
    c = _c()
    encryptor = c.Cipher(c.algorithms.AES(secret), c.modes.ECB()).encryptor()
    block = int.from_bytes(counter, "big")
    mask = (1 << length) - 1
    high, low = block & ~mask, block & mask
    if len(data) > 16 * (1 << length):
        raise _err("OperationError", "Input is too large to encrypt.")
    if low + (len(data) + 15) // 16 <= mask + 1:  # the counter does not wrap: plain CTR mode
        ctr = c.Cipher(c.algorithms.AES(secret), c.modes.CTR(counter)).encryptor()
        return ctr.update(data) + ctr.finalize()
    out = bytearray()
    for start in range(0, len(data), 16):
        stream = encryptor.update((high | low).to_bytes(16, "big"))
        chunk = data[start:start + 16]
        out += bytes(a ^ b for a, b in zip(chunk, stream, strict=False))
        low = (low + 1) & mask
    return bytes(out)


def _encrypt(algorithm: JsDict, key: CryptoKey, data: bytes, encrypt: bool) -> bytes:
    name = algorithm["name"]
    _validate(key, name, "encrypt" if encrypt else "decrypt")
    if name == "AES-KW":
        raise _err("NotSupportedError", 'Unrecognized encryption algorithm "AES-KW" requested.')
    return _cipher(name, algorithm, key, data, encrypt)


# -- derive -------------------------------------------------------------------------------------------
def _required(algorithm: JsDict, *names: str) -> list[Any]:
    """The fields of ``algorithm`` a derivation needs, with workerd's error for a missing one."""
    values = [field(algorithm, name) for name in names]
    for name, value in zip(names, values, strict=True):
        if value is None:
            raise TypeError(f'Missing field "{name}" in "algorithm".')
    return values


def _derived_bytes(name: str, length: Any) -> int:
    """PBKDF2's / HKDF's ``length`` in bits as a byte count, with workerd's errors."""
    if length is None or int(length) == 0:
        raise _err("OperationError", f"{name} cannot derive a key with null length.")
    if int(length) % 8:
        raise _err("OperationError", f"{name} requires a derived key length that is a multiple of eight "
                                     f"(requested {int(length)}).")
    return int(length) // 8


def _derive_bits(algorithm: JsDict, key: CryptoKey, length: Any, usage: str = "deriveBits") -> bytes:
    name = algorithm["name"]
    _validate(key, name, usage)
    if length is not None and (not isinstance(length, (int, float)) or length < 0):
        raise TypeError("deriveBits length must be an unsigned long integer.")
    if name == "PBKDF2":
        hash_name = _hash_name(algorithm)
        salt, iterations = _required(algorithm, "salt", "iterations")
        size = _derived_bytes(name, length)
        if int(iterations) == 0:
            raise _err("OperationError", "PBKDF2 requires a positive iteration count (requested 0).")
        if int(iterations) > PBKDF2_MAX_ITERATIONS:  # Cloudflare's limit
            raise _err("NotSupportedError", f"Pbkdf2 failed: iteration counts above {PBKDF2_MAX_ITERATIONS} are "
                                            f"not supported (requested {int(iterations)}).")
        return hashlib.pbkdf2_hmac(DIGESTS[hash_name], key._material, _data(salt, "salt"),
                                   int(iterations), size)
    if name == "HKDF":
        hash_name = _hash_name(algorithm)
        salt, info = _required(algorithm, "salt", "info")
        size = _derived_bytes(name, length)
        try:
            return _c().HKDF(algorithm=_hash(hash_name), length=size, salt=_data(salt, "salt"),
                             info=_data(info, "info")).derive(key._material)
        except ValueError:
            raise _err("OperationError", "HKDF deriveBits failed.") from None
    if name in ("ECDH", "X25519"):
        public = field(algorithm, "public")
        if public is None:
            raise TypeError('Missing field "public" in "derivedKeyParams".')
        if not isinstance(public, CryptoKey) or public.type != "public":
            raise _err("InvalidAccessError", f"Base {name} key must be public.")
        if public._name != name:
            raise _err("InvalidAccessError", f'Base "{public._name}" key does not match "{name}".')
        c = _c()
        if name == "ECDH":
            if public.algorithm["namedCurve"] != key.algorithm["namedCurve"]:
                raise _err("InvalidAccessError", "ECDH public and private keys must be on the same curve.")
            secret = key._material.exchange(c.ec.ECDH(), public._material)
        else:
            secret = key._material.exchange(public._material)
        if length is None:
            return secret
        if int(length) > len(secret) * 8:
            raise _err("OperationError", f"Derived key length ({int(length)} bits) is too long (should be at most "
                                         f"{len(secret) * 8} bits).")
        whole, bits = divmod(int(length), 8)
        out = bytearray(secret[:whole + (1 if bits else 0)])
        if bits:
            out[-1] &= (0xFF << (8 - bits)) & 0xFF
        return bytes(out)
    raise _err("NotSupportedError", f'Unrecognized key derivation algorithm "{name}" requested.')


def _key_length(derived: JsDict) -> int | None:
    name = derived["name"]
    if name.startswith("AES-"):
        length = field(derived, "length")
        if length is None:
            raise TypeError('Missing field "length" in "derivedKeyParams".')
        if int(length) not in (128, 192, 256):
            raise _err("OperationError", f"Derived AES key must be 128, 192, or 256 bits in length but provided "
                                         f"{length}.")
        return int(length)
    if name == "HMAC":
        length = field(derived, "length")
        if length is not None:
            if int(length) <= 0:
                raise TypeError("HMAC key length must be a non-zero unsigned long integer.")
            return int(length)
        return _BLOCK_BITS[_hash_name(derived, "derivedKeyParams")]
    if name in ("HKDF", "PBKDF2"):
        return None
    raise _err("NotSupportedError", f'Unrecognized derived key type "{name}" requested.')


# -- wrap ----------------------------------------------------------------------------------------------
def _wrap(fmt: str, key: CryptoKey, wrapping: CryptoKey, algorithm: JsDict) -> bytes:
    name = algorithm["name"]
    _validate(wrapping, name, "wrapKey")
    exported = _export(fmt, key)
    data = (json_bytes(exported) if fmt == "jwk" else exported.to_bytes())
    if name == "AES-KW":
        if len(data) % 8:
            raise _err("OperationError", "AES-KW requires the key to wrap to be a multiple of 8 bytes.")
        return _c().aes_key_wrap(wrapping._material, data)
    return _cipher(name, algorithm, wrapping, data, True)


def _unwrap(fmt: str, wrapped: bytes, unwrapping: CryptoKey, algorithm: JsDict, unwrapped: JsDict,
            extractable: bool, usages: Any) -> CryptoKey:
    name = algorithm["name"]
    _validate(unwrapping, name, "unwrapKey")
    if name == "AES-KW":
        from cryptography.hazmat.primitives.keywrap import InvalidUnwrap

        try:
            data = _c().aes_key_unwrap(unwrapping._material, wrapped)
        except InvalidUnwrap:
            raise _err("OperationError", "Error doing AES-KW key unwrapping.") from None
    else:
        data = _cipher(name, algorithm, unwrapping, wrapped, False)
    if fmt == "jwk":
        from pyflare.workers.js._language import json_parse

        try:
            material: Any = json_parse(data.decode("utf-8"))
        except Exception:
            raise _err("DataError", "Missing \"kty\" field or corrupt JSON unwrapping key?") from None
    else:
        material = ArrayBuffer(data)
    return _secret_usages_required(_import(fmt, material, unwrapped, extractable, usages))


def _cipher(name: str, algorithm: JsDict, key: CryptoKey, data: bytes, encrypt: bool) -> bytes:
    """Encrypt or decrypt (for encrypt/decrypt, and wrapKey/unwrapKey: the caller checked the key's usage)."""
    if name.startswith("AES-"):
        return _aes(algorithm, key, data, encrypt)
    if name == "RSA-OAEP":
        c = _c()
        hash_obj = _hash(key.algorithm["hash"]["name"])
        label = field(algorithm, "label")
        oaep = c.padding.OAEP(mgf=c.padding.MGF1(hash_obj), algorithm=hash_obj,
                              label=_data(label, "label") if label is not None else None)
        try:
            return key._material.encrypt(data, oaep) if encrypt else key._material.decrypt(data, oaep)
        except ValueError:
            raise _err("OperationError", "RSA-OAEP failed encrypt/decrypt") from None
    raise _err("NotSupportedError", f'Unrecognized encryption algorithm "{name}" requested.')


def json_bytes(value: Any) -> bytes:
    from pyflare.workers.js._language import json_stringify

    return str(json_stringify(value)).encode("utf-8")


# -- the SubtleCrypto and Crypto objects ---------------------------------------------------------------------
def _promise(work: Callable[[], Any]) -> JsPromise:
    """Run ``work`` now (workerd's crypto is synchronous too) and settle a promise with its outcome."""
    promise = JsPromise()
    try:
        promise._resolve(work())
    except Exception as exc:
        promise._reject(exc)
    return promise


class SubtleCrypto(JsProxy):
    """``crypto.subtle``."""

    js_type = "SubtleCrypto"

    @classmethod
    def new(cls, *_: Any) -> Any:
        raise TypeError("Illegal constructor")

    def digest(self, algorithm: Any, data: Any) -> JsPromise:
        def work() -> ArrayBuffer:
            name = _algorithm(algorithm)["name"]
            if name not in DIGESTS:
                raise _err("NotSupportedError", "Unrecognized or unimplemented digest algorithm requested.")
            return ArrayBuffer(hashlib.new(DIGESTS[name], _data(data)).digest())

        return _promise(work)

    def importKey(self, fmt: str, key_data: Any, algorithm: Any, extractable: bool = False,  # noqa: N802
                  usages: Any = ()) -> JsPromise:
        def work() -> CryptoKey:
            return _secret_usages_required(_import(str(fmt), key_data, _algorithm(algorithm), extractable, usages))

        return _promise(work)

    def exportKey(self, fmt: str, key: CryptoKey) -> JsPromise:  # noqa: N802
        return _promise(lambda: _export(str(fmt), key))

    def generateKey(self, algorithm: Any, extractable: bool = False, usages: Any = ()) -> JsPromise:  # noqa: N802
        return _promise(lambda: _generate(_algorithm(algorithm), extractable, usages))

    def sign(self, algorithm: Any, key: CryptoKey, data: Any) -> JsPromise:
        return _promise(lambda: ArrayBuffer(_sign(_algorithm(algorithm), key, _data(data))))

    def verify(self, algorithm: Any, key: CryptoKey, signature: Any, data: Any) -> JsPromise:
        return _promise(lambda: _verify(_algorithm(algorithm), key, _data(signature, "signature"), _data(data)))

    def encrypt(self, algorithm: Any, key: CryptoKey, data: Any) -> JsPromise:
        return _promise(lambda: ArrayBuffer(_encrypt(_algorithm(algorithm), key, _data(data), True)))

    def decrypt(self, algorithm: Any, key: CryptoKey, data: Any) -> JsPromise:
        return _promise(lambda: ArrayBuffer(_encrypt(_algorithm(algorithm), key, _data(data), False)))

    def deriveBits(self, algorithm: Any, key: CryptoKey, length: Any = None) -> JsPromise:  # noqa: N802
        return _promise(lambda: ArrayBuffer(_derive_bits(_algorithm(algorithm), key, length)))

    def deriveKey(self, algorithm: Any, key: CryptoKey, derived_algorithm: Any, extractable: bool = False,  # noqa: N802
                  usages: Any = ()) -> JsPromise:
        def work() -> CryptoKey:
            derived = _algorithm(derived_algorithm)
            length = _key_length(derived)
            bits = _derive_bits(_algorithm(algorithm), key, length, "deriveKey")
            return _secret_usages_required(_import("raw", ArrayBuffer(bits), derived, extractable, usages))

        return _promise(work)

    def wrapKey(self, fmt: str, key: CryptoKey, wrapping_key: CryptoKey, algorithm: Any) -> JsPromise:  # noqa: N802
        return _promise(lambda: ArrayBuffer(_wrap(str(fmt), key, wrapping_key, _algorithm(algorithm))))

    def unwrapKey(self, fmt: str, wrapped: Any, unwrapping_key: CryptoKey, algorithm: Any,  # noqa: N802
                  unwrapped_algorithm: Any, extractable: bool = False, usages: Any = ()) -> JsPromise:
        return _promise(lambda: _unwrap(str(fmt), _data(wrapped, "wrappedKey"), unwrapping_key,
                                        _algorithm(algorithm), _algorithm(unwrapped_algorithm), extractable, usages))

    def timingSafeEqual(self, a: Any, b: Any) -> bool:  # noqa: N802 - workerd's extension
        left, right = _data(a, "a"), _data(b, "b")
        if len(left) != len(right):
            raise TypeError("Input buffers must have the same byte length.")
        return hmac.compare_digest(left, right)


# -- DigestStream -------------------------------------------------------------------------------------------
def _crc32c_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


def _crc64nvme_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x9A6C9329AC4BC9B5 if c & 1 else c >> 1
        table.append(c)
    return table


class _Crc:
    def __init__(self, table: list[int], mask: int, size: int) -> None:
        self.table, self.mask, self.size, self.value = table, mask, size, mask

    def update(self, data: bytes) -> None:
        value, table = self.value, self.table
        for byte in data:
            value = table[(value ^ byte) & 0xFF] ^ (value >> 8)
        self.value = value

    def digest(self) -> bytes:
        return (self.value ^ self.mask).to_bytes(self.size, "big")


class _Crc32:
    def __init__(self) -> None:
        self.value = 0

    def update(self, data: bytes) -> None:
        self.value = zlib.crc32(data, self.value)

    def digest(self) -> bytes:
        return self.value.to_bytes(4, "big")


def _digester(name: str) -> Any:
    lowered = name.lower()
    if lowered == "crc32":
        return _Crc32()
    if lowered == "crc32c":
        return _Crc(_crc32c_table(), 0xFFFFFFFF, 4)
    if lowered == "crc64nvme":
        return _Crc(_crc64nvme_table(), 0xFFFFFFFFFFFFFFFF, 8)
    canonical = _CANONICAL.get(name.upper())
    if canonical not in DIGESTS:
        raise _err("NotSupportedError", "Unrecognized or unimplemented digest algorithm requested.")
    return hashlib.new(DIGESTS[canonical])


class DigestStream(WritableStream):
    """``crypto.DigestStream.new("SHA-256")``: a WritableStream whose ``digest`` promise settles with the hash
    (an ArrayBuffer) of everything written once it is closed; ``bytesWritten`` counts the bytes."""

    js_type = "DigestStream"

    def __init__(self, algorithm: Any) -> None:
        name = _algorithm(algorithm)["name"]
        self._hasher = _digester(name)
        self.bytesWritten = 0
        self._digest = JsPromise().mark_handled()
        super().__init__(JsDict(write=self._consume, close=self._done, abort=self._aborted))

    @classmethod
    def new(cls, algorithm: Any = None, *_: Any) -> DigestStream:  # type: ignore[override]
        if algorithm is None:
            raise TypeError("DigestStream requires an algorithm.")
        return cls(algorithm)

    @property
    def digest(self) -> JsPromise:
        return self._digest

    def _consume(self, chunk: Any, _controller: Any) -> None:
        data = as_bytes(chunk)
        if data is None:
            if isinstance(chunk, str):
                data = chunk.encode("utf-8")
            else:
                raise TypeError("DigestStream is a byte stream; write ArrayBuffers, views of them, or strings.")
        self._hasher.update(data)
        self.bytesWritten += len(data)

    def _done(self) -> None:
        self._digest._resolve(ArrayBuffer(self._hasher.digest()))

    def _aborted(self, reason: Any) -> None:
        self._digest._reject(reason if isinstance(reason, BaseException) else DOMException(str(reason), "AbortError"))


class Crypto(JsProxy):
    """``crypto``: ``getRandomValues(view)``, ``randomUUID()``, ``subtle``, ``DigestStream``."""

    js_type = "Crypto"
    DigestStream = DigestStream

    def __init__(self) -> None:
        self.subtle = SubtleCrypto()

    @classmethod
    def new(cls, *_: Any) -> Any:
        raise TypeError("Illegal constructor")

    def getRandomValues(self, view: Any) -> Any:  # noqa: N802
        if not isinstance(view, TypedArray) or view.format in "fd":
            raise _err("TypeMismatchError", "ArrayBufferView argument to getRandomValues() must be an "
                                            "integer-typed view.")
        if view.byteLength > 0x10000:
            raise _err("QuotaExceededError", f"getRandomValues() only accepts buffers of size <= 64K but provided "
                                             f"{view.byteLength} bytes.")
        view._view().cast("B")[:] = os.urandom(view.byteLength)
        return view

    def randomUUID(self) -> str:  # noqa: N802
        return str(uuid.uuid4())


crypto = Crypto()
