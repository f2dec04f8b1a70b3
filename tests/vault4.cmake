# SPDX-License-Identifier: Apache-2.0
# The sealed vault with a VM app (issue 15, docs/security.md "Sealed
# vault"): controller + agent with a real swtpm and --vault + QEMU (TCG)
# booting a Debian guest whose real cloud-init applies encrypted user data,
# which is then searched for outside the vault. Ports 23300-23399.
if(WITH_CONTROLLER AND WITH_DEVICE AND WITH_CLI AND TARGET eve-agent AND TARGET eve-controller AND TARGET evectl)
  # boots a Debian guest under TCG (~2-3 min): slow, normal pass only
  add_test(NAME vault_cloudinit COMMAND bash ${EVE_TEST_DIR}/integration/vault_cloudinit.sh)
  # not beside vault_e2e (tests/vault.cmake: its reboots)
  set_tests_properties(vault_cloudinit PROPERTIES LABELS "integration;e2e;slow" TIMEOUT 900
    SKIP_RETURN_CODE 77 RESOURCE_LOCK vault_reboot
    ENVIRONMENT "EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_AGENT=$<TARGET_FILE:eve-agent>;EVECTL=$<TARGET_FILE:evectl>;EVE_SRC=${CMAKE_SOURCE_DIR};E2E_BUILD=${CMAKE_BINARY_DIR};E2E_PORT=23300")
endif()
