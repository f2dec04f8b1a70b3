// SPDX-License-Identifier: Apache-2.0
/* VM apps: userData composition, boot mode, CPU pin sets (app_vm.h). */
#include "app_vm.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"

static int cmp_strp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* "K=V\n" lines of env sorted by key. */
static int env_lines(json_t *env, struct buf *out)
{
	size_t n = json_object_size(env), k = 0, i;
	const char **keys;
	const char *key;
	json_t *v;
	int r = 0;

	if (!n)
		return 0;
	keys = calloc(n, sizeof(char *));
	if (!keys)
		return -ENOMEM;
	json_object_foreach(env, key, v) if (k < n) keys[k++] = key;
	qsort(keys, k, sizeof(char *), cmp_strp);
	for (i = 0; i < k && r == 0; i++)
		r = buf_printf(out, "%s=%s\n", keys[i],
			       json_string_value(json_object_get(env, keys[i])) ?: "");
	free(keys);
	return r;
}

/* The MIME type cloud-init gives a part by its first line. */
static const char *part_type(const char *ud)
{
	static const struct {
		const char *prefix, *type;
	} t[] = {{"#cloud-config", "text/cloud-config"},
		 {"#!", "text/x-shellscript"},
		 {"#include", "text/x-include-url"},
		 {"#cloud-boothook", "text/cloud-boothook"}};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strncmp(ud, t[i].prefix, strlen(t[i].prefix)))
			return t[i].type;
	return "text/plain";
}

/* A boundary that does not occur in the user's data. */
static void boundary(const char *ud, char *out, size_t outlen)
{
	unsigned n = 0;

	do
		snprintf(out, outlen, "EVE-APP-ENV-%u", n++);
	while (strstr(ud, out));
}

static int vm_multipart(json_t *env, const char *ud, struct buf *out)
{
	struct buf lines;
	char b[32], *b64 = NULL;
	int r;

	buf_init(&lines, 1u << 20);
	r = env_lines(env, &lines);
	if (r == 0 && !(b64 = b64_encode(lines.data, lines.len)))
		r = -ENOMEM;
	buf_free(&lines);
	if (r < 0)
		return r;
	boundary(ud, b, sizeof(b));
	r = buf_printf(out, "Content-Type: multipart/mixed; boundary=\"%s\"\nMIME-Version: 1.0\n\n", b);
	if (r == 0 && *ud)
		r = buf_printf(out, "--%s\nContent-Type: %s; charset=\"utf-8\"\nMIME-Version: 1.0\n\n%s%s", b,
			       part_type(ud), ud, ud[strlen(ud) - 1] == '\n' ? "" : "\n");
	if (r == 0)
		r = buf_printf(
		    out,
		    "--%s\nContent-Type: text/cloud-config; charset=\"utf-8\"\nMIME-Version: 1.0\n\n"
		    "#cloud-config\n"
		    "merge_how:\n"
		    " - name: list\n   settings: [append]\n"
		    " - name: dict\n   settings: [no_replace, recurse_list]\n"
		    "write_files:\n"
		    " - path: %s\n   permissions: '0644'\n   encoding: b64\n   content: %s\n"
		    "--%s--\n",
		    b, APP_VM_ENV_FILE, b64, b);
	free(b64);
	return r;
}

int app_vm_user_data(json_t *env, const char *user_data, bool vm, struct buf *out)
{
	const char *ud = user_data ? user_data : "";
	int r;

	if (vm) {
		if (!json_object_size(env))
			return buf_append(out, ud, strlen(ud));
		return vm_multipart(env, ud, out);
	}
	r = env_lines(env, out);
	return r < 0 ? r : buf_append(out, ud, strlen(ud));
}

int app_vm_boot_mode(const char *s)
{
	if (!s || !*s)
		return 0;
	if (!strcmp(s, "bios"))
		return 1;
	if (!strcmp(s, "uefi"))
		return 2;
	return -EINVAL;
}

/* One decimal CPU number below APP_VM_MAX_CPUS at *p; advances *p. */
static int cpu_num(const char **p, unsigned *out)
{
	unsigned v = 0;
	int digits = 0;

	while (isdigit((unsigned char)**p) && digits < 4) {
		v = v * 10 + (unsigned)(**p - '0');
		(*p)++;
		digits++;
	}
	if (!digits || isdigit((unsigned char)**p) || v >= APP_VM_MAX_CPUS)
		return -EINVAL;
	*out = v;
	return 0;
}

int app_vm_cpuset_parse(const char *s, unsigned *count, unsigned *highest)
{
	uint8_t seen[APP_VM_MAX_CPUS] = {0};
	unsigned lo, hi, n = 0, top = 0, c;
	const char *p = s;

	if (!s || !*s || strlen(s) > 1024)
		return -EINVAL;
	for (;;) {
		if (cpu_num(&p, &lo) < 0)
			return -EINVAL;
		hi = lo;
		if (*p == '-') {
			p++;
			if (cpu_num(&p, &hi) < 0 || hi < lo)
				return -EINVAL;
		}
		for (c = lo; c <= hi; c++) {
			if (seen[c])
				return -EINVAL;
			seen[c] = 1;
			n++;
			top = c > top ? c : top;
		}
		if (!*p)
			break;
		if (*p++ != ',')
			return -EINVAL;
	}
	*count = n;
	*highest = top;
	return 0;
}
