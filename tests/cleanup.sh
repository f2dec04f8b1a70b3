#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Remove what killed test runs leave behind on a test machine: a test
# killed by its timeout or by hand (SIGKILL) cannot run its own traps.
#   tests/cleanup.sh [-n]      -n: only list what would be removed
# Removes: libvirt domains named eve-* (qemu:///system, lxc:///system) and
# networks named eve-ni-*; nftables bridge tables eve-fw-* (an agent's
# firewall); helper daemons the tests start from /tmp (dnsmasq, tinyproxy,
# swtpm, busybox httpd, chromium/chromedriver of the dashboard tests,
# PostgreSQL clusters of tests/lib/pg.sh, docker-registry, haproxy,
# prometheus, nginx) and eve-agent/eve-controller
# processes running from /tmp; then every network
# namespace no process uses any more. Never run it while tests run: it
# cannot tell a leftover from a live test's objects.
set -u
DRY=false
[ "${1:-}" = -n ] && DRY=true
removed=0

do_() { # DESCRIPTION CMD...
	local what=$1
	shift
	echo "cleanup: $what"
	removed=$((removed + 1))
	$DRY || "$@" >/dev/null 2>&1
}

if command -v virsh >/dev/null 2>&1; then
	# A stopped libvirtd still keeps the networks that were active: the
	# next start brings them back. Started here, they are seen and removed.
	. "$(dirname "$0")/lib/libvirtd.sh"
	$DRY || libvirtd_start || echo "cleanup: libvirtd: $LIBVIRTD_ERROR"
	for uri in qemu:///system lxc:///system; do
		for d in $(virsh -c "$uri" list --all --name 2>/dev/null | grep '^eve-'); do
			do_ "domain $d ($uri)" sh -c "virsh -c '$uri' destroy '$d'; virsh -c '$uri' undefine '$d' --nvram || virsh -c '$uri' undefine '$d'"
		done
	done
	for n in $(virsh -c qemu:///system net-list --all --name 2>/dev/null | grep '^eve-ni-'); do
		do_ "libvirt network $n" sh -c "virsh -c qemu:///system net-destroy '$n'; virsh -c qemu:///system net-undefine '$n'"
	done
fi

if command -v nft >/dev/null 2>&1; then
	for t in $(nft list tables 2>/dev/null | awk '$2 == "bridge" && $3 ~ /^eve-fw-/ { print $3 }'); do
		do_ "nftables table bridge $t" nft delete table bridge "$t"
	done
fi

# Helper daemons of the tests: their command lines name a /tmp directory.
for pat in 'dnsmasq.*/tmp/' 'dnsmasq -k --conf-file=/dev/null' 'tinyproxy.*/tmp/' 'swtpm.*/tmp/' \
	'busybox httpd.*/tmp/' 'chromedriver' 'chromium.*--user-data-dir=/tmp/' '^/tmp/.*/eve-(agent|controller) ' \
	'eve-(agent|controller) .*--(state|dir) /tmp/' 'bin/postgres -D /tmp/eve-pg\.'; do
	for p in $(pgrep -f -- "$pat"); do
		[ "$p" = $$ ] && continue
		do_ "process $p: $(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null | cut -c1-100)" kill -9 "$p"
	done
done

# Daemons some tests start with a relative config from a /tmp directory
# (docker-registry, the token server) or with one under /tmp: only
# those whose command line or working directory is in /tmp.
for pat in 'docker-registry serve' 'registry_tokensrv\.py' 'haproxy .*-f ' 'prometheus --config\.file=' \
	'nginx.*-c '; do
	for p in $(pgrep -f -- "$pat"); do
		args=$(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null)
		case "$args $(readlink /proc/"$p"/cwd 2>/dev/null)/" in
		*/tmp/*) do_ "process $p: $(printf '%s' "$args" | cut -c1-100)" kill -9 "$p" ;;
		esac
	done
done

# Namespaces left without a process (their daemons are gone by now).
for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
	[ -z "$(ip netns pids "$ns" 2>/dev/null)" ] || continue
	do_ "network namespace $ns" ip netns delete "$ns"
done

if $DRY; then
	echo "cleanup: $removed to remove (nothing removed: -n)"
else
	echo "cleanup: $removed removed"
fi
