# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# test_skip REASON...: this test cannot run on this machine.
# On a developer's machine it prints "SKIP: REASON" and exits 77 (ctest:
# skipped, with SKIP_RETURN_CODE 77). With CI=true a skip is a failure: CI's
# machine has every package (scripts/install-deps), so the test exits 1 with
# the reason instead of passing without running.
#   . tests/lib/skip.sh
#   command -v tinyproxy >/dev/null || test_skip "tinyproxy not installed"
test_skip() {
	echo "SKIP: $*"
	if [ "${CI:-}" = true ]; then
		echo "FAIL: CI=true: a test may not skip on CI (reason above)"
		exit 1
	fi
	exit 77
}

# test_not_run REASON...: part of a test cannot run (the rest still does).
# Prints the reason; with CI=true it fails the test (exit 1).
test_not_run() {
	echo "NOT RUN: $*"
	if [ "${CI:-}" = true ]; then
		echo "FAIL: CI=true: every step must run on CI (reason above)"
		exit 1
	fi
}
