// SPDX-License-Identifier: Apache-2.0
/* Wire conformance of proto/ with the public EVE API.
 *
 * tests/conformance/eve-api.facts is a table of facts about the public
 * eve-api protos (message and enum full names, field numbers, labels,
 * types, referenced type names, enum values), generated once from them by
 * scripts/proto-facts. This test walks the protobuf-c descriptors generated
 * from our proto/ (every message we send or receive: PT_ALL_MSGS, which
 * proto_test keeps complete) and checks every field and every enum value
 * against the table. A field may only differ in name where protobuf-c
 * forces it (RENAMES below, documented in docs/proto.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "../unit/proto_testutil.h"

#ifndef FACTS_FILE
#error FACTS_FILE must name tests/conformance/eve-api.facts
#endif

#define MAX_COLS 7

struct fact {
	char *col[MAX_COLS];
	int ncol;
};

static struct fact *facts;
static size_t n_facts;

/* Public field names protobuf-c cannot carry: {message, number, ours}. */
static const struct {
	const char *msg;
	unsigned number;
	const char *ours;
} RENAMES[] = {
    {"org.lfedge.eve.config.EdgeDevConfig", 8, "legacy_base"},
};

static void load_facts(void)
{
	FILE *f = fopen(FACTS_FILE, "r");
	char line[1024];
	size_t cap = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		struct fact *ft;
		char *save = NULL, *tok;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (n_facts == cap) {
			cap = cap ? cap * 2 : 1024;
			facts = realloc(facts, cap * sizeof(*facts));
			assert_non_null(facts);
		}
		ft = &facts[n_facts++];
		memset(ft, 0, sizeof(*ft));
		for (tok = strtok_r(line, "\t", &save); tok && ft->ncol < MAX_COLS;
		     tok = strtok_r(NULL, "\t", &save))
			ft->col[ft->ncol++] = strdup(tok);
	}
	fclose(f);
}

static void free_facts(void)
{
	for (size_t i = 0; i < n_facts; i++)
		for (int c = 0; c < facts[i].ncol; c++)
			free(facts[i].col[c]);
	free(facts);
	facts = NULL;
	n_facts = 0;
}

static const struct fact *find(const char *kind, const char *owner, const char *number)
{
	for (size_t i = 0; i < n_facts; i++) {
		const struct fact *f = &facts[i];

		if (strcmp(f->col[0], kind) || f->ncol < 2 || strcmp(f->col[1], owner))
			continue;
		if (!number || (f->ncol > 2 && !strcmp(f->col[2], number)))
			return f;
	}
	return NULL;
}

static const char *type_name(ProtobufCType t)
{
	static const char *const names[] = {
	    [PROTOBUF_C_TYPE_INT32] = "int32",       [PROTOBUF_C_TYPE_SINT32] = "sint32",
	    [PROTOBUF_C_TYPE_SFIXED32] = "sfixed32", [PROTOBUF_C_TYPE_INT64] = "int64",
	    [PROTOBUF_C_TYPE_SINT64] = "sint64",     [PROTOBUF_C_TYPE_SFIXED64] = "sfixed64",
	    [PROTOBUF_C_TYPE_UINT32] = "uint32",     [PROTOBUF_C_TYPE_FIXED32] = "fixed32",
	    [PROTOBUF_C_TYPE_UINT64] = "uint64",     [PROTOBUF_C_TYPE_FIXED64] = "fixed64",
	    [PROTOBUF_C_TYPE_FLOAT] = "float",       [PROTOBUF_C_TYPE_DOUBLE] = "double",
	    [PROTOBUF_C_TYPE_BOOL] = "bool",         [PROTOBUF_C_TYPE_ENUM] = "enum",
	    [PROTOBUF_C_TYPE_STRING] = "string",     [PROTOBUF_C_TYPE_BYTES] = "bytes",
	    [PROTOBUF_C_TYPE_MESSAGE] = "message",
	};
	return (unsigned)t < sizeof(names) / sizeof(names[0]) && names[t] ? names[t] : "?";
}

/* The wire type a protobuf type is encoded with (0 varint, 1 64-bit,
 * 2 length-delimited, 5 32-bit); a repeated scalar may also be packed. */
static int wire_type(const char *type)
{
	static const struct {
		const char *type;
		int wt;
	} W[] = {
	    {"int32", 0}, {"int64", 0},   {"uint32", 0},  {"uint64", 0},   {"sint32", 0}, {"sint64", 0},
	    {"bool", 0},  {"enum", 0},    {"fixed64", 1}, {"sfixed64", 1}, {"double", 1}, {"string", 2},
	    {"bytes", 2}, {"message", 2}, {"fixed32", 5}, {"sfixed32", 5}, {"float", 5},
	};
	for (size_t i = 0; i < sizeof(W) / sizeof(W[0]); i++)
		if (!strcmp(W[i].type, type))
			return W[i].wt;
	return -1;
}

