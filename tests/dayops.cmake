# SPDX-License-Identifier: Apache-2.0
# Day-2 operations (docs/operations.md): backup and restore, certificates,
# bootstrap configuration. Ports 19960-19979.
if(WITH_CONTROLLER AND TARGET eve-controller AND TARGET eve-devsim)
  add_test(NAME dayops_backup COMMAND bash ${EVE_TEST_DIR}/integration/dayops_backup.sh
    $<TARGET_FILE:eve-controller> $<TARGET_FILE:eve-devsim> 19960)
  set_tests_properties(dayops_backup PROPERTIES LABELS integration TIMEOUT 180)
endif()

# Bootstrap config from evectl, taken offline by a fresh agent, and from a
# loop-device filesystem labelled EVE-CONFIG (root: loop devices, mount).
if(WITH_CONTROLLER AND WITH_CLI AND TARGET eve-agent AND TARGET eve-controller)
  add_test(NAME dayops_bootstrap COMMAND bash ${EVE_TEST_DIR}/integration/dayops_bootstrap.sh)
  set_tests_properties(dayops_bootstrap PROPERTIES LABELS integration TIMEOUT 180 SKIP_RETURN_CODE 77
    ENVIRONMENT "EVE_AGENT=$<TARGET_FILE:eve-agent>;EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVECTL=$<TARGET_FILE:evectl>;EVE_TEST_DIR=${EVE_TEST_DIR}")
endif()

# Certificates: renew and rotate with real agents polling throughout.
if(WITH_CONTROLLER AND TARGET eve-agent AND TARGET eve-controller)
  add_test(NAME dayops_certs COMMAND bash ${EVE_TEST_DIR}/integration/dayops_certs.sh)
  set_tests_properties(dayops_certs PROPERTIES LABELS integration TIMEOUT 240 SKIP_RETURN_CODE 77
    ENVIRONMENT "EVE_AGENT=$<TARGET_FILE:eve-agent>;EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_TEST_DIR=${EVE_TEST_DIR}")
endif()
