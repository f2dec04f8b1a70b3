# SPDX-License-Identifier: Apache-2.0
# Issue #30 (performance, round 2): the controller's SQLite writer lock and
# group commit (db_sync), and the parsed onboarding-certificate cache.
if(WITH_CONTROLLER)
  eve_unit_test(controller_db_test ${EVE_TEST_DIR}/unit/controller_db_test.c evecontroller)
endif()
