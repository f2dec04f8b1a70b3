# Runtime configuration properties (issue #32): the shared table, and an
# agent + controller + evectl test of each honoured property.
# Ports 19600-19699 belong to these tests.
eve_unit_test(configprops_test ${EVE_TEST_DIR}/unit/configprops_test.c)
