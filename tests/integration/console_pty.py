#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Drive `evectl app console` on a pseudo-terminal, as a person would.

usage: console_pty.py MODE EVECTL APP [ARGS...]
  MODE type     wait for "Connected", type a shell command whose output is
                computed (echo CONSOLE-$((6*7))-OK), read "CONSOLE-42-OK",
                then leave with ^] and expect exit 0.
  MODE bench    connect, then 100 commands one at a time (echo R$((i+1000))),
                each timed until the shell's computed output comes back; the
                median, p95 and max round trip in ms; also types a command
                given in $CONSOLE_BENCH_CMD first (e.g. to make a big file).
  MODE hold     connect, print "ATTACHED" on stdout, then keep the console
                until evectl exits by itself; print its exit code and the
                last of its output (the test kills a side meanwhile).
Exit 0 when the expectation held, 1 otherwise (with the transcript).
"""
import os
import pty
import select
import sys
import time


def read_until(fd, pid, want, timeout, buf):
    end = time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                return False
            if not data:
                return False
            buf.extend(data)
            if want.encode() in buf:
                return True
        else:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                return want.encode() in buf
    return False


def bench(fd, pid, buf):
    cmd = os.environ.get("CONSOLE_BENCH_CMD")
    if cmd:
        os.write(fd, cmd.encode() + b"; echo BENCH-$((2*3))-READY\r")
        if not read_until(fd, pid, "BENCH-6-READY", 120, buf):
            sys.stderr.write("bench command did not finish\n")
            return 1
    def drain(secs):
        end = time.time() + secs
        while time.time() < end:
            if select.select([fd], [], [], 0.05)[0]:
                os.read(fd, 4096)
    drain(0.5)
    times = []
    for i in range(100):
        # the output is computed by the shell: it cannot be a local echo
        want = "R%d" % (i + 1000)
        t0 = time.perf_counter()
        os.write(fd, b"echo R$((%d+1000))\r" % i)
        got = bytearray()
        if not read_until(fd, pid, want + "\r\n", 10, got):
            sys.stderr.write("no output for command %d\n" % i)
            return 1
        times.append((time.perf_counter() - t0) * 1000)
        drain(0.02)
    times.sort()
    print("command round trip (echo typed, output read) over %d: median %.2f ms, p95 %.2f ms, max %.2f ms" %
          (len(times), times[len(times) // 2], times[int(len(times) * 0.95)], times[-1]), flush=True)
    os.write(fd, b"\x1d")
    os.waitpid(pid, 0)
    return 0


def main():
    mode, evectl, app = sys.argv[1], sys.argv[2], sys.argv[3]
    argv = [evectl, "app", "console", app] + sys.argv[4:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(evectl, argv)
    buf = bytearray()
    if not read_until(fd, pid, "Escape character is ^]", 200, buf):
        sys.stderr.write("no 'Connected' from evectl:\n" + buf.decode(errors="replace") + "\n")
        return 1
    if mode == "type":
        ok = False
        for _ in range(3):  # the shell may still be starting: try again
            os.write(fd, b"echo CONSOLE-$((6*7))-OK\r")
            if read_until(fd, pid, "CONSOLE-42-OK", 20, buf):
                ok = True
                break
        if not ok:
            sys.stderr.write("no command output on the console:\n" + buf.decode(errors="replace") + "\n")
            return 1
        os.write(fd, b"\x1d")
        read_until(fd, pid, "Disconnected", 20, buf)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code != 0 or b"Disconnected" not in buf:
            sys.stderr.write("evectl exit %d after ^]:\n%s\n" % (code, buf.decode(errors="replace")))
            return 1
        print("typed and read back CONSOLE-42-OK; ^] left (exit 0)")
        return 0
    if mode == "bench":
        return bench(fd, pid, buf)
    print("ATTACHED evectl pid %d" % pid, flush=True)
    read_until(fd, pid, "\x00never", 240, buf)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    tail = buf.decode(errors="replace").strip().splitlines()[-2:]
    print("EXIT %d %s" % (code, " | ".join(tail)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
