# SPDX-License-Identifier: Apache-2.0
# Interoperability with the public EVE API (issue 13): wire conformance of
# proto/ with the public eve-api facts, and device API behaviour that other
# EVE controllers and devices rely on.
eve_unit_test(proto_conformance_test ${EVE_TEST_DIR}/conformance/proto_conformance_test.c)
target_compile_definitions(proto_conformance_test PRIVATE
  FACTS_FILE="${EVE_TEST_DIR}/conformance/eve-api.facts")

# Controller side against the real eve-controller (ports 19200-19219).
if(WITH_CONTROLLER AND TARGET eve-controller)
  eve_unit_test(interop_conf_test ${EVE_TEST_DIR}/unit/interop_conf_test.c evecontroller)
  add_executable(interop_ctl_itest ${EVE_TEST_DIR}/integration/interop_ctl_test.c)
  target_link_libraries(interop_ctl_itest PRIVATE evecommon eve_warnings)
  pkg_check_modules(INTEROP_CURL REQUIRED IMPORTED_TARGET libcurl)
  pkg_check_modules(INTEROP_JANSSON REQUIRED IMPORTED_TARGET jansson)
  target_link_libraries(interop_ctl_itest PRIVATE PkgConfig::INTEROP_CURL PkgConfig::INTEROP_JANSSON)
  add_test(NAME interop_controller
    COMMAND interop_ctl_itest $<TARGET_FILE:eve-controller> ${CMAKE_CURRENT_BINARY_DIR}/interop_ctl.d 19201)
  set_tests_properties(interop_controller PROPERTIES LABELS integration TIMEOUT 180)
endif()

# Agent side against the real controller with its interoperability
# switches (port 19220).
if(WITH_DEVICE AND TARGET eve-agent AND TARGET eve-controller AND TARGET evectl)
  add_test(NAME interop_agent COMMAND bash ${EVE_TEST_DIR}/integration/interop_agent.sh)
  set_tests_properties(interop_agent PROPERTIES LABELS integration TIMEOUT 240 SKIP_RETURN_CODE 77
    ENVIRONMENT "EVE_AGENT=$<TARGET_FILE:eve-agent>;EVE_TEST_DIR=${EVE_TEST_DIR};EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVECTL=$<TARGET_FILE:evectl>")
endif()
