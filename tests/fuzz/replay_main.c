// SPDX-License-Identifier: Apache-2.0
/* Runs a libFuzzer harness without libFuzzer: every file given (or in a
 * directory given) is passed once to LLVMFuzzerTestOneInput. The normal and
 * sanitizer builds use it to replay the checked-in corpus (seeds and the
 * inputs of crashes once found), so those stay fixed without clang. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX (1u << 20)

static int run_file(const char *path)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int r = fileio_read(path, REPLAY_MAX, &data, &len);

	if (r < 0) {
		fprintf(stderr, "replay: %s: error %d\n", path, r);
		return 1;
	}
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
}

static int run_path(const char *path, int *n)
{
	struct dirent **names = NULL;
	struct stat st;
	char sub[4096];
	int i, k, bad = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "replay: %s: not found\n", path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		++*n;
		return run_file(path);
	}
	k = scandir(path, &names, NULL, alphasort);
	for (i = 0; i < k; i++) {
		if (names[i]->d_name[0] != '.') {
			snprintf(sub, sizeof(sub), "%s/%s", path, names[i]->d_name);
			bad |= run_path(sub, n);
		}
		free(names[i]);
	}
	free(names);
	return bad || k < 0;
}

int main(int argc, char **argv)
{
	int i, n = 0, bad = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++)
		bad |= run_path(argv[i], &n);
	printf("replayed %d inputs\n", n);
	return bad || n == 0;
}
