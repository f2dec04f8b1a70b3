# SPDX-License-Identifier: Apache-2.0
# Runtime configuration properties (issue #32, session 3): every property
# the agent honours changes what a real running eve-agent does against a
# real eve-controller (properties the properties_agent test does not cover:
# the app runtime's, the log level and spool size, the request timeout).
# Ports 22100-22199 belong to these tests (22100 controller, 22101 image server).
if(WITH_DEVICE AND WITH_CLI AND TARGET eve-agent AND TARGET eve-controller AND TARGET evectl)
  add_test(NAME properties_device COMMAND bash ${EVE_TEST_DIR}/integration/properties_device.sh)
  # About a minute of timers and retries: normal pass only (label slow).
  set_tests_properties(properties_device PROPERTIES LABELS "integration;slow" TIMEOUT 300 SKIP_RETURN_CODE 77 COST 60
    ENVIRONMENT "EVE_AGENT=$<TARGET_FILE:eve-agent>;EVE_TEST_DIR=${EVE_TEST_DIR};EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVECTL=$<TARGET_FILE:evectl>")
endif()

# docs/config-properties.md has a row for every property of the table.
eve_unit_test(configprops_doc_test ${EVE_TEST_DIR}/unit/configprops_doc_test.c)
target_compile_definitions(configprops_doc_test PRIVATE
  EVE_CONFIGPROPS_DOC="${CMAKE_SOURCE_DIR}/docs/config-properties.md")
