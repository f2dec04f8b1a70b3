# Issue #30 (performance, round 2, part 2): P-256 points instead of OpenSSL
# key objects per device, certificates read without OpenSSL's decoder.
eve_unit_test(common_p256_test ${EVE_TEST_DIR}/unit/p256_test.c)
