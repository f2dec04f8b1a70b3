// SPDX-License-Identifier: Apache-2.0
/* Admin API client for scenario setup. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "admin.h"
#include "curlerr.h"
#include "err.h"
#include "fileio.h"

#define ADMIN_TOKEN_MAX 512
#define ADMIN_RESP_CAP (4u << 20)

struct admin {
	CURL *easy;
	struct curl_slist *hdrs, *connect_to;
	char base[256];
	char errbuf[CURL_ERROR_SIZE];
};

static size_t admin_write(char *p, size_t size, size_t nmemb, void *userdata)
{
	struct buf *b = userdata;

	if (b && buf_append(b, p, size * nmemb) < 0)
		return 0;
	return size * nmemb;
}

static int admin_headers(struct admin *a, const char *token_path)
{
	uint8_t *tok = NULL;
	char line[ADMIN_TOKEN_MAX + 32];
	size_t len;
	int r = fileio_read(token_path, ADMIN_TOKEN_MAX, &tok, &len);

	if (r < 0)
		return r;
	while (len && (tok[len - 1] == '\n' || tok[len - 1] == '\r' || tok[len - 1] == ' '))
		tok[--len] = '\0';
	snprintf(line, sizeof(line), "Authorization: Bearer %s", (char *)tok);
	free(tok);
	a->hdrs = curl_slist_append(NULL, line);
	if (a->hdrs)
		a->hdrs = curl_slist_append(a->hdrs, "Content-Type: application/json");
	if (a->hdrs)
		a->hdrs = curl_slist_append(a->hdrs, "Expect:");
	return a->hdrs ? 0 : -ENOMEM;
}

int admin_new(const char *base_url, const char *ca_path, const char *connect_to, const char *token_path,
	      struct admin **out)
{
	struct admin *a = calloc(1, sizeof(*a));
	int r = -ENOMEM;

	if (!a)
		return -ENOMEM;
	snprintf(a->base, sizeof(a->base), "%s", base_url);
	a->easy = curl_easy_init();
	if (!a->easy)
		goto fail;
	if ((r = admin_headers(a, token_path)) < 0)
		goto fail;
	if (connect_to && !(a->connect_to = curl_slist_append(NULL, connect_to))) {
		r = -ENOMEM;
		goto fail;
	}
	curl_easy_setopt(a->easy, CURLOPT_HTTPHEADER, a->hdrs);
	curl_easy_setopt(a->easy, CURLOPT_CAINFO, ca_path);
	curl_easy_setopt(a->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(a->easy, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(a->easy, CURLOPT_ERRORBUFFER, a->errbuf);
	curl_easy_setopt(a->easy, CURLOPT_WRITEFUNCTION, admin_write);
	if (a->connect_to)
		curl_easy_setopt(a->easy, CURLOPT_CONNECT_TO, a->connect_to);
	*out = a;
	return 0;
fail:
	admin_free(a);
	return r;
}

void admin_free(struct admin *a)
{
	if (!a)
		return;
	if (a->easy)
		curl_easy_cleanup(a->easy);
	curl_slist_free_all(a->hdrs);
	curl_slist_free_all(a->connect_to);
	free(a);
}

int admin_call(struct admin *a, const char *method, const char *path, const char *json, long *status,
	       struct buf *resp)
{
	char url[1024];
	CURLcode rc;

	snprintf(url, sizeof(url), "%s%s", a->base, path);
	if (resp)
		buf_reset(resp);
	curl_easy_setopt(a->easy, CURLOPT_URL, url);
	curl_easy_setopt(a->easy, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(a->easy, CURLOPT_CUSTOMREQUEST, method);
	if (json) {
		curl_easy_setopt(a->easy, CURLOPT_POSTFIELDS, json);
		curl_easy_setopt(a->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(json));
	} else {
		curl_easy_setopt(a->easy, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(a->easy, CURLOPT_CUSTOMREQUEST, method);
	}
	rc = curl_easy_perform(a->easy);
	if (rc != CURLE_OK) {
		fprintf(stderr, "devsim: admin %s %s: %s\n", method, path,
			a->errbuf[0] ? a->errbuf : curl_easy_strerror(rc));
		return curlerr_errno(rc);
	}
	curl_easy_getinfo(a->easy, CURLINFO_RESPONSE_CODE, status);
	return 0;
}
