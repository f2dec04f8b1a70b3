// SPDX-License-Identifier: Apache-2.0
/* JSON <-> protobuf: every message survives message -> JSON text -> message
 * with identical packed bytes; the JSON shape is the documented one; bad
 * input is refused with an error naming the field. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "err.h"
#include "pbjson.h"
#include "proto_testutil.h"

#define CFG_DESC (&org__lfedge__eve__config__edge_dev_config__descriptor)

/* m -> JSON text -> message; the result packs to the same bytes. */
static void roundtrip(const ProtobufCMessage *m)
{
	json_t *j = pbjson_from_message(m), *back;
	char *text, err[256];
	ProtobufCMessage *u = NULL;
	json_error_t jerr;
	int rc;

	assert_non_null(j);
	text = json_dumps(j, JSON_COMPACT);
	assert_non_null(text);
	back = json_loads(text, 0, &jerr);
	assert_non_null(back);
	rc = pbjson_to_message(m->descriptor, back, &u, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "%s: %s\n", m->descriptor->name, err);
	assert_int_equal(rc, 0);
	if (!pt_same(m, u))
		fprintf(stderr, "%s: differs after JSON: %s\n", m->descriptor->name, text);
	assert_true(pt_same(m, u));
	protobuf_c_message_free_unpacked(u, NULL);
	free(text);
	json_decref(j);
	json_decref(back);
}

static void test_roundtrip_all(void **state)
{
	for (size_t i = 0; i < PT_N_MSGS; i++) {
		ProtobufCMessage *m = pt_fill(PT_ALL_MSGS[i], 0, 5);

		roundtrip(m);
		protobuf_c_message_free_unpacked(m, NULL);
	}
}

static ProtobufCMessage *from_text(const ProtobufCMessageDescriptor *d, const char *text, int *rc, char *err,
				   size_t errlen)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);
	ProtobufCMessage *m = NULL;

	if (!j)
		fprintf(stderr, "bad test JSON: %s\n", jerr.text);
	assert_non_null(j);
	*rc = pbjson_to_message(d, j, &m, err, errlen);
	json_decref(j);
	return m;
}

static const char CONFIG_JSON[] =
    "{\"id\":{\"uuid\":\"d0\",\"version\":\"3\"},"
    "\"apps\":[{\"uuidandversion\":{\"uuid\":\"a1\",\"version\":\"1\"},\"displayname\":\"web\","
    "  \"fixedresources\":{\"memory\":524288,\"vcpus\":2,\"virtualizationMode\":\"HVM\",\"enable_vnc\":true},"
    "  \"activate\":true,\"interfaces\":[{\"name\":\"eth0\",\"networkId\":\"n1\"}],"
    "  \"restart\":{\"counter\":2},\"volumeRefList\":[{\"uuid\":\"v1\",\"generationCount\":\"7\"}],"
    "  \"userData\":\"I2Nsb3VkLWNvbmZpZw==\"}],"
    "\"networks\":[{\"id\":\"net0\",\"type\":\"V4\",\"ip\":{\"dhcp\":\"Client\"}}],"
    "\"datastores\":[{\"id\":\"ds\",\"dType\":\"DsHttps\",\"fqdn\":\"https://"
    "h:1\",\"dsCertPEM\":[\"AAEC\"]}],"
    "\"configItems\":[{\"key\":\"timer.config.interval\",\"value\":\"10\"}],"
    "\"networkInstances\":[{\"uuidandversion\":{\"uuid\":\"n1\"},\"instType\":\"ZnetInstLocal\","
    "  "
    "\"activate\":true,\"ip\":{\"subnet\":\"10.1.0.0/24\",\"gateway\":\"10.1.0.1\",\"dns\":[\"10.1.0.1\"]}}],"
    "\"contentInfo\":[{\"uuid\":\"c1\",\"URL\":\"img.qcow2\",\"iformat\":\"QCOW2\",\"sha256\":\"ab\","
    "  \"maxSizeBytes\":\"18446744073709551615\",\"ds_ids_list\":[\"ds\"]}],"
    "\"volumes\":[{\"uuid\":\"v1\",\"origin\":{\"type\":\"VCOT_DOWNLOAD\",\"downloadContentTreeID\":\"c1\"},"
    "  \"maxsizebytes\":1073741824}],"
    "\"reboot\":{\"counter\":4},\"baseos\":{\"content_tree_uuid\":\"c9\",\"activate\":true},"
    "\"controllercert_confighash\":\"xyz\",\"device_name\":\"dev1\",\"backup\":null,"
    "\"config_timestamp\":{\"seconds\":1700000000,\"nanos\":5}}";

