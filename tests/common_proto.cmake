# SPDX-License-Identifier: Apache-2.0
# Unit tests for the EVE API protos and the proto-driven common modules
# (pbjson, confighash). evecommon is always built, so no WITH_* guard.
eve_unit_test(proto_test ${EVE_TEST_DIR}/unit/proto_test.c)
eve_unit_test(pbjson_test ${EVE_TEST_DIR}/unit/pbjson_test.c)
eve_unit_test(confighash_test ${EVE_TEST_DIR}/unit/confighash_test.c)
