#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The dashboard's server side against a real eve-controller (no browser):
GET / and /ui/* with their Content-Type, a strict Content-Security-Policy,
ETag revalidation (304) and caching; no inline script in the page; every
asset index.html names is served; unknown assets are 404; and the fleet
page's GET /devices search (q), state filter and paging (limit, after,
total, next), with 400 for bad values.

Environment (tests/dashboard.cmake): EVE_CONTROLLER DASH_PORT."""
import http.client
import os
import re
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dashlib  # noqa: E402


def get(st, path, headers=None):
    c = http.client.HTTPSConnection("127.0.0.1", st.port, context=st.ctx, timeout=20)
    c.request("GET", path, headers=headers or {})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


def device_cert(st, name):
    d = os.path.join(st.work, "certs")
    os.makedirs(d, exist_ok=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-subj", f"/CN={name}", "-days", "2", "-keyout", f"{d}/{name}.key", "-out", f"{d}/{name}.pem"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return open(f"{d}/{name}.pem").read()


def main(st):
    st.start_controller(os.environ["EVE_CONTROLLER"])

    st.log("the page and its assets")
    code, h, body = get(st, "/")
    assert code == 200, code
    assert h["content-type"] == "text/html; charset=utf-8", h
    csp = h.get("content-security-policy", "")
    for want in ("default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
                 "frame-ancestors 'none'"):
        assert want in csp, f"CSP lacks {want}: {csp}"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, csp
    assert h.get("x-content-type-options") == "nosniff" and h.get("cache-control") == "no-cache", h
    html = body.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script in index.html"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler in index.html"
    assert "<style" not in html and "style=" not in html, "inline style in index.html"
    etag = h["etag"]
    code, h2, body2 = get(st, "/", {"If-None-Match": etag})
    assert code == 304 and not body2, (code, body2)

    refs = re.findall(r'(?:src|href)="(/ui/[^"?]+)\?v=([0-9a-f]{16})"', html)
    assert {r[0] for r in refs} >= {"/ui/app.js", "/ui/app.css"}, refs
    types = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
    for path, ver in refs:
        code, h, body = get(st, f"{path}?v={ver}")
        assert code == 200 and body, (path, code)
        assert h["content-type"] == types[os.path.splitext(path)[1]], (path, h["content-type"])
        assert "immutable" in h["cache-control"] and "max-age=31536000" in h["cache-control"], h
        assert h.get("content-security-policy") == csp
        code, _, _ = get(st, path, {"If-None-Match": h["etag"]})
        assert code == 304, (path, code)
    js = get(st, "/ui/app.js")[2].decode()
    assert "innerHTML" not in js and "eval(" not in js, "app.js builds HTML from strings"
    for p in ("/ui/nope.js", "/ui/", "/ui/../controller.conf", "/index.html"):
        code, _, _ = get(st, p)
        assert code == 404, (p, code)

    st.log("GET /devices: search, state filter, paging")
    for i in range(7):
        name = f"site-{'a' if i < 4 else 'b'}-{i}"
        labels = {"site": "a" if i < 4 else "b", "rack": f"r{i}"}
        code, j = st.api("POST", "/devices", {"name": name, "serial": f"SN{i}_x%", "cert": device_cert(st, name),
                                               "labels": labels})
        assert code == 201, (code, j)
    code, j = st.api("GET", "/devices")
    assert code == 200 and len(j["items"]) == 7 and j["total"] == 7 and j["next"] is None, j

    def names(q):
        code, j = st.api("GET", "/devices?" + urllib.parse.urlencode(q))
        assert code == 200, (q, code, j)
        return [d["name"] for d in j["items"]], j

    n, j = names({"q": "SITE-B"})
    assert n == ["site-b-4", "site-b-5", "site-b-6"] and j["total"] == 3, j
    n, _ = names({"q": "r2"})  # a label value
    assert n == ["site-a-2"], n
    n, _ = names({"q": "_x%"})  # wildcards are literal
    assert len(n) == 7, n
    n, _ = names({"q": "2_x%"})
    assert n == ["site-a-2"], n
    n, _ = names({"q": "%"})
    assert len(n) == 7, n
    n, _ = names({"q": "nothing-like-this"})
    assert n == [], n
    n, _ = names({"state": "never", "label": "site=b"})
    assert n == ["site-b-4", "site-b-5", "site-b-6"], n
    n, _ = names({"state": "online"})
    assert n == [], n

    seen, after, pages = [], None, 0
    while True:
        q = {"limit": 3}
        if after:
            q["after"] = after
        n, j = names(q)
        pages += 1
        assert j["total"] == 7, j
        assert all("os_update" in d and "attestation" in d for d in j["items"]), "a page carries os_update, attestation"
        seen += n
        after = j["next"]
        if not after:
            break
        assert pages < 5, "paging does not end"
    assert pages == 3 and seen == sorted(seen) and len(set(seen)) == 7, (pages, seen)
    n, j = names({"limit": 2, "q": "site-a", "after": "site-a-1"})
    assert n == ["site-a-2", "site-a-3"] and j["next"] is None and j["total"] == 4, j

    for bad in ({"limit": 0}, {"limit": 1001}, {"limit": "x"}, {"state": "up"}, {"q": "x" * 129}):
        code, j = st.api("GET", "/devices?" + urllib.parse.urlencode(bad))
        assert code == 400 and j and j.get("error"), (bad, code, j)


if __name__ == "__main__":
    dashlib.run(main)
