// SPDX-License-Identifier: Apache-2.0
/* Drives the three HTTPS clients of the device (the device API client of
 * common/devapi.c, the runtime's downloader and the base-OS fetcher) against
 * one server and prints, per client, "ok" or "refused <rc> <reason>". Exit
 * status: the number of clients that did not get an answer. The script
 * tls_floor.sh runs it against a TLS 1.2 server (all must answer) and a TLS
 * 1.1 server (none may).
 *   tls_floor_probe HOST:PORT CA.pem SCRATCH-DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "devapi.h"
#include "fileio.h"
#include "download.h"
#include "update_fetch.h"

static int probe_devapi(const char *server, const char *ca)
{
	struct devapi_opts o = {.server = server, .ca_path = ca, .timeout_s = 20};
	struct devapi *c = NULL;
	struct buf resp;
	long status = 0;
	int r;

	buf_init(&resp, 1 << 20);
	r = devapi_new(&o, &c);
	if (r == 0)
		r = devapi_call(c, "GET", "/ping", NULL, 0, &status, &resp);
	if (r == 0)
		printf("devapi: ok (HTTP %ld)\n", status);
	else
		printf("devapi: refused %d %s\n", r, c ? devapi_errmsg(c) : "");
	devapi_free(c);
	buf_free(&resp);
	return r != 0;
}

static int probe_download(const char *url, const char *ca_path, const char *dir)
{
	char dest[4096], err[256] = "";
	size_t calen = 0;
	char *ca = NULL;
	int r;

	snprintf(dest, sizeof(dest), "%s/download.part", dir);
	(void)unlink(dest);
	r = fileio_read(ca_path, 1 << 20, (uint8_t **)&ca, &calen);
	if (r == 0) {
		struct download_opts o = {.url = url,
					  .dest = dest,
					  .max_size = 1 << 20,
					  .ca_pem = ca,
					  .ca_pem_len = calen,
					  .connect_secs = 20,
					  .https_only = true};
		r = download_file(&o, err, sizeof(err));
	}
	if (r == 0)
		printf("download: ok\n");
	else
		printf("download: refused %d %s\n", r, err);
	free(ca);
	return r != 0;
}

static int probe_update(const char *url, const char *ca_path, const char *dir)
{
	char dest[4096];
	int r;

	snprintf(dest, sizeof(dest), "%s/update.img", dir);
	(void)unlink(dest);
	r = update_fetch(url, dest, 1 << 20, ca_path, NULL);
	if (r == 0)
		printf("update_fetch: ok\n");
	else
		printf("update_fetch: refused %d\n", r);
	return r != 0;
}

int main(int argc, char **argv)
{
	char url[600];
	int bad = 0;

	if (argc != 4 || strlen(argv[1]) > 512) {
		fprintf(stderr, "usage: tls_floor_probe HOST:PORT CA.pem SCRATCH-DIR\n");
		return 100;
	}
	snprintf(url, sizeof(url), "https://%s/probe", argv[1]);
	bad += probe_devapi(argv[1], argv[2]);
	bad += probe_download(url, argv[2], argv[3]);
	bad += probe_update(url, argv[2], argv[3]);
	return bad;
}
