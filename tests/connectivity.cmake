# SPDX-License-Identifier: Apache-2.0
# Device connectivity (issue 29): management ports configured by the agent
# (netlink, udhcpc), failover by cost, rollback persisted, diagnostics.
# Ports: 21600-21699, 22500-22599, 24110.
if(WITH_DEVICE)
  eve_unit_test(conn_netmgr_test ${EVE_TEST_DIR}/unit/conn_netmgr_test.c eveagent)
  if(TARGET eve-agent AND TARGET eve-controller) # agent_mkbootstrap: tests/device.cmake
    set(conn_evectl "")
    if(TARGET evectl)
      set(conn_evectl ";EVECTL=$<TARGET_FILE:evectl>")
    endif()
    add_test(NAME conn_ports COMMAND bash ${EVE_TEST_DIR}/integration/conn_ports.sh)
    set_tests_properties(conn_ports PROPERTIES LABELS "integration;slow" TIMEOUT 300 SKIP_RETURN_CODE 77
      ENVIRONMENT "EVE_AGENT=$<TARGET_FILE:eve-agent>;EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_TEST_DIR=${EVE_TEST_DIR};EVE_MKBOOTSTRAP=$<TARGET_FILE:agent_mkbootstrap>${conn_evectl}")
    # load spreading counted per port, port test timers, rolled-back retry
    add_test(NAME conn_timers COMMAND bash ${EVE_TEST_DIR}/integration/conn_timers.sh)
    set_tests_properties(conn_timers PROPERTIES LABELS "integration;slow" TIMEOUT 300 SKIP_RETURN_CODE 77
      ENVIRONMENT "EVE_AGENT=$<TARGET_FILE:eve-agent>;EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_TEST_DIR=${EVE_TEST_DIR};EVE_MKBOOTSTRAP=$<TARGET_FILE:agent_mkbootstrap>${conn_evectl}")
    # a static IPv6 management port, the controller reached over IPv6 (port 24110)
    add_test(NAME conn_ipv6 COMMAND bash ${EVE_TEST_DIR}/integration/conn_ipv6.sh)
    set_tests_properties(conn_ipv6 PROPERTIES LABELS "integration;slow" TIMEOUT 300 SKIP_RETURN_CODE 77
      ENVIRONMENT "EVE_AGENT=$<TARGET_FILE:eve-agent>;EVE_CONTROLLER=$<TARGET_FILE:eve-controller>;EVE_TEST_DIR=${EVE_TEST_DIR};EVE_MKBOOTSTRAP=$<TARGET_FILE:agent_mkbootstrap>")
  endif()
endif()
