// SPDX-License-Identifier: Apache-2.0
/* Bounded readers for sysfs/procfs files (sysfsread.h). */
#include "sysfsread.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"

#define SYSFS_LIST_MAX 4096
#define SYSFS_FILE_MAX 4096

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **sysfs_list(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;

	*n = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d)) && *n < SYSFS_LIST_MAX) {
		char **nv;

		if (e->d_name[0] == '.')
			continue;
		nv = realloc(v, (*n + 1) * sizeof(char *));
		if (!nv)
			break;
		v = nv;
		v[*n] = strdup(e->d_name);
		if (v[*n])
			(*n)++;
	}
	closedir(d);
	if (*n > 1)
		qsort(v, *n, sizeof(char *), cmp_name);
	return v;
}

void sysfs_list_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static long read_num(const char *path, int base)
{
	uint8_t *d = NULL;
	size_t len = 0;
	long v = -1;
	char *end;

	if (fileio_read(path, SYSFS_FILE_MAX, &d, &len) == 0 && len) {
		v = strtol((char *)d, &end, base);
		if (end == (char *)d || v < 0)
			v = -1;
	}
	free(d);
	return v;
}

long sysfs_hex(const char *path)
{
	return read_num(path, 16);
}

long sysfs_dec(const char *path)
{
	return read_num(path, 10);
}

void sysfs_str(const char *path, char *out, size_t len)
{
	uint8_t *d = NULL;
	size_t n = 0;

	out[0] = '\0';
	if (fileio_read(path, SYSFS_FILE_MAX, &d, &n) == 0)
		snprintf(out, len, "%.*s", (int)strcspn((char *)d, "\n"), (char *)d);
	free(d);
}

void sysfs_link_base(const char *path, char *out, size_t len)
{
	char t[1024];
	ssize_t k = readlink(path, t, sizeof(t) - 1);
	const char *b;

	out[0] = '\0';
	if (k <= 0)
		return;
	t[k] = '\0';
	b = strrchr(t, '/');
	snprintf(out, len, "%s", b ? b + 1 : t);
}
