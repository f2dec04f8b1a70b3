# SPDX-License-Identifier: Apache-2.0
# Runtime configuration properties (issue #32, session 4) on a running
# device: timer.test.baseimage.update (the real agent in dir slots under
# eve-slot-boot ends a new image's test window) and app.allow.vnc (a real
# QEMU VM's VNC server, reached from a network namespace).
# Ports 23200-23299 belong to these tests (23200 controller, 23201 closed
# port for the unreachable image, 23210 the VNC test's controller).
if(WITH_DEVICE AND TARGET eve-agent AND TARGET eve-controller AND TARGET eve-slot-boot)
  add_test(NAME update_window COMMAND bash ${EVE_TEST_DIR}/integration/update_window.sh)
  # A test window and a quiet period after it: normal pass only (label slow).
  set_tests_properties(update_window PROPERTIES LABELS "integration;slow" TIMEOUT 300 SKIP_RETURN_CODE 77 COST 50
    ENVIRONMENT "EVE_AGENT=$<TARGET_FILE:eve-agent>;EVE_TEST_DIR=${EVE_TEST_DIR};EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_SLOT_BOOT=$<TARGET_FILE:eve-slot-boot>")
endif()

# app.allow.vnc: a VM app's VNC server reached over a veth pair from a
# network namespace (boots a guest: slow, not in the sanitizer pass).
if(WITH_CONTROLLER AND WITH_DEVICE AND WITH_CLI AND TARGET everuntime AND TARGET console_mkiso)
  add_test(NAME properties_vnc COMMAND bash ${EVE_TEST_DIR}/integration/properties_vnc.sh)
  set_tests_properties(properties_vnc PROPERTIES LABELS "integration;slow" TIMEOUT 400
    SKIP_RETURN_CODE 77
    ENVIRONMENT "EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_AGENT=$<TARGET_FILE:eve-agent>;EVECTL=$<TARGET_FILE:evectl>;EVE_SRC=${CMAKE_SOURCE_DIR};E2E_BUILD=${CMAKE_BINARY_DIR};E2E_MKISO=$<TARGET_FILE:console_mkiso>;E2E_PORT=23210")
endif()
