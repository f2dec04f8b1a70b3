# SPDX-License-Identifier: Apache-2.0
# A/B self-update (device/update): unit tests of the library (gpt backend on
# a disk image: needs sgdisk, Debian package gdisk), integration tests of the
# dir backend under eve-slot-boot with a fake agent, and an end-to-end test
# with the real agent and controller (skips with 77 without them).
# Port: 18500 (update_e2e).
if(WITH_DEVICE AND TARGET eveupdate)
  eve_unit_test(update_bootslot_test ${EVE_TEST_DIR}/unit/update_bootslot_test.c eveupdate)
  eve_unit_test(update_flow_test ${EVE_TEST_DIR}/unit/update_flow_test.c eveupdate)
  # Without sgdisk its gpt tests skip (fail when CI=true): tests/lib/test_skip.h

  add_executable(update_fakeagent ${EVE_TEST_DIR}/integration/update_fakeagent.c)
  target_link_libraries(update_fakeagent PRIVATE eveupdate eve_warnings)
  foreach(t dir killpoints)
    add_test(NAME update_${t} COMMAND ${EVE_TEST_DIR}/integration/update_${t}.sh
      $<TARGET_FILE:eve-slot-boot> $<TARGET_FILE:update_fakeagent>)
    set_tests_properties(update_${t} PROPERTIES LABELS integration TIMEOUT 180)
  endforeach()

  if(TARGET eve-agent)
    set(env "EVE_AGENT=$<TARGET_FILE:eve-agent>;EVE_TEST_DIR=${EVE_TEST_DIR};EVE_SLOT_BOOT=$<TARGET_FILE:eve-slot-boot>")
    if(TARGET eve-controller)
      list(APPEND env "EVE_CONTROLLER=$<TARGET_FILE:eve-controller>")
    endif()
    if(TARGET evectl)
      list(APPEND env "EVECTL=$<TARGET_FILE:evectl>")
    endif()
    if(TARGET baseos-image)
      list(APPEND env "EVE_BASEOS_IMAGE=${CMAKE_BINARY_DIR}/eve-agent-baseos-${EVE_VERSION}.tar.gz")
    endif()
    add_test(NAME update_e2e COMMAND bash ${EVE_TEST_DIR}/integration/update_e2e.sh)
    set_tests_properties(update_e2e PROPERTIES LABELS integration TIMEOUT 300 SKIP_RETURN_CODE 77
      ENVIRONMENT "${env}")
  endif()
endif()
