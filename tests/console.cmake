# SPDX-License-Identifier: Apache-2.0
# Remote consoles (docs/console.md): edge-view tokens, and the whole path
# evectl -> controller dispatcher -> eve-agent -> app, on ports 21400-21499.
eve_unit_test(common_evjwt_test ${EVE_TEST_DIR}/unit/common_evjwt_test.c evecommon)

if(WITH_CONTROLLER AND WITH_DEVICE AND WITH_CLI AND TARGET everuntime)
  add_test(NAME console_e2e COMMAND bash ${EVE_TEST_DIR}/integration/console_e2e.sh)
  set_tests_properties(console_e2e PROPERTIES LABELS "integration;console" TIMEOUT 300
    SKIP_RETURN_CODE 77
    ENVIRONMENT "EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_AGENT=$<TARGET_FILE:eve-agent>;EVECTL=$<TARGET_FILE:evectl>;EVE_SRC=${CMAKE_SOURCE_DIR};E2E_BUILD=${CMAKE_BINARY_DIR};E2E_PORT=21400")
endif()

# A VM with VNC (boots a guest: slow, not in the sanitizer pass).
if(WITH_CONTROLLER AND WITH_DEVICE AND WITH_CLI AND TARGET everuntime)
  pkg_check_modules(CONSOLE_LIBARCHIVE IMPORTED_TARGET libarchive)
  if(CONSOLE_LIBARCHIVE_FOUND)
    add_executable(console_mkiso ${EVE_TEST_DIR}/images/mkiso.c)
    target_link_libraries(console_mkiso PRIVATE PkgConfig::CONSOLE_LIBARCHIVE eve_warnings)
    set(console_mkiso_path $<TARGET_FILE:console_mkiso>)
  else()
    set(console_mkiso_path "")
  endif()
  add_test(NAME console_vnc COMMAND bash ${EVE_TEST_DIR}/integration/console_vnc.sh)
  set_tests_properties(console_vnc PROPERTIES LABELS "integration;console;slow" TIMEOUT 300
    SKIP_RETURN_CODE 77
    ENVIRONMENT "EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_AGENT=$<TARGET_FILE:eve-agent>;EVECTL=$<TARGET_FILE:evectl>;EVE_SRC=${CMAKE_SOURCE_DIR};E2E_BUILD=${CMAKE_BINARY_DIR};E2E_MKISO=${console_mkiso_path};E2E_PORT=21401")
endif()
