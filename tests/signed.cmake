# SPDX-License-Identifier: Apache-2.0
# Publisher signatures of images (issue #31): the cosign format, the trust
# store, the runtime's verdicts, pulls from docker-registry under each
# policy. Ports 21700-21799.
if(WITH_DEVICE AND TARGET everuntime)
  eve_unit_test(cosign_test ${EVE_TEST_DIR}/unit/cosign_test.c everuntime)
endif()

# The whole stack (controller, real agent, LXC apps, docker-registry, skopeo,
# openssl): slow like registry_e2e, not in the sanitizer pass.
if(WITH_CONTROLLER AND WITH_DEVICE AND WITH_CLI AND TARGET everuntime)
  add_test(NAME signed_e2e COMMAND bash ${EVE_TEST_DIR}/integration/signed_e2e.sh)
  set_tests_properties(signed_e2e PROPERTIES LABELS "integration;e2e;registry;slow" TIMEOUT 600
    SKIP_RETURN_CODE 77
    ENVIRONMENT "EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_AGENT=$<TARGET_FILE:eve-agent>;EVECTL=$<TARGET_FILE:evectl>;EVE_SRC=${CMAKE_SOURCE_DIR};E2E_BUILD=${CMAKE_BINARY_DIR};E2E_PORT=21710")
endif()

# Signed base OS images: refused before any byte reaches the other slot.
if(WITH_DEVICE AND TARGET eveupdate)
  eve_unit_test(update_sig_test ${EVE_TEST_DIR}/unit/update_sig_test.c eveupdate)
endif()

# A signed base OS update through the controller with the real agent in dir
# slots under eve-slot-boot (like update_e2e).
if(WITH_DEVICE AND WITH_CONTROLLER AND WITH_CLI AND TARGET eveupdate AND TARGET eve-agent)
  add_test(NAME signed_baseos COMMAND bash ${EVE_TEST_DIR}/integration/signed_baseos.sh)
  set_tests_properties(signed_baseos PROPERTIES LABELS "integration;slow" TIMEOUT 300 SKIP_RETURN_CODE 77
    ENVIRONMENT "EVE_AGENT=$<TARGET_FILE:eve-agent>;EVE_TEST_DIR=${EVE_TEST_DIR};EVE_SLOT_BOOT=$<TARGET_FILE:eve-slot-boot>;EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVECTL=$<TARGET_FILE:evectl>")
endif()

# Publisher keys from the signed config (device/trustkeys.c), their report,
# and trust stores of several directories.
if(WITH_DEVICE AND TARGET eveagent)
  eve_unit_test(trustkeys_test ${EVE_TEST_DIR}/unit/trustkeys_test.c eveagent)
endif()
