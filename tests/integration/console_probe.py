#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""console_probe.py URL CA MODE [TOKEN]: open an upgraded connection to an
eve-controller console endpoint and print the HTTP status line, then the
first line (MODE edgeview: "Upgrade: eve-edgeview", with the admin TOKEN)
or the first frame (MODE ws: a browser's WebSocket, "TEXT ..." for a text
frame) the controller sends (docs/console.md). Exits 1 without a 101."""
import base64
import os
import socket
import ssl
import sys
import urllib.parse


def recv_until(s, buf, done):
    while not done(buf):
        k = s.recv(4096)
        if not k:
            break
        buf += k
    return buf


def main():
    url, ca, mode = sys.argv[1:4]
    token = sys.argv[4] if len(sys.argv) > 4 else None
    u = urllib.parse.urlsplit(url)
    ctx = ssl.create_default_context(cafile=ca)
    s = ctx.wrap_socket(socket.create_connection((u.hostname, u.port), timeout=150),
                        server_hostname=u.hostname)
    head = [f"GET {u.path} HTTP/1.1", f"Host: {u.netloc}", "Connection: Upgrade"]
    if mode == "ws":
        key = base64.b64encode(os.urandom(16)).decode()
        head += ["Upgrade: websocket", "Sec-WebSocket-Version: 13", f"Sec-WebSocket-Key: {key}",
                 "Sec-WebSocket-Protocol: binary"]
    else:
        head += ["Upgrade: eve-edgeview"]
    if token:
        head.append(f"Authorization: Bearer {token}")
    s.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    buf = recv_until(s, b"", lambda b: b"\r\n\r\n" in b)
    top, _, rest = buf.partition(b"\r\n\r\n")
    status = top.split(b"\r\n")[0].decode(errors="replace")
    print(status)
    if status.split(" ")[1:2] != ["101"]:
        print(rest.decode(errors="replace"))
        return 1
    if mode != "ws":
        rest = recv_until(s, rest, lambda b: b"\n" in b)
        print(rest.split(b"\n")[0].decode(errors="replace"))
        return 0
    rest = recv_until(s, rest, lambda b: len(b) >= 2)
    op, n, off = rest[0] & 0x0F, rest[1] & 0x7F, 2
    if n == 126:
        rest = recv_until(s, rest, lambda b: len(b) >= 4)
        n, off = int.from_bytes(rest[2:4], "big"), 4
    rest = recv_until(s, rest, lambda b: len(b) >= off + n)
    print(("TEXT " if op == 1 else f"OP{op} ") + rest[off:off + n].decode(errors="replace"))
    return 0


sys.exit(main())
