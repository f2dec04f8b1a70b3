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
