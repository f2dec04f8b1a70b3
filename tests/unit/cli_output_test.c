// SPDX-License-Identifier: Apache-2.0
/* evectl tables, config file and progress bar. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "output.h"
#include "progress.h"

static const struct out_col cols[] = {
    {"NAME", "name", NULL, false},
    {"LABELS", "labels", NULL, false},
    {"ID", "id", NULL, true},
    {NULL, NULL, NULL, false},
};

static char *render(const json_t *items, enum out_mode m)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	out_table(f, cols, items, m, "id");
	fclose(f);
	return text;
}

static void test_table(void **state)
{
	json_t *items = json_pack("[{s:s, s:{s:s}, s:s}, {s:s, s:n, s:s}]", "name", "a", "labels", "k", "v",
				  "id", "1", "name", "longer-name", "labels", "id", "2");
	char *t;

	t = render(items, OUT_TABLE);
	assert_non_null(strstr(t, "NAME         LABELS"));
	assert_non_null(strstr(t, "a            k=v"));
	assert_non_null(strstr(t, "longer-name  -"));
	assert_null(strstr(t, "ID"));
	free(t);
	t = render(items, OUT_WIDE);
	assert_non_null(strstr(t, "ID"));
	free(t);
	t = render(items, OUT_QUIET);
	assert_string_equal(t, "1\n2\n");
	free(t);
	json_decref(items);
}

static void test_config(void **state)
{
	char dir[] = "/tmp/evectl-cfg-XXXXXX", path[512], err[256];
	json_t *cfg = NULL;
	struct stat st;

	assert_non_null(mkdtemp(dir));
	setenv("XDG_CONFIG_HOME", dir, 1);
	assert_int_equal(config_path(path, sizeof(path)), 0);
	assert_non_null(strstr(path, "/evectl/config"));
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), 0);
	assert_null(config_current(cfg));
	assert_int_equal(config_set_context(cfg, "lab", "https://h:1", "/ca.pem", "tok"), 0);
	assert_int_equal(config_set_context(cfg, "prod", "https://p:1", NULL, "t2"), 0);
	assert_string_equal(config_current(cfg), "prod");
	assert_int_equal(config_use(cfg, "lab"), 0);
	assert_int_equal(config_use(cfg, "nope"), -ENOENT);
	assert_int_equal(config_save(path, cfg), 0);
	json_decref(cfg);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), 0);
	assert_string_equal(json_string_value(json_object_get(config_context(cfg, NULL), "token")), "tok");
	assert_null(config_context(cfg, "other"));
	json_decref(cfg);
	/* a malformed file is refused, not half-used */
	FILE *f = fopen(path, "w");
	fputs("{\"contexts\": {\"x\": 5}}", f);
	fclose(f);
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'x'"));
	unlink(path);
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", dir, 1);
	assert_int_equal(config_path(path, sizeof(path)), 0);
	assert_non_null(strstr(path, "/.config/evectl/config"));
}

static void test_progress(void **state)
{
	char line[160];
	struct progress p;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	progress_render("img", 50, 100, line, sizeof(line));
	assert_non_null(strstr(line, " 50%"));
	assert_non_null(strstr(line, "[###############               ]"));
	/* a memstream is no terminal: nothing drawn */
	f = open_memstream(&text, &len);
	progress_init(&p, f, "img", false);
	progress_update(10, 100, &p);
	progress_end(&p);
	fclose(f);
	assert_int_equal(len, 0);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_config),
	    cmocka_unit_test(test_progress),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
