# SPDX-License-Identifier: Apache-2.0
# Operator experience (issue 18): evectl against a real controller, and
# against a real eve-agent whose apps run on libvirt's built-in test driver
# (test:///default: no daemon). Ports 19700-19799.
if(WITH_CLI AND WITH_CONTROLLER)
  set(ux_env "EVECTL=$<TARGET_FILE:evectl>;EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_SRC=${CMAKE_SOURCE_DIR};JSONQ=$<TARGET_FILE:cli_jsonq>")
  add_test(NAME ux_refusals COMMAND bash ${EVE_TEST_DIR}/integration/ux_refusals.sh)
  set_tests_properties(ux_refusals PROPERTIES LABELS integration TIMEOUT 180 SKIP_RETURN_CODE 77
    ENVIRONMENT "${ux_env};CLI_PORT=19700")
  add_test(NAME ux_terminal COMMAND bash ${EVE_TEST_DIR}/integration/ux_terminal.sh)
  set_tests_properties(ux_terminal PROPERTIES LABELS integration TIMEOUT 180 SKIP_RETURN_CODE 77
    ENVIRONMENT "${ux_env};CLI_PORT=19702")
  if(WITH_DEVICE)
    add_test(NAME ux_agent COMMAND bash ${EVE_TEST_DIR}/integration/ux_agent.sh)
    set_tests_properties(ux_agent PROPERTIES LABELS integration TIMEOUT 240 SKIP_RETURN_CODE 77
      ENVIRONMENT "${ux_env};EVE_AGENT=$<TARGET_FILE:eve-agent>;CLI_PORT=19701")
  endif()
endif()
