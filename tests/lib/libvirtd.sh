# SPDX-License-Identifier: Apache-2.0
# Sourceable helpers that run the machine's libvirt daemons by hand (there is
# no systemd here). See /work/shared/RUNTIME.md:
#  - virtlogd -d, then libvirtd -d with a pid file;
#  - libvirtd runs in a private mount namespace with /sys/fs/cgroup/unified
#    unmounted, which the LXC driver needs ("Unable to create directory
#    /sys/fs/cgroup/unified"); QEMU domains keep working under it.
#
# The daemons are system services (qemu:///system, lxc:///system): one per
# machine, shared by every test and the quickstart. libvirtd_start is
# idempotent: it reuses a daemon that already answers. Tests do not stop it
# (another test may be using it); libvirtd_stop ends exactly the processes
# named by our pid files.
#
#   . tests/lib/libvirtd.sh
#   libvirtd_start || { echo "SKIP: $LIBVIRTD_ERROR"; exit 77; }
#   ...
#   libvirtd_stop   # optional

LIBVIRTD_PIDFILE=${LIBVIRTD_PIDFILE:-/run/eve-libvirtd.pid}
VIRTLOGD_PIDFILE=${VIRTLOGD_PIDFILE:-/run/eve-virtlogd.pid}
LIBVIRTD_LOG=${LIBVIRTD_LOG:-/run/eve-libvirtd.log}
LIBVIRTD_LOCK=${LIBVIRTD_LOCK:-/run/eve-libvirtd.lock}
LIBVIRTD_ERROR=

# True when the pid file names a live process.
_libvirtd_alive() {
	local pid
	[ -s "$1" ] || return 1
	pid=$(cat "$1" 2>/dev/null) || return 1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# True when libvirtd answers on its system socket.
libvirtd_ready() {
	virsh -q -c qemu:///system version >/dev/null 2>&1
}

_libvirtd_wait_ready() {
	local i
	# The first start probes QEMU (~8 s on this machine); allow 60 s.
	for i in $(seq 1 300); do
		libvirtd_ready && return 0
		sleep 0.2
	done
	return 1
}

# Start virtlogd and libvirtd unless they already run. Returns 0 when a
# daemon answers; otherwise 1 with the reason in LIBVIRTD_ERROR. Callers in
# parallel (tests) serialise on a lock; the daemons never inherit it.
libvirtd_start() {
	local d rc
	for d in libvirtd virtlogd virsh; do
		if ! command -v "$d" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$d" ]; then
			LIBVIRTD_ERROR="$d not installed (apt-get install libvirt-daemon-system libvirt-clients)"
			return 1
		fi
	done
	export PATH="$PATH:/usr/sbin:/sbin"
	if libvirtd_ready; then
		return 0
	fi
	mkdir -p /run/libvirt /var/log/libvirt
	exec 9>"$LIBVIRTD_LOCK"
	flock 9
	_libvirtd_start_locked
	rc=$?
	flock -u 9
	exec 9>&-
	return $rc
}

_libvirtd_start_locked() {
	if ! _libvirtd_alive "$VIRTLOGD_PIDFILE" && ! pgrep -x virtlogd >/dev/null 2>&1; then
		virtlogd -d -p "$VIRTLOGD_PIDFILE" 9>&- >>"$LIBVIRTD_LOG" 2>&1 || {
			LIBVIRTD_ERROR="virtlogd failed to start"
			return 1
		}
	fi
	if libvirtd_ready; then
		return 0
	fi
	if ! _libvirtd_alive "$LIBVIRTD_PIDFILE"; then
		rm -f "$LIBVIRTD_PIDFILE"
		# A private mount namespace in which cgroup2's mount point is gone:
		# libvirt then uses the v1 hierarchies for LXC.
		unshare -m --propagation private sh -c \
			'if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified || exit 1; fi;
			 exec libvirtd -d --pid-file="$1"' sh "$LIBVIRTD_PIDFILE" 9>&- >>"$LIBVIRTD_LOG" 2>&1 || {
			LIBVIRTD_ERROR="libvirtd failed to start (see $LIBVIRTD_LOG)"
			return 1
		}
	fi
	if ! _libvirtd_wait_ready; then
		LIBVIRTD_ERROR="libvirtd did not answer on qemu:///system within 60 s (see $LIBVIRTD_LOG)"
		return 1
	fi
	return 0
}

# Stop the daemons we started (by pid file only).
libvirtd_stop() {
	local f pid i
	for f in "$LIBVIRTD_PIDFILE" "$VIRTLOGD_PIDFILE"; do
		_libvirtd_alive "$f" || { rm -f "$f"; continue; }
		pid=$(cat "$f")
		kill "$pid" 2>/dev/null
		for i in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
		rm -f "$f"
	done
	return 0
}
