# A/B self-update (device/update): unit tests of the library and integration
# tests of the dir backend under the eve-slot-boot supervisor.
if(WITH_DEVICE AND TARGET eveupdate)
  eve_unit_test(update_bootslot_test ${EVE_TEST_DIR}/unit/update_bootslot_test.c eveupdate)
  eve_unit_test(update_flow_test ${EVE_TEST_DIR}/unit/update_flow_test.c eveupdate)
endif()
