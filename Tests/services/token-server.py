#!/usr/bin/env python3
"""Test-only Bearer token server for docker-registry's `auth.token`.

GET  /token?service=S&scope=T:NAME:ACTIONS...   Docker token flow (Basic auth optional)
POST /token  (form)                             OAuth2 flow: grant_type=password | refresh_token
GET  /stats                                     JSON counters, so tests can prove token caching

Tokens are RS256 JWTs whose `x5c` header carries the signing certificate; docker-registry trusts
them because that certificate is its `rootcertbundle`. Signing runs the `openssl` CLI, so only the
Python standard library is needed. Credentials here are fixed test-only values.
"""

import argparse
import base64
import binascii
import hmac
import json
import secrets
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KNOWN_ACTIONS = {"pull", "push", "delete", "*"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class Signer:
    """Makes RS256 JWTs with the key and certificate given on the command line."""

    def __init__(self, key_path: str, cert_path: str):
        self.key_path = key_path
        der = subprocess.run(
            ["openssl", "x509", "-in", cert_path, "-outform", "DER"], check=True, capture_output=True
        ).stdout
        self.x5c = [base64.b64encode(der).decode("ascii")]

    def sign(self, claims: dict) -> str:
        header = {"typ": "JWT", "alg": "RS256", "x5c": self.x5c}
        signing_input = (
            b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + b64url(json.dumps(claims, separators=(",", ":")).encode())
        )
        signature = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", self.key_path],
            input=signing_input.encode("ascii"),
            check=True,
            capture_output=True,
        ).stdout
        return signing_input + "." + b64url(signature)


class State:
    """Counters and issued refresh tokens, shared by the request threads."""

    def __init__(self, fixed_refresh_token: str):
        self.lock = threading.Lock()
        self.refresh_tokens = {fixed_refresh_token}
        self.counters = {"issued": 0, "issued_anonymous": 0, "issued_oauth": 0, "rejected": 0}
        self.per_repository = {}

    def count_issued(self, kind: str, access: list):
        with self.lock:
            self.counters["issued"] += 1
            if kind:
                self.counters[kind] += 1
            for entry in access:
                if entry["type"] == "repository":
                    name = entry["name"]
                    self.per_repository[name] = self.per_repository.get(name, 0) + 1

    def count_rejected(self):
        with self.lock:
            self.counters["rejected"] += 1

    def new_refresh_token(self) -> str:
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.refresh_tokens.add(token)
        return token

    def knows_refresh_token(self, token: str) -> bool:
        with self.lock:
            return any(hmac.compare_digest(token, known) for known in self.refresh_tokens)

    def snapshot(self) -> dict:
        with self.lock:
            return dict(self.counters, repositories=dict(self.per_repository))


def parse_scopes(values: list) -> list:
    """`repository:a/b:pull,push` (several per value, space separated) -> [(type, name, [actions])]."""
    scopes = []
    for value in values:
        for item in value.split():
            first, last = item.find(":"), item.rfind(":")
            if first <= 0 or last == first:
                continue
            actions = [action for action in item[last + 1 :].split(",") if action]
            scopes.append((item[:first], item[first + 1 : last], actions))
    return scopes


def grant(scopes: list, user) -> list:
    """The test user gets what it asks for; anonymous callers may only pull `public/...`."""
    access = []
    for kind, name, actions in scopes:
        if user is not None:
            allowed = [action for action in actions if action in KNOWN_ACTIONS or kind == "registry"]
        elif kind == "repository" and name.startswith("public/"):
            allowed = [action for action in actions if action == "pull"]
        else:
            allowed = []
        access.append({"type": kind, "name": name, "actions": allowed})
    return access