static void test_config_json(void **state)
{
	char err[256];
	int rc;
	ProtobufCMessage *m = from_text(CFG_DESC, CONFIG_JSON, &rc, err, sizeof(err));
	Org__Lfedge__Eve__Config__EdgeDevConfig *c = (void *)m;
	json_t *j;

	if (rc)
		fprintf(stderr, "%s\n", err);
	assert_int_equal(rc, 0);
	assert_string_equal(c->id->uuid, "d0");
	assert_int_equal(c->n_apps, 1);
	assert_int_equal(c->apps[0]->fixedresources->memory, 524288);
	assert_int_equal(c->apps[0]->fixedresources->virtualizationmode,
			 ORG__LFEDGE__EVE__CONFIG__VM_MODE__HVM);
	assert_true(c->apps[0]->fixedresources->enable_vnc);
	assert_string_equal(c->apps[0]->interfaces[0]->networkid, "n1");
	assert_int_equal(c->apps[0]->volumereflist[0]->generationcount, 7);
	assert_string_equal(c->apps[0]->userdata, "I2Nsb3VkLWNvbmZpZw==");
	assert_int_equal(c->networks[0]->type, ORG__LFEDGE__EVE__COMMON__NETWORK_TYPE__V4);
	assert_int_equal(c->datastores[0]->n_dscertpem, 1);
	assert_int_equal(c->datastores[0]->dscertpem[0].len, 3);
	assert_int_equal(c->datastores[0]->dscertpem[0].data[2], 2);
	assert_string_equal(c->networkinstances[0]->ip->dns[0], "10.1.0.1");
	assert_int_equal(c->contentinfo[0]->iformat, ORG__LFEDGE__EVE__CONFIG__FORMAT__QCOW2);
	assert_true(c->contentinfo[0]->maxsizebytes == UINT64_MAX);
	assert_int_equal(c->volumes[0]->maxsizebytes, 1073741824);
	assert_int_equal(c->reboot->counter, 4);
	assert_null(c->backup);
	assert_string_equal(c->baseos->content_tree_uuid, "c9");
	assert_int_equal(c->config_timestamp->seconds, 1700000000);

	/* The shape we show: enum names, proto field names, big uint64 as text. */
	j = pbjson_from_message(m);
	assert_non_null(j);
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(json_array_get(json_object_get(j, "apps"), 0), "fixedresources"),
		"virtualizationMode")),
	    "HVM");
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(json_object_get(j, "contentInfo"), 0), "maxSizeBytes")),
			    "18446744073709551615");
	assert_string_equal(
	    json_string_value(json_array_get(
		json_object_get(json_array_get(json_object_get(j, "datastores"), 0), "dsCertPEM"), 0)),
	    "AAEC");
	assert_null(json_object_get(j, "backup"));
	assert_null(json_object_get(j, "maintenance_mode")); /* zero values omitted */
	json_decref(j);
	roundtrip(m);
	protobuf_c_message_free_unpacked(m, NULL);
}

