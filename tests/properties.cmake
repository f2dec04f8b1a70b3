# SPDX-License-Identifier: Apache-2.0
# Runtime configuration properties (issue #32): the shared table, and an
# agent + controller + evectl test of each honoured property.
# Ports 19600-19699 belong to these tests.
eve_unit_test(configprops_test ${EVE_TEST_DIR}/unit/configprops_test.c)
if(WITH_DEVICE)
  eve_unit_test(netmgr_props_test ${EVE_TEST_DIR}/unit/netmgr_props_test.c eveagent)
endif()

# Integration: real controller, real agent, evectl (ports 19600-19609); about
# two minutes of timers, so normal pass only (label slow).
if(WITH_DEVICE AND WITH_CLI AND TARGET eve-agent AND TARGET eve-controller AND TARGET evectl)
  add_test(NAME properties_agent COMMAND bash ${EVE_TEST_DIR}/integration/properties_agent.sh)
  set_tests_properties(properties_agent PROPERTIES LABELS "integration;slow" TIMEOUT 300 SKIP_RETURN_CODE 77
    ENVIRONMENT "EVE_AGENT=$<TARGET_FILE:eve-agent>;EVE_TEST_DIR=${EVE_TEST_DIR};EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVECTL=$<TARGET_FILE:evectl>")
endif()

# The app runtime's properties (memory/disk checks, retries, VNC).
if(WITH_DEVICE AND TARGET everuntime)
  eve_unit_test(runtime_props_test ${EVE_TEST_DIR}/unit/runtime_props_test.c everuntime)
  # With a real libvirt; runtime_driver and runtime_mkiso come from
  # tests/runtime.cmake (same condition). Port 19610.
  add_test(NAME runtime_props
    COMMAND ${EVE_TEST_DIR}/integration/runtime_test.sh props 19610
      $<TARGET_FILE:runtime_driver> $<TARGET_FILE:runtime_mkiso> ${CMAKE_BINARY_DIR})
  set_tests_properties(runtime_props PROPERTIES LABELS "integration;runtime" TIMEOUT 240
    SKIP_RETURN_CODE 77)
endif()
