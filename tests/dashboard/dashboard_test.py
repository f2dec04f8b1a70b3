#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The web dashboard (issue 20) in a real browser: Debian's chromium,
headless, driven by selenium, against a real eve-controller and a real
eve-agent running a busybox OCI container on the machine's libvirt (LXC).

Signs in with the admin token, sees the device online on the fleet page
(and finds it by search), uploads the OCI image watching the progress bar,
deploys a container app through the form, waits for RUNNING on the app's
page, sees its console lines arrive live, stops it (HALTED), sees a refusal
shown with evectl's message, and writes a screenshot of every page (also at
phone width) to DASH_OUT.

Environment (tests/dashboard.cmake): EVE_CONTROLLER EVE_AGENT EVE_SRC
DASH_PORT DASH_OUT DASH_IMAGES."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dashlib  # noqa: E402

SERIAL = "dash-1"
APP = "hello-dash"


def libvirt_up(src):
    r = subprocess.run(["bash", "-c", f'. "{src}/tests/lib/libvirtd.sh"; libvirtd_start || '
                        '{ echo "$LIBVIRTD_ERROR"; exit 77; }'], capture_output=True, text=True)
    if r.returncode:
        dashlib.skip(f"libvirtd cannot start here: {r.stdout.strip()} {r.stderr.strip()}")


def oci_image(src, cache):
    r = subprocess.run(["sh", f"{src}/tests/images/build-oci-image.sh", cache], capture_output=True, text=True)
    if r.returncode:
        raise AssertionError(f"building the OCI image failed: {r.stderr[-500:]}")
    return os.path.join(cache, "busybox-oci.tar")


