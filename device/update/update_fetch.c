/* libcurl download straight to a file with a size cap, then a streaming
 * SHA-256 of the result. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "err.h"
#include "update_fetch.h"

struct sink {
	int fd;
	uint64_t got, max;
	int err;
};

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
	struct sink *s = ud;
	size_t len = sz * n, put = 0;

	if (s->got + len > s->max) {
		s->err = -EVE_ETOOBIG;
		return 0;
	}
	while (put < len) {
		ssize_t w = write(s->fd, p + put, len - put);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			s->err = -errno;
			return 0;
		}
		put += (size_t)w;
	}
	s->got += len;
	return len;
}

static int curl_err(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_HTTP_RETURNED_ERROR:
		return -EVE_EHTTP;
	case CURLE_FILE_COULDNT_READ_FILE:
		return -ENOENT;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		return -EVE_EBADCERT;
	default:
		return -EIO;
	}
}

int update_fetch(const char *url, const char *path, uint64_t max, const char *ca_path)
{
	struct sink s = {.fd = -1, .max = max};
	CURL *c = curl_easy_init();
	int r;

	if (!c)
		return -ENOMEM;
	s.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (s.fd < 0) {
		r = -errno;
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	if (ca_path)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca_path);
	CURLcode cc = curl_easy_perform(c);
	r = cc == CURLE_OK ? 0 : (s.err ? s.err : curl_err(cc));
	if (r == 0 && fsync(s.fd) < 0)
		r = -errno;
out:
	if (s.fd >= 0)
		close(s.fd);
	if (r < 0)
		unlink(path);
	curl_easy_cleanup(c);
	return r;
}

int update_file_sha256(const char *path, uint8_t out[32])
{
	uint8_t buf[65536];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0 || !md) {
		r = fd < 0 ? -errno : -ENOMEM;
		goto out;
	}
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		EVP_DigestUpdate(md, buf, (size_t)n);
	}
	EVP_DigestFinal_ex(md, out, NULL);
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(md);
	return r;
}
