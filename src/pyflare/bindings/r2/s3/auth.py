"""AWS Signature Version 4 verification: the ``Authorization`` header form and presigned query URLs.

Check order, error codes and texts are R2's S3 endpoint's (which differ from AWS: 401 Unauthorized
for an unknown access key, InvalidArgument for malformed credentials, 403 ExpiredRequest). The
canonical URI is the request path exactly as sent (S3 does not re-encode it). Time (request skew,
presigned expiry) is read from pyflare's clock, so tests can expire a URL by advancing it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from calendar import timegm
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from pyflare.bindings.r2.s3.errors import S3Error

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_EXPIRES_SECONDS = 604_800  # a week
MAX_SKEW_SECONDS = 15 * 60
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
_AMZ_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$")
_HEX_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str


@dataclass(frozen=True)
class SignedRequest:
    """What the verifier needs to know of a request."""

    method: str
    raw_path: str  # as sent, percent-encoded
    query: Sequence[tuple[str, str]]  # decoded name/value pairs, in order
    headers: Mapping[str, str]  # lower-case names
    host: str


@dataclass(frozen=True)
class Verified:
    """A request that passed: the payload hash to check the body against (None: unsigned or streamed)."""

    payload_sha256: str | None


def uri_encode(value: str) -> str:
    """AWS ``UriEncode``: everything but RFC 3986 unreserved characters, upper-case hex."""
    return quote(value, safe="-_.~")


def _invalid_argument(message: str) -> S3Error:
    return S3Error(400, "InvalidArgument", message)


def _unauthorized() -> S3Error:
    return S3Error(401, "Unauthorized", "Unauthorized")


def _parse_amz_date(value: str) -> float | None:
    match = _AMZ_DATE.match(value)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups())
    try:
        return float(timegm((year, month, day, hour, minute, second, 0, 0, 0)))
    except (ValueError, OverflowError):
        return None


def _credential_scope(field: str, amz_date: str, credentials: Credentials) -> list[str]:
    parts = field.split("/")
    if len(parts) < 5:
        raise _invalid_argument(f"Credential sigv4 header should have at least 5 slash-separated parts, not {len(parts)}")
    access_key = "/".join(parts[:-4])
    date, region, service, terminator = parts[-4:]
    if service != "s3":
        raise _invalid_argument(f"Credential service should be s3, not {service}")
    if terminator != "aws4_request":
        raise _invalid_argument(f"Credential termination string should be aws4_request, not {terminator}")
    if not amz_date.startswith(date):
        raise _invalid_argument(
            f"Credential signed date {date} does not match {amz_date[:8]} from 'x-amz-date' header"
        )
    if not hmac.compare_digest(access_key.encode(), credentials.access_key_id.encode()):
        raise _unauthorized()
    return [date, region, service]


def _signed_headers(field: str) -> list[str]:
    names = [name.strip().lower() for name in field.split(";")]
    if "host" not in names:
        raise _unauthorized()
    return names


def _canonical_query(query: Sequence[tuple[str, str]], presigned: bool) -> str:
    pairs = sorted(
        (uri_encode(name), uri_encode(value))
        for name, value in query
        if not (presigned and name == "X-Amz-Signature")
    )
    return "&".join(f"{name}={value}" for name, value in pairs)


def _canonical_headers(request: SignedRequest, names: Sequence[str]) -> str:
    lines = []
    for name in names:
        value = request.headers.get(name)
        if value is None:
            value = request.host if name == "host" else ""
        lines.append(f"{name}:{' '.join(value.split())}\n")
    return "".join(lines)


def _signature(
    request: SignedRequest, secret: str, scope: list[str], amz_date: str, names: list[str], payload: str,
    presigned: bool,
) -> tuple[str, str, str]:
    canonical = "\n".join((
        request.method,
        request.raw_path,
        _canonical_query(request.query, presigned),
        _canonical_headers(request, names),
        ";".join(names),
        payload,
    ))
    string_to_sign = "\n".join((
        ALGORITHM, amz_date, "/".join([*scope, "aws4_request"]), hashlib.sha256(canonical.encode()).hexdigest()
    ))
    key = f"AWS4{secret}".encode()
    for part in [*scope, "aws4_request"]:
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest(), canonical, string_to_sign


def _check(
    request: SignedRequest, credentials: Credentials, scope: list[str], amz_date: str, names: list[str],
    payload: str, presigned: bool, provided: str,
) -> None:
    computed, canonical, string_to_sign = _signature(
        request, credentials.secret_access_key, scope, amz_date, names, payload, presigned
    )
    if not hmac.compare_digest(computed.encode(), provided.encode()):
        raise S3Error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your secret access key and signing method.",
            extra={
                "StringToSign": string_to_sign,
                "CanonicalRequest": canonical,
                "SignatureProvided": provided,
            },
        )


def has_authentication(request: SignedRequest) -> bool:
    return "authorization" in request.headers or any(name == "X-Amz-Credential" for name, _ in request.query)


def verify(request: SignedRequest, credentials: Credentials, now: float) -> Verified:
    """Check the request's signature; raise :class:`S3Error` as R2 answers a failure."""
    authorization = request.headers.get("authorization")
    if authorization is not None:
        return _verify_header(request, credentials, authorization, now)
    if any(name == "X-Amz-Credential" for name, _ in request.query):
        return _verify_presigned(request, credentials, now)
    raise S3Error(403, "AccessDenied", "Access Denied")


