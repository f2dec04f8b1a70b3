# SPDX-License-Identifier: Apache-2.0
# evectl: unit tests of its modules, integration tests against a real
# controller (when it is built too).
if(WITH_CLI)
  eve_unit_test(cli_units_test ${EVE_TEST_DIR}/unit/cli_units_test.c evectl_core)
  eve_unit_test(cli_cmdtab_test ${EVE_TEST_DIR}/unit/cli_cmdtab_test.c evectl_core)
  eve_unit_test(cli_manifest_test ${EVE_TEST_DIR}/unit/cli_manifest_test.c evectl_core)
  target_compile_definitions(cli_manifest_test PRIVATE EXAMPLES_DIR="${CMAKE_SOURCE_DIR}/examples")
  eve_unit_test(cli_output_test ${EVE_TEST_DIR}/unit/cli_output_test.c evectl_core)

  # The man page in docs/ is what `evectl __man` prints.
  add_test(NAME cli_manpage_current
    COMMAND sh -c "$<TARGET_FILE:evectl> __man | diff -u ${CMAKE_SOURCE_DIR}/docs/evectl.1 -")
  set_tests_properties(cli_manpage_current PROPERTIES LABELS unit TIMEOUT 60)

  if(WITH_CONTROLLER)
    # JSON checker the integration scripts pipe `-o json` output through
    add_executable(cli_jsonq ${EVE_TEST_DIR}/integration/cli_jsonq.c)
    target_link_libraries(cli_jsonq PRIVATE PkgConfig::JANSSON eve_warnings)
    file(GLOB CLI_ITESTS CONFIGURE_DEPENDS ${EVE_TEST_DIR}/integration/cli_*.sh)
    set(cli_port 18300)
    foreach(t ${CLI_ITESTS})
      get_filename_component(n ${t} NAME_WE)
      add_test(NAME ${n} COMMAND bash ${t})
      # each test gets its own port within 18300-18399
      set_tests_properties(${n} PROPERTIES LABELS integration TIMEOUT 180
        ENVIRONMENT "EVECTL=$<TARGET_FILE:evectl>;EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_SRC=${CMAKE_SOURCE_DIR};JSONQ=$<TARGET_FILE:cli_jsonq>;CLI_PORT=${cli_port};CLI_BUILD=${CMAKE_BINARY_DIR}")
      math(EXPR cli_port "${cli_port} + 1")
    endforeach()
  endif()
endif()
