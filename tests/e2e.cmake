# SPDX-License-Identifier: Apache-2.0
# End-to-end: the quickstart's story with the real programs, each its own
# process over real TLS on 127.0.0.1 (ports 18600-18699): eve-controller +
# eve-agent (with the runtime, on the machine's libvirtd) + evectl.
# It shares the machine's libvirtd with the runtime tests: each agent only
# touches the domains its own state directory records.
if(WITH_CONTROLLER AND WITH_DEVICE AND WITH_CLI AND TARGET everuntime)
  pkg_check_modules(E2E_LIBARCHIVE IMPORTED_TARGET libarchive)
  if(E2E_LIBARCHIVE_FOUND)
    # The test VM image is an ISO that tests/images/mkiso.c packs.
    add_executable(e2e_mkiso ${EVE_TEST_DIR}/images/mkiso.c)
    target_link_libraries(e2e_mkiso PRIVATE PkgConfig::E2E_LIBARCHIVE eve_warnings)
    set(e2e_mkiso_path $<TARGET_FILE:e2e_mkiso>)
  else()
    set(e2e_mkiso_path "")
  endif()

  add_test(NAME e2e_flow COMMAND bash ${EVE_TEST_DIR}/integration/e2e_flow.sh)
  # slow (a VM and containers booted; ~80 s): not in the sanitizer pass
  set_tests_properties(e2e_flow PROPERTIES LABELS "integration;e2e;slow" TIMEOUT 300
    SKIP_RETURN_CODE 77
    ENVIRONMENT "EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_AGENT=$<TARGET_FILE:eve-agent>;EVECTL=$<TARGET_FILE:evectl>;EVE_SRC=${CMAKE_SOURCE_DIR};E2E_BUILD=${CMAKE_BINARY_DIR};E2E_MKISO=${e2e_mkiso_path};E2E_PORT=18600")

  # scripts/quickstart on this build dir (it expects the binaries at
  # <build>/{controller,device,cli}/): start, start again, status, stop.
  add_test(NAME e2e_quickstart COMMAND bash ${EVE_TEST_DIR}/integration/e2e_quickstart.sh)
  set_tests_properties(e2e_quickstart PROPERTIES LABELS "integration;e2e;slow" TIMEOUT 300
    SKIP_RETURN_CODE 77
    ENVIRONMENT "EVE_SRC=${CMAKE_SOURCE_DIR};E2E_BUILD=${CMAKE_BINARY_DIR};E2E_PORT=18601")
endif()