static void test_info_json(void **state)
{
	static const char text[] =
	    "{\"ztype\":\"ZiDevice\",\"devId\":\"d\",\"atTimeStamp\":{\"seconds\":9},"
	    "\"dinfo\":{\"machineArch\":\"x86_64\",\"ncpu\":2,\"memory\":4096,\"HostName\":\"h\","
	    "\"swList\":[{\"partitionLabel\":\"IMGA\",\"partitionState\":\"active\",\"status\":\"RUNNING\","
	    "\"shortVersion\":\"1.0\",\"userStatus\":\"UPDATED\"},"
	    "{\"partitionLabel\":\"IMGB\",\"status\":21,\"swErr\":{\"description\":\"boom\",\"severity\":"
	    "\"SEVERITY_ERROR\"}}]}}";
	char err[256];
	int rc;
	Org__Lfedge__Eve__Info__ZInfoMsg *m =
	    (void *)from_text(&org__lfedge__eve__info__zinfo_msg__descriptor, text, &rc, err, sizeof(err));
	json_t *j;

	assert_int_equal(rc, 0);
	assert_int_equal(m->info_content_case, ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_DINFO);
	assert_int_equal(m->dinfo->n_swlist, 2);
	assert_int_equal(m->dinfo->swlist[0]->status, ORG__LFEDGE__EVE__INFO__ZSW_STATE__RUNNING);
	assert_int_equal(m->dinfo->swlist[1]->status, ORG__LFEDGE__EVE__INFO__ZSW_STATE__ERROR);
	assert_string_equal(m->dinfo->swlist[1]->swerr->description, "boom");
	j = pbjson_from_message(&m->base);
	assert_string_equal(
	    json_string_value(json_object_get(
		json_array_get(json_object_get(json_object_get(j, "dinfo"), "swList"), 1), "status")),
	    "ERROR");
	json_decref(j);
	roundtrip(&m->base);
	protobuf_c_message_free_unpacked(&m->base, NULL);
}

static void test_metrics_json(void **state)
{
	static const char text[] =
	    "{\"devID\":\"d\",\"atTimeStamp\":{\"seconds\":1},"
	    "\"dm\":{\"memory\":{\"usedMem\":100,\"availMem\":900,\"usedPercentage\":10.5},"
	    "\"network\":[{\"iName\":\"eth0\",\"txBytes\":9007199254740993,\"rxBytes\":2}],"
	    "\"disk\":[{\"disk\":\"sda\",\"total\":1000}],\"cpuMetric\":{\"total\":3}},"
	    "\"am\":[{\"AppID\":\"a\",\"AppName\":\"web\",\"cpu\":{\"total_ns\":\"5000000000\"},"
	    "\"memory\":{\"usedMem\":64,\"availPercentage\":\"NaN\"},\"network\":[{\"iName\":\"nbu1x1\"}]}]}";
	char err[256];
	int rc;
	Org__Lfedge__Eve__Metrics__ZMetricMsg *m = (void *)from_text(
	    &org__lfedge__eve__metrics__zmetric_msg__descriptor, text, &rc, err, sizeof(err));

	if (rc)
		fprintf(stderr, "%s\n", err);
	assert_int_equal(rc, 0);
	assert_int_equal(m->metric_content_case, ORG__LFEDGE__EVE__METRICS__ZMETRIC_MSG__METRIC_CONTENT_DM);
	assert_true(m->dm->network[0]->txbytes == 9007199254740993ull);
	assert_true(m->dm->memory->usedpercentage == 10.5);
	assert_true(m->am[0]->cpu->total_ns == 5000000000ull);
	assert_true(isnan(m->am[0]->memory->availpercentage));
	roundtrip(&m->base);
	protobuf_c_message_free_unpacked(&m->base, NULL);
}

