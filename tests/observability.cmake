# SPDX-License-Identifier: Apache-2.0
# Observability (issue 21): /metrics, /metrics/fleet, health endpoints and
# log lines. Unit tests per module; obs_prometheus runs a real controller,
# a real agent and Debian's prometheus on 127.0.0.1 (ports 19500-19599).
if(WITH_CONTROLLER)
  eve_unit_test(controller_prom_test ${EVE_TEST_DIR}/unit/controller_prom_test.c evecontroller)
  target_compile_definitions(controller_prom_test PRIVATE EVE_SRC_DIR="${CMAKE_SOURCE_DIR}")
  eve_unit_test(logfmt_test ${EVE_TEST_DIR}/unit/logfmt_test.c evecommon)
  if(TARGET eve-agent AND TARGET eve-controller)
    add_test(NAME obs_prometheus COMMAND bash ${EVE_TEST_DIR}/integration/obs_prometheus.sh)
    set_tests_properties(obs_prometheus PROPERTIES LABELS integration TIMEOUT 300 SKIP_RETURN_CODE 77
      ENVIRONMENT "EVE_AGENT=$<TARGET_FILE:eve-agent>;EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_TEST_DIR=${EVE_TEST_DIR}")
  endif()
endif()
