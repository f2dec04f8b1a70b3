#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2015 # "a && b || fail" is meant
# The Debian packages, the way an operator uses them: scripts/build-debs
# (dpkg-buildpackage + lintian, errors fail), `apt-get install ./eve-*.deb`,
# the controller and the agent started from the installed files exactly as
# their systemd units say (this machine has no systemd as PID 1; the units
# pass `systemd-analyze verify`), onboarding and the quickstart's busybox
# container deployed with the installed evectl until RUNNING, a reinstall
# (upgrade path) that keeps the data, then remove (data kept) and purge
# (nothing left behind).
#
# It installs and removes system packages, so on a developer's machine it
# runs only when asked (EVE_TEST_PACKAGES=1) and never over packages that
# are already installed; under CI=true it always runs.
# Environment (tests/package.cmake): EVE_SRC PKG_PORT.
set -u
: "${EVE_SRC:?}" "${PKG_PORT:?}"

T0=$(date +%s)
W=$(mktemp -d /tmp/eve-pkg.XXXXXX)
SERIAL=pkgtest-$$
PKGS="eve-controller eve-agent evectl"
CTL_DIR=/var/lib/eve-controller
export HOME=$W/home
mkdir -p "$HOME"

log() { printf '[package %4ss] %s\n' "$(($(date +%s) - T0))" "$*"; }
skip() {
	if [ "${CI:-}" = true ]; then
		log "FAIL (CI=true, nothing may be skipped): $*" >&2
		exit 1
	fi
	log "SKIP: $*"
	exit 77
}

[ "$(id -u)" = 0 ] || skip "needs root (installs packages)"
if [ "${CI:-}" != true ] && [ "${EVE_TEST_PACKAGES:-}" != 1 ]; then
	skip "installs and purges system packages: set EVE_TEST_PACKAGES=1 to run it"
fi
for p in $PKGS; do
	if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		[ "${CI:-}" = true ] || skip "package $p is installed on this machine: not touching it"
	fi
done
for t in dpkg-buildpackage lintian; do
	command -v "$t" >/dev/null || skip "$t not installed (scripts/install-deps)"
done

CTL_PID= AGENT_PID=
installed=0
fail() {
	log "FAIL: $*" >&2
	for f in "$W"/*.log; do
		[ -s "$f" ] || continue
		echo "--- last lines of $f ---" >&2
		grep -v 'config: unchanged (304)' "$f" | tail -n 25 >&2
	done
	exit 1
}
stop_daemons() {
	[ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null
	[ -n "$CTL_PID" ] && kill "$CTL_PID" 2>/dev/null && wait "$CTL_PID" 2>/dev/null
	AGENT_PID= CTL_PID=
}
cleanup() {
	stop_daemons
	# Apps the installed agent started: their domains must not outlive the test.
	for d in $(cat "$W/domains" 2>/dev/null); do
		virsh -q -c lxc:///system destroy "$d" >/dev/null 2>&1
		virsh -q -c lxc:///system undefine "$d" >/dev/null 2>&1
	done
	[ "$installed" = 1 ] && dpkg --purge $PKGS >/dev/null 2>&1
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# shellcheck source=/dev/null
. "$EVE_SRC/tests/lib/libvirtd.sh"
libvirtd_start || skip "libvirtd cannot start here: $LIBVIRTD_ERROR"

log "build the packages (dpkg-buildpackage) and run lintian"
"$EVE_SRC/scripts/build-debs" "$W/debs" >"$W/build-debs.log" 2>&1 || fail "scripts/build-debs failed"
grep -q '^E: ' "$W/build-debs.log" && fail "lintian reported errors"
debs=()
for p in $PKGS; do
	f=$(ls "$W"/debs/"${p}"_*.deb 2>/dev/null | head -n1)
	[ -n "$f" ] || fail "no .deb for $p"
	debs+=("$f")
done
log "  ok: ${debs[*]##*/}"

log "apt-get install ./eve-*.deb"
installed=1
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${debs[@]}" >"$W/install.log" 2>&1 ||
	fail "apt-get install failed"
for f in /usr/bin/eve-controller /usr/sbin/eve-agent /usr/sbin/eve-slot-boot /usr/bin/evectl \
	/lib/systemd/system/eve-controller.service /lib/systemd/system/eve-agent.service \
	/usr/share/man/man8/eve-controller.8.gz /usr/share/man/man8/eve-agent.8.gz \
	/usr/share/man/man8/eve-slot-boot.8.gz /usr/share/man/man1/evectl.1.gz \
	/usr/share/bash-completion/completions/evectl /usr/share/zsh/vendor-completions/_evectl \
	/usr/share/eve/mkcerts.sh; do
	[ -e "$f" ] || fail "installed file missing: $f"
