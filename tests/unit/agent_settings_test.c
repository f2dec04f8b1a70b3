// SPDX-License-Identifier: Apache-2.0
/* Config items table: defaults, valid values, bad values keep defaults. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "agentlog.h"
#include "configprops.h"
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

static const Org__Lfedge__Eve__Info__ZInfoConfigItem *
known(const Org__Lfedge__Eve__Info__ZInfoConfigItemStatus *st, const char *key)
{
	for (size_t i = 0; i < st->n_configitems; i++)
		if (!strcmp(st->configitems[i]->key, key))
			return st->configitems[i]->value;
	return NULL;
}

static const Org__Lfedge__Eve__Info__ZInfoConfigItem *
unknown(const Org__Lfedge__Eve__Info__ZInfoConfigItemStatus *st, const char *key)
{
	for (size_t i = 0; i < st->n_unknownconfigitems; i++)
		if (!strcmp(st->unknownconfigitems[i]->key, key))
			return st->unknownconfigitems[i]->value;
	return NULL;
}

/* The report: every property the table says the agent honours is there
 * (so each has code here), with its value; refused values say why; items
 * the agent does not apply are listed as such. */
static void test_status(void **state)
{
	Org__Lfedge__Eve__Config__ConfigItem it[7], *p[7];
	const char *kv[7][2] = {
	    {"timer.metric.interval", "0"},
	    {"debug.enable.ssh", "ssh-ed25519 AAAA"},
	    {"made.up.name", "1"},
	    {"timer.config.interval", "7"},
	    {"debug.default.remote.loglevel", "warn"},
	    {"runtime.oci.unpack.max.bytes", "lots"},
	    {"runtime.oci.unpack.max.bytes", "0"},
	};
	Org__Lfedge__Eve__Info__ZInfoConfigItemStatus *st = NULL;
	struct settings s;
	size_t n_agent = 0;

	for (int i = 0; i < 7; i++) {
		org__lfedge__eve__config__config_item__init(&it[i]);
		it[i].key = (char *)kv[i][0];
		it[i].value = (char *)kv[i][1];
		p[i] = &it[i];
	}
	settings_from_items(&s, NULL, p, 7, NULL, NULL, 0);
	assert_int_equal(settings_status(&s, p, 7, true, &st), 0);
	for (size_t i = 0; i < configprop_count(); i++) {
		const struct configprop *cp = configprop_at(i);

		if (!cp->agent)
			continue;
		n_agent++;
		if (!known(st, cp->name))
			fail_msg("%s: honoured by the table but not by settings.c", cp->name);
	}
	assert_int_equal(st->n_configitems, n_agent);
	assert_string_equal(known(st, "timer.config.interval")->value, "7");
	assert_string_equal(known(st, "timer.config.interval")->error, "");
	assert_string_equal(known(st, "timer.metric.interval")->value, "60");
	assert_string_equal(known(st, "timer.metric.interval")->error,
			    "'0' is out of range 1..3600: using 60");
	assert_string_equal(known(st, "debug.default.remote.loglevel")->value, "warning");
	assert_string_equal(unknown(st, "debug.enable.ssh")->error, "not supported by eve-agent");
	assert_string_equal(unknown(st, "made.up.name")->error, "not a property EVE defines");
	/* A uint64 property: the last item (0) is below the range; the default stays. */
	assert_string_equal(known(st, "runtime.oci.unpack.max.bytes")->value, "17179869184");
	assert_string_equal(known(st, "runtime.oci.unpack.max.bytes")->error,
			    "'0' is out of range 1..18446744073709551615: using 17179869184");
	assert_int_equal(st->n_unknownconfigitems, 2);
	settings_status_free(st);
	/* A valid one above 2^32 is applied and reported as such. */
	it[6].value = "8589934592000";
	settings_from_items(&s, NULL, p, 7, NULL, NULL, 0);
	assert_int_equal(s.unpack_max_bytes, 8589934592000ull);
	assert_int_equal(settings_status(&s, p, 7, true, &st), 0);
	assert_string_equal(known(st, "runtime.oci.unpack.max.bytes")->value, "8589934592000");
	assert_string_equal(known(st, "runtime.oci.unpack.max.bytes")->error, "");
	settings_status_free(st);
	/* A local override (-v) replaces what the entry says, with the reason. */
	assert_int_equal(settings_status(&s, p, 7, true, &st), 0);
	assert_int_equal(settings_status_pin(st, "debug.default.loglevel", "info", "pinned"), 0);
	assert_string_equal(known(st, "debug.default.loglevel")->error, ""); /* already info */
	assert_int_equal(settings_status_pin(st, "debug.default.loglevel", "debug", "pinned"), 0);
	assert_string_equal(known(st, "debug.default.loglevel")->value, "debug");
	assert_string_equal(known(st, "debug.default.loglevel")->error, "pinned");
	assert_int_equal(settings_status_pin(st, "no.such", "x", "y"), -ENOENT);
	settings_status_free(st);
	/* Without the app runtime, the runtime's properties are not supported. */
	assert_int_equal(settings_status(&s, p, 7, false, &st), 0);
	assert_null(known(st, "runtime.oci.unpack.max.bytes"));
	assert_string_equal(unknown(st, "runtime.oci.unpack.max.bytes")->error,
			    "not supported: eve-agent runs without its app runtime");
	settings_status_free(st);
	/* The quota is the smaller of the agent's and EVE's. */
	settings_defaults(&s);
	assert_int_equal(settings_log_quota_bytes(&s), (size_t)64 << 20);
	s.log_files_mb = 10;
	assert_int_equal(settings_log_quota_bytes(&s), (size_t)10 << 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_items),
	    cmocka_unit_test(test_text),
	    cmocka_unit_test(test_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