/* Each bad input fails with -EINVAL and names the field path. */
static void test_errors(void **state)
{
	static const struct {
		const char *json;
		const char *path; /* must appear in the error text */
	} bad[] = {
	    {"{\"bogus\":1}", "bogus"},
	    {"{\"apps\":[{\"fixedresources\":{\"nope\":1}}]}", "apps[0].fixedresources.nope"},
	    {"{\"apps\":[{},{\"fixedresources\":{\"memory\":\"x\"}}]}", "apps[1].fixedresources.memory"},
	    {"{\"apps\":[{\"fixedresources\":{\"memory\":-1}}]}", "apps[0].fixedresources.memory"},
	    {"{\"apps\":[{\"fixedresources\":{\"memory\":4294967296}}]}", "memory"},
	    {"{\"apps\":[{\"activate\":1}]}", "apps[0].activate"},
	    {"{\"apps\":[{\"fixedresources\":{\"virtualizationMode\":\"HVMX\"}}]}", "virtualizationMode"},
	    {"{\"apps\":[{\"fixedresources\":{\"virtualizationMode\":1.5}}]}", "virtualizationMode"},
	    {"{\"apps\":{}}", "apps"},
	    {"{\"apps\":[5]}", "apps[0]"},
	    {"{\"id\":\"x\"}", "id"},
	    {"{\"device_name\":7}", "device_name"},
	    {"{\"datastores\":[{\"dsCertPEM\":[\"!!!\"]}]}", "datastores[0].dsCertPEM[0]"},
	    {"{\"controller_epoch\":\"12x\"}", "controller_epoch"},
	    {"{\"controller_epoch\":1.5}", "controller_epoch"},
	    {"{\"contentInfo\":[{\"maxSizeBytes\":\"-5\"}]}", "contentInfo[0].maxSizeBytes"},
	    {"[]", "(top)"},
	};
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc;
		ProtobufCMessage *m = from_text(CFG_DESC, bad[i].json, &rc, err, sizeof(err));

		if (rc != -EINVAL || !strstr(err, bad[i].path))
			fprintf(stderr, "case %zu (%s): rc %d, err \"%s\"\n", i, bad[i].json, rc, err);
		assert_int_equal(rc, -EINVAL);
		assert_null(m);
		assert_non_null(strstr(err, bad[i].path));
	}
}

static void test_oneof_conflict(void **state)
{
	char err[256];
	int rc;
	ProtobufCMessage *m =
	    from_text(&org__lfedge__eve__info__zinfo_msg__descriptor,
		      "{\"dinfo\":{\"ncpu\":1},\"ainfo\":{\"AppID\":\"a\"}}", &rc, err, sizeof(err));

	assert_int_equal(rc, -EINVAL);
	assert_null(m);
	assert_non_null(strstr(err, "oneof"));

	m = from_text(&org__lfedge__eve__metrics__metric_item__descriptor,
		      "{\"key\":\"k\",\"stringValue\":\"s\",\"uint64Value\":1}", &rc, err, sizeof(err));
	assert_int_equal(rc, -EINVAL);
	assert_null(m);
}

/* Enum numbers (also unknown ones, proto3 enums are open) are accepted and
 * printed back as numbers when they have no name. */
static void test_enum_numbers(void **state)
{
	char err[256];
	int rc;
	Org__Lfedge__Eve__Info__ZInfoApp *a = (void *)from_text(
	    &org__lfedge__eve__info__zinfo_app__descriptor, "{\"state\":7}", &rc, err, sizeof(err));
	json_t *j;

	assert_int_equal(rc, 0);
	assert_int_equal(a->state, ORG__LFEDGE__EVE__INFO__ZSW_STATE__RUNNING);
	a->state = 99;
	j = pbjson_from_message(&a->base);
	assert_int_equal(json_integer_value(json_object_get(j, "state")), 99);
	json_decref(j);
	protobuf_c_message_free_unpacked(&a->base, NULL);
}

static void test_bad_args(void **state)
{
	ProtobufCMessage *m = NULL;
	json_t *j = json_object();

	assert_null(pbjson_from_message(NULL));
	assert_int_equal(pbjson_to_message(NULL, j, &m, NULL, 0), -EINVAL);
	assert_int_equal(pbjson_to_message(CFG_DESC, NULL, &m, NULL, 0), -EINVAL);
	/* err may be NULL. */
	json_object_set_new(j, "bogus", json_true());
	assert_int_equal(pbjson_to_message(CFG_DESC, j, &m, NULL, 0), -EINVAL);
	assert_null(m);
	json_decref(j);
}