def main(st):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    src = os.environ["EVE_SRC"]
    dashlib.need_browser()
    libvirt_up(src)
    tar = oci_image(src, os.environ["DASH_IMAGES"])

    st.start_controller(os.environ["EVE_CONTROLLER"])
    st.start_agent(os.environ["EVE_AGENT"], SERIAL)
    d = st.browser()

    st.log("login page, then sign in with the admin token")
    d.get(st.url())
    st.wait(20, "the login form", lambda: st.finds("#login-user"))
    st.shot("01-login")
    # a wrong token: refused with the API's message, still on the login page
    st.find("#login-tok").send_keys("not-a-token")
    st.click("#login-token button[type=submit]")
    st.wait(10, "the refusal", lambda: "missing or unknown token (HTTP 401)" in st.status_text())
    st.login_token(st.token)
    assert "(admin)" in st.text("#who"), st.text("#who")
    # the keyboard reaches the skip link first, then the menu
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.common.action_chains import ActionChains
    d.get("about:blank")
    d.get(st.url("#/fleet"))  # a fresh document (the session stays in sessionStorage)
    st.wait(10, "fleet page", lambda: st.finds("#fleet-q"))
    ActionChains(d).send_keys(Keys.TAB).perform()
    ae = d.switch_to.active_element
    assert ae.get_attribute("class") == "skip", f"first Tab stop: {ae.get_attribute('outerHTML')}"
    ActionChains(d).send_keys(Keys.TAB).perform()
    ae = d.switch_to.active_element
    assert ae.get_attribute("href").endswith("#/fleet"), f"second Tab stop: {ae.get_attribute('outerHTML')}"
    # the admin token may read the audit trail (roles): its entry is shown
    st.wait(10, "the Audit entry for an admin", lambda: st.find("#nav-audit").is_displayed())

    st.log("fleet: the device comes online without a reload")
    st.wait(90, "device dash-1 online on the fleet page",
            lambda: any(SERIAL in r.text and "online" in r.text for r in st.finds("#fleet-list tbody tr")))
    st.find("#fleet-q").send_keys("no-such-device")
    st.find("#fleet-q").submit()
    st.wait(10, "the search finds nothing", lambda: "No device matches" in st.text("#fleet-list"))
    st.find("#fleet-q").clear()
    st.find("#fleet-q").send_keys("dash-")
    st.find("#fleet-q").submit()
    st.wait(10, "the search finds the device", lambda: SERIAL in st.text("#fleet-list"))
    st.shot("02-fleet")

    st.log("images: upload the OCI image, watching the progress bar")
    d.get(st.url("#/images"))
    st.wait(10, "the upload form", lambda: st.finds("#upload-file"))
    # Every progress value the page shows, recorded as it changes.
    d.execute_script("""
        window.__prog = [];
        const p = document.getElementById('upload-progress');
        new MutationObserver(() => window.__prog.push([p.value, p.max]))
            .observe(p, {attributes: true});""")
    st.find("#upload-file").send_keys(tar)
    st.find("#upload-name").send_keys("busybox")
    Select(st.find("#upload-format")).select_by_value("oci")
    st.click("#upload-submit")
    st.wait(60, "the upload done", lambda: "done" in st.text("#upload-label"))
    prog = d.execute_script("return window.__prog")
    size = os.path.getsize(tar)
    assert prog and prog[-1][0] == size, f"progress bar did not reach the file size {size}: {prog}"
    assert st.text("#upload-label").startswith(f"{'%.1f' % (size / 1048576)} MiB of") or "100 %" in st.text("#upload-label"), \
        st.text("#upload-label")
    assert "image busybox uploaded" in st.status_text(), st.status_text()
    st.wait(10, "the image ready in the list",
            lambda: any("busybox" in r.text and "ready" in r.text for r in st.finds("#images-list tbody tr")))
    code, img = st.api("GET", "/images/busybox")
    assert code == 200 and img["state"] == "ready" and img["size"] == size, img

    # a bigger one: the bar moves through intermediate values while it uploads
    big = os.path.join(st.work, "big.img")
    with open(big, "wb") as f:
        f.write(os.urandom(48 << 20))
    d.execute_script("""
        window.__prog2 = [];
        const p = document.getElementById('upload-progress'), l = document.getElementById('upload-label');
        new MutationObserver(() => window.__prog2.push([p.value, p.max, l.textContent]))
            .observe(p, {attributes: true});""")
    st.find("#upload-file").send_keys(big)
    st.find("#upload-name").send_keys("big")
    Select(st.find("#upload-format")).select_by_value("raw")
    st.click("#upload-submit")
    st.wait(120, "the big upload done", lambda: "image big uploaded" in st.status_text())
    prog = d.execute_script("return window.__prog2")
    uploading = [p for p in prog if " of " in p[2]]
    assert any(0 < p[0] < p[1] for p in uploading), f"no intermediate upload progress: {prog}"
    assert uploading[-1][0] == uploading[-1][1] == 48 << 20, prog
    assert any(p[2].startswith("hashing") for p in prog), "hashing progress not shown"
    code, img = st.api("GET", "/images/big")
    assert code == 200 and img["state"] == "ready", img
    st.wait(10, "big listed", lambda: st.finds("#images-list button[aria-label='delete big']"))
    st.shot("03-images")
    st.click("#images-list button[aria-label='delete big']")
    d.switch_to.alert.accept()
    st.wait(20, "big deleted", lambda: st.api("GET", "/images/big")[0] == 404 and "image big deleted" in st.status_text())

    st.log("apps: deploy a container app through the form (with a data volume)")
    code, vol = st.api("POST", "/volumes", {"name": "dash-data", "device": SERIAL, "size_bytes": 64 << 20})
    assert code == 201, vol
    d.get(st.url("#/apps"))
    st.wait(10, "the deploy form", lambda: st.finds("#deploy-name"))
    st.find("#deploy-name").send_keys(APP)
    Select(st.find("#deploy-image")).select_by_value("busybox")
    st.find("#deploy-device").send_keys(SERIAL)
    mem = st.find("#deploy-memory")
    mem.clear()
    mem.send_keys("64")
    st.find("#deploy-env").send_keys("GREETING=from-the-dashboard")
    st.find("#deploy-volumes").send_keys("dash-data:/data")
    st.shot("04-deploy-form")
    st.click("#deploy-submit")
    st.wait(15, "deployed", lambda: f"app {APP} deployed" in st.status_text())
    code, app = st.api("GET", f"/apps/{APP}")
    assert code == 200 and app["env"] == {"GREETING": "from-the-dashboard"} and app["memory_mb"] == 64, app
    assert app.get("volumes") == [{"name": "dash-data", "mount": "/data"}], app

    # the same deploy again: refused with the message evectl prints
    code, err = st.api("POST", "/apps", {"name": APP, "image": "busybox", "device": SERIAL})
    want = f"{err['error']} (HTTP {code})"
    st.find("#deploy-name").send_keys(APP)
    Select(st.find("#deploy-image")).select_by_value("busybox")
    st.find("#deploy-device").send_keys(SERIAL)
    st.click("#deploy-submit")
    st.wait(10, "the refusal shown verbatim", lambda: st.status_text() == want)
    st.shot("05-apps-refusal")

    st.log("app page: RUNNING and its console lines, live")
    d.get(st.url(f"#/app/{APP}"))
    st.wait(150, "RUNNING on the page", lambda: st.text(f"#state-{SERIAL}") == "RUNNING")
    st.wait(60, "the app's first console line",
            lambda: "EVE-TEST-OCI: hello from-the-dashboard" in st.text("#app-logs"))
    n0 = len(st.finds("#app-logs .line"))
    alive0 = [l for l in st.text("#app-logs").splitlines() if "EVE-TEST-OCI: alive" in l]
    st.wait(60, "new console lines without a reload",
            lambda: len([l for l in st.text("#app-logs").splitlines() if "EVE-TEST-OCI: alive" in l]) > len(alive0))
    assert len(st.finds("#app-logs .line")) > n0
    st.shot("06-app-running")

    st.log("stop it from the page")
    st.click(f"#app-actions button[aria-label='stop {APP}']")
    st.wait(10, "stop sent", lambda: f"stop sent to app {APP}" in st.status_text())
    st.wait(90, "HALTED on the page", lambda: st.text(f"#state-{SERIAL}") == "HALTED")
    code, app = st.api("GET", f"/apps/{APP}")
    assert app["activate"] is False, app
    st.shot("07-app-halted")

    st.log("device page: info, charts, apps, live logs")
    code, dev = st.api("GET", f"/devices/{SERIAL}")
    d.get(st.url(f"#/device/{dev['id']}"))
    st.wait(20, "device info", lambda: SERIAL in st.text("main h1"))
    st.wait(30, "metrics charts", lambda: len(st.finds("#charts svg polyline")) >= 2)
    st.wait(30, "device logs", lambda: len(st.finds("#device-logs .line")) > 0)
    assert APP in st.text("main"), "the device page lists the app"
    st.shot("08-device")

    for page in ("networks", "rollouts"):
        d.get(st.url(f"#/{page}"))
        st.wait(10, f"{page} page", lambda: st.finds(f"#{page}-list"))
        st.wait(10, f"{page} list loaded", lambda: st.text(f"#{page}-list") != "")
        st.shot(f"09-{page}")

    st.log("networks: a refused create shows the API's message")
    d.get(st.url("#/networks"))
    st.wait(10, "network form", lambda: st.finds("#network-form"))
    body = {"name": "n-bad", "device": SERIAL, "type": "local", "subnet": "10.1.0.0/99"}
    code, err = st.api("POST", "/networks", body)
    assert code == 400, (code, err)
    for k in ("name", "device", "subnet"):
        st.find(f"#network-form [name={k}]").send_keys(body[k])
    st.click("#network-form button[type=submit]")
    st.wait(10, "the refusal", lambda: st.status_text() == f"{err['error']} (HTTP 400)")
    assert st.api("GET", "/networks")[1]["items"] == [], "a refused network was created"

    st.log("phone width")
    d.set_window_size(390, 844)
    d.get(st.url("#/fleet"))
    st.wait(10, "fleet at phone width", lambda: SERIAL in st.text("#fleet-list"))
    overflow = d.execute_script("return document.documentElement.scrollWidth > window.innerWidth + 1")
    assert not overflow, "the fleet page scrolls sideways at phone width"
    st.shot("10-fleet-phone")

    errs = [e for e in st.console_errors() if "favicon" not in e.get("message", "")
            and "the server responded with a status of 4" not in e.get("message", "")]
    assert not errs, f"browser console errors: {errs}"
    # delete the app through the API so the agent removes its domain
    st.api("DELETE", f"/apps/{APP}")
    st.wait(60, "the agent removed the app", lambda: not os.listdir(os.path.join(st.agent_state, "apps"))
            if os.path.isdir(os.path.join(st.agent_state, "apps")) else True)


if __name__ == "__main__":
    dashlib.run(main)