done
getent passwd eve-controller >/dev/null || fail "no eve-controller system user"
[ -s "$CTL_DIR/admin-token" ] || fail "the package did not initialise $CTL_DIR"
grep -q "admin token is in $CTL_DIR/admin-token" "$W/install.log" || fail "the installation does not say where the admin token is"
[ "$(stat -c %U "$CTL_DIR/controller.db")" = eve-controller ] || fail "controller.db is not owned by eve-controller"
[ -L "$CTL_DIR/controller.conf" ] && [ -f /etc/eve-controller/controller.conf ] || fail "settings are not in /etc/eve-controller"
[ -d /etc/eve/config ] && [ "$(stat -c %a /etc/eve/config)" = 700 ] || fail "/etc/eve/config missing or not 0700"
if command -v systemd-analyze >/dev/null; then
	systemd-analyze verify /lib/systemd/system/eve-controller.service /lib/systemd/system/eve-agent.service \
		>"$W/verify.log" 2>&1 || fail "systemd-analyze verify: $(cat "$W/verify.log")"
	grep -i 'eve-' "$W/verify.log" && fail "systemd-analyze verify complains about our units"
fi
[ -L /etc/systemd/system/multi-user.target.wants/eve-controller.service ] || fail "eve-controller.service is not enabled"
[ -L /etc/systemd/system/multi-user.target.wants/eve-agent.service ] || fail "eve-agent.service is not enabled"
for b in /usr/bin/eve-controller /usr/sbin/eve-agent /usr/bin/evectl; do
	man -w "$(basename "$b")" >/dev/null 2>&1 || fail "no man page for $b"
done
# zsh finds the packaged completion by itself (vendor-completions is in its
# default fpath): type "evectl devi<TAB>upd<TAB>" in a real zsh under tmux.
if command -v zsh >/dev/null && command -v tmux >/dev/null; then
	mkdir -p "$W/zdot"
	printf 'autoload -U compinit && compinit -u -D\nPS1="> "\n' >"$W/zdot/.zshrc"
	tmux new-session -d -s "pkgzsh$$" -x 120 -y 10 "ZDOTDIR=$W/zdot zsh -i" || fail "tmux"
	sleep 2
	tmux send-keys -t "pkgzsh$$" 'evectl devi' Tab
	sleep 1
	tmux send-keys -t "pkgzsh$$" 'upd' Tab
	sleep 1
	screen=$(tmux capture-pane -t "pkgzsh$$" -p)
	tmux kill-session -t "pkgzsh$$"
	grep -q 'evectl device update-os' <<<"$screen" || fail "zsh did not complete 'evectl devi<TAB>upd<TAB>': $screen"
fi
log "  ok: files, user, $CTL_DIR, /etc settings, units enabled and verified, man pages, zsh completion"

# Run as the units do (ExecStart, User=), on a loopback port of the test.
sed -i "s/^listen=.*/listen=127.0.0.1:$PKG_PORT/" /etc/eve-controller/controller.conf
start_controller() {
	runuser -u eve-controller -- /usr/bin/eve-controller serve --dir "$CTL_DIR" >>"$W/controller.log" 2>&1 &
	CTL_PID=$!
}
export EVECTL_SERVER=https://localhost:$PKG_PORT EVECTL_CA=$CTL_DIR/certs/root-certificate.pem
EVECTL_TOKEN=$(cat "$CTL_DIR/admin-token")
export EVECTL_TOKEN
wait_controller() {
	local i
	for i in $(seq 1 100); do
		evectl status >/dev/null 2>&1 && return 0
		kill -0 "$CTL_PID" 2>/dev/null || fail "the installed controller exited"
		sleep 0.2
	done
	fail "the installed controller does not answer on $PKG_PORT"
}
start_controller
wait_controller
log "  ok: controller (user eve-controller) answers on 127.0.0.1:$PKG_PORT"