/* Invalid UTF-8 in a decoded string still produces valid JSON. */
static void test_bad_utf8(void **state)
{
	static const uint8_t b[] = {0x0a, 0x03, 'a', 0xff, 'b'}; /* UuidResponse.uuid */
	ProtobufCMessage *m =
	    protobuf_c_message_unpack(&org__lfedge__eve__uuid__uuid_response__descriptor, NULL, sizeof(b), b);
	json_t *j;

	assert_non_null(m);
	j = pbjson_from_message(m);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "uuid")), "a?b");
	json_decref(j);
	protobuf_c_message_free_unpacked(m, NULL);
}

/* A self-referencing message type (the EVE API has none) to check that
 * nesting is bounded both ways. Hand-written descriptor, as protoc-c would
 * generate for: message Node { Node child = 1; int32 v = 2; } */
typedef struct Node {
	ProtobufCMessage base;
	struct Node *child;
	int32_t v;
} Node;

static const ProtobufCMessageDescriptor node_descriptor;

static void node_init(ProtobufCMessage *m)
{
	static const Node init = {PROTOBUF_C_MESSAGE_INIT(&node_descriptor), NULL, 0};

	*(Node *)m = init;
}

static const ProtobufCFieldDescriptor node_fields[] = {
    {"child", 1, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_MESSAGE, 0, offsetof(Node, child), &node_descriptor,
     NULL, 0, 0, NULL, NULL},
    {"v", 2, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_INT32, 0, offsetof(Node, v), NULL, NULL, 0, 0, NULL,
     NULL},
};
static const unsigned node_by_name[] = {0, 1};
static const ProtobufCIntRange node_ranges[] = {{1, 0}, {0, 2}};
static const ProtobufCMessageDescriptor node_descriptor = {PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
							   "t.Node",
							   "Node",
							   "T__Node",
							   "t",
							   sizeof(Node),
							   2,
							   node_fields,
							   node_by_name,
							   1,
							   node_ranges,
							   node_init,
							   NULL,
							   NULL,
							   NULL};

static json_t *nested_json(int depth)
{
	json_t *j = json_pack("{s:i}", "v", 1);

	for (int i = 0; i < depth; i++)
		j = json_pack("{s:o}", "child", j);
	return j;
}

static void test_depth_limit(void **state)
{
	json_t *ok = nested_json(20), *deep = nested_json(40), *back;
	ProtobufCMessage *m = NULL, *m2 = NULL;
	char err[256];
	Node *n;

	assert_int_equal(pbjson_to_message(&node_descriptor, ok, &m, err, sizeof(err)), 0);
	back = pbjson_from_message(m);
	assert_non_null(back);
	assert_true(json_equal(back, ok));
	json_decref(back);

	assert_int_equal(pbjson_to_message(&node_descriptor, deep, &m2, err, sizeof(err)), -EVE_ETOOBIG);
	assert_null(m2);
	assert_non_null(strstr(err, "child.child"));

	/* A deep message built in memory (e.g. decoded) is refused on output. */
	n = (Node *)m;
	while (n->child)
		n = n->child;
	for (int i = 0; i < 20; i++) {
		n->child = malloc(sizeof(Node));
		assert_non_null(n->child);
		node_init(&n->child->base);
		n = n->child;
	}
	assert_null(pbjson_from_message(m));
	protobuf_c_message_free_unpacked(m, NULL);
	json_decref(ok);
	json_decref(deep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip_all), cmocka_unit_test(test_config_json),
	    cmocka_unit_test(test_info_json),     cmocka_unit_test(test_metrics_json),
	    cmocka_unit_test(test_errors),        cmocka_unit_test(test_oneof_conflict),
	    cmocka_unit_test(test_enum_numbers),  cmocka_unit_test(test_bad_args),
	    cmocka_unit_test(test_bad_utf8),      cmocka_unit_test(test_depth_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
