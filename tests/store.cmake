# SPDX-License-Identifier: Apache-2.0
# The controller's engine-neutral store (controller/store.h): one test body
# against SQLite and a real PostgreSQL 15 that the script starts on
# 127.0.0.1 (tests/lib/pg.sh), and HAProxy's helper (tests/lib/haproxy.sh)
# in front of two loopback backends. Ports 24600-24699.
# store_pg_test(NAME PORT): a cmocka body run by store_test.sh with a
# throw-away PostgreSQL 15 on PORT.
function(store_pg_test name port)
  add_executable(${name} ${EVE_TEST_DIR}/unit/${name}.c)
  target_link_libraries(${name} PRIVATE evecontroller PkgConfig::CMOCKA eve_warnings)
  target_include_directories(${name} PRIVATE ${EVE_TEST_DIR}/lib)
  add_test(NAME ${name} COMMAND bash ${EVE_TEST_DIR}/integration/store_test.sh $<TARGET_FILE:${name}> ${port})
  set_tests_properties(${name} PROPERTIES LABELS "unit;integration" TIMEOUT 180 SKIP_RETURN_CODE 77)
endfunction()

if(WITH_CONTROLLER)
  store_pg_test(store_test 24610)
  # controller/schema.c's two migration lists give the same schema
  store_pg_test(store_schema_test 24630)
  # several controller processes on one database: notify/listen, locks
  store_pg_test(store_listen_test 24640)
  # remote consoles across replicas: holders, takeover, session writes (controller/console_store.h)
  store_pg_test(console_store_test 24660)
  # writes only over what they read: a rollout's state (ro_set_state), an app's revision
  store_pg_test(store_races_test 24670)
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
