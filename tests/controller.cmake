# SPDX-License-Identifier: Apache-2.0
# eve-controller tests: unit tests of its modules and integration tests that
# start a real controller over TLS on 127.0.0.1 (ports 18100-18199).
if(WITH_CONTROLLER)
  eve_unit_test(controller_devcache_test ${EVE_TEST_DIR}/unit/controller_devcache_test.c evecontroller)
  eve_unit_test(controller_uuidlist_test ${EVE_TEST_DIR}/unit/controller_uuidlist_test.c evecontroller)
  eve_unit_test(controller_conf_test ${EVE_TEST_DIR}/unit/controller_conf_test.c evecontroller)

  add_executable(controller_api_itest ${EVE_TEST_DIR}/integration/controller_api_test.c)
  target_link_libraries(controller_api_itest PRIVATE evecontroller evecommon eve_warnings)
  add_test(NAME controller_api
    COMMAND controller_api_itest $<TARGET_FILE:eve-controller> ${CMAKE_CURRENT_BINARY_DIR}/controller_api.d 18110)
  set_tests_properties(controller_api PROPERTIES LABELS integration TIMEOUT 180)

  add_test(NAME controller_lib_sh
    COMMAND bash ${EVE_TEST_DIR}/integration/controller_lib_test.sh ${CMAKE_CURRENT_BINARY_DIR}/controller_lib.d 18120)
  set_tests_properties(controller_lib_sh PROPERTIES LABELS integration TIMEOUT 120
    ENVIRONMENT "EVE_CONTROLLER=$<TARGET_FILE:eve-controller>")
endif()