def _verify_header(request: SignedRequest, credentials: Credentials, authorization: str, now: float) -> Verified:
    payload = request.headers.get("x-amz-content-sha256")
    if payload is None:
        raise S3Error(400, "InvalidRequest", "Missing x-amz-content-sha256")
    amz_date, source = request.headers.get("x-amz-date"), "'x-amz-date' header"
    if amz_date is None:
        amz_date, source = request.headers.get("date"), "'date' header"
    if amz_date is None:
        raise _invalid_argument("No date provided in x-amz-date nor date header")
    when = _parse_amz_date(amz_date)
    if when is None:
        raise _invalid_argument(f"Date provided in {source} ({amz_date}) didn't parse successfully")
    if abs(now - when) > MAX_SKEW_SECONDS:
        raise S3Error(403, "RequestTimeTooSkewed",
                      "The difference between the request time and the server's time is too large.")
    fields: dict[str, str] = {}
    if authorization.startswith(ALGORITHM + " "):
        for component in authorization[len(ALGORITHM):].split(","):
            name, sep, value = component.partition("=")
            if sep:
                fields[name.strip()] = value.strip()
    if not {"Credential", "SignedHeaders", "Signature"} <= fields.keys():
        raise S3Error(400, "InvalidRequest", f"Please use {ALGORITHM}")
    scope = _credential_scope(fields["Credential"], amz_date, credentials)
    names = _signed_headers(fields["SignedHeaders"])
    _check(request, credentials, scope, amz_date, names, payload, False, fields["Signature"])
    return Verified(payload if _HEX_SHA256.match(payload) else None)


def _verify_presigned(request: SignedRequest, credentials: Credentials, now: float) -> Verified:
    params: dict[str, str] = {}
    for name, value in request.query:
        params.setdefault(name, value)
    required = ("X-Amz-Algorithm", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires")
    missing = [name for name in required if name not in params]
    if len(missing) == 1:
        raise _invalid_argument(f"Required search parameter {missing[0]} missing")
    if missing:
        raise _invalid_argument(f"Required search parameters {',  '.join(missing)} missing")
    if params["X-Amz-Algorithm"] != ALGORITHM:
        raise S3Error(400, "InvalidRequest", f"Please use {ALGORITHM}")
    amz_date = params["X-Amz-Date"]
    when = _parse_amz_date(amz_date)
    if when is None:
        raise _invalid_argument(f"Date provided in X-Amz-Date ({amz_date}) didn't parse successfully")
    scope = _credential_scope(params["X-Amz-Credential"], amz_date, credentials)
    try:
        expires = float(params["X-Amz-Expires"]) if params["X-Amz-Expires"].strip() else float("nan")
    except ValueError:
        expires = float("nan")
    if expires != expires:
        raise _invalid_argument("X-Amz-Expires should be a number")
    if expires > MAX_EXPIRES_SECONDS:
        raise _invalid_argument(
            "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be "
            f"less than {MAX_EXPIRES_SECONDS} seconds"
        )
    if expires < 1 or now > when + expires:
        raise S3Error(403, "ExpiredRequest", "Request has expired")
    names = _signed_headers(params["X-Amz-SignedHeaders"])
    _check(request, credentials, scope, amz_date, names, UNSIGNED_PAYLOAD, True, params["X-Amz-Signature"])
    return Verified(None)
