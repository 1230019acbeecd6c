#!/usr/bin/python3
"""Loopback OAuth 2.0 authorization server of the mvsmtp test rig (started by tests/testbed/rig.sh).

  https://127.0.0.1:9443   TLS with $MVSMTP_TESTBED/tls/server.crt (trust: $MVSMTP_TESTBED/tls/ca.crt)

Run with Debian's /usr/bin/python3: stdlib only, plus python3-cryptography for RS256 client
assertions. Everything is held in memory and starts empty: tests POST /_test/reset first.
Nothing secret (client secrets, assertions, refresh or access tokens) is ever written to the
log ($MVSMTP_TESTBED/log/oauth.log): only paths, grant types, client ids, error names, counts.

Token endpoints (form-encoded body; RFC 6749)
  POST /<tenant>/oauth2/v2.0/token     Microsoft shape (any tenant string without "/")
  POST /token                          Google shape
  Client authentication, exactly one of:
    client_id + client_secret in the body | HTTP Basic (RFC 6749 2.3.1, form-urlencoded parts) |
    client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer + client_assertion:
      an RS256 JWT; header x5t = base64url(SHA-1(DER certificate)) of the client's registered
      certificate, signature checked with that certificate's public key, aud = the token endpoint
      URL as used ("https://" + Host header + path), iss = sub = client_id, exp in the future,
      nbf (if present) not in the future.
  A client registered with neither secret nor certificate is public: client_id alone suffices
  (device code and refresh grants only).
  grant_type
    client_credentials                             scope required; confidential clients only;
                                                   token for the client's configured username,
                                                   claim "roles" = the scopes; no refresh token
    refresh_token                                  refresh_token (+ optional scope, replaces the
                                                   stored one); returns a new access token and a
                                                   NEW refresh token, the old one is invalid from
                                                   then on (invalid_grant)
    urn:ietf:params:oauth:grant-type:device_code   device_code -> authorization_pending until
                                                   /_test/approve; slow_down when polled sooner
                                                   than the interval after the previous poll (the
                                                   first poll is never early; each slow_down adds
                                                   device_slow_down_increment s, RFC 8628 3.5);
                                                   access_denied after /_test/deny; expired_token
                                                   after device_expires_in; once approved: access
                                                   token + refresh token + scope (the device_code
                                                   is then used up: invalid_grant)
  200 {"access_token", "token_type": "Bearer", "expires_in", "scope", "refresh_token"?}
  error (RFC 6749 5.2) {"error", "error_description"}: 400, invalid_client 401 (with
  WWW-Authenticate when Basic was used), server_error 500, temporarily_unavailable 503.
  Access tokens are JWT-shaped, base64url(header).base64url(payload).base64url(HMAC-SHA256),
  EXACTLY token_length characters; payload: iss, aud, sub, upn, email (= username), appid
  (= client_id), scp (delegated, space separated) or roles (client credentials, list), iat, exp,
  jti, pad (filler). Refresh tokens are opaque random strings.

Device authorization endpoints (form: client_id, scope; RFC 8628)
  POST /<tenant>/oauth2/v2.0/devicecode  -> {"device_code", "user_code" ("ABCD-EFGH"),
                                             "verification_uri", "expires_in", "interval", "message"}
  POST /device/code                       -> the same with "verification_url" instead of
                                             "verification_uri" (Google shape)
  The client_id must be registered; client credentials are optional here but checked if sent.

Introspection (RFC 7662; used by the rig's Dovecot on 127.0.0.1:2587)
  POST /introspect  form token=...  -> {"active": true, "username", "scope", "exp", "client_id",
                                        "token_type", "sub", "iat"}
                                     | {"active": false}  (unknown, expired, revoked, or
                                                           reject_all_tokens mode)

Test control API (JSON body in, JSON out)
  POST /_test/reset   replaces ALL state (clients, tokens, device codes, mode) and zeroes counters:
      {"clients": {"<client_id>": {"secret": "...", "certificate_pem": "-----BEGIN CERTIFICATE...",
                                  "username": "user@example.test"}},      (every field optional)
       "refresh_tokens": {"<token>": {"client_id": "...", "username": "...", "scope": "..."}},
       "token_length": 2500, "expires_in": 3600, "device_interval": 1, "device_expires_in": 60,
       "device_slow_down_increment": 5}                                    (defaults shown)
      -> {"ok": true}
  GET  /_test/stats   -> {"token_requests": N, "by_grant": {"client_credentials": n,
                          "refresh_token": n, "device_code": n, "<other grant_type>": n},
                          "device_requests": N, "introspections": N,
                          "errors": {"invalid_grant": n, ...}, "pending_user_codes": [...]}
                         (token_requests counts every POST to a token endpoint, failed ones too;
                          errors counts every error answer of the token/device endpoints)
  POST /_test/mode    {"fail": null | "invalid_client" | "invalid_grant" | "server_error" (500) |
                               "unavailable" (503 temporarily_unavailable, Retry-After: 1),
                       "fail_count": n   (fail only the next n token requests; omitted = until
                                          changed),
                       "slow": seconds   (delay before answering a token endpoint request),
                       "reject_all_tokens": bool (introspection answers inactive for every token)}
                      keys left out keep their value; -> the resulting mode
  POST /_test/approve {"user_code": "...", "username": "..."}  (username defaults to the client's;
                      user_code may be left out when exactly one code is pending)
  POST /_test/deny    {"user_code": "..."}                     (same default)
  POST /_test/revoke  {"token": "..."}   access token -> inactive at introspection,
                                         refresh token -> invalid_grant
                      {"all": true}      every access token issued so far -> inactive
                      -> {"revoked": n}
  Unknown user codes / tokens: 404 {"error": "not_found"}.
"""
import base64
import hashlib
import hmac
import json
import os
import secrets
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.serialization import Encoding
    HAVE_CRYPTOGRAPHY = True
