#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A pty pair standing in for a COM port (tests/integration/anyapp_e2e.sh).

usage: anyapp_pty.py LINK RESULT TIMEOUT
Makes a pty, links LINK to its slave (the "serial device" the device's I/O
model names), then until TIMEOUT seconds: writes "ping-anyapp" lines on the
master and reads what comes back. The guest answers each line it reads on
its second serial port with "echo:<line>": when "echo:ping-anyapp" arrives
the bytes crossed host -> guest -> host and RESULT gets "ok"; else "timeout".
Either way the pty stays (the adapter stays present for the app's restarts)
until TIMEOUT or until the test stops it.
"""
import os
import sys
import time
import tty
import select

link, result, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
master, slave = os.openpty()
tty.setraw(slave)  # no echo, no line discipline: only what the guest sends
if os.path.lexists(link):
    os.unlink(link)
os.symlink(os.ttyname(slave), link)
got = b""
end = time.time() + timeout
status = "timeout"
last = 0.0
try:
    while time.time() < end:
        if time.time() - last >= 1.0:
            os.write(master, b"ping-anyapp\n")
            last = time.time()
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                got += os.read(master, 4096)
            except OSError:
                pass
            got = got[-65536:]
            if b"echo:ping-anyapp" in got:
                status = "ok"
                break
    with open(result + ".tmp", "w") as f:
        f.write(status + "\n")
    os.rename(result + ".tmp", result)
    while time.time() < end:  # keep the adapter present, drain the guest
        r, _, _ = select.select([master], [], [], 1.0)
        if r:
            try:
                os.read(master, 4096)
            except OSError:
                time.sleep(0.2)
finally:
    os.unlink(link)
sys.exit(0 if status == "ok" else 1)
