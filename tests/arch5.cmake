# SPDX-License-Identifier: Apache-2.0
# Issue #26 (architecture), one owner per table: the functions other
# modules read foreign rows through (projects.c, devices_store.c,
# apps_store.c, the admin counts of users.c and tokens.c).
if(WITH_CONTROLLER)
  eve_unit_test(controller_owners_test ${EVE_TEST_DIR}/unit/controller_owners_test.c evecontroller)
endif()