# The device: the controller's device-config files in /etc/eve/config, as
# eve-agent(8) says; "server" names the controller by the name the test uses.
cp "$CTL_DIR"/device-config/* /etc/eve/config/ || fail "copying device-config"
echo "localhost:$PKG_PORT" >/etc/eve/config/server
evectl onboard add --cert /etc/eve/config/onboard.cert.pem --serial "$SERIAL" >"$W/evectl.log" 2>&1 ||
	fail "evectl onboard add failed"
start_agent() {
	/usr/sbin/eve-agent --config /etc/eve/config --state /var/lib/eve-agent --serial "$SERIAL" \
		>>"$W/agent.log" 2>&1 &
	AGENT_PID=$!
}
start_agent
for i in $(seq 1 150); do
	state=$(evectl -o json device get "$SERIAL" 2>/dev/null | jq -r '.state // empty')
	[ "$state" = online ] && break
	kill -0 "$AGENT_PID" 2>/dev/null || fail "the installed agent exited"
	sleep 0.4
done
[ "$state" = online ] || fail "device $SERIAL not online (state '$state')"
evectl device config set "$SERIAL" timer.config.interval=5 >>"$W/evectl.log" 2>&1 || fail "device config set"
log "  ok: agent onboarded as $SERIAL"

log "deploy the quickstart's busybox container with the installed evectl"
sh "$EVE_SRC/tests/images/build-oci-image.sh" "$W/images" >"$W/image.log" 2>&1 || fail "building the test image"
evectl image upload busybox "$W/images/busybox-oci.tar" --format oci >>"$W/evectl.log" 2>&1 || fail "image upload"
evectl app deploy hello --image busybox --device "$SERIAL" -e GREETING=from-package --memory 64M \
	>>"$W/evectl.log" 2>&1 || fail "app deploy"
inst=$(evectl -o json app get hello | jq -r '.instances[0].id')
echo "eve-$inst" >"$W/domains"
evectl app wait hello --state RUNNING --timeout 240s >>"$W/evectl.log" 2>&1 ||
	fail "hello not RUNNING: $(evectl -o json app get hello 2>&1 | jq -c '[.instances[] | {state, error}]')"
for i in $(seq 1 60); do
	evectl -o json app logs hello --limit 100 2>/dev/null | grep -q 'EVE-TEST-OCI: hello from-package' && break
	sleep 1
done
evectl -o json app logs hello --limit 100 2>/dev/null | grep -q 'EVE-TEST-OCI: hello from-package' ||
	fail "the app's console line did not reach the controller"
log "  ok: hello RUNNING, console line shown"

log "reinstall (the upgrade path) keeps the controller's data"
token_before=$(sha256sum "$CTL_DIR/admin-token")
stop_daemons
dpkg -i "${debs[@]}" >"$W/reinstall.log" 2>&1 || fail "dpkg -i over the installed packages failed"
[ "$(sha256sum "$CTL_DIR/admin-token")" = "$token_before" ] || fail "reinstalling replaced the admin token"
grep -q "^listen=127.0.0.1:$PKG_PORT" /etc/eve-controller/controller.conf || fail "reinstalling reset the settings"
start_controller
wait_controller
evectl -o json device get "$SERIAL" >/dev/null 2>&1 || fail "device $SERIAL lost by the reinstall"
evectl -o json app get hello >/dev/null 2>&1 || fail "app hello lost by the reinstall"
start_agent
log "  ok: same token, settings, device and app after the reinstall"

log "delete the app, remove the packages (data kept), purge (nothing left)"
evectl app delete hello >>"$W/evectl.log" 2>&1 || fail "app delete"
for i in $(seq 1 120); do
	virsh -q -c lxc:///system domuuid "eve-$inst" >/dev/null 2>&1 || break
	sleep 0.5
done
virsh -q -c lxc:///system domuuid "eve-$inst" >/dev/null 2>&1 && fail "the app's domain outlived its deletion"
stop_daemons
DEBIAN_FRONTEND=noninteractive apt-get remove -y $PKGS >"$W/remove.log" 2>&1 || fail "apt-get remove failed"
[ -e /usr/bin/eve-controller ] && fail "remove left /usr/bin/eve-controller"
[ -s "$CTL_DIR/controller.db" ] && [ -f /etc/eve-controller/controller.conf ] && [ -s /var/lib/eve-agent/uuid ] ||
	fail "remove did not keep the data (controller database, settings, device identity)"
dpkg --purge $PKGS >"$W/purge.log" 2>&1 || fail "dpkg --purge failed"
installed=0
for f in "$CTL_DIR" /etc/eve-controller /var/lib/eve-agent /etc/eve /usr/share/eve \
	/lib/systemd/system/eve-controller.service /etc/systemd/system/multi-user.target.wants/eve-controller.service \
	/etc/systemd/system/multi-user.target.wants/eve-agent.service /etc/logrotate.d/eve-agent; do
	[ -e "$f" ] && fail "purge left $f behind"
done
getent passwd eve-controller >/dev/null && fail "purge left the eve-controller user"
left=$(dpkg -l $PKGS 2>/dev/null | awk '/^[a-z][a-z] /{print $1, $2}' | grep -v '^un ')
[ -z "$left" ] || fail "dpkg still knows: $left"
log "PASS"
