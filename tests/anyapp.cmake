# Any app (issue 28): VM user data and pinning in the controller, boot modes,
# unikernels and CPU pinning on the device (real libvirt, TCG). Ports 21500-21599.
if(WITH_CONTROLLER)
  eve_unit_test(controller_app_vm_test ${EVE_TEST_DIR}/unit/controller_app_vm_test.c evecontroller)
endif()
if(WITH_DEVICE AND TARGET everuntime)
  eve_unit_test(runtime_anyapp_test ${EVE_TEST_DIR}/unit/runtime_anyapp_test.c everuntime)
  # the same documents judged by libvirt's own schema
  add_test(NAME anyapp_xml
    COMMAND ${EVE_TEST_DIR}/integration/anyapp_xml.sh $<TARGET_FILE:runtime_anyapp_test>
      ${CMAKE_BINARY_DIR}/anyapp-tests/xml)
  set_tests_properties(anyapp_xml PROPERTIES LABELS "integration;runtime" TIMEOUT 60 SKIP_RETURN_CODE 77)
endif()
