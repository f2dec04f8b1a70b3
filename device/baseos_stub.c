// SPDX-License-Identifier: Apache-2.0
/* The A/B update seam without the updater: device/CMakeLists.txt builds
 * this file instead of baseos.c when the eveupdate target does not exist
 * (-DWITH_AGENT_UPDATE=OFF). No base OS updates; nothing to report. */
#include "baseos.h"

#include <errno.h>

int baseos_open(const struct baseos_opts *o, struct baseos **out)
{
	return -ENOTSUP;
}

void baseos_close(struct baseos *b)
{
}

int baseos_boot_check(struct baseos *b, time_t now)
{
	return 0;
}

int baseos_apply(struct baseos *b, const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg)
{
	return 0;
}

void baseos_set_sig_policy(struct baseos *b, int policy)
{
}

const char *baseos_sig_note(struct baseos *b)
{
	return "";
}

void baseos_set_test_window(struct baseos *b, unsigned seconds)
{
}

int baseos_controller_reached(struct baseos *b, time_t now)
{
	return 0;
}

int baseos_tick(struct baseos *b, time_t now)
{
	return 0;
}

void baseos_fill_info(struct baseos *b, struct report_device *d)
{
}
