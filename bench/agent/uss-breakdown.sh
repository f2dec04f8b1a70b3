#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Where a process's private pages (USS = Private_Clean + Private_Dirty) are:
# /proc/PID/smaps summed per mapping name ([heap], [stack], a library, the
# binary; anonymous mappings as [anon]), largest first, with the thread count
# and the total. Prints; changes nothing.
#   bench/agent/uss-breakdown.sh PID [TOP=12]
set -eu
[ $# -ge 1 ] || { sed -n '2,7p' "$0" >&2; exit 2; }
pid=$1 top=${2:-12}
[ -r "/proc/$pid/smaps" ] || { echo "uss-breakdown: no /proc/$pid/smaps" >&2; exit 1; }
echo "pid $pid ($(cat "/proc/$pid/comm")), $(ls "/proc/$pid/task" | wc -l) threads"
awk '
	/^[0-9a-f]+-[0-9a-f]+ / {
		name = NF >= 6 ? $6 : "[anon]"
		sub(/.*\//, "", name)
		next
	}
	/^Private_(Clean|Dirty):/ { kb[name] += $2; tot += $2; if ($1 ~ /Dirty/) dirty[name] += $2 }
	/^Anonymous:/ { anon[name] += $2 }
	END {
		for (n in kb) if (kb[n] > 0) printf "%8d KiB private (%d dirty, %d anonymous)  %s\n", kb[n], dirty[n], anon[n], n
		printf "%8d KiB total USS\n", tot > "/dev/stderr"
	}' "/proc/$pid/smaps" 2>"/tmp/uss-breakdown.$$" | sort -rn | head -n "$top"
cat "/tmp/uss-breakdown.$$"
rm -f "/tmp/uss-breakdown.$$"
