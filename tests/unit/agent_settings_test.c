/* Config items table: defaults, valid values, bad values keep defaults. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "agentlog.h"
#include "settings.h"

static void test_items(void **state)
{
	Org__Lfedge__Eve__Config__ConfigItem it[5], *p[5];
	const char *kv[5][2] = {
	    {"timer.config.interval", "2"},         {"timer.metric.interval", "0"}, /* below min */
	    {"debug.default.loglevel", "debug"},    {"unknown.key", "x"},
	    {"timer.deviceinfo.interval", "12abc"},
	};
	struct settings s;
	char bad[64] = "";
	size_t n_bad = 0;

	for (int i = 0; i < 5; i++) {
		org__lfedge__eve__config__config_item__init(&it[i]);
		it[i].key = (char *)kv[i][0];
		it[i].value = (char *)kv[i][1];
		p[i] = &it[i];
	}
	settings_defaults(&s);
	assert_int_equal(s.config_interval_s, 60);
	assert_int_equal(s.info_interval_s, 600);
	settings_from_items(&s, NULL, p, 5, &n_bad, bad, sizeof(bad));
	assert_int_equal(s.config_interval_s, 2);
	assert_int_equal(s.metric_interval_s, 60);
	assert_int_equal(s.info_interval_s, 600);
	assert_int_equal(s.log_level, ALOG_DEBUG);
	assert_int_equal(n_bad, 2);
	assert_string_equal(bad, "timer.metric.interval");
	/* Removing an item returns it to its default. */
	settings_from_items(&s, NULL, p, 0, NULL, NULL, 0);
	assert_int_equal(s.config_interval_s, 60);
	assert_int_equal(s.log_level, ALOG_INFO);
}

static void test_text(void **state)
{
	struct settings base, s;
	size_t n_bad = 0;
	char bad[64] = "";

	settings_defaults(&base);
	settings_apply_text(&base,
			    "# local\n timer.config.interval = 3\n\nnoequals\ntimer.metric.interval=x\n",
			    &n_bad, bad, sizeof(bad));
	assert_int_equal(base.config_interval_s, 3);
	assert_int_equal(base.metric_interval_s, 60);
	assert_int_equal(n_bad, 1);
	/* Controller items override the local base; without them it stays. */
	settings_from_items(&s, &base, NULL, 0, NULL, NULL, 0);
	assert_int_equal(s.config_interval_s, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_items),
	    cmocka_unit_test(test_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
