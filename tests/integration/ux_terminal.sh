#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Issue 18, in a real terminal (tmux): `device reboot` asks for
# confirmation on a TTY (no answer -> nothing is sent; 'y' -> requested;
# --yes never asks) and `image upload` draws its progress bar.
. "$(dirname "$0")/cli_lib.bash"
if ! command -v tmux >/dev/null 2>&1; then
	[ "${CI:-}" = true ] && fail "tmux missing (CLI_PKGS)"
	echo "SKIP: tmux not installed"
	exit 77
fi
SOCK=$WORK/tmux.sock
T() { tmux -S "$SOCK" "$@"; }
tmux_cleanup() { T kill-server 2>/dev/null; cleanup; }
trap tmux_cleanup EXIT
# screen_has REGEX [SECONDS]: the pane shows REGEX within SECONDS
screen_has() {
	local end=$((SECONDS + ${2:-20}))
	until T capture-pane -p -t ux | grep -Eq -- "$1"; do
		[ "$SECONDS" -ge "$end" ] && { T capture-pane -p -t ux >&2; fail "screen lacks /$1/"; }
		sleep 0.2
	done
}

start_controller
expect 0 login --server "$SERVER" --ca "$CA" --token "$TOKEN"
mkcert dev1
expect 0 device add edge-1 --cert "$WORK/dev1.pem" --serial SN1
reboots() { "$EVECTL" -o json device config dump edge-1 | "$JSONQ" .reboot.counter 2>/dev/null || echo 0; }
r0=$(reboots)

T -f /dev/null new-session -d -s ux -x 160 -y 40 "env HOME=$HOME bash --norc --noprofile" || fail "tmux new-session"
T send-keys -t ux "PS1='$ '; cd $WORK" Enter

# no (Enter): refused, nothing sent
T send-keys -t ux "$EVECTL device reboot edge-1; echo rc=\$?" Enter
screen_has "Reboot device edge-1 \(serial SN1\)\? .*\[y/N\]"
T send-keys -t ux Enter
screen_has "reboot not confirmed \(use --yes in scripts\)"
screen_has "^rc=1"
want "$r0" "$(reboots)" "reboot counter after a refused confirmation"
# y: requested
T send-keys -t ux "clear; $EVECTL device reboot edge-1; echo rc=\$?" Enter
screen_has "\[y/N\]"
T send-keys -t ux "y" Enter
screen_has "device/edge-1 reboot requested"
screen_has "^rc=0"
r1=$(reboots)
[ "$r1" != "$r0" ] || fail "confirmed reboot not requested"
# --yes: no question
T send-keys -t ux "clear; $EVECTL device reboot edge-1 --yes; echo rc=\$?" Enter
screen_has "^rc=0"
T capture-pane -p -t ux | grep -q "y/N" && fail "--yes still asked"
# off a terminal: no question either (scripts keep working)
expect 0 device reboot edge-1 </dev/null

# progress bar on the terminal
head -c $((8 * 1024 * 1024)) /dev/urandom >"$WORK/big.img"
T send-keys -t ux "clear; $EVECTL image upload big $WORK/big.img; echo rc=\$?" Enter
screen_has "100%" 60
screen_has "^rc=0" 60
echo "PASS"
