# SPDX-License-Identifier: Apache-2.0
# Any app (issue 28): VM user data and pinning in the controller, boot modes,
# unikernels and CPU pinning on the device (real libvirt, TCG). Ports 21500-21599.
if(WITH_CONTROLLER)
  eve_unit_test(controller_app_vm_test ${EVE_TEST_DIR}/unit/controller_app_vm_test.c evecontroller)
endif()
if(WITH_DEVICE AND TARGET everuntime)
  eve_unit_test(runtime_anyapp_test ${EVE_TEST_DIR}/unit/runtime_anyapp_test.c everuntime)
  # the same documents judged by libvirt's own schema
  add_test(NAME anyapp_xml
    COMMAND ${EVE_TEST_DIR}/integration/anyapp_xml.sh $<TARGET_FILE:runtime_anyapp_test>
      ${CMAKE_BINARY_DIR}/anyapp-tests/xml)
  set_tests_properties(anyapp_xml PROPERTIES LABELS "integration;runtime" TIMEOUT 60 SKIP_RETURN_CODE 77)
endif()
if(WITH_CONTROLLER AND WITH_DEVICE AND WITH_CLI AND TARGET everuntime)
  # boots three guests under TCG: slow, not in the sanitizer pass
  add_test(NAME anyapp_e2e COMMAND bash ${EVE_TEST_DIR}/integration/anyapp_e2e.sh)
  set_tests_properties(anyapp_e2e PROPERTIES LABELS "integration;e2e;slow" TIMEOUT 420
    SKIP_RETURN_CODE 77
    ENVIRONMENT "EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_AGENT=$<TARGET_FILE:eve-agent>;EVECTL=$<TARGET_FILE:evectl>;EVE_SRC=${CMAKE_SOURCE_DIR};E2E_BUILD=${CMAKE_BINARY_DIR};E2E_PORT=21500")
endif()
if(WITH_DEVICE)
  eve_unit_test(agent_hostio_test ${EVE_TEST_DIR}/unit/agent_hostio_test.c eveagent)
endif()
if(WITH_CONTROLLER AND WITH_DEVICE AND WITH_CLI AND TARGET everuntime)
  # a Debian guest with the real cloud-init, built with mmdebstrap and booted
  # under TCG: slow, not in the sanitizer pass
  add_test(NAME anyapp_cloudinit COMMAND bash ${EVE_TEST_DIR}/integration/anyapp_cloudinit.sh)
  set_tests_properties(anyapp_cloudinit PROPERTIES LABELS "integration;e2e;slow" TIMEOUT 900
    SKIP_RETURN_CODE 77
    ENVIRONMENT "EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_AGENT=$<TARGET_FILE:eve-agent>;EVECTL=$<TARGET_FILE:evectl>;EVE_SRC=${CMAKE_SOURCE_DIR};E2E_BUILD=${CMAKE_BINARY_DIR};E2E_PORT=22950")
endif()
if(WITH_DEVICE)
  eve_unit_test(agent_hwinv_test ${EVE_TEST_DIR}/unit/agent_hwinv_test.c eveagent)
endif()
