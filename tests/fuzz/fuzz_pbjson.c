// SPDX-License-Identifier: Apache-2.0
/* libFuzzer harness: pbjson (common/pbjson.c), JSON <-> protobuf.
 *
 * Input: byte 0 picks the message type (low bits) and the direction:
 *   bit 7 clear: the rest is JSON text, converted to a message; when that
 *                succeeds, message -> JSON -> message -> JSON must give
 *                the same JSON;
 *   bit 7 set:   the rest is a packed protobuf (as devices send and the
 *                controller shows through its admin API): unpack, then the
 *                same round trip. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/devconfig.pb-c.h"
#include "info/info.pb-c.h"
#include "logs/log.pb-c.h"
#include "metrics/metrics.pb-c.h"
#include "fuzz_util.h"
#include "pbjson.h"
#include "register/register.pb-c.h"

static const ProtobufCMessageDescriptor *const descs[] = {
    &org__lfedge__eve__config__edge_dev_config__descriptor,
    &org__lfedge__eve__info__zinfo_msg__descriptor,
    &org__lfedge__eve__metrics__zmetric_msg__descriptor,
    &org__lfedge__eve__logs__log_entry__descriptor,
    &org__lfedge__eve__logs__log_bundle__descriptor,
    &org__lfedge__eve__register__zregister_msg__descriptor,
    &org__lfedge__eve__config__app_instance_config__descriptor,
    &org__lfedge__eve__config__network_instance_config__descriptor,
};
#define NDESCS (sizeof(descs) / sizeof(descs[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* m -> JSON -> message -> JSON: both JSON forms must be equal (packed
 * bytes would differ by the unknown fields protobuf-c keeps, which JSON
 * has no place for). */
static void check_round_trip(const ProtobufCMessageDescriptor *d, const ProtobufCMessage *m)
{
	char err[256];
	json_t *j = pbjson_from_message(m), *j2;
	ProtobufCMessage *back = NULL;
	int r;

	FUZZ_CHECK(j, "pbjson_from_message");
	r = pbjson_to_message(d, j, &back, err, sizeof(err));
	if (r != 0)
		fprintf(stderr, "round trip refused: %s\n", err);
	FUZZ_CHECK(r == 0, "JSON made by pbjson_from_message is accepted back");
	j2 = pbjson_from_message(back);
	FUZZ_CHECK(j2, "pbjson_from_message");
	if (!json_equal(j, j2)) {
		char *a = json_dumps(j, JSON_SORT_KEYS), *b = json_dumps(j2, JSON_SORT_KEYS);

		fprintf(stderr, "first:  %s\nsecond: %s\n", a ? a : "?", b ? b : "?");
		abort();
	}
	protobuf_c_message_free_unpacked(back, NULL);
	json_decref(j);
	json_decref(j2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const ProtobufCMessageDescriptor *d;
	ProtobufCMessage *m = NULL;
	char err[256];

	if (size < 1)
		return 0;
	d = descs[(data[0] & 0x7f) % NDESCS];
	if (data[0] & 0x80) {
		m = protobuf_c_message_unpack(d, NULL, size - 1, data + 1);
	} else {
		json_t *j = json_loadb((const char *)data + 1, size - 1, JSON_DECODE_ANY, NULL);

		if (j && pbjson_to_message(d, j, &m, err, sizeof(err)) != 0)
			m = NULL;
		json_decref(j);
	}
	if (m) {
		check_round_trip(d, m);
		protobuf_c_message_free_unpacked(m, NULL);
	}
	return 0;
}
