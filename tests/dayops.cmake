# Day-2 operations (docs/operations.md): backup and restore, certificates,
# bootstrap configuration. Ports 19960-19979.
if(WITH_CONTROLLER AND TARGET eve-controller AND TARGET eve-devsim)
  add_test(NAME dayops_backup COMMAND bash ${EVE_TEST_DIR}/integration/dayops_backup.sh
    $<TARGET_FILE:eve-controller> $<TARGET_FILE:eve-devsim> 19960)
  set_tests_properties(dayops_backup PROPERTIES LABELS integration TIMEOUT 180)
endif()
