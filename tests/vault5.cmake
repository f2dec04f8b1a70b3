# SPDX-License-Identifier: Apache-2.0
# A container app's encrypted environment with the sealed vault (issue 15,
# docs/security.md "Sealed vault"): reaches the app through the init shim,
# written in clear nowhere outside the vault (libvirt's LXC log and XML
# included). Ports 24200-24299.
if(WITH_CONTROLLER AND WITH_DEVICE AND WITH_CLI AND TARGET eve-agent AND TARGET eve-controller AND TARGET evectl)
  add_test(NAME vault_env COMMAND bash ${EVE_TEST_DIR}/integration/vault_env.sh)
  # not beside vault_e2e (tests/vault.cmake: its reboots)
  set_tests_properties(vault_env PROPERTIES LABELS "integration;e2e" TIMEOUT 420
    SKIP_RETURN_CODE 77 RESOURCE_LOCK vault_reboot
    ENVIRONMENT "EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_AGENT=$<TARGET_FILE:eve-agent>;EVECTL=$<TARGET_FILE:evectl>;EVE_SRC=${CMAKE_SOURCE_DIR};E2E_BUILD=${CMAKE_BINARY_DIR};E2E_PORT=24200")
endif()
