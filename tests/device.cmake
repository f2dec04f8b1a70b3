# Device agent (eve-agent) tests: unit tests per module and integration
# tests against a real controller, real TLS and a real swtpm.
# Ports: 18200-18299.
if(WITH_DEVICE)
  eve_unit_test(agent_keystore_test ${EVE_TEST_DIR}/unit/agent_keystore_test.c eveagent)
  eve_unit_test(agent_configdir_test ${EVE_TEST_DIR}/unit/agent_configdir_test.c eveagent)
  eve_unit_test(agent_backoff_test ${EVE_TEST_DIR}/unit/agent_backoff_test.c eveagent)
  eve_unit_test(agent_checkpoint_test ${EVE_TEST_DIR}/unit/agent_checkpoint_test.c eveagent)
endif()
