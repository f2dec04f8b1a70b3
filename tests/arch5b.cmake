# SPDX-License-Identifier: Apache-2.0
# Issue #26, item 4: the owner functions that replaced cross-table joins
# (batched reads, rollout pins, automatic-rollback inputs) on a real store.
if(WITH_CONTROLLER)
  eve_unit_test(controller_store_reads_test ${EVE_TEST_DIR}/unit/controller_store_reads_test.c evecontroller)
endif()
