/* Log listings and follow streams shared by `device logs` and `app logs`. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "evectl.h"
#include "units.h"

static const struct out_col log_cols[] = {
    {"TIME", "time"},           {"SEVERITY", "severity"}, {"SOURCE", "source"},
    {"APP", "app", NULL, true}, {"MESSAGE", "msg"},       {NULL},
};

/* One log object as a line: "TIME SEVERITY SOURCE: MSG". */
static void log_print(const json_t *e, enum out_mode m)
{
	char line[8192];

	if (m == OUT_JSON) {
		char *s = json_dumps(e, JSON_COMPACT);

		if (s)
			puts(s);
		free(s);
		return;
	}
	snprintf(line, sizeof(line), "%s %s %s: %s", json_string_value(json_object_get(e, "time")) ?: "-",
		 json_string_value(json_object_get(e, "severity")) ?: "-",
		 json_string_value(json_object_get(e, "source")) ?: "-",
		 json_string_value(json_object_get(e, "msg")) ?: "");
	puts(line);
}

struct follow {
	enum out_mode mode;
};

static int follow_line(const char *line, size_t len, void *ud)
{
	struct follow *f = ud;
	json_t *e = json_loadb(line, len, 0, NULL);

	/* a line that is not a log object is skipped, not fatal */
	if (json_is_object(e)) {
		log_print(e, f->mode);
		fflush(stdout);
	}
	json_decref(e);
	return 0;
}

static char *logs_path(struct cmd_args *a, const char *base, bool follow)
{
	const struct cmd_val *since = cmdtab_val(a, "since"), *lim = cmdtab_val(a, "limit");
	char t[32] = "", *path = NULL;

	if (since && since->set)
		units_format_time(time(NULL) - (time_t)since->num, t, sizeof(t));
	if (asprintf(&path, "%s/logs?limit=%lld%s%s%s", base, lim && lim->set ? lim->num : 100LL,
		     t[0] ? "&since=" : "", t, follow ? "&follow=1" : "") < 0)
		return NULL;
	return path;
}

int logs_run(struct cmd_args *a, const char *base)
{
	bool follow = cmdtab_flag(a, "follow");
	char *path = logs_path(a, base, follow);
	struct follow f = {.mode = ev_mode(a)};
	json_t *resp = NULL;
	struct api *api;
	int code, r;

	if (!path)
		return ev_fail(EXIT_USAGE, "out of memory");
	if (!follow) {
		code = ev_request(a, "GET", path, NULL, &resp);
		if (code == EXIT_OK)
			ev_print_list(a, log_cols, resp, "msg");
		goto out;
	}
	api = ev_api(a, &code);
	if (!api)
		goto out;
	r = api_stream_lines(api, path, follow_line, &f);
	code = r < 0 ? ev_api_error(a, r) : EXIT_OK;
out:
	free(path);
	json_decref(resp);
	return code;
}
