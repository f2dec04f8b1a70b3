// SPDX-License-Identifier: Apache-2.0
/* JSON <-> protobuf driven by protobuf-c descriptors.
 *
 * Shape: a message is a JSON object keyed by .proto field names; repeated
 * fields are arrays; enums are value names (numbers accepted on input);
 * bytes are base64; 64-bit integers are JSON integers, except uint64 values
 * above INT64_MAX, which Jansson cannot hold and are written as decimal
 * strings (strings of digits are accepted for every 64-bit field); float and
 * double NaN/infinities are the strings "NaN", "Infinity", "-Infinity".
 * Map fields are arrays of {"key", "value"} objects (protobuf-c models them
 * as repeated entry messages). Fields without presence (proto3) are omitted
 * when they hold their zero value. Unknown wire fields are not shown.
 *
 * Input is untrusted: every JSON type is checked, integers are range
 * checked, recursion is bounded, and errors name the field path. */
#include "pbjson.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "err.h"

/* Deepest message nesting accepted either way; the EVE API needs < 10. */
#define PBJSON_MAX_DEPTH 32
#define PBJSON_PATH_MAX 256

#define MEMBER_PTR(msg, off) ((void *)((char *)(msg) + (off)))
#define CMEMBER_PTR(msg, off) ((const void *)((const char *)(msg) + (off)))

/* ---------------------------------------------------------------------- */
/* Shared field helpers */

static size_t field_elem_size(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_ENUM:
		return 4;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return 8;
	case PROTOBUF_C_TYPE_FLOAT:
		return sizeof(float);
	case PROTOBUF_C_TYPE_DOUBLE:
		return sizeof(double);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	}
	return 0;
}

static bool field_is_oneof(const ProtobufCFieldDescriptor *f)
{
	return (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0;
}

/* ---------------------------------------------------------------------- */
/* message -> JSON */

static json_t *msg_to_json(const ProtobufCMessage *m, int depth);

/* Jansson refuses invalid UTF-8; protobuf-c does not validate strings. Keep
 * the ASCII and mark everything else, so a bad string is still shown. */
static json_t *json_string_lossy(const char *s)
{
	json_t *j = json_string(s);
	char *copy;

	if (j)
		return j;
	copy = strdup(s);
	if (!copy)
		return NULL;
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

static json_t *json_from_double(double v)
{
	if (isnan(v))
		return json_string("NaN");
	if (isinf(v))
		return json_string(v > 0 ? "Infinity" : "-Infinity");
	return json_real(v);
}

static json_t *json_from_u64(uint64_t v)
{
	char buf[24];

	if (v <= (uint64_t)INT64_MAX)
		return json_integer((json_int_t)v);
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return json_string(buf);
}

static json_t *json_from_enum(const ProtobufCFieldDescriptor *f, int v)
{
	const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(f->descriptor, v);

	return ev ? json_string(ev->name) : json_integer(v);
}

static json_t *json_from_bytes(const ProtobufCBinaryData *b)
{
	char *s = b64_encode(b->data, b->len);
	json_t *j;

	if (!s)
		return NULL;
	j = json_string(s);
	free(s);
	return j;
}

/* One value of field f stored at p. */
static json_t *value_to_json(const ProtobufCFieldDescriptor *f, const void *p, int depth)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return json_integer(*(const int32_t *)p);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return json_integer(*(const uint32_t *)p);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return json_integer(*(const int64_t *)p);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return json_from_u64(*(const uint64_t *)p);
	case PROTOBUF_C_TYPE_FLOAT:
		return json_from_double(*(const float *)p);
	case PROTOBUF_C_TYPE_DOUBLE:
		return json_from_double(*(const double *)p);
	case PROTOBUF_C_TYPE_BOOL:
		return json_boolean(*(const protobuf_c_boolean *)p);
	case PROTOBUF_C_TYPE_ENUM:
		return json_from_enum(f, *(const int *)p);
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(const char *const *)p;
		return json_string_lossy(s ? s : "");
	}
	case PROTOBUF_C_TYPE_BYTES:
		return json_from_bytes(p);
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)p;
		return sub ? msg_to_json(sub, depth + 1) : json_object();
	}
	}
	return NULL;
}

/* True when a field without presence holds its zero value (proto3 omits
 * those on the wire; we omit them in JSON too). */
