# Distributed firewall (device/runtime/rt_firewall.c, docs/firewall.md).
if(WITH_DEVICE AND TARGET everuntime)
  eve_unit_test(runtime_firewall_test ${EVE_TEST_DIR}/unit/runtime_firewall_test.c everuntime)
endif()
