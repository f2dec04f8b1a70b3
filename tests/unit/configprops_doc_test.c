// SPDX-License-Identifier: Apache-2.0
/* docs/config-properties.md lists every property of the shared table
 * (common/configprops.c) with its type, range, default and whether
 * eve-agent honours it: one row per property, exactly as this test prints
 * it (`configprops_doc_test --print` prints the whole table for the page).
 * A property added to the table, or one whose range, default or support
 * changes, fails here until the page says so. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "configprops.h"

#define DOC_MAX (256u * 1024)

static const char *doc_path = EVE_CONFIGPROPS_DOC;

/* The row of p in the page's table. */
static void row(const struct configprop *p, char *buf, size_t len)
{
	char dom[64];

	configprop_domain(p, dom, sizeof(dom));
	/* Markdown tables: a literal | inside a cell is written \| */
	char esc[128];
	size_t o = 0;

	for (const char *c = dom; *c && o + 2 < sizeof(esc); c++) {
		if (*c == '|')
			esc[o++] = '\\';
		esc[o++] = *c;
	}
	esc[o] = '\0';
	snprintf(buf, len, "| `%s` | %s | %s | %s | %s | %s |", p->name, configprop_type_name(p->type), esc,
		 *p->def ? p->def : "(empty)", p->eve ? "EVE" : "eve-agent",
		 p->agent ? "yes" : "no: reported `unsupported`");
}

static void print_table(void)
{
	char line[512];

	printf("| property | type | values | default | defined by | eve-agent honours it |\n");
	printf("|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < configprop_count(); i++) {
		row(configprop_at(i), line, sizeof(line));
		printf("%s\n", line);
	}
}

static char *read_doc(void)
{
	FILE *f = fopen(doc_path, "re");
	char *buf = calloc(1, DOC_MAX + 1);
	size_t n;

	if (!f || !buf) {
		if (f)
			fclose(f);
		free(buf);
		return NULL;
	}
	n = fread(buf, 1, DOC_MAX, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_every_property_listed(void **state)
{
	char *doc = read_doc();
	char line[512];
	int missing = 0;

	(void)state;
	assert_non_null(doc);
	for (size_t i = 0; i < configprop_count(); i++) {
		row(configprop_at(i), line, sizeof(line));
		strcat(line, "\n");
		if (!strstr(doc, line)) {
			fprintf(stderr, "%s: no row\n  %s", doc_path, line);
			missing++;
		}
	}
	free(doc);
	assert_int_equal(missing, 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_property_listed),
	};

	if (argc > 1 && !strcmp(argv[1], "--print")) {
		print_table();
		return 0;
	}
	if (argc > 1)
		doc_path = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
