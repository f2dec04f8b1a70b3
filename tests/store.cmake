# SPDX-License-Identifier: Apache-2.0
# The controller's engine-neutral store (controller/store.h): one test body
# against SQLite and a real PostgreSQL 15 that the script starts on
# 127.0.0.1 (tests/lib/pg.sh), and HAProxy's helper (tests/lib/haproxy.sh)
# in front of two loopback backends. Ports 24600-24699.
if(WITH_CONTROLLER)
  add_executable(store_test ${EVE_TEST_DIR}/unit/store_test.c)
  target_link_libraries(store_test PRIVATE evecontroller PkgConfig::CMOCKA eve_warnings)
  target_include_directories(store_test PRIVATE ${EVE_TEST_DIR}/lib)
  add_test(NAME store_test
    COMMAND bash ${EVE_TEST_DIR}/integration/store_test.sh $<TARGET_FILE:store_test> 24610)
  set_tests_properties(store_test PROPERTIES LABELS "unit;integration" TIMEOUT 180 SKIP_RETURN_CODE 77)
  # controller/schema.c's two migration lists give the same schema
  add_executable(store_schema_test ${EVE_TEST_DIR}/unit/store_schema_test.c)
  target_link_libraries(store_schema_test PRIVATE evecontroller PkgConfig::CMOCKA eve_warnings)
  target_include_directories(store_schema_test PRIVATE ${EVE_TEST_DIR}/lib)
  add_test(NAME store_schema_test
    COMMAND bash ${EVE_TEST_DIR}/integration/store_test.sh $<TARGET_FILE:store_schema_test> 24630)
  set_tests_properties(store_schema_test PROPERTIES LABELS "unit;integration" TIMEOUT 180 SKIP_RETURN_CODE 77)
  # several controller processes on one database: notify/listen, locks
  add_executable(store_listen_test ${EVE_TEST_DIR}/unit/store_listen_test.c)
  target_link_libraries(store_listen_test PRIVATE evecontroller PkgConfig::CMOCKA eve_warnings)
  target_include_directories(store_listen_test PRIVATE ${EVE_TEST_DIR}/lib)
  add_test(NAME store_listen_test
    COMMAND bash ${EVE_TEST_DIR}/integration/store_test.sh $<TARGET_FILE:store_listen_test> 24640)
  set_tests_properties(store_listen_test PROPERTIES LABELS "unit;integration" TIMEOUT 180 SKIP_RETURN_CODE 77)
  # eve-controller init and serve with `store = postgresql://...` (PostgreSQL on 24650, the controller on
  # 24651); simulated devices too when eve-devsim is built
  set(STORE_PG_DEVSIM "")
  if(TARGET eve-devsim)
    set(STORE_PG_DEVSIM $<TARGET_FILE:eve-devsim>)
  endif()
  add_test(NAME store_controller_pg
    COMMAND bash ${EVE_TEST_DIR}/integration/store_controller_pg.sh 24650 24651
      ${CMAKE_CURRENT_BINARY_DIR}/store_controller_pg.d ${STORE_PG_DEVSIM})
  set_tests_properties(store_controller_pg PROPERTIES LABELS integration TIMEOUT 240 SKIP_RETURN_CODE 77
    ENVIRONMENT "EVE_CONTROLLER=$<TARGET_FILE:eve-controller>")
endif()

add_test(NAME haproxy_smoke COMMAND bash ${EVE_TEST_DIR}/integration/haproxy_smoke.sh 24620)
set_tests_properties(haproxy_smoke PROPERTIES LABELS integration TIMEOUT 120 SKIP_RETURN_CODE 77)
