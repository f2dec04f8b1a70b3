# Interoperability with the public EVE API (issue 13): wire conformance of
# proto/ with the public eve-api facts, and device API behaviour that other
# EVE controllers and devices rely on.
eve_unit_test(proto_conformance_test ${EVE_TEST_DIR}/conformance/proto_conformance_test.c)
target_compile_definitions(proto_conformance_test PRIVATE
  FACTS_FILE="${EVE_TEST_DIR}/conformance/eve-api.facts")
