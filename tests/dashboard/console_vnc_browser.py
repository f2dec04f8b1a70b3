#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The dashboard's VNC page against a running controller (used by
tests/integration/console_vnc.sh, which starts the controller, the agent
and a VM app with VNC): chromium headless signs in with the token, opens
#/vnc/APP, and noVNC completes the RFB handshake with the VM's VNC server
through the controller's WebSocket and the device's tunnel (its
"connect" event); no browser console error.
usage: console_vnc_browser.py PORT TOKEN APP SCREENSHOT_DIR
Exit 0 when connected, 77 without chromium/selenium (1 with CI=true),
1 otherwise."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dashlib  # noqa: E402


def main():
    port, token, app, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    dashlib.need_browser()
    st = dashlib.Stack(port, out)
    try:
        d = st.browser()
        st.login_token(token)
        d.get(st.url(f"#/vnc/{app}"))
        st.wait(150, "noVNC connected to the VM's display",
                lambda: st.find("#vnc-screen").get_attribute("data-connected") == "1")
        st.log(f"  {st.text('#vnc-status')}")
        st.wait(20, "a canvas drawn by noVNC", lambda: st.finds("#vnc-screen canvas"))
        st.shot("console-03-vnc-connected")
        errs = st.console_errors()
        assert not errs, f"browser console errors: {errs}"
        print("VNC-CONNECTED")
        return 0
    except AssertionError as e:
        print(f"FAIL: {e}")
        if st.driver:
            for e2 in st.driver.get_log("browser")[-20:]:
                print("browser:", e2)
        return 1
    finally:
        if st.driver:
            st.driver.quit()
        st.driver = None
        import shutil
        shutil.rmtree(st.work, ignore_errors=True)


if __name__ == "__main__":
    tempfile.tempdir = None
    sys.exit(main())