static const char *expected_name(const char *msg, unsigned number, const char *public_name)
{
	for (size_t i = 0; i < sizeof(RENAMES) / sizeof(RENAMES[0]); i++)
		if (!strcmp(RENAMES[i].msg, msg) && RENAMES[i].number == number)
			return RENAMES[i].ours;
	return public_name;
}

static int check_enum(const ProtobufCEnumDescriptor *e)
{
	int bad = 0;

	if (!find("enum", e->name, NULL)) {
		fprintf(stderr, "enum %s: not in the public API\n", e->name);
		return 1;
	}
	for (unsigned i = 0; i < e->n_values; i++) {
		char num[16];
		const struct fact *f;

		snprintf(num, sizeof(num), "%d", e->values[i].value);
		f = find("value", e->name, num);
		if (!f || f->ncol < 4 || strcmp(f->col[3], e->values[i].name)) {
			fprintf(stderr, "enum %s = %s: public %s\n", e->values[i].name, num,
				f && f->ncol > 3 ? f->col[3] : "(no such value)");
			bad++;
		}
	}
	return bad;
}

static int check_field(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *fd)
{
	char num[16];
	const struct fact *f;
	const char *label = fd->label == PROTOBUF_C_LABEL_REPEATED   ? "repeated"
			    : fd->label == PROTOBUF_C_LABEL_REQUIRED ? "required"
								     : "optional";
	const char *type = type_name(fd->type);
	const char *tname = "-";

	if (fd->type == PROTOBUF_C_TYPE_MESSAGE)
		tname = ((const ProtobufCMessageDescriptor *)fd->descriptor)->name;
	else if (fd->type == PROTOBUF_C_TYPE_ENUM)
		tname = ((const ProtobufCEnumDescriptor *)fd->descriptor)->name;
	snprintf(num, sizeof(num), "%u", fd->id);
	f = find("field", d->name, num);
	if (!f || f->ncol < 7) {
		fprintf(stderr, "%s %s = %s: no public field with that number\n", d->name, fd->name, num);
		return 1;
	}
	if (strcmp(f->col[4], label) || strcmp(f->col[5], type) || strcmp(f->col[6], tname) ||
	    wire_type(f->col[5]) != wire_type(type) ||
	    strcmp(expected_name(d->name, fd->id, f->col[3]), fd->name)) {
		fprintf(stderr, "%s %s = %s: ours %s %s %s, public %s %s %s %s\n", d->name, fd->name, num,
			label, type, tname, f->col[3], f->col[4], f->col[5], f->col[6]);
		return 1;
	}
	return 0;
}

/* Mismatches between message d (its fields and enums) and the table. */
static int check_message(const ProtobufCMessageDescriptor *d)
{
	int bad = 0;

	if (!find("msg", d->name, NULL)) {
		fprintf(stderr, "message %s: not in the public API\n", d->name);
		return 1;
	}
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[i];

		bad += check_field(d, fd);
		if (fd->type == PROTOBUF_C_TYPE_ENUM)
			bad += check_enum(fd->descriptor);
	}
	return bad;
}

static void test_every_message_is_public(void **state)
{
	int bad = 0;
	unsigned nfields = 0;

	(void)state;
	load_facts();
	assert_true(n_facts > 1000);
	for (size_t i = 0; i < PT_N_MSGS; i++) {
		bad += check_message(PT_ALL_MSGS[i]);
		nfields += PT_ALL_MSGS[i]->n_fields;
	}
	fprintf(stderr, "checked %zu messages, %u fields against %zu public facts\n", PT_N_MSGS, nfields,
		n_facts);
	free_facts();
	assert_int_equal(bad, 0);
}

/* The checker itself notices a wrong number, type and enum value. */
static void test_checker_catches_differences(void **state)
{
	const ProtobufCMessageDescriptor *cfg = &org__lfedge__eve__config__edge_dev_config__descriptor;

	(void)state;
	load_facts();
	assert_int_equal(check_message(cfg), 0);
	for (size_t i = 0; i < n_facts; i++) {
		struct fact *f = &facts[i];

		/* EdgeDevConfig.apps (4): pretend the public one were 99 */
		if (!strcmp(f->col[0], "field") && !strcmp(f->col[1], cfg->name) && !strcmp(f->col[2], "4")) {
			free(f->col[2]);
			f->col[2] = strdup("99");
		}
	}
	assert_int_not_equal(check_message(cfg), 0);
	free_facts();

	load_facts();
	for (size_t i = 0; i < n_facts; i++) {
		struct fact *f = &facts[i];

		/* ZRegisterMsg.pemCert (2): pretend it were a string */
		if (!strcmp(f->col[0], "field") &&
		    !strcmp(f->col[1], "org.lfedge.eve.register.ZRegisterMsg") && !strcmp(f->col[2], "2")) {
			free(f->col[5]);
			f->col[5] = strdup("string");
		}
	}
	assert_int_not_equal(check_message(&org__lfedge__eve__register__zregister_msg__descriptor), 0);
	free_facts();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_message_is_public),
	    cmocka_unit_test(test_checker_catches_differences),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
