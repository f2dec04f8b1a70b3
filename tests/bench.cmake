# SPDX-License-Identifier: Apache-2.0
# Benchmarks (issue 9): only a smoke test. eve-devsim runs a tiny scenario
# against a real controller and must exit 0 with its figures printed; nothing
# here asserts on speed. Ports 18700-18799.
if(WITH_BENCH AND WITH_CONTROLLER AND TARGET eve-devsim AND TARGET eve-controller)
  add_test(NAME bench_devsim_smoke
    COMMAND bash ${CMAKE_SOURCE_DIR}/bench/devsim/smoke.sh
      $<TARGET_FILE:eve-controller> $<TARGET_FILE:eve-devsim> 18700)
  set_tests_properties(bench_devsim_smoke PROPERTIES LABELS "integration;bench" TIMEOUT 120)
endif()
