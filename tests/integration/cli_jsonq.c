// SPDX-License-Identifier: Apache-2.0
/* Test helper: parse stdin as JSON with Jansson (exit 1 if it is not JSON)
 * and print what an optional path selects: ".key", "[N]", ending in
 * "|length" for a size. Strings print raw, the rest as compact JSON.
 *   evectl -o json image get x | cli_jsonq .sha256 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *step(json_t *j, const char **p)
{
	char key[256];
	size_t n;

	if (**p == '.') {
		(*p)++;
		n = strcspn(*p, ".[|");
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, *p, n);
		key[n] = 0;
		*p += n;
		return n ? json_object_get(j, key) : j;
	}
	if (**p == '[') {
		char *end;
		long i = strtol(*p + 1, &end, 10);

		if (*end != ']')
			return NULL;
		*p = end + 1;
		return json_array_get(j, (size_t)i);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	json_error_t err;
	json_t *root = json_loadf(stdin, JSON_DECODE_ANY, &err), *j = root;
	const char *p = argc > 1 ? argv[1] : ".";
	char *s;

	if (!root) {
		fprintf(stderr, "cli_jsonq: not JSON: %s (line %d)\n", err.text, err.line);
		return 1;
	}
	while (j && *p && *p != '|')
		j = step(j, &p);
	if (!j) {
		fprintf(stderr, "cli_jsonq: %s: no such member\n", argv[1]);
		return 1;
	}
	if (strcmp(p, "|length") == 0) {
		printf("%zu\n", json_is_array(j) ? json_array_size(j) : json_object_size(j));
	} else if (json_is_string(j)) {
		printf("%s\n", json_string_value(j));
	} else {
		s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
		printf("%s\n", s ? s : "");
		free(s);
	}
	json_decref(root);
	return 0;
}
