# SPDX-License-Identifier: Apache-2.0
# Several controller replicas on one PostgreSQL 15 database behind HAProxy
# (issue #22): tests/integration/cluster_replicas_pg.sh. Ports 26000-26009:
# HAProxy on 127.0.0.1:26000, the replicas on 127.0.0.2:26001,
# 127.0.0.3:26002 and 127.0.0.4:26003, PostgreSQL on 36000
# (tests/lib/pg.sh's port + 10000).
if(WITH_CONTROLLER AND TARGET eve-devsim AND TARGET eve-agent AND TARGET evectl)
  add_test(NAME cluster_replicas_pg COMMAND bash ${EVE_TEST_DIR}/integration/cluster_replicas_pg.sh 26000)
  set_tests_properties(cluster_replicas_pg PROPERTIES LABELS "integration;postgresql;slow" TIMEOUT 300
    SKIP_RETURN_CODE 77
    ENVIRONMENT "EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_AGENT=$<TARGET_FILE:eve-agent>;EVECTL=$<TARGET_FILE:evectl>;EVE_DEVSIM=$<TARGET_FILE:eve-devsim>")
endif()
