#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A viewer in the dashboard (issue 20 with users and roles, issue 19):
signed in with a viewer token (and, when the controller has users, with a
viewer's user name and password), the pages show no deploy, upload, create,
delete, start/stop or reboot control; a POST forged from the page with the
viewer's token is 403 and changes nothing. An admin then sees the Audit
menu entry and its records.

NOT registered in ctest until the roles branch is merged: it needs
POST /api/v1/tokens {"name", "role": "viewer"} -> {"token"} and
GET /api/v1/whoami; POST /api/v1/users {"name", "password", "role"} and
POST /api/v1/login are used when present. Registration: docs/dashboard.md.

Environment: EVE_CONTROLLER DASH_PORT [DASH_OUT]."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dashlib  # noqa: E402

PASSWORD = "viewer-pass-123456"


def device_cert(st, name):
    d = os.path.join(st.work, "certs")
    os.makedirs(d, exist_ok=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-subj", f"/CN={name}", "-days", "2", "-keyout", f"{d}/{name}.key", "-out", f"{d}/{name}.pem"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return open(f"{d}/{name}.pem").read()


def counts(st):
    return tuple(len(st.api("GET", p)[1]["items"]) for p in ("/apps", "/images", "/networks", "/devices"))


def check_no_controls(st, dev_id):
    """Every page as the viewer: data shown, no control that changes anything."""
    d = st.driver
    assert "(viewer)" in st.text("#who"), st.text("#who")
    for frag, list_id, absent in (
            ("#/fleet", "#fleet-list", []),
            (f"#/device/{dev_id}", "main dl", []),
            ("#/apps", "#apps-list", ["#deploy-form", "#deploy"]),
            ("#/app/v-app", "main dl", []),
            ("#/images", "#images-list", ["#upload-form"]),
            ("#/networks", "#networks-list", ["#network-form"]),
            ("#/rollouts", "#rollouts-list", [])):
        d.get(st.url(frag))
        # loaded, or refused for this role with the API's message
        st.wait(20, f"{frag} loaded", lambda: (st.finds(list_id) and st.text(list_id) != "")
                or "(HTTP 403)" in st.status_text())
        if frag.startswith("#/app/"):
            assert not st.finds("#app-actions button"), "viewer sees app actions"
        for css in absent:
            assert not st.finds(css), f"{frag}: viewer sees {css}"
        # no button but sign out (pagers only page)
        buttons = [b.text for b in st.finds("main button") if b.is_displayed()
                   and b.text not in ("Filter", "Previous page", "Next page")]
        assert not buttons, f"{frag}: viewer sees buttons {buttons}"
        st.shot(f"viewer-{frag.split('/')[1]}")


def main(st):
    dashlib.need_browser()
    st.start_controller(os.environ["EVE_CONTROLLER"])
    code, j = st.api("POST", "/tokens", {"name": "dash-viewer", "role": "viewer"})
    assert code == 201 and j.get("token"), f"POST /tokens with a role (roles merged?): {code} {j}"
    viewer = j["token"]
    code, w = st.api("GET", "/whoami", token=viewer)
    assert code == 200 and w.get("role") == "viewer", (code, w)

    # something to look at: a device, an image, an app
    code, dev = st.api("POST", "/devices", {"name": "v-dev", "serial": "v1", "cert": device_cert(st, "v-dev")})
    assert code == 201, dev
    sha = "0" * 64
    assert st.api("POST", "/images", {"name": "v-img", "format": "raw", "sha256": sha})[0] == 201
    code, app = st.api("POST", "/apps", {"name": "v-app", "image": "v-img", "device": "v-dev"})
    assert code == 201, app
    before = counts(st)

    st.browser()
    st.login_token(viewer)
    check_no_controls(st, dev["id"])

    # a POST forged from the page with the viewer's token: 403, nothing changed
    res = st.driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch('/api/v1/apps', {method: 'POST', headers: {'Authorization': 'Bearer ' + arguments[0],
              'Content-Type': 'application/json'},
              body: JSON.stringify({name: 'forged', image: 'v-img', device: 'v-dev'})})
          .then(r => r.text().then(t => done([r.status, t]))).catch(e => done([0, String(e)]));""", viewer)
    assert res[0] == 403, res
    for method, path, body in (("POST", "/apps/v-app/stop", {}), ("DELETE", "/apps/v-app", None),
                               ("POST", "/images", {"name": "x", "format": "raw", "sha256": sha}),
                               ("POST", "/devices/v-dev/reboot", {})):
        code, _ = st.api(method, path, body, token=viewer)
        assert code == 403, (method, path, code)
    assert counts(st) == before, (counts(st), before)
    code, a = st.api("GET", "/apps/v-app")
    assert a["activate"] is True, a

    # a viewer user, when the controller has users: the password form
    code, u = st.api("POST", "/users", {"name": "vera", "password": PASSWORD, "role": "viewer"})
    if code == 201:
        st.click("#logout")
        st.wait(10, "login form", lambda: st.finds("#login-user"))
        st.find("#login-user").send_keys("vera")
        st.find("#login-pass").send_keys(PASSWORD)
        st.click("#login-password button[type=submit]")
        st.wait(20, "signed in as vera", lambda: "vera (viewer)" in st.text("#who"))
        check_no_controls(st, dev["id"])
    else:
        st.log(f"POST /users answered {code}: password login not checked")

    # the admin sees the Audit entry (GET /audit answers 200) and its page
    st.click("#logout")
    st.wait(10, "login form", lambda: st.finds("#login-tok"))
    st.login_token(st.token)
    st.wait(10, "the audit menu entry", lambda: st.find("#nav-audit").is_displayed())
    st.click("#nav-audit")
    st.wait(20, "audit records", lambda: len(st.finds("#audit-list tbody tr")) > 0)
    st.shot("admin-audit")


if __name__ == "__main__":
    dashlib.run(main)
