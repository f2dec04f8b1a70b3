# SPDX-License-Identifier: Apache-2.0
# Proxy auto-config (issue 29): PAC scripts evaluated by duktape in a
# limited child process; the result parser; an end-to-end test with
# tinyproxy in network namespaces. Ports: 23400-23499.
if(WITH_DEVICE)
  eve_unit_test(pac_test ${EVE_TEST_DIR}/unit/pac_test.c eveagent)
endif()
