# SPDX-License-Identifier: Apache-2.0
# Architecture (issue #26), the controller's data: the app spec module
# (controller/app_spec.c) and one owner module per table
# (scripts/check-sql-owners, docs/architecture.md).
if(WITH_CONTROLLER)
  eve_unit_test(controller_app_spec_test ${EVE_TEST_DIR}/unit/controller_app_spec_test.c evecontroller)
endif()
find_program(EVE_PYTHON3 python3)
if(EVE_PYTHON3)
  add_test(NAME arch_sql_owners COMMAND ${EVE_PYTHON3} ${CMAKE_SOURCE_DIR}/scripts/check-sql-owners ${CMAKE_SOURCE_DIR})
  set_tests_properties(arch_sql_owners PROPERTIES LABELS unit TIMEOUT 60)
endif()
