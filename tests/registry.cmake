# SPDX-License-Identifier: Apache-2.0
# OCI registries (issue #16): the device's pull client against Debian's
# docker-registry, images pushed with skopeo. Ports 19400-19499.
if(WITH_DEVICE AND TARGET everuntime)
  eve_unit_test(runtime_registry_test ${EVE_TEST_DIR}/unit/runtime_registry_test.c everuntime)

  add_executable(registry_driver ${EVE_TEST_DIR}/integration/registry_driver.c)
  target_link_libraries(registry_driver PRIVATE everuntime evecommon eve_warnings)
  add_test(NAME registry_pull
    COMMAND ${EVE_TEST_DIR}/integration/registry_pull.sh $<TARGET_FILE:registry_driver>
      ${CMAKE_BINARY_DIR} 19400)
  set_tests_properties(registry_pull PROPERTIES LABELS "integration;runtime;registry" TIMEOUT 300
    SKIP_RETURN_CODE 77)
endif()

# The controller's /v2/ request by request (curl).
if(WITH_CONTROLLER AND TARGET eve-controller)
  add_test(NAME registry_api
    COMMAND bash ${EVE_TEST_DIR}/integration/registry_api.sh $<TARGET_FILE:eve-controller> 19420)
  set_tests_properties(registry_api PROPERTIES LABELS "integration;registry" TIMEOUT 120)
endif()

# The whole stack: controller /v2/ (skopeo push, evectl image push), an
# external docker-registry (evectl image add docker://), agent on libvirt LXC.
if(WITH_CONTROLLER AND WITH_DEVICE AND WITH_CLI AND TARGET everuntime)
  add_test(NAME registry_e2e COMMAND bash ${EVE_TEST_DIR}/integration/registry_e2e.sh)
  # slow (agent + containers, ~60 s) like e2e_flow: not in the sanitizer pass
  # (registry_pull and registry_api cover the same code under sanitizers).
  set_tests_properties(registry_e2e PROPERTIES LABELS "integration;e2e;registry;slow" TIMEOUT 300
    SKIP_RETURN_CODE 77
    ENVIRONMENT "EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_AGENT=$<TARGET_FILE:eve-agent>;EVECTL=$<TARGET_FILE:evectl>;EVE_SRC=${CMAKE_SOURCE_DIR};E2E_BUILD=${CMAKE_BINARY_DIR};E2E_PORT=19410")
endif()
