# SPDX-License-Identifier: Apache-2.0
# The Debian packages built, linted, installed, used and purged
# (tests/integration/package_test.sh). Port 19950. Long (builds the tree
# again with dpkg-buildpackage): normal pass only.
if(WITH_CONTROLLER AND WITH_DEVICE AND WITH_CLI)
  add_test(NAME package_deb COMMAND bash ${EVE_TEST_DIR}/integration/package_test.sh)
  set_tests_properties(package_deb PROPERTIES LABELS "integration;package;slow" TIMEOUT 600
    SKIP_RETURN_CODE 77 RUN_SERIAL TRUE
    ENVIRONMENT "EVE_SRC=${CMAKE_SOURCE_DIR};PKG_PORT=19950")
endif()
