# SPDX-License-Identifier: Apache-2.0
# Issue #30 (data path c): logs stored in compressed chunks (logchunk.c,
# logstore.c): codec, queries against a model, damaged chunks, retention,
# the migration of the old logs table.
if(WITH_CONTROLLER)
  eve_unit_test(controller_logstore_test ${EVE_TEST_DIR}/unit/controller_logstore_test.c evecontroller)
endif()
