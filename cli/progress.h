// SPDX-License-Identifier: Apache-2.0
/* A one-line progress bar on stderr, drawn only when stderr is a terminal
 * (scripts and logs never see carriage-return noise). */
#ifndef EVECTL_PROGRESS_H
#define EVECTL_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct progress {
	FILE *f; /* NULL: disabled */
	const char *label;
	int last_pct;
	uint64_t last_done;
};

/* Enable only if fd of f is a TTY (or force is set, for tests). */
void progress_init(struct progress *p, FILE *f, const char *label, bool force);
/* Redraw when the percentage changes. Matches api_progress_cb. */
void progress_update(uint64_t done, uint64_t total, void *ud);
/* Finish the line. */
void progress_end(struct progress *p);
/* Render the bar text for done/total into buf (exposed for unit tests). */
void progress_render(const char *label, uint64_t done, uint64_t total, char *buf, size_t n);

#endif
