# SPDX-License-Identifier: Apache-2.0
# Proxy auto-config (issue 29): PAC scripts evaluated by duktape in a
# limited child process; the result parser; an end-to-end test with
# tinyproxy in network namespaces. Ports: 23400-23499.
if(WITH_DEVICE)
  eve_unit_test(pac_test ${EVE_TEST_DIR}/unit/pac_test.c eveagent)
  # the downloads' routes (ports, proxies, PAC per URL): device/dlroute.c
  eve_unit_test(dlroute_test ${EVE_TEST_DIR}/unit/dlroute_test.c eveagent)
endif()
if(WITH_DEVICE AND TARGET eve-agent AND TARGET eve-controller) # agent_mkbootstrap: tests/device.cmake
  add_test(NAME conn_pac COMMAND bash ${EVE_TEST_DIR}/integration/conn_pac.sh)
  set_tests_properties(conn_pac PROPERTIES LABELS "integration;slow" TIMEOUT 400 SKIP_RETURN_CODE 77
    ENVIRONMENT "EVE_AGENT=$<TARGET_FILE:eve-agent>;EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_TEST_DIR=${EVE_TEST_DIR};EVE_MKBOOTSTRAP=$<TARGET_FILE:agent_mkbootstrap>")
  # downloads through the port's proxy (explicit, PAC); the controller's
  # proxy and PAC settings, rolled back when they cut the device off.
  # Ports 24100-24102.
  if(TARGET evectl)
    add_test(NAME conn_dlproxy COMMAND bash ${EVE_TEST_DIR}/integration/conn_dlproxy.sh)
    set_tests_properties(conn_dlproxy PROPERTIES LABELS "integration;slow" TIMEOUT 900 SKIP_RETURN_CODE 77
      ENVIRONMENT "EVE_AGENT=$<TARGET_FILE:eve-agent>;EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_TEST_DIR=${EVE_TEST_DIR};EVE_MKBOOTSTRAP=$<TARGET_FILE:agent_mkbootstrap>;EVECTL=$<TARGET_FILE:evectl>")
  endif()
endif()
# the fuzz harness's corpus replay (eve_fuzz_replay: tests/fuzz.cmake)
set(_fz_libs "")
eve_fuzz_replay(fuzz_pacresult ${EVE_TEST_DIR}/fuzz/fuzz_pacresult.c)
eve_fuzz_replay(fuzz_ipnet ${EVE_TEST_DIR}/fuzz/fuzz_ipnet.c)
