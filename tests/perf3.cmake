# SPDX-License-Identifier: Apache-2.0
# Issue #30 (performance, round 2, part 2): P-256 points instead of OpenSSL
# key objects per device, certificates read without OpenSSL's decoder.
eve_unit_test(common_p256_test ${EVE_TEST_DIR}/unit/p256_test.c)
if(WITH_BENCH AND WITH_CONTROLLER AND TARGET eve-devsim AND TARGET eve-controller)
  add_test(NAME register_batch
    COMMAND bash ${EVE_TEST_DIR}/integration/register_batch.sh
      $<TARGET_FILE:eve-controller> $<TARGET_FILE:eve-devsim> 22750)
  set_tests_properties(register_batch PROPERTIES LABELS "integration;bench" TIMEOUT 150 SKIP_RETURN_CODE 77)
endif()
