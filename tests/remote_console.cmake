# SPDX-License-Identifier: Apache-2.0
# Remote consoles, part 3 (docs/console.md): the device proof on edge-view
# tunnels; ports 22600-22699.
if(WITH_CONTROLLER AND WITH_DEVICE AND WITH_CLI)
  add_executable(console_devproof ${EVE_TEST_DIR}/integration/console_devproof.c)
  target_link_libraries(console_devproof PRIVATE evecommon eve_warnings)
  add_test(NAME console_devproof COMMAND bash ${EVE_TEST_DIR}/integration/console_devproof.sh)
  set_tests_properties(console_devproof PROPERTIES LABELS "integration;console" TIMEOUT 180
    SKIP_RETURN_CODE 77
    ENVIRONMENT "EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_AGENT=$<TARGET_FILE:eve-agent>;EVECTL=$<TARGET_FILE:evectl>;EVE_SRC=${CMAKE_SOURCE_DIR};E2E_BUILD=${CMAKE_BINARY_DIR};E2E_PORT=22600;EVE_DEVPROOF=$<TARGET_FILE:console_devproof>")
endif()

# WebSocket framing of the browser console (common/wsframe.c): unit test and
# the fuzz harness's corpus replay (eve_fuzz_replay: tests/fuzz.cmake).
eve_unit_test(common_wsframe_test ${EVE_TEST_DIR}/unit/common_wsframe_test.c evecommon)
set(_fz_libs "")
eve_fuzz_replay(fuzz_wsframe ${EVE_TEST_DIR}/fuzz/fuzz_wsframe.c)

# The dashboard's console in chromium (xterm.js over the controller's
# WebSocket) against a real agent running a container on libvirt LXC:
# slow (boots a container), not in the sanitizer pass.
if(WITH_CONTROLLER AND WITH_DEVICE AND WITH_CLI AND TARGET everuntime)
  find_program(CONSOLE_PYTHON python3 PATHS /usr/bin NO_DEFAULT_PATH)
  if(NOT CONSOLE_PYTHON)
    set(CONSOLE_PYTHON python3)
  endif()
  add_test(NAME console_browser COMMAND ${CONSOLE_PYTHON} ${EVE_TEST_DIR}/dashboard/console_browser_test.py)
  set_tests_properties(console_browser PROPERTIES LABELS "integration;console;dashboard;slow" TIMEOUT 300
    SKIP_RETURN_CODE 77 ENVIRONMENT
    "EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_AGENT=$<TARGET_FILE:eve-agent>;EVECTL=$<TARGET_FILE:evectl>;EVE_SRC=${CMAKE_SOURCE_DIR};DASH_PORT=22601;DASH_OUT=${CMAKE_BINARY_DIR}/tests/dashboard-screenshots;DASH_IMAGES=${CMAKE_BINARY_DIR}/runtime-images")
endif()
