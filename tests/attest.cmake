# SPDX-License-Identifier: Apache-2.0
# Remote attestation and config secrets (docs/security.md): controller
# verifier + agent with a real swtpm. Ports 21000-21099.
eve_unit_test(cipher_test ${EVE_TEST_DIR}/unit/cipher_test.c evecommon)
if(WITH_DEVICE AND TARGET eve-agent AND TARGET eve-controller AND TARGET evectl)
  add_executable(attest_replay ${EVE_TEST_DIR}/integration/attest_replay.c)
  target_link_libraries(attest_replay PRIVATE eveagent eve_warnings)
  add_test(NAME attest_tpm COMMAND bash ${EVE_TEST_DIR}/integration/attest_tpm.sh)
  set(env "EVE_AGENT=$<TARGET_FILE:eve-agent>;EVE_TEST_DIR=${EVE_TEST_DIR}")
  list(APPEND env "EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVECTL=$<TARGET_FILE:evectl>")
  list(APPEND env "EVE_ATTEST_REPLAY=$<TARGET_FILE:attest_replay>")
  set_tests_properties(attest_tpm PROPERTIES LABELS integration TIMEOUT 240 SKIP_RETURN_CODE 77
    ENVIRONMENT "${env}")
endif()
