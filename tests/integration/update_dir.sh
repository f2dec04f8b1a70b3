#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Dir backend end to end under eve-slot-boot: a good update commits; a new
# image that crashes at start, one that never reaches the controller and
# one that hangs all fall back with a reason, and a failed version is not
# retried until retry_update grows; a power cut in the test window falls
# back too, and the device keeps booting and reporting.
BOOT=$1 AGENT=$2
. "$(dirname "$0")/update_lib.sh"

touch "$CTL/online"
install_a 1.0
start_device 60
wait_info "running=A"
wait_info "^IMGA active 1.0 NONE activated=1"

say "good update 2.0 commits"
mk_image 2.0
offer 2.0
wait_info "^IMGB active 2.0 UPDATED activated=1" 60
wait_info "running=B"
grep -q "^IMGA inactive 1.0" "$PERSIST/info"
grep -q "^B.successful=1" "$SLOTS/slots.state"

say "3.0 crashes at start: fallback, not retried until --retry"
mk_image 3.0 crash
n0=$(boots_of IMGA)
offer 3.0
wait_info "status=FALLBACK" 60
wait_info "running=B"
grep -q "reason=IMGA exited with status 3" "$PERSIST/info"
grep -q "^IMGA unused 3.0 FALLBACK" "$PERSIST/info"
grep -q "^IMGB active 2.0 .* activated=1" "$PERSIST/info"
wait_turns 20
[ "$(boots_of IMGA)" = $((n0 + 1)) ] || { echo "FAIL: 3.0 retried"; exit 1; }
grep -q "status=FALLBACK" "$PERSIST/info"
offer 3.0 1
wait_info "turn=" 10
i=0; while [ "$(boots_of IMGA)" -lt $((n0 + 2)) ]; do i=$((i+1)); [ $i -lt 600 ] || exit 1; sleep 0.1; done
wait_info "status=FALLBACK" 60
wait_info "running=B"

say "4.0 never reaches the controller: fallback at window expiry"
stop_device
mk_image 4.0 offline
offer 4.0
start_device 60 2
wait_info "status=FALLBACK.*" 60
wait_info "reason=IMGA 4.0 did not reach the controller within the 2 s test window"
wait_info "running=B"

say "5.0 hangs: the supervisor's watchdog kills it, fallback"
stop_device
mk_image 5.0 hang
offer 5.0
start_device 3 600
wait_info "reason=IMGA hung" 60
wait_info "running=B"
grep -q "^IMGA unused 5.0 FALLBACK" "$PERSIST/info"

say "power cut in the test window of 6.0: fallback, device reports"
stop_device
rm "$CTL/online"
mk_image 6.0
offer 6.0
start_device 60 600
wait_info "running=A.*status=UPDATING window=1" 60
power_cut
touch "$CTL/online"
start_device 60 600
wait_info "running=B.*status=FALLBACK" 60
grep -q "reason=IMGA killed by signal 9" "$PERSIST/info" ||
	grep -q "reason=IMGA 6.0 did not confirm" "$PERSIST/info"

say "power cut on a committed device: it boots and reports again"
power_cut
start_device 60 600
wait_info "running=B" 30
wait_info "^IMGB active 2.0 .* activated=1"
echo PASS
