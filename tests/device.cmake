# SPDX-License-Identifier: Apache-2.0
# Device agent (eve-agent) tests: unit tests per module and integration
# tests against a real controller, real TLS and a real swtpm.
# Ports: 18200-18299; agent_proxy: 18900-18949; agent_fulldisk: 18950-18999.
if(WITH_DEVICE)
  eve_unit_test(agent_keystore_test ${EVE_TEST_DIR}/unit/agent_keystore_test.c eveagent)
  eve_unit_test(agent_configdir_test ${EVE_TEST_DIR}/unit/agent_configdir_test.c eveagent)
  eve_unit_test(agent_backoff_test ${EVE_TEST_DIR}/unit/agent_backoff_test.c eveagent)
  eve_unit_test(agent_checkpoint_test ${EVE_TEST_DIR}/unit/agent_checkpoint_test.c eveagent)
  eve_unit_test(agent_ctlclient_test ${EVE_TEST_DIR}/unit/agent_ctlclient_test.c eveagent)
  eve_unit_test(agent_queues_test ${EVE_TEST_DIR}/unit/agent_queues_test.c eveagent)
  eve_unit_test(agent_settings_test ${EVE_TEST_DIR}/unit/agent_settings_test.c eveagent)
  eve_unit_test(agent_netmgr_test ${EVE_TEST_DIR}/unit/agent_netmgr_test.c eveagent)

  # Integration: real controller over TLS, real swtpm. Each test has its own
  # ports (18200-18299) so they can run in parallel.
  if(TARGET eve-agent)
    add_executable(agent_mkbootstrap ${EVE_TEST_DIR}/integration/agent_mkbootstrap.c)
    target_link_libraries(agent_mkbootstrap PRIVATE evecommon eve_warnings)
    foreach(t agent_onboard_file agent_onboard_tpm agent_tamper agent_kill9 agent_impostor agent_bootstrap
        agent_proxy agent_fulldisk)
      add_test(NAME ${t} COMMAND bash ${EVE_TEST_DIR}/integration/${t}.sh)
      set(env "EVE_AGENT=$<TARGET_FILE:eve-agent>;EVE_TEST_DIR=${EVE_TEST_DIR}")
      list(APPEND env "EVE_MKBOOTSTRAP=$<TARGET_FILE:agent_mkbootstrap>")
      if(TARGET eve-controller)
        list(APPEND env "EVE_CONTROLLER=$<TARGET_FILE:eve-controller>")
      endif()
      set_tests_properties(${t} PROPERTIES LABELS integration TIMEOUT 240 SKIP_RETURN_CODE 77
        ENVIRONMENT "${env}")
    endforeach()
  endif()
endif()
