// SPDX-License-Identifier: Apache-2.0
/* VM apps in the controller (controller/app_vm.c): a VM's cloud-init user
 * data never gets env lines in front of it, containers keep EVE's "K=V"
 * lines, boot modes and CPU pin sets are parsed strictly. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "app_vm.h"
#include "b64.h"

static char *compose(const char *env_json, const char *ud, bool vm)
{
	json_t *env = env_json ? json_loads(env_json, 0, NULL) : NULL;
	struct buf b;
	char *out;

	buf_init(&b, 1u << 20);
	assert_int_equal(app_vm_user_data(env, ud, vm, &b), 0);
	out = strndup(b.data ? (char *)b.data : "", b.len);
	buf_free(&b);
	json_decref(env);
	return out;
}

static const char cc[] = "#cloud-config\nruncmd:\n - echo hi\n";

static void test_vm_without_env_is_verbatim(void **st)
{
	char *u = compose("{}", cc, true);

	assert_string_equal(u, cc);
	free(u);
	u = compose(NULL, "", true);
	assert_string_equal(u, "");
	free(u);
}

static void test_vm_env_never_prepended(void **st)
{
	char *u = compose("{\"B\": \"2\", \"A\": \"1\"}", cc, true), *part, *content, *end;
	uint8_t *raw = NULL;
	size_t len = 0;

	/* No "K=V" before the data: a MIME multipart that cloud-init reads. */
	assert_null(strstr(u, "A=1\n#cloud-config"));
	assert_int_equal(strncmp(u, "Content-Type: multipart/mixed; boundary=\"", 41), 0);
	/* The user's part is intact and typed as cloud-config. */
	part = strstr(u, "Content-Type: text/cloud-config; charset=\"utf-8\"\nMIME-Version: "
			 "1.0\n\n#cloud-config\nruncmd:");
	assert_non_null(part);
	assert_non_null(strstr(part, cc));
	/* The env part writes the sorted K=V lines to the env file, merged. */
	assert_non_null(strstr(u, "path: " APP_VM_ENV_FILE));
	assert_non_null(strstr(u, "settings: [append]"));
	content = strstr(u, "content: ");
	assert_non_null(content);
	content += strlen("content: ");
	end = strchr(content, '\n');
	assert_non_null(end);
	assert_int_equal(b64_decode(content, (size_t)(end - content), &raw, &len), 0);
	assert_int_equal(len, 8);
	assert_memory_equal(raw, "A=1\nB=2\n", 8);
	free(raw);
	/* The closing boundary ends the document. */
	assert_non_null(strstr(u, "--EVE-APP-ENV-0--\n"));
	free(u);
}

static void test_vm_boundary_avoids_user_text(void **st)
{
	char *u = compose("{\"K\": \"v\"}", "#!/bin/sh\necho EVE-APP-ENV-0\n", true);

	assert_non_null(strstr(u, "boundary=\"EVE-APP-ENV-1\""));
	assert_non_null(strstr(u, "Content-Type: text/x-shellscript"));
	free(u);
}

static void test_container_env_lines_first(void **st)
{
	char *u = compose("{\"B\": \"2\", \"A\": \"1\"}", "X=3\n", false);

	assert_string_equal(u, "A=1\nB=2\nX=3\n");
	free(u);
}

static void test_boot_mode(void **st)
{
	assert_int_equal(app_vm_boot_mode(NULL), 0);
	assert_int_equal(app_vm_boot_mode(""), 0);
	assert_int_equal(app_vm_boot_mode("bios"), 1);
	assert_int_equal(app_vm_boot_mode("uefi"), 2);
	assert_int_equal(app_vm_boot_mode("UEFI "), -EINVAL);
	assert_int_equal(app_vm_boot_mode("efi"), -EINVAL);
}

static void test_cpuset(void **st)
{
	static const char *const bad[] = {"",      ",", "0,",  "-1",  "1-0",   "0,0",
					  "0-2,1", "a", "0 1", "256", "00000", "3-"};
	unsigned n = 0, hi = 0;
	size_t i;

	assert_int_equal(app_vm_cpuset_parse("0,1", &n, &hi), 0);
	assert_int_equal(n, 2);
	assert_int_equal(hi, 1);
	assert_int_equal(app_vm_cpuset_parse("0-3,6", &n, &hi), 0);
	assert_int_equal(n, 5);
	assert_int_equal(hi, 6);
	assert_int_equal(app_vm_cpuset_parse("255", &n, &hi), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(app_vm_cpuset_parse(bad[i], &n, &hi), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest t[] = {
	    cmocka_unit_test(test_vm_without_env_is_verbatim),
	    cmocka_unit_test(test_vm_env_never_prepended),
	    cmocka_unit_test(test_vm_boundary_avoids_user_text),
	    cmocka_unit_test(test_container_env_lines_first),
	    cmocka_unit_test(test_boot_mode),
	    cmocka_unit_test(test_cpuset),
	};
	return cmocka_run_group_tests(t, NULL, NULL);
}
