# SPDX-License-Identifier: Apache-2.0
# The sealed volume vault (issue 15, docs/security.md "Sealed vault"):
# controller + agent with a real swtpm and --vault + a container app on
# libvirt LXC. Ports 22400-22499.
if(WITH_DEVICE AND WITH_CLI AND TARGET eve-agent AND TARGET eve-controller AND TARGET evectl)
  add_test(NAME vault_e2e COMMAND bash ${EVE_TEST_DIR}/integration/vault_e2e.sh)
  # boots a container four times (~1-2 min): normal pass only. Its
  # "reboots" need every mount of its vault gone: a domain another test
  # starts meanwhile copies libvirtd's mounts into its own namespace and
  # keeps them (any QEMU or LXC test's domain would): runs alone
  set_tests_properties(vault_e2e PROPERTIES LABELS "integration;e2e;slow" TIMEOUT 420
    SKIP_RETURN_CODE 77 RESOURCE_LOCK vault_reboot RUN_SERIAL TRUE
    ENVIRONMENT "EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_AGENT=$<TARGET_FILE:eve-agent>;EVECTL=$<TARGET_FILE:evectl>;EVE_SRC=${CMAKE_SOURCE_DIR};E2E_BUILD=${CMAKE_BINARY_DIR};E2E_PORT=22400")
endif()
if(WITH_CONTROLLER AND TARGET evecontroller)
  eve_unit_test(attest_evlog_test ${EVE_TEST_DIR}/unit/attest_evlog_test.c evecontroller)
endif()
if(WITH_DEVICE AND TARGET eveagent)
  eve_unit_test(vault_fs_test ${EVE_TEST_DIR}/unit/vault_fs_test.c eveagent)
  # loop devices and mounts of its own (unique temp dirs): safe beside others
endif()
