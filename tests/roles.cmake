# SPDX-License-Identifier: Apache-2.0
# Users, roles, projects, tokens and the audit trail (issue 19): a real
# controller over TLS; every admin route x role. Ports 21200-21299.
if(WITH_CONTROLLER)
  add_executable(roles_itest ${EVE_TEST_DIR}/integration/roles_test.c)
  target_link_libraries(roles_itest PRIVATE evecontroller evecommon eve_warnings)
  add_test(NAME roles_api
    COMMAND roles_itest $<TARGET_FILE:eve-controller> ${CMAKE_CURRENT_BINARY_DIR}/roles_api.d 21200)
  set_tests_properties(roles_api PROPERTIES LABELS integration TIMEOUT 180)
  eve_unit_test(roles_units_test ${EVE_TEST_DIR}/unit/roles_units_test.c evecontroller)
endif()
if(WITH_CONTROLLER AND WITH_CLI AND TARGET cli_jsonq)
  add_test(NAME roles_cli COMMAND bash ${EVE_TEST_DIR}/integration/roles_cli.sh)
  set_tests_properties(roles_cli PROPERTIES LABELS integration TIMEOUT 180
    ENVIRONMENT "EVECTL=$<TARGET_FILE:evectl>;EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_SRC=${CMAKE_SOURCE_DIR};JSONQ=$<TARGET_FILE:cli_jsonq>;CLI_PORT=21201;CLI_BUILD=${CMAKE_BINARY_DIR}")
endif()