except ImportError:  # RS256 client assertions are then rejected (invalid_client)
    HAVE_CRYPTOGRAPHY = False

STATE_DIR = os.environ.get("MVSMTP_TESTBED", "/tmp/mvsmtp-testbed")
HOST, PORT = "127.0.0.1", 9443
BASE_URL = "https://%s:%d" % (HOST, PORT)
MAX_BODY = 1024 * 1024
SIG_KEY = secrets.token_bytes(32)  # HMAC key of the access tokens, per process
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
GRANT_NAMES = {DEVICE_GRANT: "device_code"}
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
DEFAULTS = {"token_length": 2500, "expires_in": 3600, "device_interval": 1,
            "device_expires_in": 60, "device_slow_down_increment": 5}
MIN_TOKEN_LENGTH = 400
CLOCK_SKEW = 5  # seconds of tolerance for nbf / early polls


def log(msg):
    print("%s oauth_server: %s" % (time.strftime("%Y-%m-%d %H:%M:%S"), msg), flush=True)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    if isinstance(text, str):
        text = text.encode("ascii")
    return base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))


def b64len(n):
    """length of the unpadded base64url encoding of n bytes"""
    return 4 * (n // 3) + (0, 2, 3)[n % 3]


class OAuthError(Exception):
    def __init__(self, error, description, status=None, headers=None):
        super().__init__(error)
        self.error = error
        self.description = description
        self.status = status or {"invalid_client": 401, "server_error": 500,
                                 "temporarily_unavailable": 503}.get(error, 400)
        self.headers = headers or {}


class ApiError(Exception):
    def __init__(self, status, error, description):
        super().__init__(error)
        self.status, self.error, self.description = status, error, description


class State:
    """All server state; every access holds self.lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset({})

    # ------------------------------------------------------------ admin
    def reset(self, cfg):
        if not isinstance(cfg, dict):
            raise ApiError(400, "invalid_request", "the reset body must be a JSON object")
        settings = dict(DEFAULTS)
        for key in DEFAULTS:
            if key in cfg:
                value = cfg[key]
                if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                    raise ApiError(400, "invalid_request", "%s must be a non-negative number" % key)
                settings[key] = value
        if int(settings["token_length"]) != settings["token_length"] or \
                settings["token_length"] < MIN_TOKEN_LENGTH:
            raise ApiError(400, "invalid_request",
                           "token_length must be an integer >= %d" % MIN_TOKEN_LENGTH)
        for key in ("clients", "refresh_tokens"):
            if not isinstance(cfg.get(key) or {}, dict):
                raise ApiError(400, "invalid_request", "%s must be an object" % key)
        clients = {}
        for cid, c in (cfg.get("clients") or {}).items():
            if not isinstance(c, dict):
                raise ApiError(400, "invalid_request", "client %s: not an object" % cid)
            entry = {"secret": c.get("secret"), "username": c.get("username"),
                     "thumbprint": None, "public_key": None}
            pem = c.get("certificate_pem")
            if pem:
                try:
                    if HAVE_CRYPTOGRAPHY:
                        cert = x509.load_pem_x509_certificate(pem.encode("ascii"))
                        der = cert.public_bytes(Encoding.DER)
                        entry["public_key"] = cert.public_key()
                    else:
                        der = ssl.PEM_cert_to_DER_cert(pem)
                except Exception as e:
                    raise ApiError(400, "invalid_request",
                                   "client %s: unusable certificate_pem (%s)" % (cid, type(e).__name__))
                entry["thumbprint"] = b64url(hashlib.sha1(der).digest())
            clients[cid] = entry
        refresh = {}
        for tok, r in (cfg.get("refresh_tokens") or {}).items():
            if not isinstance(r, dict):
                raise ApiError(400, "invalid_request", "refresh token entries must be objects")
            refresh[tok] = {"client_id": r.get("client_id"), "username": r.get("username"),
                            "scope": r.get("scope") or ""}
        with self.lock:
            self.settings = settings
            self.clients = clients
            self.refresh_tokens = refresh
            self.access_tokens = {}
            self.devices = {}       # device_code -> record
            self.user_codes = {}    # user_code -> device_code
            self.mode = {"fail": None, "fail_count": None, "slow": 0, "reject_all_tokens": False}
            self.stats = {"token_requests": 0, "by_grant": {}, "device_requests": 0,
                          "introspections": 0, "errors": {}}
        return {"ok": True}

    def set_mode(self, cfg):
        if not isinstance(cfg, dict):
            raise ApiError(400, "invalid_request", "the mode body must be a JSON object")
        fail_values = (None, "invalid_client", "invalid_grant", "server_error", "unavailable")
        with self.lock:
            mode = dict(self.mode)
            if "fail" in cfg:
                if cfg["fail"] not in fail_values:
                    raise ApiError(400, "invalid_request", "fail must be one of %r" % (fail_values,))
                mode["fail"] = cfg["fail"]
                mode["fail_count"] = None
            if "fail_count" in cfg:
                n = cfg["fail_count"]
                if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 0):
                    raise ApiError(400, "invalid_request", "fail_count must be a non-negative integer")
                mode["fail_count"] = n
            if "slow" in cfg:
                s = cfg["slow"] or 0
                if not isinstance(s, (int, float)) or isinstance(s, bool) or s < 0:
                    raise ApiError(400, "invalid_request", "slow must be a non-negative number")
                mode["slow"] = s
            if "reject_all_tokens" in cfg:
                mode["reject_all_tokens"] = bool(cfg["reject_all_tokens"])
            self.mode = mode
            return dict(mode)

    def get_stats(self):
        with self.lock:
            out = json.loads(json.dumps(self.stats))
            now = time.time()
            out["pending_user_codes"] = sorted(
                uc for uc, dc in self.user_codes.items()
                if self.devices[dc]["status"] == "pending" and self.devices[dc]["expires_at"] > now)
            return out

    def _find_device(self, cfg):
        uc = cfg.get("user_code")
        now = time.time()
        if uc is None:
            pending = [u for u, dc in self.user_codes.items()
                       if self.devices[dc]["status"] == "pending" and self.devices[dc]["expires_at"] > now]
            if len(pending) != 1:
                raise ApiError(404, "not_found", "%d pending user codes; name one" % len(pending))
            uc = pending[0]
        uc = str(uc).strip().upper()
        dc = self.user_codes.get(uc)
        if dc is None:
            raise ApiError(404, "not_found", "unknown user_code")
        return uc, self.devices[dc]

    def approve(self, cfg):
        with self.lock:
            uc, dev = self._find_device(cfg)
            username = cfg.get("username") or (self.clients.get(dev["client_id"]) or {}).get("username")
            if not username:
                raise ApiError(400, "invalid_request", "no username given and the client has none")
            dev["status"] = "approved"
            dev["username"] = username
            return {"approved": True, "user_code": uc}

    def deny(self, cfg):
        with self.lock:
            uc, dev = self._find_device(cfg)
            dev["status"] = "denied"
            return {"denied": True, "user_code": uc}

    def revoke(self, cfg):
        with self.lock:
            if cfg.get("all"):
                n = 0
                for rec in self.access_tokens.values():
                    if not rec["revoked"]:
                        rec["revoked"] = True
                        n += 1
                return {"revoked": n}
            tok = cfg.get("token")
            if tok in self.access_tokens:
                self.access_tokens[tok]["revoked"] = True
                return {"revoked": 1}
            if tok in self.refresh_tokens:
                del self.refresh_tokens[tok]
                return {"revoked": 1}
            raise ApiError(404, "not_found", "unknown token")

    # ------------------------------------------------------------ counting
    def count(self, field, key=None):
        with self.lock:
            if key is None:
                self.stats[field] += 1
            else:
                self.stats[field][key] = self.stats[field].get(key, 0) + 1

    def injected_failure(self):
        """the failure mode to apply to this token request (consumes fail_count), or None"""
        with self.lock:
            mode = self.mode
            if not mode["fail"]:
                return None, mode["slow"]
            if mode["fail_count"] is not None:
                if mode["fail_count"] <= 0:
                    return None, mode["slow"]
                mode["fail_count"] -= 1
            return mode["fail"], mode["slow"]

    # ------------------------------------------------------------ tokens
    def _make_access_token(self, issuer, client_id, username, scope, delegated):
        length = int(self.settings["token_length"])
        now = int(time.time())
        exp = now + int(self.settings["expires_in"])
        scopes = scope.split()
        aud = BASE_URL
        for s in scopes:  # the resource of the first URL scope, e.g. https://outlook.office.com
            u = urllib.parse.urlsplit(s)
            if u.scheme and u.netloc:
                aud = "%s://%s" % (u.scheme, u.netloc)
                break
        claims = {"iss": issuer, "aud": aud, "sub": username, "upn": username, "email": username,
                  "appid": client_id, "iat": now, "nbf": now, "exp": exp,
                  "jti": secrets.token_hex(8)}
        if delegated:
            claims["scp"] = scope
        else:
            claims["roles"] = scopes
        # The header's kid absorbs the impossible length residue (no base64 string is 1 mod 4).
        for kid_len in range(1, 5):
            header = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k" * kid_len},
                                       separators=(",", ":")).encode())
            want = length - len(header) - 2 - 43  # 43 = base64url(32-byte HMAC)
            if want % 4 == 1:
                continue
            claims["pad"] = ""
            base = len(json.dumps(claims, separators=(",", ":")).encode())
            n = base
            while b64len(n) < want:
                n += 1
            if b64len(n) != want:
                break  # claims too long for token_length
            claims["pad"] = "x" * (n - base)
            payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
            signing_input = header + "." + payload
            sig = b64url(hmac.new(SIG_KEY, signing_input.encode(), hashlib.sha256).digest())
            token = signing_input + "." + sig
            assert len(token) == length
            self.access_tokens[token] = {"client_id": client_id, "username": username,
                                         "scope": scope, "iat": now, "exp": exp, "revoked": False}
            return token
        raise OAuthError("server_error", "token_length %d is too small for these claims" % length)

    def issue(self, issuer, client_id, username, scope, delegated, with_refresh):
        """caller holds the lock"""
        body = {"access_token": self._make_access_token(issuer, client_id, username, scope, delegated),
                "token_type": "Bearer", "expires_in": int(self.settings["expires_in"]),
                "scope": scope}
        if with_refresh:
            rt = secrets.token_urlsafe(48)
            self.refresh_tokens[rt] = {"client_id": client_id, "username": username, "scope": scope}
            body["refresh_token"] = rt
        return body

    def introspect(self, token):
        with self.lock:
            self.stats["introspections"] += 1
            rec = self.access_tokens.get(token)
            if rec is None or rec["revoked"] or rec["exp"] <= time.time() or \
                    self.mode["reject_all_tokens"]:
                return {"active": False}, None
            return {"active": True, "username": rec["username"], "sub": rec["username"],
                    "scope": rec["scope"], "exp": rec["exp"], "iat": rec["iat"],
                    "client_id": rec["client_id"], "token_type": "Bearer"}, rec["client_id"]


STATE = State()


# ---------------------------------------------------------------- client authentication
def authenticate_client(params, headers, endpoint_url, required):
    """returns (client_id, client record, confidential_authenticated); raises OAuthError"""
    basic = None
    auth = headers.get("Authorization") or ""
    if auth[:6].lower() == "basic ":
        try:
            raw = base64.b64decode(auth[6:].strip(), validate=True).decode("utf-8")
            uid, _, pw = raw.partition(":")
            basic = (urllib.parse.unquote_plus(uid), urllib.parse.unquote_plus(pw))
        except Exception:
            raise OAuthError("invalid_client", "malformed HTTP Basic credentials",
                             headers={"WWW-Authenticate": 'Basic realm="mvsmtp-test"'})
    methods = [m for m, present in (("basic", basic is not None),
                                    ("client_secret", "client_secret" in params),
                                    ("client_assertion", "client_assertion" in params)) if present]
    if len(methods) > 1:
        raise OAuthError("invalid_request", "more than one client authentication method: %s"
                         % ", ".join(methods))
    www = {"WWW-Authenticate": 'Basic realm="mvsmtp-test"'} if basic else {}
    client_id = params.get("client_id")
    if basic:
        if client_id is not None and client_id != basic[0]:
            raise OAuthError("invalid_request", "client_id differs from the Basic user")
        client_id = basic[0]
    if "client_assertion" in params:
        return verify_assertion(params, endpoint_url)
    if not client_id:
        raise OAuthError("invalid_client", "no client_id and no client authentication", headers=www)
    with STATE.lock:
        client = STATE.clients.get(client_id)
    if client is None:
        raise OAuthError("invalid_client", "unknown client", headers=www)
    secret = basic[1] if basic else params.get("client_secret")
    if secret is not None:
        if not client["secret"] or not hmac.compare_digest(secret.encode(), client["secret"].encode()):
            raise OAuthError("invalid_client", "client authentication failed", headers=www)
        return client_id, client, True
    if required and (client["secret"] or client["thumbprint"]):
        raise OAuthError("invalid_client", "confidential client must authenticate")
    return client_id, client, False


def verify_assertion(params, endpoint_url):
    if params.get("client_assertion_type") != JWT_BEARER:
        raise OAuthError("invalid_client", "client_assertion_type must be " + JWT_BEARER)
    parts = params["client_assertion"].split(".")
    if len(parts) != 3:
        raise OAuthError("invalid_client", "client_assertion is not a JWS compact serialization")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        sig = b64url_decode(parts[2])
        assert isinstance(header, dict) and isinstance(claims, dict)
    except Exception:
        raise OAuthError("invalid_client", "client_assertion: undecodable header or payload")
    if header.get("alg") != "RS256":
        raise OAuthError("invalid_client", "client_assertion: alg must be RS256")
    client_id = claims.get("iss")
    if not client_id or claims.get("sub") != client_id:
        raise OAuthError("invalid_client", "client_assertion: iss and sub must both be the client_id")
    if params.get("client_id") not in (None, client_id):
        raise OAuthError("invalid_client", "client_assertion: iss differs from client_id")
    with STATE.lock:
        client = STATE.clients.get(client_id)
    if client is None:
        raise OAuthError("invalid_client", "client_assertion: unknown client")
    if not client["thumbprint"]:
        raise OAuthError("invalid_client", "client_assertion: client has no registered certificate")
    if header.get("x5t") != client["thumbprint"]:
        raise OAuthError("invalid_client", "client_assertion: x5t does not match the registered certificate")
    if not HAVE_CRYPTOGRAPHY:
        raise OAuthError("invalid_client", "RS256 verification unavailable (python3-cryptography missing)")
    try:
        client["public_key"].verify(sig, (parts[0] + "." + parts[1]).encode("ascii"),
                                    padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError, TypeError, AttributeError):
        raise OAuthError("invalid_client", "client_assertion: bad signature")
    aud = claims.get("aud")
    if not (aud == endpoint_url or (isinstance(aud, list) and endpoint_url in aud)):
        raise OAuthError("invalid_client", "client_assertion: aud must be %s" % endpoint_url)
    now = time.time()
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or exp <= now:
        raise OAuthError("invalid_client", "client_assertion: missing or past exp")
    nbf = claims.get("nbf")
    if nbf is not None and (not isinstance(nbf, (int, float)) or nbf > now + CLOCK_SKEW):
        raise OAuthError("invalid_client", "client_assertion: nbf in the future")
    return client_id, client, True


# ---------------------------------------------------------------- grants
def grant_client_credentials(params, client_id, client, authenticated, issuer):
    if not authenticated:
        raise OAuthError("unauthorized_client", "client_credentials needs a confidential client")
    scope = params.get("scope")
    if not scope:
        raise OAuthError("invalid_request", "scope is required")
    if not client["username"]:
        raise OAuthError("unauthorized_client", "no username configured for this client")
    with STATE.lock:
        return STATE.issue(issuer, client_id, client["username"], scope, False, False)


def grant_refresh_token(params, client_id, client, authenticated, issuer):
    rt = params.get("refresh_token")
    if not rt:
        raise OAuthError("invalid_request", "refresh_token is required")
    with STATE.lock:
        rec = STATE.refresh_tokens.get(rt)
        if rec is None:
            raise OAuthError("invalid_grant", "unknown, used or revoked refresh token")
        if rec["client_id"] != client_id:
            raise OAuthError("invalid_grant", "refresh token was issued to another client")
        if not rec["username"]:
            raise OAuthError("invalid_grant", "refresh token has no username")
        del STATE.refresh_tokens[rt]  # rotation: the old token is used up
        scope = params.get("scope") or rec["scope"]
        return STATE.issue(issuer, client_id, rec["username"], scope, True, True)


def grant_device_code(params, client_id, client, authenticated, issuer):
    dc = params.get("device_code")
    if not dc:
        raise OAuthError("invalid_request", "device_code is required")
    now = time.time()
    with STATE.lock:
        dev = STATE.devices.get(dc)
        if dev is None or dev["client_id"] != client_id or dev["status"] == "used":
            raise OAuthError("invalid_grant", "unknown or used device_code")
        if now >= dev["expires_at"]:
            raise OAuthError("expired_token", "the device code has expired")
        last, dev["last_poll"] = dev["last_poll"], now
        if dev["status"] == "denied":
            raise OAuthError("access_denied", "the user denied the request")
        if last is not None and now - last < dev["interval"] - 0.05:
            dev["interval"] += STATE.settings["device_slow_down_increment"]
            raise OAuthError("slow_down", "polling faster than every %g s" % dev["interval"])
        if dev["status"] == "pending":
            raise OAuthError("authorization_pending", "the user has not yet approved the request")
        dev["status"] = "used"
        return STATE.issue(issuer, client_id, dev["username"], dev["scope"], True, True)


GRANTS = {"client_credentials": grant_client_credentials,
          "refresh_token": grant_refresh_token,
          DEVICE_GRANT: grant_device_code}


def device_authorization(params, headers, endpoint_url, google):
    client_id, client, _ = authenticate_client(params, headers, endpoint_url, required=False)
    scope = params.get("scope")
    if not scope:
        raise OAuthError("invalid_request", "scope is required")
    with STATE.lock:
        while True:
            uc = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(8))
            uc = uc[:4] + "-" + uc[4:]
            if uc not in STATE.user_codes:
                break
        dc = secrets.token_urlsafe(32)
        interval = STATE.settings["device_interval"]
        expires_in = int(STATE.settings["device_expires_in"])
        STATE.devices[dc] = {"client_id": client_id, "scope": scope, "user_code": uc,
                             "status": "pending", "username": None, "interval": interval,
                             "last_poll": None, "expires_at": time.time() + expires_in}
        STATE.user_codes[uc] = dc
    uri = BASE_URL + "/device"
    body = {"device_code": dc, "user_code": uc, "expires_in": expires_in,
            "interval": int(interval) if int(interval) == interval else interval,
            "message": "To sign in, use a web browser to open the page %s and enter the code %s "
                       "to authenticate." % (uri, uc)}
    body["verification_url" if google else "verification_uri"] = uri
    return client_id, body


# ---------------------------------------------------------------- HTTP
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mvsmtp-oauth-test/1"
    timeout = 60  # idle keep-alive connections

    def setup(self):
        super().setup()
        self.connection.do_handshake()  # a failure ends up in Server.handle_error

    # -- logging: never the query string, never a body
    def log_request(self, code="-", size="-"):
        path = urllib.parse.urlsplit(self.path).path if hasattr(self, "path") else "?"
        log("%s %s -> %s" % (getattr(self, "command", "?"), path, getattr(code, "value", code)))

    def log_error(self, format, *args):
        log("HTTP protocol error %s" % (args[0] if args and isinstance(args[0], int) else ""))

    def log_message(self, format, *args):
        pass

    # -- helpers
    def send_json(self, status, obj, extra_headers=None):
        data = json.dumps(obj).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Pragma", "no-cache")
        for k, v in (extra_headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raise ApiError(411, "invalid_request", "chunked bodies are not supported")
        n = int(self.headers.get("Content-Length") or 0)
        if n < 0 or n > MAX_BODY:
            raise ApiError(413, "invalid_request", "body too large")
        return self.rfile.read(n) if n else b""

    def form(self, body):
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            raise OAuthError("invalid_request", "Content-Type must be application/x-www-form-urlencoded")
        try:
            pairs = urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                                           errors="strict")
        except (UnicodeDecodeError, ValueError):
            raise OAuthError("invalid_request", "undecodable form body")
        params = {}
        for k, v in pairs:
            if k in params:
                raise OAuthError("invalid_request", "parameter %s repeated" % k)
            params[k] = v
        return params

    def endpoint_url(self, path):
        return "https://%s%s" % (self.headers.get("Host") or "%s:%d" % (HOST, PORT), path)

    # -- dispatch
    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_HEAD(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def dispatch(self):
        path = urllib.parse.urlsplit(self.path).path
        parts = path.split("/")
        try:
            body = self.read_body()
            if path.startswith("/_test/"):
                self.admin(path, body)
            elif path == "/token" or (len(parts) == 5 and parts[0] == "" and parts[1]
                                       and parts[2:] == ["oauth2", "v2.0", "token"]):
                self.token(path, body, None if path == "/token" else parts[1])
            elif path == "/device/code" or (len(parts) == 5 and parts[0] == "" and parts[1]
                                             and parts[2:] == ["oauth2", "v2.0", "devicecode"]):
                self.device(path, body, path == "/device/code")
            elif path == "/introspect":
                self.require_post()
                params = self.form(body)
                answer, client_id = STATE.introspect(params.get("token") or "")
                log("introspection: active=%s client_id=%s" % (answer["active"], client_id))
                self.send_json(200, answer)
            else:
                self.send_json(404, {"error": "not_found", "error_description": "no such endpoint"})
        except ApiError as e:
            self.send_json(e.status, {"error": e.error, "error_description": e.description})
        except OAuthError as e:
            self.send_json(e.status, {"error": e.error, "error_description": e.description},
                           e.headers)
        except (BrokenPipeError, ConnectionResetError, socket.timeout, ssl.SSLError):
            self.close_connection = True
        except Exception as e:  # never echo request data into the log
            log("internal error on %s: %s" % (path, type(e).__name__))
            self.send_json(500, {"error": "server_error", "error_description": type(e).__name__})

    def require_post(self):
        if self.command != "POST":
            raise OAuthError("invalid_request", "use POST", status=405, headers={"Allow": "POST"})

    def admin(self, path, body):
        if path == "/_test/stats":
            if self.command not in ("GET", "HEAD"):
                raise ApiError(405, "invalid_request", "use GET")
            self.send_json(200, STATE.get_stats())
            return
        actions = {"/_test/reset": STATE.reset, "/_test/mode": STATE.set_mode,
                   "/_test/approve": STATE.approve, "/_test/deny": STATE.deny,
                   "/_test/revoke": STATE.revoke}
        if path not in actions:
            raise ApiError(404, "not_found", "no such control endpoint")
        if self.command != "POST":
            raise ApiError(405, "invalid_request", "use POST")
        try:
            cfg = json.loads(body.decode("utf-8")) if body.strip() else {}
        except (UnicodeDecodeError, ValueError):
            raise ApiError(400, "invalid_request", "body is not JSON")
        if not isinstance(cfg, dict):
            raise ApiError(400, "invalid_request", "body must be a JSON object")
        result = actions[path](cfg)
        what = {"/_test/reset": lambda: "reset: %d clients, %d refresh tokens"
                % (len(cfg.get("clients") or {}), len(cfg.get("refresh_tokens") or {})),
                "/_test/mode": lambda: "mode: fail=%s fail_count=%s slow=%s reject_all_tokens=%s"
                % (result["fail"], result["fail_count"], result["slow"], result["reject_all_tokens"])}
        log(what.get(path, lambda: path[7:] + " " + json.dumps(result.get("revoked", "")))())
        self.send_json(200, result)

    def device(self, path, body, google):
        STATE.count("device_requests")
        try:
            self.require_post()
            client_id, answer = device_authorization(self.form(body), self.headers,
                                                     self.endpoint_url(path), google)
        except OAuthError as e:
            STATE.count("errors", e.error)
            log("device authorization -> %s" % e.error)
            raise
        log("device authorization: client_id=%s" % client_id)
        self.send_json(200, answer)

    def token(self, path, body, tenant):
        STATE.count("token_requests")
        grant, client_id = "?", None
        try:
            self.require_post()
            params = self.form(body)
            grant = params.get("grant_type") or "?"
            client_id = params.get("client_id")  # for the log until authenticated
            STATE.count("by_grant", GRANT_NAMES.get(grant, grant))
            fail, slow = STATE.injected_failure()
            if slow:
                time.sleep(slow)
            if fail == "unavailable":
                raise OAuthError("temporarily_unavailable", "injected by /_test/mode",
                                 headers={"Retry-After": "1"})
            if fail:
                raise OAuthError(fail, "injected by /_test/mode")
            if grant not in GRANTS:
                raise OAuthError("unsupported_grant_type" if grant != "?" else "invalid_request",
                                 "grant_type %s is not supported" % ("missing" if grant == "?" else "unknown"))
            client_id, client, authenticated = authenticate_client(
                params, self.headers, self.endpoint_url(path), required=True)
            issuer = BASE_URL + ("/%s/v2.0" % tenant if tenant else "")
            answer = GRANTS[grant](params, client_id, client, authenticated, issuer)
        except OAuthError as e:
            STATE.count("errors", e.error)
            log("token grant=%s client_id=%s -> %s" % (GRANT_NAMES.get(grant, grant), client_id, e.error))
            raise
        log("token grant=%s client_id=%s -> ok%s" % (GRANT_NAMES.get(grant, grant), client_id,
                                                     " +refresh" if "refresh_token" in answer else ""))
        self.send_json(200, answer)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, tls):
        self.tls = tls
        super().__init__(addr, Handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        sock.settimeout(30)
        # the handshake runs in the handler thread (Handler.setup), not in the accept loop
        return self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request, client_address):
        log("connection error from %s: %s" % (client_address[0], type(sys.exc_info()[1]).__name__))


def main():
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(os.path.join(STATE_DIR, "tls", "server.crt"),
                        os.path.join(STATE_DIR, "tls", "server.key"))
    try:
        server = Server((HOST, PORT), tls)
    except OSError as e:
        print("oauth_server: cannot listen on %s:%d: %s" % (HOST, PORT, e), file=sys.stderr, flush=True)
        sys.exit(1)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGHUP, lambda *_: os._exit(0))
    log("listening on %s (RS256 client assertions %s)"
        % (BASE_URL, "enabled" if HAVE_CRYPTOGRAPHY else "DISABLED: python3-cryptography missing"))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
