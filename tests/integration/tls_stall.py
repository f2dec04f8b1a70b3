#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""tls_stall.py PID PORT N SECONDS [tls1.2]: open N TLS connections to
127.0.0.1:PORT, send each ClientHello, read the server's flight and then
say nothing for SECONDS (a client that stalls mid-handshake, or a slow
network). Prints the CPU seconds process PID used meanwhile."""
import os
import socket
import ssl
import sys
import time


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stall(port, tls12):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if tls12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    s.sendall(out.read())
    s.recv(65536)  # the server's flight: from now on it waits for us
    return s


def main():
    pid, port, n, secs = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    tls12 = len(sys.argv) > 5 and sys.argv[5] == "tls1.2"
    conns = [stall(port, tls12) for _ in range(n)]
    time.sleep(0.2)
    c0 = cpu_s(pid)
    time.sleep(secs)
    print("%.2f" % (cpu_s(pid) - c0))
    for s in conns:
        s.close()


if __name__ == "__main__":
    main()
