# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Helpers for the rollout tests (sourced after e2e_lib.sh): image variants
# of the busybox OCI test image, agents with short intervals, rollout
# queries.

# oci_variant SRC.tar OUT.tar CMD: SRC with its config's Cmd replaced by
# CMD (a new config, manifest and index: another image to the controller).
oci_variant() {
	local src=$1 out=$2 cmd=$3 d man cfg newcfg newman msize csize
	d=$(mktemp -d "$W/oci.XXXXXX")
	tar -C "$d" -xf "$src" || return 1
	man=$(jq -r '.manifests[0].digest' "$d/index.json" | cut -d: -f2)
	cfg=$(jq -r '.config.digest' "$d/blobs/sha256/$man" | cut -d: -f2)
	jq -c --arg c "$cmd" '.config.Cmd = [$c]' "$d/blobs/sha256/$cfg" >"$d/cfg.json" || return 1
	newcfg=$(sha256sum "$d/cfg.json" | cut -d' ' -f1)
	csize=$(wc -c <"$d/cfg.json")
	mv "$d/cfg.json" "$d/blobs/sha256/$newcfg"
	jq -c --arg g "sha256:$newcfg" --argjson s "$csize" '.config.digest = $g | .config.size = $s' \
		"$d/blobs/sha256/$man" >"$d/man.json" || return 1
	newman=$(sha256sum "$d/man.json" | cut -d' ' -f1)
	msize=$(wc -c <"$d/man.json")
	mv "$d/man.json" "$d/blobs/sha256/$newman"
	jq -c --arg g "sha256:$newman" --argjson s "$msize" '.manifests[0].digest = $g | .manifests[0].size = $s' \
		"$d/index.json" >"$d/index.new" && mv "$d/index.new" "$d/index.json" || return 1
	rm -f "$d/blobs/sha256/$man" "$d/blobs/sha256/$cfg"
	tar --numeric-owner --owner=0 --group=0 -C "$d" -cf "$out" oci-layout index.json blobs || return 1
	rm -rf "$d"
}

# fleet_agents N: N agents (ro-1..ro-N) onboarded with short intervals,
# online and labelled fleet=ro.
fleet_agents() {
	local i
	ctl_api "$CTL" POST /onboard "$(jq -n --rawfile c "$CTL/device-config/onboard.cert.pem" \
		'{cert: $c, serials: ["*"]}')" >/dev/null || [ "${CTL_STATUS:-}" = 409 ] ||
		fail "POST /onboard: ${CTL_STATUS:-no answer}"
	for i in $(seq 1 "$1"); do
		agent_dirs "ro$i"
		echo "timer.config.interval=2" >"$W/ro$i.config/config-items"
		agent_start "ro$i" "ro-$i"
	done
	for i in $(seq 1 "$1"); do
		wait_for 90 "device ro-$i online" device_field_is "ro-$i" .state online
		ectl device label "ro-$i" fleet=ro >/dev/null || fail "label ro-$i"
	done
}

ro_field() { ectl -o json rollout get "$1" 2>/dev/null | jq -r "$2"; }
ro_field_is() { [ "$(ro_field "$1" "$2")" = "$3" ]; }
ro_has_event() { ectl -o json rollout get "$1" 2>/dev/null | jq -e --arg re "$2" '[.events[].msg | select(test($re))] | length > 0' >/dev/null; }
# dev_state ROLLOUT DEVICE: the device's state in the rollout.
ro_dev_state() { ectl -o json rollout get "$1" 2>/dev/null | jq -r --arg d "$2" '.devices[] | select(.name == $d) | .state'; }
# inst APP DEVICE FIELD: a field of APP's instance on DEVICE.
inst() { ectl -o json app get "$1" 2>/dev/null | jq -r --arg d "$2" --arg f "$3" '.instances[] | select(.device_name == $d) | .[$f]'; }
inst_is() { [ "$(inst "$1" "$2" "$3")" = "$4" ]; }
# phase_devs ROLLOUT PHASE: device names of a phase, sorted, space-separated.
phase_devs() { ectl -o json rollout get "$1" 2>/dev/null | jq -r --argjson p "$2" '[.devices[] | select(.phase == $p) | .name] | sort | join(" ")'; }
