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
