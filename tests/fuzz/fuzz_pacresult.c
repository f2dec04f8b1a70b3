// SPDX-License-Identifier: Apache-2.0
/* libFuzzer harness: the FindProxyForURL result parser (common/pacresult.c),
 * which reads what an untrusted PAC script returned.
 *
 * Input: the result text (no NUL needed). When it parses, every entry must
 * have a valid port and host, format as a URL and as PAC text, and the
 * entries' PAC text joined with ';' must parse back to the same entries. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "pacresult.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pacresult_entry e[PACRESULT_MAX], again[PACRESULT_MAX];
	char text[PACRESULT_MAX * (PACRESULT_HOST_MAX + 16)] = "", one[PACRESULT_HOST_MAX + 16],
							url[PACRESULT_HOST_MAX + 32];
	int n = pacresult_parse((const char *)data, size, e, PACRESULT_MAX), m;

	if (n < 0)
		return 0;
	FUZZ_CHECK(n >= 1 && n <= PACRESULT_MAX, "entry count");
	for (int i = 0; i < n; i++) {
		FUZZ_CHECK(memchr(e[i].host, '\0', sizeof(e[i].host)), "host terminated");
		FUZZ_CHECK((e[i].kind == PACRESULT_DIRECT) == (e[i].port == 0), "port set for proxies only");
		FUZZ_CHECK((e[i].kind == PACRESULT_DIRECT) == (e[i].host[0] == '\0'),
			   "host set for proxies only");
		FUZZ_CHECK(pacresult_url(&e[i], url, sizeof(url)) == 0, "url fits");
		FUZZ_CHECK(pacresult_text(&e[i], one, sizeof(one)) == 0, "text fits");
		if (i)
			strcat(text, ";");
		strcat(text, one);
	}
	m = pacresult_parse(text, strlen(text), again, PACRESULT_MAX);
	FUZZ_CHECK(m == n, "round trip count");
	for (int i = 0; i < n; i++)
		FUZZ_CHECK(again[i].kind == e[i].kind && again[i].port == e[i].port &&
			       !strcmp(again[i].host, e[i].host),
			   "round trip entry");
	return 0;
}
