# SPDX-License-Identifier: Apache-2.0
# Architecture (issue #26): no file-level call cycle between the C files of
# a folder (controller, device, device/runtime, device/update, cli, common).
# scripts/check-cycles reads the object files of this build tree (nm), so the
# test runs after the build; it prints each cycle it finds and fails.
find_program(EVE_PYTHON3 python3)
find_program(EVE_NM nm)
if(EVE_PYTHON3 AND EVE_NM)
  add_test(NAME arch_no_cycles
    COMMAND ${EVE_PYTHON3} ${CMAKE_SOURCE_DIR}/scripts/check-cycles --fail --build ${CMAKE_BINARY_DIR})
  set_tests_properties(arch_no_cycles PROPERTIES LABELS unit TIMEOUT 60)
endif()

# House rules checked on every run: every C file as .clang-format wants it,
# and an SPDX license line in every source file. Both read the git index, so
# they need the source tree to be a git checkout (CI's clean clone is).
find_program(EVE_GIT git)
if(EVE_GIT)
  add_test(NAME source_format COMMAND ${CMAKE_SOURCE_DIR}/scripts/check-format)
  set_tests_properties(source_format PROPERTIES LABELS unit TIMEOUT 120)
  add_test(NAME source_spdx COMMAND ${CMAKE_SOURCE_DIR}/scripts/check-spdx)
  set_tests_properties(source_spdx PROPERTIES LABELS unit TIMEOUT 60)
endif()