static bool value_is_zero(const ProtobufCFieldDescriptor *f, const void *p)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(const char *const *)p;
		return !s || !*s;
	}
	case PROTOBUF_C_TYPE_BYTES:
		return ((const ProtobufCBinaryData *)p)->len == 0;
	case PROTOBUF_C_TYPE_MESSAGE:
		return *(const void *const *)p == NULL;
	case PROTOBUF_C_TYPE_FLOAT:
		return *(const float *)p == 0 && !signbit(*(const float *)p);
	case PROTOBUF_C_TYPE_DOUBLE:
		return *(const double *)p == 0 && !signbit(*(const double *)p);
	default: {
		static const uint8_t zero[8];
		return memcmp(p, zero, field_elem_size(f)) == 0;
	}
	}
}

static bool field_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, const void *p)
{
	if (field_is_oneof(f))
		return *(const uint32_t *)CMEMBER_PTR(m, f->quantifier_offset) == f->id;
	switch (f->label) {
	case PROTOBUF_C_LABEL_REQUIRED:
		return true;
	case PROTOBUF_C_LABEL_OPTIONAL:
		if (f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING)
			return *(const void *const *)p != NULL;
		return *(const protobuf_c_boolean *)CMEMBER_PTR(m, f->quantifier_offset);
	case PROTOBUF_C_LABEL_NONE:
		return !value_is_zero(f, p);
	case PROTOBUF_C_LABEL_REPEATED:
		return *(const size_t *)CMEMBER_PTR(m, f->quantifier_offset) > 0;
	}
	return false;
}

