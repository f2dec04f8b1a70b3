#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# kill -9 at every step of the update flow (the library's crash points, hit
# once each via EVE_UPDATE_CRASH_AT), plus a power cut (kill -9 of the whole
# device) at each step: the device always boots a working image, reaches
# the controller and ends with a good update committed (or, for a bad one,
# fallen back).
BOOT=$1 AGENT=$2
. "$(dirname "$0")/update_lib.sh"

touch "$CTL/online"
install_a 1.0
mk_image 2.0
fresh() {
	stop_device
	rm -rf "$SLOTS" "$PERSIST" "$T/boot.log"
	mkdir -p "$SLOTS/A" "$PERSIST"
	tar -C "$SLOTS/A" -xzf "$T/img-1.0.tgz"
	rm -f "$CTL/baseos"
}

for point in downloading downloaded writing written armed rebooting committed; do
	say "agent killed at '$point' of a good update"
	fresh
	START_ENV="EVE_UPDATE_CRASH_AT=$point" start_device 60
	wait_info "running=A"
	offer 2.0
	wait_info "^IMGB active 2.0 UPDATED activated=1" 60
	wait_info "running=B"
	test -e "$PERSIST/crashed-$point" || { echo "FAIL: crash point $point not reached"; exit 1; }
	grep -q "killed by signal 9" "$T/boot.log"
done

say "agent killed at 'falling-back' of a bad update"
fresh
mk_image 3.0 offline
START_ENV="EVE_UPDATE_CRASH_AT=falling-back" start_device 60 2
wait_info "running=A"
offer 3.0
wait_info "running=A.*status=FALLBACK" 60
test -e "$PERSIST/crashed-falling-back"
grep -q "reason=IMGB 3.0 did not reach the controller" "$PERSIST/info"
grep -q "^IMGA active 1.0 .* activated=1" "$PERSIST/info"

# Power cuts: the whole device dies at a step (the crash point is made to
# stop the agent so the cut lands exactly there), then powers on again.
for point in downloaded written armed; do
	say "power cut at '$point'"
	fresh
	START_ENV="EVE_UPDATE_CRASH_AT=$point" start_device 60
	wait_info "running=A"
	offer 2.0
	i=0; while [ ! -e "$PERSIST/crashed-$point" ]; do i=$((i+1)); [ $i -lt 600 ] || exit 1; sleep 0.1; done
	power_cut
	start_device 60
	wait_info "^IMGB active 2.0 UPDATED activated=1" 60
	wait_info "running=B"
done
echo PASS
