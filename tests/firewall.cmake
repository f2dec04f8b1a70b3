# SPDX-License-Identifier: Apache-2.0
# Distributed firewall (device/runtime/rt_firewall.c, docs/firewall.md).
if(WITH_DEVICE AND TARGET everuntime)
  eve_unit_test(runtime_firewall_test ${EVE_TEST_DIR}/unit/runtime_firewall_test.c everuntime)
endif()
if(WITH_DEVICE AND TARGET everuntime)
  add_test(NAME runtime_firewall
    COMMAND ${EVE_TEST_DIR}/integration/fw_test.sh 19301
      $<TARGET_FILE:runtime_driver> $<TARGET_FILE:runtime_mkiso> ${CMAKE_BINARY_DIR})
  set_tests_properties(runtime_firewall PROPERTIES LABELS "integration;runtime;slow" TIMEOUT 300
    SKIP_RETURN_CODE 77)
endif()

# End to end: controller + agent + evectl (deploy --allow, enforcement,
# evectl app flows). Port 19310.
if(WITH_CONTROLLER AND WITH_DEVICE AND WITH_CLI AND TARGET everuntime)
  add_test(NAME e2e_firewall COMMAND bash ${EVE_TEST_DIR}/integration/e2e_firewall.sh)
  set_tests_properties(e2e_firewall PROPERTIES LABELS "integration;e2e;slow" TIMEOUT 300
    SKIP_RETURN_CODE 77
    ENVIRONMENT "EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_AGENT=$<TARGET_FILE:eve-agent>;EVECTL=$<TARGET_FILE:evectl>;EVE_SRC=${CMAKE_SOURCE_DIR};E2E_BUILD=${CMAKE_BINARY_DIR};E2E_PORT=19310")
endif()

if(WITH_CONTROLLER)
  eve_unit_test(controller_app_acl_test ${EVE_TEST_DIR}/unit/controller_app_acl_test.c evecontroller)
endif()