static json_t *repeated_to_json(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, int depth)
{
	size_t n = *(const size_t *)CMEMBER_PTR(m, f->quantifier_offset);
	const char *arr = *(const char *const *)CMEMBER_PTR(m, f->offset);
	size_t sz = field_elem_size(f);
	json_t *a = json_array();

	if (!a)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (json_array_append_new(a, value_to_json(f, arr + i * sz, depth)) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *msg_to_json(const ProtobufCMessage *m, int depth)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	json_t *o;

	if (depth > PBJSON_MAX_DEPTH)
		return NULL;
	o = json_object();
	if (!o)
		return NULL;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const void *p = CMEMBER_PTR(m, f->offset);
		json_t *v;

		if (!field_present(m, f, p))
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED)
			v = repeated_to_json(m, f, depth);
		else
			v = value_to_json(f, p, depth);
		if (json_object_set_new(o, f->name, v) != 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

json_t *pbjson_from_message(const ProtobufCMessage *m)
{
	if (!m)
		return NULL;
	return msg_to_json(m, 0);
}

/* ---------------------------------------------------------------------- */
/* JSON -> message */

struct pj_ctx {
	char *err;
	size_t errlen;
	char path[PBJSON_PATH_MAX];
	size_t plen;
};

static int pj_fail(struct pj_ctx *c, int rc, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	if (!c->err || c->errlen == 0)
		return rc;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s: %s", c->plen ? c->path : "(top)", what);
	return rc;
}

/* Append ".name" (or "[i]" when name is NULL) to the path; returns the old
 * length to restore with path_pop. A path too long to show is cut. */
static size_t path_push(struct pj_ctx *c, const char *name, size_t idx)
{
	size_t old = c->plen;
	size_t room = sizeof(c->path) - c->plen;
	int n;

	if (name)
		n = snprintf(c->path + c->plen, room, "%s%s", c->plen ? "." : "", name);
	else
		n = snprintf(c->path + c->plen, room, "[%zu]", idx);
	if (n > 0)
		c->plen = (size_t)n >= room ? sizeof(c->path) - 1 : c->plen + (size_t)n;
	return old;
}

static void path_pop(struct pj_ctx *c, size_t old)
{
	c->plen = old;
	c->path[old] = '\0';
}

static int json_to_msg(struct pj_ctx *c, const ProtobufCMessageDescriptor *d, const json_t *j, int depth,
		       ProtobufCMessage **out);

static int parse_i64(struct pj_ctx *c, const json_t *j, int64_t *v)
{
	const char *s;
	char *end;

	if (json_is_integer(j)) {
		*v = json_integer_value(j);
		return 0;
	}
	if (!json_is_string(j))
		return pj_fail(c, -EINVAL, "expected an integer");
	s = json_string_value(j);
	errno = 0;
	*v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return pj_fail(c, -EINVAL, "expected an integer");
	return 0;
}

static int parse_u64(struct pj_ctx *c, const json_t *j, uint64_t *v)
{
	const char *s;
	char *end;

	if (json_is_integer(j)) {
		if (json_integer_value(j) < 0)
			return pj_fail(c, -EINVAL, "negative value for an unsigned field");
		*v = (uint64_t)json_integer_value(j);
		return 0;
	}
	if (!json_is_string(j))
		return pj_fail(c, -EINVAL, "expected an integer");
	s = json_string_value(j);
	if (*s < '0' || *s > '9')
		return pj_fail(c, -EINVAL, "expected an unsigned integer");
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno || *end)
		return pj_fail(c, -EINVAL, "expected an unsigned integer");
	return 0;
}

static int parse_i32(struct pj_ctx *c, const json_t *j, int32_t *v)
{
	json_int_t x;

	if (!json_is_integer(j))
		return pj_fail(c, -EINVAL, "expected an integer");
	x = json_integer_value(j);
	if (x < INT32_MIN || x > INT32_MAX)
		return pj_fail(c, -EINVAL, "integer out of 32-bit range");
	*v = (int32_t)x;
	return 0;
}

static int parse_u32(struct pj_ctx *c, const json_t *j, uint32_t *v)
{
	json_int_t x;

	if (!json_is_integer(j))
		return pj_fail(c, -EINVAL, "expected an integer");
	x = json_integer_value(j);
	if (x < 0 || x > (json_int_t)UINT32_MAX)
		return pj_fail(c, -EINVAL, "integer out of unsigned 32-bit range");
	*v = (uint32_t)x;
	return 0;
}

static int parse_double(struct pj_ctx *c, const json_t *j, double *v)
{
	static const struct {
		const char *name;
		double value;
	} special[] = {{"NaN", NAN}, {"Infinity", INFINITY}, {"-Infinity", -INFINITY}};

	if (json_is_number(j)) {
		*v = json_number_value(j);
		return 0;
	}
	if (json_is_string(j))
		for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
			if (strcmp(json_string_value(j), special[i].name) == 0) {
				*v = special[i].value;
				return 0;
			}
	return pj_fail(c, -EINVAL, "expected a number");
}

static int parse_enum(struct pj_ctx *c, const ProtobufCFieldDescriptor *f, const json_t *j, int *v)
{
	const ProtobufCEnumValue *ev;
	int32_t n;

	if (json_is_integer(j)) {
		/* proto3 enums are open: any 32-bit number is a valid value. */
		if (parse_i32(c, j, &n) != 0)
			return -EINVAL;
		*v = n;
		return 0;
	}
	if (!json_is_string(j))
		return pj_fail(c, -EINVAL, "expected an enum name or number");
	ev = protobuf_c_enum_descriptor_get_value_by_name(f->descriptor, json_string_value(j));
	if (!ev)
		return pj_fail(c, -EINVAL, "unknown value \"%.60s\" for enum %s", json_string_value(j),
			       ((const ProtobufCEnumDescriptor *)f->descriptor)->name);
	*v = ev->value;
	return 0;
}

static int parse_string(struct pj_ctx *c, const json_t *j, char **v)
{
	char *s;

	if (!json_is_string(j))
		return pj_fail(c, -EINVAL, "expected a string");
	s = strndup(json_string_value(j), json_string_length(j));
	if (!s)
		return pj_fail(c, -ENOMEM, "out of memory");
	*v = s;
	return 0;
}

static int parse_bytes(struct pj_ctx *c, const json_t *j, ProtobufCBinaryData *v)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int rc;

	if (!json_is_string(j))
		return pj_fail(c, -EINVAL, "expected a base64 string");
	rc = b64_decode(json_string_value(j), json_string_length(j), &data, &len);
	if (rc == -ENOMEM)
		return pj_fail(c, rc, "out of memory");
	if (rc != 0)
		return pj_fail(c, -EINVAL, "bad base64");
	v->data = data;
	v->len = len;
	return 0;
}

