# SPDX-License-Identifier: Apache-2.0
# Volumes (issue 17): controller objects, CLI, and the device's volumes.
if(WITH_CLI AND WITH_CONTROLLER)
  add_test(NAME volumes_cli COMMAND bash ${EVE_TEST_DIR}/integration/volumes_cli.sh)
  set_tests_properties(volumes_cli PROPERTIES LABELS integration TIMEOUT 180
    ENVIRONMENT "EVECTL=$<TARGET_FILE:evectl>;EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_SRC=${CMAKE_SOURCE_DIR};JSONQ=$<TARGET_FILE:cli_jsonq>;CLI_PORT=21100;CLI_BUILD=${CMAKE_BINARY_DIR}")
endif()
if(WITH_DEVICE AND TARGET runtime_driver)
  add_test(NAME volumes_runtime_oci
    COMMAND ${EVE_TEST_DIR}/integration/volumes_runtime.sh volume 21101 $<TARGET_FILE:runtime_driver>
      ${CMAKE_BINARY_DIR})
  # both scenarios run the same app (eve-a0000017-*) and remove its domains
  # on exit: never side by side
  set_tests_properties(volumes_runtime_oci PROPERTIES LABELS "integration;runtime" TIMEOUT 240
    SKIP_RETURN_CODE 77 RESOURCE_LOCK volumes_app)
endif()
if(WITH_DEVICE AND TARGET runtime_driver)
  add_test(NAME volumes_runtime_kill
    COMMAND ${EVE_TEST_DIR}/integration/volumes_runtime.sh kill 21102 $<TARGET_FILE:runtime_driver>
      ${CMAKE_BINARY_DIR})
  # three runs of a container app killed and restarted: normal pass only
  set_tests_properties(volumes_runtime_kill PROPERTIES LABELS "integration;runtime;slow" TIMEOUT 600
    SKIP_RETURN_CODE 77 RESOURCE_LOCK volumes_app)
endif()
# The device rolls a crashing app update back by itself; the controller
# takes its decision as the app's next revision (eve-controller + eve-agent
# + evectl + libvirt LXC; ~90 s: slow).
if(WITH_CONTROLLER AND WITH_DEVICE AND WITH_CLI AND TARGET everuntime)
  add_test(NAME volumes_autoroll COMMAND bash ${EVE_TEST_DIR}/integration/volumes_autoroll.sh)
  set_tests_properties(volumes_autoroll PROPERTIES LABELS "integration;e2e;slow" TIMEOUT 400
    SKIP_RETURN_CODE 77
    ENVIRONMENT "EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_AGENT=$<TARGET_FILE:eve-agent>;EVECTL=$<TARGET_FILE:evectl>;EVE_SRC=${CMAKE_SOURCE_DIR};E2E_BUILD=${CMAKE_BINARY_DIR};E2E_PORT=22300")
endif()
# A VM's 64 MiB data disk refuses a 100 MiB write inside the guest (boots
# a guest under TCG: slow).
if(WITH_DEVICE AND TARGET runtime_driver)
  add_test(NAME volumes_runtime_vm
    COMMAND ${EVE_TEST_DIR}/integration/volumes_runtime.sh volume-vm 22301 $<TARGET_FILE:runtime_driver>
      ${CMAKE_BINARY_DIR} $<TARGET_FILE:runtime_mkiso>)
  set_tests_properties(volumes_runtime_vm PROPERTIES LABELS "integration;runtime;slow" TIMEOUT 300
    SKIP_RETURN_CODE 77)
endif()
