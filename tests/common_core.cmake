# SPDX-License-Identifier: Apache-2.0
# Tests of the common library's core modules and of certs/ (helper "core").
# Ports 18000-18049 belong to these tests.
eve_unit_test(common_util_test ${EVE_TEST_DIR}/unit/util_test.c)
eve_unit_test(common_crypto_test ${EVE_TEST_DIR}/unit/crypto_test.c)
eve_unit_test(common_envelope_test ${EVE_TEST_DIR}/unit/envelope_test.c)

add_test(NAME common_certs COMMAND ${EVE_TEST_DIR}/integration/certs_test.sh ${CMAKE_SOURCE_DIR}/certs/mkcerts.sh)
set_tests_properties(common_certs PROPERTIES LABELS integration TIMEOUT 120)

# devapi against an in-process TLS server; certificates from certs/mkcerts.sh.
eve_unit_test(common_devapi_test ${EVE_TEST_DIR}/unit/devapi_test.c)
set_tests_properties(common_devapi_test PROPERTIES ENVIRONMENT "EVE_MKCERTS=${CMAKE_SOURCE_DIR}/certs/mkcerts.sh")
