#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Dashboard bench (issue 20; prints figures, asserts nothing): page weight
(bytes of every asset the page loads) and time to first render in Debian's
chromium (headless) against a real eve-controller holding N simulated
devices onboarded by eve-devsim (default 10,000).

usage: bench/dashboard/dashboard-bench.py BUILD_DIR [--devices N] [--port P] [--runs R]

Figures: bytes per asset and in total (as served, and gzip -9 for
reference); first contentful paint of the page; time from navigation start
to the first fleet table (the page's `eve-fleet` performance mark: the
script loaded, the token checked, GET /devices?limit=50 answered and
rendered) with the fleet loaded and the device page; the API time of the
fleet page's queries (first page, a search, the last page). Median and max
of R page loads each."""
import argparse
import gzip
import http.client
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "dashboard"))
import dashlib  # noqa: E402


def get(st, path, token=None):
    c = http.client.HTTPSConnection("127.0.0.1", st.port, context=st.ctx, timeout=120)
    h = {"Authorization": f"Bearer {token}"} if token else {}
    t0 = time.monotonic()
    c.request("GET", path, headers=h)
    r = c.getresponse()
    body = r.read()
    dt = time.monotonic() - t0
    c.close()
    return r.status, body, dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--devices", type=int, default=10000)
    ap.add_argument("--port", type=int, default=21350)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    dashlib.need_browser()
    st = dashlib.Stack(a.port, os.path.join(a.build, "bench-dashboard"))
    try:
        st.start_controller(os.path.join(a.build, "controller", "eve-controller"))
        with open(os.path.join(st.ctl_dir, "controller.pid"), "w") as f:
            f.write(f"{st.ctl.pid}\n")
        st.log(f"onboarding {a.devices} simulated devices (eve-devsim)")
        t0 = time.monotonic()
        r = subprocess.run([os.path.join(a.build, "bench", "eve-devsim"), "--dir", st.ctl_dir, "--pid", str(st.ctl.pid),
                            "--connect-to", f"::127.0.0.1:{a.port}", "--devices", str(a.devices),
                            "--duration", "2", "--crypto-seconds", "0.05", "poll"],
                           capture_output=True, text=True)
        if r.returncode:
            print(r.stdout[-2000:], r.stderr[-2000:])
            raise SystemExit("eve-devsim failed")
        st.log(f"  done in {time.monotonic() - t0:.0f} s")

        print("\n== page weight (bytes as served; gzip -9 for reference)")
        code, html, _ = get(st, "/")
        total = total_gz = 0
        assets = [("/", html)]
        for path in re.findall(r'(?:src|href)="(/ui/[^"]+)"', html.decode()):
            assets.append((path, get(st, path)[1]))
        for path, body in assets:
            gz = len(gzip.compress(body, 9))
            total += len(body)
            total_gz += gz
            print(f"  {path.split('?')[0]:<20} {len(body):>8} B  {gz:>7} B gzip")
        print(f"  {'total':<20} {total:>8} B  {total_gz:>7} B gzip  ({len(assets)} requests)")

        print(f"\n== admin API behind the fleet page ({a.devices} devices; median of {a.runs})")
        for name, q in (("first page (limit=50)", "limit=50"), ("search q=devsim-0099", "q=devsim-0099&limit=50"),
                        ("page after devsim-009950", "limit=50&after=devsim-009950"),
                        ("state=online (every row's state)", "state=online&limit=50")):
            ts = [get(st, f"/api/v1/devices?{q}", st.token)[2] for _ in range(a.runs)]
            print(f"  {name:<34} median {statistics.median(ts) * 1000:7.1f} ms  max {max(ts) * 1000:7.1f} ms")

        print(f"\n== chromium headless: time to first render (median / max of {a.runs} loads)")
        d = st.browser()
        st.login_token(st.token)
        st.wait(60, "fleet table", lambda: st.finds("#fleet-list tbody tr"))

        def load(frag, ready_js):
            d.get("about:blank")
            d.get(st.url(frag))
            st.wait(120, f"{frag} rendered", lambda: d.execute_script(ready_js))
            fcp = d.execute_script("const p = performance.getEntriesByName('first-contentful-paint');"
                                   "return p.length ? p[0].startTime : null")
            return fcp, d.execute_script("const m = performance.getEntriesByName('eve-fleet');"
                                         "return m.length ? m[0].startTime : null")

        fcps, marks = [], []
        for _ in range(a.runs):
            fcp, mark = load("#/fleet", "return performance.getEntriesByName('eve-fleet').length > 0")
            fcps.append(fcp or 0)
            marks.append(mark)
        rows = len(st.finds("#fleet-list tbody tr"))
        print(f"  first contentful paint       median {statistics.median(fcps):7.1f} ms  max {max(fcps):7.1f} ms")
        print(f"  fleet table ({rows} rows)      median {statistics.median(marks):7.1f} ms  max {max(marks):7.1f} ms")
        dev = urllib.parse.quote("devsim-000000")
        ts = []
        for _ in range(a.runs):
            t0 = time.monotonic()
            d.get("about:blank")
            d.get(st.url(f"#/device/{dev}"))
            st.wait(60, "device page", lambda: "devsim-000000" in st.text("main h1"))
            ts.append((time.monotonic() - t0) * 1000)
        print(f"  device page (wall, selenium) median {statistics.median(ts):7.1f} ms  max {max(ts):7.1f} ms")
        st.shot("fleet-10000")
    finally:
        st.stop()


if __name__ == "__main__":
    main()