/* Parse one JSON value of field f into the (zeroed or default) slot p. */
static int value_from_json(struct pj_ctx *c, const ProtobufCFieldDescriptor *f, const json_t *j, void *p,
			   int depth)
{
	double dv;
	int rc;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return parse_i32(c, j, p);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return parse_u32(c, j, p);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return parse_i64(c, j, p);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return parse_u64(c, j, p);
	case PROTOBUF_C_TYPE_FLOAT:
		rc = parse_double(c, j, &dv);
		if (rc == 0)
			*(float *)p = (float)dv;
		return rc;
	case PROTOBUF_C_TYPE_DOUBLE:
		return parse_double(c, j, p);
	case PROTOBUF_C_TYPE_BOOL:
		if (!json_is_boolean(j))
			return pj_fail(c, -EINVAL, "expected true or false");
		*(protobuf_c_boolean *)p = json_is_true(j);
		return 0;
	case PROTOBUF_C_TYPE_ENUM:
		return parse_enum(c, f, j, p);
	case PROTOBUF_C_TYPE_STRING:
		return parse_string(c, j, p);
	case PROTOBUF_C_TYPE_BYTES:
		return parse_bytes(c, j, p);
	case PROTOBUF_C_TYPE_MESSAGE:
		return json_to_msg(c, f->descriptor, j, depth + 1, p);
	}
	return pj_fail(c, -EINVAL, "unsupported field type");
}

/* Fill a repeated field. The array is owned by m as soon as it exists and
 * the count only grows past elements that parsed, so freeing m on error
 * releases exactly what was built. */
static int repeated_from_json(struct pj_ctx *c, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
			      const json_t *j, int depth)
{
	size_t *n = MEMBER_PTR(m, f->quantifier_offset);
	char **arr = MEMBER_PTR(m, f->offset);
	size_t sz = field_elem_size(f);
	size_t count;

	if (!json_is_array(j))
		return pj_fail(c, -EINVAL, "expected an array");
	count = json_array_size(j);
	if (count == 0)
		return 0;
	*arr = calloc(count, sz);
	if (!*arr)
		return pj_fail(c, -ENOMEM, "out of memory");
	for (size_t i = 0; i < count; i++) {
		size_t old = path_push(c, NULL, i);
		int rc = value_from_json(c, f, json_array_get(j, i), *arr + i * sz, depth);

		path_pop(c, old);
		if (rc != 0)
			return rc;
		(*n)++;
	}
	return 0;
}

static int field_from_json(struct pj_ctx *c, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
			   const json_t *j, int depth)
{
	void *p = MEMBER_PTR(m, f->offset);
	int rc;

	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return repeated_from_json(c, m, f, j, depth);
	if (field_is_oneof(f)) {
		uint32_t *which = MEMBER_PTR(m, f->quantifier_offset);

		if (*which != 0 && *which != f->id)
			return pj_fail(c, -EINVAL, "more than one member of a oneof is set");
		/* Zero the union slot so a failed parse leaves nothing to free. */
		memset(p, 0, field_elem_size(f));
		*which = f->id;
	}
	rc = value_from_json(c, f, j, p, depth);
	if (rc == 0 && f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_MESSAGE &&
	    f->type != PROTOBUF_C_TYPE_STRING)
		*(protobuf_c_boolean *)MEMBER_PTR(m, f->quantifier_offset) = 1;
	return rc;
}

static ProtobufCMessage *msg_new(const ProtobufCMessageDescriptor *d)
{
	ProtobufCMessage *m = malloc(d->sizeof_message);

	if (m)
		d->message_init(m);
	return m;
}

static int json_to_msg(struct pj_ctx *c, const ProtobufCMessageDescriptor *d, const json_t *j, int depth,
		       ProtobufCMessage **out)
{
	ProtobufCMessage *m;
	const char *key;
	json_t *v;
	int rc = 0;

	if (depth > PBJSON_MAX_DEPTH)
		return pj_fail(c, -EVE_ETOOBIG, "nested too deeply");
	if (!json_is_object(j))
		return pj_fail(c, -EINVAL, "expected an object (%s)", d->name);
	m = msg_new(d);
	if (!m)
		return pj_fail(c, -ENOMEM, "out of memory");
	json_object_foreach((json_t *)j, key, v)
	{
		const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, key);
		size_t old = path_push(c, key, 0);

		if (!f)
			rc = pj_fail(c, -EINVAL, "unknown field in %s", d->name);
		else if (!json_is_null(v)) /* null means unset */
			rc = field_from_json(c, m, f, v, depth);
		if (rc != 0)
			goto out;
		path_pop(c, old);
	}
	*out = m;
	m = NULL;
out:
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

int pbjson_to_message(const ProtobufCMessageDescriptor *desc, const json_t *j, ProtobufCMessage **out,
		      char *err, size_t errlen)
{
	struct pj_ctx c = {.err = err, .errlen = errlen};
	ProtobufCMessage *m = NULL;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!desc || !j || !out)
		return -EINVAL;
	rc = json_to_msg(&c, desc, j, 0, &m);
	if (rc == 0)
		*out = m;
	return rc;
}
