# SPDX-License-Identifier: Apache-2.0
# Runtime (device/runtime): unit tests and real-libvirt integration tests.
if(WITH_DEVICE AND TARGET everuntime)
  eve_unit_test(runtime_blobstore_test ${EVE_TEST_DIR}/unit/runtime_blobstore_test.c everuntime)
  eve_unit_test(runtime_oci_test ${EVE_TEST_DIR}/unit/runtime_oci_test.c everuntime)
  eve_unit_test(runtime_hv_test ${EVE_TEST_DIR}/unit/runtime_hv_test.c everuntime)
  # the environment file, the init directory and the shim itself (run)
  eve_unit_test(runtime_initenv_test ${EVE_TEST_DIR}/unit/runtime_initenv_test.c everuntime)
  target_compile_definitions(runtime_initenv_test PRIVATE "EVE_INIT_PATH=\"$<TARGET_FILE:eve-init>\"")
  eve_unit_test(runtime_volume_test ${EVE_TEST_DIR}/unit/runtime_volume_test.c everuntime)
  eve_unit_test(runtime_download_test ${EVE_TEST_DIR}/unit/runtime_download_test.c everuntime)
  eve_unit_test(runtime_portmap_test ${EVE_TEST_DIR}/unit/runtime_portmap_test.c everuntime)
  target_sources(runtime_download_test PRIVATE ${EVE_TEST_DIR}/integration/runtime_https.c)
  target_include_directories(runtime_download_test PRIVATE ${EVE_TEST_DIR}/integration)

  add_executable(runtime_mkiso ${EVE_TEST_DIR}/images/mkiso.c)
  target_link_libraries(runtime_mkiso PRIVATE everuntime eve_warnings)
  add_executable(runtime_driver ${EVE_TEST_DIR}/integration/runtime_driver.c
    ${EVE_TEST_DIR}/integration/runtime_https.c)
  target_link_libraries(runtime_driver PRIVATE everuntime evecommon eve_warnings)

  set(_rt_ports vm 18401 oci 18402 badsha 18403 resume 18404 adopt 18405 net 18406 portmap 18800
    crash 18850)
  while(_rt_ports)
    list(POP_FRONT _rt_ports _sc _port)
    add_test(NAME runtime_${_sc}
      COMMAND ${EVE_TEST_DIR}/integration/runtime_test.sh ${_sc} ${_port}
        $<TARGET_FILE:runtime_driver> $<TARGET_FILE:runtime_mkiso> ${CMAKE_BINARY_DIR})
    set_tests_properties(runtime_${_sc} PROPERTIES LABELS "integration;runtime" TIMEOUT 240
      SKIP_RETURN_CODE 77)
  endwhile()
  # boots a whole VM guest: not in the sanitizer pass (scripts/test)
  set_property(TEST runtime_vm APPEND PROPERTY LABELS slow)
  add_test(NAME runtime_xml
    COMMAND ${EVE_TEST_DIR}/integration/runtime_xml_test.sh $<TARGET_FILE:runtime_driver>
      ${CMAKE_BINARY_DIR}/runtime-tests/xml)
  set_tests_properties(runtime_xml PROPERTIES LABELS "integration;runtime" TIMEOUT 60 SKIP_RETURN_CODE 77)
endif()
