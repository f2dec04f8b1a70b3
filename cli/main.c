// SPDX-License-Identifier: Apache-2.0
/* evectl entry point. */
#include <curl/curl.h>
#include <signal.h>

#include "evectl.h"

int main(int argc, char **argv)
{
	int code;

	/* a closed pipe (evectl ... | head) is an ordinary end, not a crash */
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return EXIT_UNREACHABLE;
	code = evectl_main(argc, argv);
	curl_global_cleanup();
	return code;
}
