// SPDX-License-Identifier: Apache-2.0
/* libFuzzer harness: address/prefix strings (common/ipnet.c) and
 * host:port joining (common/hostport.c), which read what the admin API,
 * a device's report or a config carries.
 *
 * Input: the text (NUL-terminated copy). When it is an address/prefix,
 * its network must be one too, be its own network, and keep the prefix;
 * a host joined with a port must split back at its last ':'. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "hostport.h"
#include "ipnet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[256], net[128], again[128], hp[300];
	size_t hl;

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (ipnet_cidr_ok(s)) {
		FUZZ_CHECK(ipnet_network(s, net, sizeof(net)) == 0, "network of a valid address/prefix");
		FUZZ_CHECK(ipnet_cidr_ok(net), "the network is an address/prefix");
		FUZZ_CHECK(ipnet_network(net, again, sizeof(again)) == 0 && !strcmp(net, again),
			   "the network is its own network");
		FUZZ_CHECK(atoi(strchr(net, '/') + 1) == atoi(strchr(s, '/') + 1), "prefix kept");
	} else {
		FUZZ_CHECK(ipnet_network(s, net, sizeof(net)) < 0, "network of an invalid text refused");
	}
	hl = strlen(s);
	if (hostport_join(s, hl, "8443", hp, sizeof(hp)) == 0) {
		const char *colon = strrchr(hp, ':');

		FUZZ_CHECK(colon && !strcmp(colon, ":8443"), "the port follows the last ':'");
		FUZZ_CHECK(!memchr(s, ':', hl) || hp[0] == '[', "an IPv6 host is bracketed");
	}
	return 0;
}