def make_handler(options, signer: Signer, state: State):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):
            # The request line never carries secrets (credentials come in headers or POST bodies).
            sys.stderr.write("%s %s\n" % (self.log_date_time_string(), format % args))

        def send_json(self, status: int, body: dict, headers=()):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def reject(self, message: str):
            state.count_rejected()
            challenge = ("WWW-Authenticate", 'Basic realm="ocibatch test token server"')
            self.send_json(401, {"errors": [{"code": "UNAUTHORIZED", "message": message}]}, [challenge])

        def credentials_ok(self, username: str, password: str) -> bool:
            return hmac.compare_digest(username, options.user) and hmac.compare_digest(password, options.password)

        def issue(self, subject, service: str, scopes: list, kind: str) -> dict:
            now = int(time.time())
            access = grant(scopes, subject)
            claims = {
                "iss": options.issuer,
                "sub": subject or "",
                "aud": service,
                "exp": now + options.expires_in,
                "nbf": now - 10,
                "iat": now,
                "jti": secrets.token_hex(16),
                "access": access,
            }
            state.count_issued(kind, access)
            return {
                "token": signer.sign(claims),
                "expires_in": options.expires_in,
                "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
            }

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(url.query)
            if url.path == "/stats":
                self.send_json(200, state.snapshot())
                return
            if url.path != "/token":
                self.send_json(404, {"errors": [{"code": "NOT_FOUND", "message": url.path}]})
                return
            subject = None
            header = self.headers.get("Authorization", "")
            if header:
                scheme, _, encoded = header.partition(" ")
                try:
                    decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
                except (binascii.Error, UnicodeDecodeError):
                    decoded = ""
                username, colon, password = decoded.partition(":")
                if scheme.lower() != "basic" or not colon or not self.credentials_ok(username, password):
                    self.reject("invalid username or password")
                    return
                subject = username
            service = query.get("service", [options.service])[0]
            body = self.issue(subject, service, parse_scopes(query.get("scope", [])), "" if subject else "issued_anonymous")
            body["access_token"] = body["token"]
            if subject and query.get("offline_token", [""])[0] == "true":
                body["refresh_token"] = state.new_refresh_token()
            self.send_json(200, body)

        def do_POST(self):
            url = urllib.parse.urlsplit(self.path)
            if url.path != "/token":
                self.send_json(404, {"errors": [{"code": "NOT_FOUND", "message": url.path}]})
                return
            length = int(self.headers.get("Content-Length") or 0)
            form = urllib.parse.parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
            field = lambda name: form.get(name, [""])[0]
            grant_type = field("grant_type")
            if grant_type == "password":
                if not self.credentials_ok(field("username"), field("password")):
                    self.reject("invalid username or password")
                    return
                refresh_token = state.new_refresh_token()
            elif grant_type == "refresh_token":
                refresh_token = field("refresh_token")
                if not refresh_token or not state.knows_refresh_token(refresh_token):
                    self.reject("unknown refresh token")
                    return
            else:
                self.send_json(400, {"error": "unsupported_grant_type"})
                return
            service = field("service") or options.service
            body = self.issue(options.user, service, parse_scopes(form.get("scope", [])), "issued_oauth")
            body["access_token"] = body.pop("token")
            body["refresh_token"] = refresh_token
            body["scope"] = " ".join(form.get("scope", []))
            self.send_json(200, body)

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", required=True, help="PEM private key that signs tokens")
    parser.add_argument("--cert", required=True, help="PEM certificate sent in the x5c header")
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--service", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password-file", required=True, help="file holding the test user's password")
    parser.add_argument("--refresh-token-file", required=True, help="file holding a refresh token always accepted")
    parser.add_argument("--expires-in", type=int, default=300)
    options = parser.parse_args()
    with open(options.password_file) as file:
        options.password = file.read().strip()
    with open(options.refresh_token_file) as file:
        fixed_refresh_token = file.read().strip()
    signer = Signer(options.key, options.cert)
    server = ThreadingHTTPServer(("127.0.0.1", options.port), make_handler(options, signer, State(fixed_refresh_token)))
    server.daemon_threads = True
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
