# SPDX-License-Identifier: Apache-2.0
# The web dashboard (issue 20). Ports 21300-21399. The tests run with
# Debian's python3 (/usr/bin/python3: python3-selenium is a Debian package)
# and chromium + chromium-driver (scripts/install-deps: DASHBOARD_PKGS);
# without them they skip (77), or fail with CI=true.
if(WITH_CONTROLLER)
  find_program(DASH_PYTHON python3 PATHS /usr/bin NO_DEFAULT_PATH)
  if(NOT DASH_PYTHON)
    set(DASH_PYTHON python3)
  endif()
  # The page, its assets and headers, GET /devices search and paging.
  add_test(NAME dashboard_api COMMAND ${DASH_PYTHON} ${EVE_TEST_DIR}/dashboard/dashboard_api_test.py)
  set_tests_properties(dashboard_api PROPERTIES LABELS "integration;dashboard" TIMEOUT 120
    SKIP_RETURN_CODE 77 ENVIRONMENT "EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;DASH_PORT=21300")
  if(WITH_DEVICE AND TARGET everuntime)
    # chromium against a controller and an agent running a container
    # (LXC on the machine's libvirtd): slow, not in the sanitizer pass.
    # Screenshots of every page: <build>/tests/dashboard-screenshots/.
    add_test(NAME dashboard_browser COMMAND ${DASH_PYTHON} ${EVE_TEST_DIR}/dashboard/dashboard_test.py)
    set_tests_properties(dashboard_browser PROPERTIES LABELS "integration;dashboard;slow" TIMEOUT 240
      SKIP_RETURN_CODE 77 ENVIRONMENT
      "EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_AGENT=$<TARGET_FILE:eve-agent>;EVE_SRC=${CMAKE_SOURCE_DIR};DASH_PORT=21301;DASH_OUT=${CMAKE_BINARY_DIR}/tests/dashboard-screenshots;DASH_IMAGES=${CMAKE_BINARY_DIR}/tests/dashboard-images")
  endif()
  # A viewer (token and user/password login) sees no deploy controls; its
  # forged POST and its API calls are 403 and change nothing (issue 19).
  add_test(NAME dashboard_viewer COMMAND ${DASH_PYTHON} ${EVE_TEST_DIR}/dashboard/viewer_test.py)
  set_tests_properties(dashboard_viewer PROPERTIES LABELS "integration;dashboard" TIMEOUT 120
    SKIP_RETURN_CODE 77 ENVIRONMENT
    "EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;DASH_PORT=21302;DASH_OUT=${CMAKE_BINARY_DIR}/tests/dashboard-screenshots")
endif()
