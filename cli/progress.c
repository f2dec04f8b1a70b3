// SPDX-License-Identifier: Apache-2.0
/* Upload progress bar. */
#include "progress.h"

#include <string.h>
#include <unistd.h>

#include "units.h"

#define BAR_WIDTH 30

void progress_init(struct progress *p, FILE *f, const char *label, bool force)
{
	memset(p, 0, sizeof(*p));
	p->last_pct = -1;
	p->label = label;
	if (force || isatty(fileno(f)))
		p->f = f;
}

void progress_render(const char *label, uint64_t done, uint64_t total, char *buf, size_t n)
{
	char bar[BAR_WIDTH + 1], d[16], t[16];
	int pct = total ? (int)(done * 100 / total) : 100, fill;

	if (pct > 100)
		pct = 100;
	fill = pct * BAR_WIDTH / 100;
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, ' ', (size_t)(BAR_WIDTH - fill));
	bar[BAR_WIDTH] = 0;
	units_format_size(done, d, sizeof(d));
	units_format_size(total, t, sizeof(t));
	snprintf(buf, n, "%s [%s] %3d%% %s/%s", label, bar, pct, d, t);
}

void progress_update(uint64_t done, uint64_t total, void *ud)
{
	struct progress *p = ud;
	char line[160];
	int pct = total ? (int)(done * 100 / total) : 100;

	if (!p->f || pct == p->last_pct)
		return;
	p->last_pct = pct;
	p->last_done = done;
	progress_render(p->label, done, total, line, sizeof(line));
	fprintf(p->f, "\r%s", line);
	fflush(p->f);
}

void progress_end(struct progress *p)
{
	if (p->f && p->last_pct >= 0)
		fputc('\n', p->f);
}
