#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A token server for docker-registry's token auth (the Bearer challenge
flow), for tests only; Python standard library + the openssl command.

  registry_tokensrv.py PORT TLS_CERT TLS_KEY SIGN_CERT SIGN_KEY USER PASSWORD

GET /token?service=S&scope=repository:NAME:ACTIONS: with Basic USER:PASSWORD
every requested action is granted; without credentials only pull of
repositories named test/pub*; wrong credentials are a 401. The JWT is ES256,
signed by SIGN_KEY, with SIGN_CERT in its x5c header (the registry's
rootcertbundle holds SIGN_CERT). Each request is printed on stdout."""
import base64
import http.server
import json
import os
import ssl
import subprocess
import sys
import time
import urllib.parse

port, tls_cert, tls_key, sign_cert, sign_key, user, password = sys.argv[1:8]
ISSUER = "regtest-issuer"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def der_cert(path):
    return subprocess.run(["openssl", "x509", "-in", path, "-outform", "DER"], check=True,
                          capture_output=True).stdout


def ecdsa_raw(der):
    """DER SEQUENCE{INTEGER r, INTEGER s} -> r||s, 32 bytes each."""
    assert der[0] == 0x30
    i = 2 if der[1] < 0x80 else 2 + (der[1] & 0x7F)
    out = b""
    for _ in range(2):
        assert der[i] == 0x02
        n = der[i + 1]
        v = der[i + 2:i + 2 + n].lstrip(b"\x00")
        out += v.rjust(32, b"\x00")
        i += 2 + n
    return out


def sign(data):
    der = subprocess.run(["openssl", "dgst", "-sha256", "-sign", sign_key], input=data, check=True,
                         capture_output=True).stdout
    return ecdsa_raw(der)


X5C = base64.b64encode(der_cert(sign_cert)).decode()


class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        who = None
        auth = self.headers.get("Authorization")
        if auth:
            try:
                u, p = base64.b64decode(auth.split(" ", 1)[1]).decode().split(":", 1)
            except Exception:
                u, p = "", ""
            if not auth.startswith("Basic ") or u != user or p != password:
                print("TOKEN refused credentials for", u, flush=True)
                return self.reply(401, {"details": "bad credentials"})
            who = u
        access = []
        for scope in " ".join(q.get("scope", [])).split():
            parts = scope.split(":")
            if len(parts) != 3:
                continue
            typ, name, actions = parts
            want = actions.split(",")
            ok = want if who else [a for a in want if a == "pull" and name.startswith("test/pub")]
            access.append({"type": typ, "name": name, "actions": ok})
        now = int(time.time())
        claims = {"iss": ISSUER, "sub": who or "", "aud": q.get("service", [""])[0], "exp": now + 300,
                  "nbf": now - 30, "iat": now, "jti": b64u(os.urandom(12)), "access": access}
        head = {"typ": "JWT", "alg": "ES256", "x5c": [X5C]}
        tok = b64u(json.dumps(head).encode()) + "." + b64u(json.dumps(claims).encode())
        tok += "." + b64u(sign(tok.encode()))
        print("TOKEN for", who or "(anonymous)", json.dumps(access), flush=True)
        self.reply(200, {"token": tok, "access_token": tok, "expires_in": 300})


srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(tls_cert, tls_key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("TOKEN server on", port, flush=True)
srv.serve_forever()
