# SPDX-License-Identifier: Apache-2.0
# Hardening (issue 12): the controller's TLS settings (and evectl's), start-up
# cleaning of unfinished uploads, the agent's anti-rollback.
# Ports: hardening_tls 19010-19011, hardening_uploads 19002, hardening_rollback
# 19003 (all within 19000-19099).
if(WITH_CONTROLLER AND TARGET eve-controller)
  add_test(NAME hardening_tls
    COMMAND bash ${EVE_TEST_DIR}/integration/hardening_tls.sh ${CMAKE_CURRENT_BINARY_DIR}/hardening_tls.d 19010)
  set(env "EVE_CONTROLLER=$<TARGET_FILE:eve-controller>")
  if(TARGET evectl)
    list(APPEND env "EVECTL=$<TARGET_FILE:evectl>")
  endif()
  set_tests_properties(hardening_tls PROPERTIES LABELS integration TIMEOUT 120 SKIP_RETURN_CODE 77
    ENVIRONMENT "${env}")
endif()
if(WITH_CONTROLLER AND TARGET eve-controller)
  add_test(NAME hardening_uploads
    COMMAND bash ${EVE_TEST_DIR}/integration/hardening_uploads.sh ${CMAKE_CURRENT_BINARY_DIR}/hardening_uploads.d 19002)
  set_tests_properties(hardening_uploads PROPERTIES LABELS integration TIMEOUT 120
    ENVIRONMENT "EVE_CONTROLLER=$<TARGET_FILE:eve-controller>")
endif()
# eve-agent's anti-rollback against a real controller (agent_lib.sh).
if(WITH_DEVICE AND WITH_CONTROLLER AND TARGET eve-agent AND TARGET eve-controller)
  add_test(NAME hardening_rollback COMMAND bash ${EVE_TEST_DIR}/integration/hardening_rollback.sh)
  set_tests_properties(hardening_rollback PROPERTIES LABELS integration TIMEOUT 240 SKIP_RETURN_CODE 77
    ENVIRONMENT "EVE_AGENT=$<TARGET_FILE:eve-agent>;EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_TEST_DIR=${EVE_TEST_DIR}")
endif()
# The device's HTTPS clients (device API, runtime downloader, base-OS
# fetcher) refuse a TLS 1.1 server. Ports 19012-19013.
if(WITH_DEVICE AND TARGET everuntime AND TARGET eveupdate)
  add_executable(tls_floor_probe ${EVE_TEST_DIR}/unit/tls_floor_probe.c)
  target_link_libraries(tls_floor_probe PRIVATE everuntime eveupdate evecommon eve_warnings)
  add_test(NAME hardening_tls_clients
    COMMAND bash ${EVE_TEST_DIR}/integration/tls_floor.sh $<TARGET_FILE:tls_floor_probe>
      ${CMAKE_CURRENT_BINARY_DIR}/tls_floor.d 19012)
  set_tests_properties(hardening_tls_clients PROPERTIES LABELS integration TIMEOUT 120 SKIP_RETURN_CODE 77)
endif()
