# SPDX-License-Identifier: Apache-2.0
"""Shared by the dashboard tests (tests/dashboard/*_test.py): a real
eve-controller (and eve-agent) in a temporary directory, Debian's chromium
headless driven by selenium, screenshots into the test's output directory.
Everything started is stopped by PID; the agent's libvirt domains are
removed. Not a test itself."""
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request


def skip(reason):
    """77 (skipped) on a developer machine, a failure with CI=true."""
    print(f"SKIP: {reason}")
    if os.environ.get("CI") == "true":
        print("FAIL: CI=true: a test may not skip on CI (reason above)")
        sys.exit(1)
    sys.exit(77)


def need_browser():
    try:
        import selenium  # noqa: F401
    except ImportError:
        skip("python3-selenium not installed (scripts/install-deps: DASHBOARD_PKGS)")
    for b in ("chromium", "chromedriver"):
        if not shutil.which(b):
            skip(f"{b} not installed (scripts/install-deps: DASHBOARD_PKGS)")


class Stack:
    def __init__(self, port, out_dir):
        self.port = port
        self.out = out_dir
        os.makedirs(out_dir, exist_ok=True)
        self.work = tempfile.mkdtemp(prefix="dash-test.")
        self.ctl_dir = os.path.join(self.work, "ctl")
        self.procs = []
        self.agent_state = None
        self.driver = None
        self.t0 = time.time()

    def log(self, msg):
        print(f"[dashboard {time.time() - self.t0:5.1f}s] {msg}", flush=True)

    # ------------------------------------------------------------ processes
    def start_controller(self, exe):
        subprocess.run([exe, "init", "--dir", self.ctl_dir, "--listen", f"127.0.0.1:{self.port}",
                        "--host", "localhost,127.0.0.1"], check=True, stdout=subprocess.DEVNULL)
        self.token = open(os.path.join(self.ctl_dir, "admin-token")).readline().strip()
        self.ca = os.path.join(self.ctl_dir, "certs", "root-certificate.pem")
        self.ctx = ssl.create_default_context(cafile=self.ca)
        log = open(os.path.join(self.ctl_dir, "serve.log"), "w")
        self.ctl = subprocess.Popen([exe, "serve", "--dir", self.ctl_dir], stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(self.ctl)
        self.wait(30, "the controller answers", lambda: self.api("GET", "/status")[0] == 200)

    def start_agent(self, exe, serial, libvirt=None):
        conf = os.path.join(self.work, "agent.conf")
        self.agent_state = os.path.join(self.work, "agent.state")
        shutil.copytree(os.path.join(self.ctl_dir, "device-config"), conf)
        with open(os.path.join(conf, "server"), "w") as f:
            f.write(f"localhost:{self.port}\n")
        with open(os.path.join(conf, "config-items"), "w") as f:
            f.write("timer.config.interval=2\ntimer.metric.interval=3\n")
        os.makedirs(self.agent_state)
        args = [exe, "--config", conf, "--state", self.agent_state, "--serial", serial, "-v"]
        if libvirt:
            args += ["--libvirt", libvirt]
        self.agent_log = os.path.join(self.work, "agent.log")
        self.agent = subprocess.Popen(args, stdout=open(self.agent_log, "w"), stderr=subprocess.STDOUT)
        self.procs.append(self.agent)

    def stop(self):
        if self.driver:
            try:
                self.driver.quit()
            except Exception:
                pass
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.remove_domains()
        if os.environ.get("DASH_KEEP") == "1":
            print(f"kept {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)

    def finish(self):
        """Stop the controller and agent with SIGTERM: both exit 0 and
        print no sanitizer report (ASan/UBSan builds)."""
        for p, log in ((getattr(self, "agent", None), getattr(self, "agent_log", "")),
                       (getattr(self, "ctl", None), os.path.join(self.ctl_dir, "serve.log"))):
            if p is None or p.poll() is not None and p.returncode == 0:
                continue
            p.send_signal(signal.SIGTERM)
            try:
                rc = p.wait(60)
            except subprocess.TimeoutExpired:
                p.kill()
                raise AssertionError(f"{p.args[0]} ignored SIGTERM for 60 s")
            text = open(log, errors="replace").read() if log and os.path.exists(log) else ""
            for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
                if bad in text:
                    raise AssertionError(f"sanitizer report in {log}:\n{text[text.index(bad) - 200:][:3000]}")
            if rc != 0:
                raise AssertionError(f"{os.path.basename(p.args[0])} exited {rc} on SIGTERM")

    def remove_domains(self):
        """The domains of this test's agent: eve-<uuid> per app dir."""
        apps = os.path.join(self.agent_state or "/nonexistent", "apps")
        if not os.path.isdir(apps):
            return
        for u in os.listdir(apps):
            for uri in ("lxc:///system", "qemu:///system"):
                for verb in ("destroy", "undefine"):
                    subprocess.run(["virsh", "-q", "-c", uri, verb, f"eve-{u}"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def dump(self):
        for f in (os.path.join(self.ctl_dir, "serve.log"), getattr(self, "agent_log", "")):
            if f and os.path.exists(f):
                lines = [l for l in open(f, errors="replace") if "unchanged (304)" not in l]
                print(f"--- last lines of {os.path.basename(f)} ---", file=sys.stderr)
                sys.stderr.writelines(lines[-30:])

    # ------------------------------------------------------------ admin API
    def api(self, method, path, body=None, token=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"https://127.0.0.1:{self.port}/api/v1{path}", data=data, method=method)
        req.add_header("Authorization", f"Bearer {token or self.token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=20) as r:
                t = r.read()
                return r.status, json.loads(t) if t else None
        except urllib.error.HTTPError as e:
            t = e.read()
            try:
                return e.code, json.loads(t)
            except ValueError:
                return e.code, None
        except (urllib.error.URLError, ConnectionError, OSError):
            return 0, None

    # ------------------------------------------------------------ browser
    def browser(self, width=1280, height=1000):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        o = webdriver.ChromeOptions()
        o.binary_location = shutil.which("chromium")
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  f"--window-size={width},{height}", "--ignore-certificate-errors",
                  f"--user-data-dir={self.work}/chromium", "--no-first-run"):
            o.add_argument(a)
        o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=o)
        self.driver.set_page_load_timeout(30)
        return self.driver

    def url(self, frag=""):
        return f"https://localhost:{self.port}/{frag}"

    def shot(self, name):
        bad = self.unlabelled()
        assert not bad, f"{name}: controls without a label: {bad}"
        p = os.path.join(self.out, f"{name}.png")
        self.driver.save_screenshot(p)
        self.log(f"  screenshot {p}")

    def console_errors(self):
        return [e for e in self.driver.get_log("browser") if e.get("level") == "SEVERE"]

    def wait(self, secs, what, fn):
        end = time.time() + secs
        last = None
        while time.time() < end:
            try:
                v = fn()
                if v:
                    return v
            except Exception as e:  # the page is being re-rendered
                last = e
            time.sleep(0.3)
        raise AssertionError(f"timed out after {secs}s waiting for: {what}" + (f" ({last})" if last else ""))

    def text(self, css):
        from selenium.webdriver.common.by import By
        return self.driver.find_element(By.CSS_SELECTOR, css).text

    def find(self, css):
        from selenium.webdriver.common.by import By
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def click(self, css, secs=10):
        """Find and click, again if the page re-rendered the element in
        between (lists refresh on their own: a stale reference is not
        clicked, so trying again cannot click twice)."""
        from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
        end = time.time() + secs
        while True:
            try:
                return self.find(css).click()
            except (StaleElementReferenceException, NoSuchElementException):
                if time.time() >= end:
                    raise
                time.sleep(0.2)

    def finds(self, css):
        from selenium.webdriver.common.by import By
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def unlabelled(self):
        """Form controls and buttons of the page without an accessible name."""
        return self.driver.execute_script("""
            return [...document.querySelectorAll('input, select, textarea, button, a[href]')]
              .filter(e => e.offsetParent !== null || e.type === 'file')
              .filter(e => !((e.labels && e.labels.length) || e.getAttribute('aria-label') ||
                             e.textContent.trim()))
              .map(e => e.outerHTML.slice(0, 120));""")

    def status_text(self):
        s = self.find("#status")
        return "" if s.get_attribute("hidden") is not None else s.text

    def login_token(self, token):
        self.driver.get(self.url())
        self.wait(20, "the login form", lambda: self.finds("#login-tok"))
        self.find("#login-tok").send_keys(token)
        self.click("#login-token button[type=submit]")
        self.wait(20, "signed in", lambda: self.find("#who").is_displayed())


def run(main):
    """main(stack) -> None; exit 0 / 1 with the logs on failure."""
    port = int(os.environ["DASH_PORT"])
    out = os.environ.get("DASH_OUT") or tempfile.mkdtemp(prefix="dash-out.")
    st = Stack(port, out)
    rc = 0
    try:
        main(st)
        if st.driver:
            st.driver.quit()
            st.driver = None
        st.finish()
        st.log("PASS")
    except SystemExit:
        raise
    except BaseException as e:  # noqa: B902 - report everything
        rc = 1
        st.log(f"FAIL: {e}")
        if st.driver:
            try:
                st.shot("failure")
                for e2 in st.driver.get_log("browser")[-20:]:
                    print("browser:", e2, file=sys.stderr)
            except Exception:
                pass
        st.dump()
    finally:
        st.stop()
    sys.exit(rc)
