# Hardening (issue 12): the controller's TLS settings, start-up cleaning of
# unfinished uploads. Ports 19000-19099.
if(WITH_CONTROLLER AND TARGET eve-controller)
  add_test(NAME hardening_tls
    COMMAND bash ${EVE_TEST_DIR}/integration/hardening_tls.sh ${CMAKE_CURRENT_BINARY_DIR}/hardening_tls.d 19001)
  set_tests_properties(hardening_tls PROPERTIES LABELS integration TIMEOUT 120 SKIP_RETURN_CODE 77
    ENVIRONMENT "EVE_CONTROLLER=$<TARGET_FILE:eve-controller>")
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
