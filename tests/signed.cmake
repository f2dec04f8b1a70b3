# Publisher signatures of images (issue #31): the cosign format, the trust
# store, the runtime's verdicts, pulls from docker-registry under each
# policy. Ports 21700-21799.
if(WITH_DEVICE AND TARGET everuntime)
  eve_unit_test(cosign_test ${EVE_TEST_DIR}/unit/cosign_test.c everuntime)
endif()
