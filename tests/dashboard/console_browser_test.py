#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The dashboard's remote console (docs/console.md) in a real browser:
Debian's chromium headless (selenium) against a real eve-controller and a
real eve-agent running a busybox container with a shell on its console
(libvirt LXC). The app page opens the serial console in xterm.js; keys
typed into the browser's terminal reach the container's shell through the
controller's WebSocket and the device's tunnel, and the shell's computed
output appears in the terminal. The VNC page loads noVNC and shows the
device's refusal (a container has no VNC display). Leaving the page ends
the session; no browser console error (CSP) on either page.

Environment (tests/remote_console.cmake): EVE_CONTROLLER EVE_AGENT EVECTL
EVE_SRC DASH_PORT DASH_OUT DASH_IMAGES."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dashlib  # noqa: E402

SERIAL = "webcon-1"
APP = "webcon"


def libvirt_up(src):
    r = subprocess.run(["bash", "-c", f'. "{src}/tests/lib/libvirtd.sh"; libvirtd_start || '
                        '{ echo "$LIBVIRTD_ERROR"; exit 77; }'], capture_output=True, text=True)
    if r.returncode:
        dashlib.skip(f"libvirtd cannot start here: {r.stdout.strip()} {r.stderr.strip()}")


def oci_image(src, cache):
    os.makedirs(cache, exist_ok=True)
    r = subprocess.run(["flock", os.path.join(cache, ".lock"), "sh", f"{src}/tests/images/build-oci-image.sh", cache],
                       capture_output=True, text=True)
    if r.returncode:
        raise AssertionError(f"building the OCI image failed: {r.stderr[-500:]}")
    return os.path.join(cache, "busybox-oci.tar")


def evectl(st, *args):
    env = dict(os.environ, EVECTL_SERVER=f"https://localhost:{st.port}", EVECTL_CA=st.ca, EVECTL_TOKEN=st.token,
               HOME=st.work)
    r = subprocess.run([os.environ["EVECTL"], *args], env=env, capture_output=True, text=True)
    if r.returncode:
        raise AssertionError(f"evectl {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout


def app_log_has(st, text):
    code, j = st.api("GET", f"/apps/{APP}/logs?limit=1000")
    return code == 200 and any(text in (it.get("msg") or "") for it in j.get("items", []))


def main(st):
    from selenium.webdriver.common.action_chains import ActionChains
    src = os.environ["EVE_SRC"]
    dashlib.need_browser()
    for f in ("/usr/share/nodejs/xterm/lib/public/Terminal.js", "/usr/share/javascript/xterm/xterm.css",
              "/usr/share/novnc/core/rfb.js"):
        if not os.path.exists(f):
            dashlib.skip(f"{f} missing (scripts/install-deps: CONSOLE_PKGS)")
    libvirt_up(src)
    tar = oci_image(src, os.environ["DASH_IMAGES"])

    st.start_controller(os.environ["EVE_CONTROLLER"])
    evectl(st, "onboard", "add", "--cert", os.path.join(st.ctl_dir, "device-config", "onboard.cert.pem"),
           "--serial", SERIAL)
    st.start_agent(os.environ["EVE_AGENT"], SERIAL)
    st.wait(60, "device online", lambda: st.api("GET", f"/devices/{SERIAL}")[1].get("state") == "online")
    evectl(st, "image", "upload", "busybox", tar, "--format", "oci")
    evectl(st, "app", "deploy", APP, "--image", "busybox", "--device", SERIAL, "--memory", "64M",
           "-e", "CONSOLE_SHELL=1", "-e", "GREETING=webcon")
    st.wait(180, "the app's shell on its console", lambda: app_log_has(st, "EVE-TEST-OCI: shell on the console"))
    st.log("app running with a shell on its console")

    d = st.browser()
    st.login_token(st.token)
    d.get(st.url(f"#/app/{APP}"))
    st.wait(20, "the console link", lambda: st.find("#open-console").is_displayed())
    st.click("#open-console")
    st.wait(150, "the console connected", lambda: "Connected" in st.text("#console-status"))
    st.log(f"  {st.text('#console-status')}")
    # type into the browser's terminal (xterm.js's input element); the
    # output is computed by the container's shell: no local echo can fake it
    ActionChains(d).click(st.find("#terminal")).send_keys("echo WEB-$((6*7))-OK\n").perform()
    st.wait(30, "the shell's output in the browser terminal",
            lambda: "WEB-42-OK" in d.execute_script("return window.eveTranscript || ''").replace("WEB-$((6*7))-OK", ""))
    st.log(f"  transcript: {d.execute_script('return window.eveTranscript').strip()[-120:]!r}")
    st.shot("console-01-terminal")
    code, sessions = st.api("GET", "/console-sessions")
    live = [s for s in sessions["items"] if s["state"] == "connected" and s["kind"] == "console"]
    assert code == 200 and len(live) == 1 and live[0]["bytes_in"] >= 0, sessions
    sid = live[0]["id"]
    agent_log = open(st.agent_log, errors="replace").read()
    assert "edgeview: channel" in agent_log and "console of app" in agent_log, "no console channel in the agent's log"

    st.log("leaving the page ends the session")
    d.get(st.url(f"#/app/{APP}"))
    st.wait(30, "the session ended", lambda: st.api("GET", f"/console-sessions/{sid}")[1]["state"] == "ended")
    errs = st.console_errors()
    assert not errs, f"browser console errors: {errs}"

    st.log("VNC page: noVNC loads; the device refuses (a container has no VNC display)")
    d.get(st.url(f"#/vnc/{APP}"))
    st.wait(150, "the device's refusal", lambda: "no VNC display" in st.text("#vnc-status"))
    st.log(f"  {st.text('#vnc-status')}")
    st.shot("console-02-vnc-refused")
    errs = [e for e in st.console_errors() if "WebSocket" not in e.get("message", "")]
    assert not errs, f"browser console errors: {errs}"


if __name__ == "__main__":
    dashlib.run(main)
