// SPDX-License-Identifier: Apache-2.0
/* bench_registry_pull: time registry_pull (the agent's OCI pull client)
 * of one image into a fresh blob store, N times, and print MB/s.
 *
 *   bench_registry_pull REF CA_PEM|- RUNS [USER PASSWORD]
 *
 * Each run starts from an empty store (the previous one is removed), so
 * every byte crosses the network; digests are verified as in the agent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blobstore.h"
#include "fileio.h"
#include "monotime.h"
#include "registry.h"

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	uint8_t *ca = NULL;
	size_t ca_len = 0;
	double secs[16];
	uint64_t bytes = 0;
	int runs, i;

	if (argc < 4 || (runs = atoi(argv[3])) < 1 || runs > 16) {
		fprintf(stderr, "usage: bench_registry_pull REF CA_PEM|- RUNS(1-16) [USER PASSWORD]\n");
		return 2;
	}
	if (strcmp(argv[2], "-") != 0 && fileio_read(argv[2], 1 << 20, &ca, &ca_len) < 0) {
		fprintf(stderr, "cannot read %s\n", argv[2]);
		return 2;
	}
	for (i = 0; i < runs; i++) {
		char dir[] = "/var/tmp/bench-regpull.XXXXXX", cmd[64], err[512];
		struct blobstore *bs = NULL;
		struct registry_image img = {0};
		struct registry_pull_opts o = {
		    .ref = argv[1],
		    .ca_pem = (const char *)ca,
		    .ca_len = ca_len,
		    .user = argc > 5 ? argv[4] : NULL,
		    .password = argc > 5 ? argv[5] : NULL,
		};
		double t0;
		int r;

		if (!mkdtemp(dir) || blobstore_open(dir, &bs) < 0)
			return 1;
		o.bs = bs;
		t0 = monotime_s();
		r = registry_pull(&o, &img, err, sizeof(err));
		secs[i] = monotime_s() - t0;
		bytes = img.fetched;
		registry_image_clear(&img);
		blobstore_free(bs);
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", dir);
		if (r < 0) {
			fprintf(stderr, "pull failed: %s\n", err);
			return 1;
		}
		printf("run %d: %.1f MB in %.3f s = %.1f MB/s\n", i + 1, (double)bytes / 1e6, secs[i],
		       (double)bytes / 1e6 / secs[i]);
	}
	qsort(secs, (size_t)runs, sizeof(secs[0]), cmp_d);
	printf("median: %.1f MB in %.3f s = %.1f MB/s\n", (double)bytes / 1e6, secs[runs / 2],
	       (double)bytes / 1e6 / secs[runs / 2]);
	free(ca);
	return 0;
}
