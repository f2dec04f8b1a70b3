# SPDX-License-Identifier: Apache-2.0
# Phased rollouts (controller/rollouts*.c, evectl rollout): real controller,
# real agents (each its own state dir) running containers under libvirt LXC.
# Ports 19800-19899.
if(WITH_CONTROLLER AND WITH_DEVICE AND WITH_CLI AND TARGET everuntime)
  set(ROLLOUT_ENV
    "EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_AGENT=$<TARGET_FILE:eve-agent>;EVECTL=$<TARGET_FILE:evectl>;EVE_SRC=${CMAKE_SOURCE_DIR};E2E_BUILD=${CMAKE_BINARY_DIR}")
  # slow: 3 agents, containers restarted phase by phase (~2-3 min)
  add_test(NAME rollouts_apps COMMAND bash ${EVE_TEST_DIR}/integration/rollouts_apps.sh)
  set_tests_properties(rollouts_apps PROPERTIES LABELS "integration;rollouts;slow" TIMEOUT 600
    SKIP_RETURN_CODE 77 ENVIRONMENT "${ROLLOUT_ENV};E2E_PORT=19800")
endif()

# Base OS rollout (~20 s): 3 real agents in dir slots under eve-slot-boot; the new
# image crashes on one device, which falls back; the rollout halts.
if(WITH_CONTROLLER AND WITH_CLI AND TARGET eve-agent AND TARGET eve-slot-boot)
  add_test(NAME rollouts_os COMMAND bash ${EVE_TEST_DIR}/integration/rollouts_os.sh)
  set_tests_properties(rollouts_os PROPERTIES LABELS "integration;rollouts" TIMEOUT 300
    SKIP_RETURN_CODE 77
    ENVIRONMENT "EVE_AGENT=$<TARGET_FILE:eve-agent>;EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVECTL=$<TARGET_FILE:evectl>;EVE_TEST_DIR=${EVE_TEST_DIR};EVE_SLOT_BOOT=$<TARGET_FILE:eve-slot-boot>")
endif()

# The API and evectl rollout without agents (devices offline): fast.
if(WITH_CONTROLLER AND WITH_CLI AND TARGET cli_jsonq)
  add_test(NAME rollouts_cli COMMAND bash ${EVE_TEST_DIR}/integration/rollouts_cli.sh)
  set_tests_properties(rollouts_cli PROPERTIES LABELS "integration;rollouts" TIMEOUT 180 SKIP_RETURN_CODE 77
    ENVIRONMENT "EVECTL=$<TARGET_FILE:evectl>;EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_SRC=${CMAKE_SOURCE_DIR};JSONQ=$<TARGET_FILE:cli_jsonq>;CLI_PORT=19802")
endif()
