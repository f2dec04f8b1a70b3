#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Cloud-init inside a guest (issue 28), end to end: eve-controller +
# eve-agent + evectl over real TLS on 127.0.0.1, QEMU (TCG) under the
# machine's libvirtd. The guest is a Debian rootfs with Debian's cloud-init
# (tests/images/build-cloudinit-image.sh) booted by its own SYSLINUX; the
# app carries user data (write_files + runcmd) and env vars on the same app,
# so the device's NoCloud seed is the multipart the controller built. The
# real cloud-init reads it from the "cidata" CD-ROM: the guest's console
# (the app's logs) shows the file the user data wrote, the command it ran,
# and /etc/eve/env with the app's variables.
. "$(dirname "$0")/e2e_lib.sh"

SERIAL=anyapp-ci-serial-1
IMAGES=$E2E_BUILD/anyapp-images

step "controller on 127.0.0.1:$E2E_PORT, libvirtd, the cloud-init guest image"
ctl_init "$CTL" "$E2E_PORT" || fail "eve-controller init"
ctl_start "$CTL" || fail "eve-controller serve"
libvirtd_start || test_skip "libvirtd cannot start here: $LIBVIRTD_ERROR"
mkdir -p "$IMAGES"
(
	flock 9
	sh "$EVE_SRC/tests/images/build-cloudinit-image.sh" "$IMAGES"
) 9>"$IMAGES/.ci-lock" >"$W/images.log" 2>&1
rc=$?
if [ "$rc" = 3 ]; then
	test_skip "$(tail -n 1 "$W/images.log")"
elif [ "$rc" != 0 ]; then
	tail -n 20 "$W/images.log"
	fail "building the cloud-init guest"
fi
pass "image: $(du -h "$IMAGES/cloudinit.qcow2" | cut -f1) qcow2"

step "device onboards"
ectl onboard add --cert "$CTL/device-config/onboard.cert.pem" --serial "$SERIAL" >/dev/null ||
	fail "evectl onboard add"
agent_dirs dev
agent_start dev "$SERIAL"
wait_for 60 "device $SERIAL online" device_field_is "$SERIAL" .state online
ectl device config set "$SERIAL" timer.config.interval=2 >/dev/null || fail "evectl device config set"
agent_stop dev
agent_start dev "$SERIAL"
pass "online, config every 2 s"

step "deploy: the cloud-init guest with user data and env vars"
MARK=ud-$RANDOM$RANDOM
cat >"$W/user-data" <<UD
#cloud-config
write_files:
 - path: /var/lib/eve-ci/mark
   content: "$MARK"
runcmd:
 - [ sh, -c, "echo ran-\$((6 * 7)) > /var/lib/eve-ci/runcmd" ]
UD
ectl image upload anyapp-ci "$IMAGES/cloudinit.qcow2" --format qcow2 >/dev/null || fail "upload cloudinit.qcow2"
ectl app deploy ci --image anyapp-ci --device "$SERIAL" --memory 512M \
	-e GREETING=hi -e MODE=cloud --user-data "$W/user-data" >/dev/null || fail "deploy ci"
wait_app_state ci RUNNING 240
pass "RUNNING"

step "the real cloud-init in the guest consumed the seed"
wait_for 400 "cloud-init's final stage on the console" app_log_ge ci "CIGUEST: cloud-init modules --mode=final done" 1
wait_for 30 "the file written by write_files" app_log_ge ci "CIGUEST: file /var/lib/eve-ci/mark $MARK" 1
wait_for 30 "the output of runcmd" app_log_ge ci "CIGUEST: file /var/lib/eve-ci/runcmd ran-42" 1
wait_for 30 "the app's env in /etc/eve/env" app_log_ge ci "CIGUEST: env .*GREETING=.?hi.*MODE=.?cloud" 1
app_log_ge ci "CIGUEST: env .*#cloud-config" 1 && fail "cloud-config text in /etc/eve/env"
pass "$(ectl -o json app logs ci --limit 1000 | jq -r '.items[].msg' | grep -E 'CIGUEST: (file|env)' | tr '\n' ';')"
log "PASS"
