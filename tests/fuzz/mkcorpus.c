// SPDX-License-Identifier: Apache-2.0
/* Writes the seed corpus of every harness (corpus/<harness>/<name>) from
 * real messages: the ones the agent sends (made from JSON through pbjson,
 * then packed), sealed envelopes, newlogs batches, and OCI layers made with
 * libarchive (plain, gzip, whiteouts, links, and escape attempts).
 * usage: fuzz_mkcorpus DIR   (scripts/fuzz --seed runs it) */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "b64.h"
#include "buf.h"
#include "config/devconfig.pb-c.h"
#include "crypto.h"
#include "envelope.h"
#include "flowlog/flowlog.pb-c.h"
#include "gzip.h"
#include "info/info.pb-c.h"
#include "initenv.h"
#include "logs/log.pb-c.h"
#include "metrics/metrics.pb-c.h"
#include "pbjson.h"
#include "pbpack.h"
#include "register/register.pb-c.h"

static const char *root;

static void die(const char *what)
{
	fprintf(stderr, "fuzz_mkcorpus: %s\n", what);
	exit(1);
}

/* corpus/<harness>/<name> = prefix bytes (npre) + data. */
static void seed(const char *harness, const char *name, const uint8_t *pre, size_t npre, const void *data,
		 size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, harness);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", root, harness, name);
	f = fopen(path, "wb");
	if (!f || fwrite(pre, 1, npre, f) != npre || (len && fwrite(data, 1, len, f) != len) || fclose(f))
		die(path);
}

/* A message of type d from JSON text, packed. *out is malloc'd. */
static size_t packed(const ProtobufCMessageDescriptor *d, const char *json, uint8_t **out)
{
	char err[256];
	json_t *j = json_loads(json, 0, NULL);
	ProtobufCMessage *m = NULL;
	size_t n;

	if (!j || pbjson_to_message(d, j, &m, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", d->short_name, err);
		die("seed JSON");
	}
	if (pbpack(m, 0, out, &n) < 0)
		die("pack");
	protobuf_c_message_free_unpacked(m, NULL);
	json_decref(j);
	return n;
}

static const char info_dev[] =
    "{\"ztype\":\"ZiDevice\",\"devId\":\"6a1b1bd8-46b1-4bb6-8a6e-3c1b2f6c6a10\","
    "\"dinfo\":{\"machineArch\":\"x86_64\",\"cpuArch\":\"x86_64\",\"platform\":\"qemu\",\"ncpu\":2,"
    "\"bootTime\":{\"seconds\":1764720000,\"nanos\":5}},"
    "\"atTimeStamp\":{\"seconds\":1764720300,\"nanos\":0}}";
static const char info_app[] =
    "{\"ztype\":\"ZiApp\",\"devId\":\"6a1b1bd8-46b1-4bb6-8a6e-3c1b2f6c6a10\",\"ainfo\":{"
    "\"AppID\":\"0b7f8c4e-6d2f-4a8b-9c1d-2e3f4a5b6c7d\",\"AppName\":\"nginx\",\"state\":\"RUNNING\","
    "\"volumeRefs\":[\"v1\"]},\"atTimeStamp\":{\"seconds\":1764720300}}";
static const char metrics[] =
    "{\"devID\":\"6a1b1bd8-46b1-4bb6-8a6e-3c1b2f6c6a10\",\"atTimeStamp\":{\"seconds\":1764720300},"
    "\"dm\":{\"runtimeStorageOverheadMB\":12,\"appRunTimeStorageMB\":300},"
    "\"am\":[{\"AppID\":\"0b7f8c4e-6d2f-4a8b-9c1d-2e3f4a5b6c7d\",\"AppName\":\"nginx\"}]}";
static const char logbundle[] =
    "{\"devID\":\"6a1b1bd8-46b1-4bb6-8a6e-3c1b2f6c6a10\",\"image\":\"IMGA\",\"eveVersion\":\"0.1.0\","
    "\"timestamp\":{\"seconds\":1764720300},\"log\":["
    "{\"severity\":\"info\",\"source\":\"agent\",\"content\":\"config applied\","
    "\"timestamp\":{\"seconds\":1764720299,\"nanos\":120000000}},"
    "{\"severity\":\"err\",\"source\":\"runtime\",\"content\":\"volume v1: ERROR\"}]}";
static const char flowlog[] =
    "{\"devId\":\"6a1b1bd8-46b1-4bb6-8a6e-3c1b2f6c6a10\",\"scope\":{\"uuid\":\"0b7f8c4e-6d2f-4a8b-9c1d-"
    "2e3f4a5b6c7d\",\"intf\":\"eth0\"},\"flows\":[{\"flow\":{\"src\":\"10.1.0.2\",\"srcPort\":40000,"
    "\"dest\":\"10.1.0.1\",\"destPort\":53,\"protocol\":17},\"inbound\":false,\"txBytes\":64}]}";
static const char configreq[] = "{\"configHash\":\"0123456789abcdef\"}";
static const char newlogs_text[] = "{\"severity\":\"info\",\"source\":\"app\",\"content\":\"hello\","
				   "\"timestamp\":{\"seconds\":1764720299,\"nanos\":1}}\n"
				   "{\"severity\":\"warning\",\"source\":\"agent\",\"content\":\"x\","
				   "\"timestamp\":\"2026-12-03T10:00:00Z\"}\n"
				   "\r\n{\"content\":\"no time\"}\n";

static void devapi_seeds(struct eve_signer *dev)
{
	struct {
		const char *name;
		uint8_t req;
		const ProtobufCMessageDescriptor *d;
		const char *json;
	} msgs[] = {
	    {"config", 2, &org__lfedge__eve__config__config_request__descriptor, configreq},
	    {"info-device", 3, &org__lfedge__eve__info__zinfo_msg__descriptor, info_dev},
	    {"info-app", 3, &org__lfedge__eve__info__zinfo_msg__descriptor, info_app},
	    {"metrics", 4, &org__lfedge__eve__metrics__zmetric_msg__descriptor, metrics},
	    {"logs", 5, &org__lfedge__eve__logs__log_bundle__descriptor, logbundle},
	    {"flowlog", 8, &org__lfedge__eve__flowlog__flow_message__descriptor, flowlog},
	};
	char reg[8192], name[64];
	uint8_t pre[2], *b, *env;
	size_t i, n, elen;

	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		n = packed(msgs[i].d, msgs[i].json, &b);
		pre[0] = msgs[i].req;
		pre[1] = 1; /* sealed by the harness */
		seed("fuzz_devapi", msgs[i].name, pre, 2, b, n);
		if (envelope_seal(dev, b, n, false, &env, &elen) < 0)
			die("seal");
		pre[1] = 0; /* a whole (foreign) envelope */
		snprintf(name, sizeof(name), "%s-envelope", msgs[i].name);
		seed("fuzz_devapi", name, pre, 2, env, elen);
		seed("fuzz_envelope", name, pre + 1, 1, env, elen);
		free(env);
		free(b);
	}
	pre[0] = 1;
	pre[1] = 1;
	seed("fuzz_devapi", "uuid", pre, 2, "", 0);
	for (i = 6; i <= 7; i++) {
		pre[0] = (uint8_t)i;
		pre[1] = 3; /* sealed, gzip'd by the harness */
		seed("fuzz_devapi", i == 6 ? "newlogs" : "app-newlogs", pre, 2, newlogs_text,
		     strlen(newlogs_text));
	}
	/* register: the device certificate (PEM) in pemCert, bytes = base64 in JSON */
	{
		char *b64 = b64_encode((const uint8_t *)dev->cert_pem, strlen(dev->cert_pem));

		if (!b64)
			die("b64");
		snprintf(reg, sizeof(reg), "{\"pemCert\":\"%s\",\"serial\":\"fuzz-serial\"}", b64);
		free(b64);
		n = packed(&org__lfedge__eve__register__zregister_msg__descriptor, reg, &b);
		pre[0] = 0;
		pre[1] = 1;
		seed("fuzz_devapi", "register", pre, 2, b, n);
		free(b);
	}
}

static void pbjson_seeds(void)
{
	static const struct {
		const char *name;
		uint8_t type;
		const char *json;
	} js[] = {{"info-device", 1, info_dev},
		  {"info-app", 1, info_app},
		  {"metrics", 2, metrics},
		  {"logbundle", 4, logbundle},
		  {"register", 5, "{\"serial\":\"s1\",\"softSerial\":\"x\"}"}};
	static const ProtobufCMessageDescriptor *const descs[] = {
	    NULL,
	    &org__lfedge__eve__info__zinfo_msg__descriptor,
	    &org__lfedge__eve__metrics__zmetric_msg__descriptor,
	    NULL,
	    &org__lfedge__eve__logs__log_bundle__descriptor,
	    &org__lfedge__eve__register__zregister_msg__descriptor,
	};
	char name[64];
	uint8_t pre, *b;
	size_t i, n;

	for (i = 0; i < sizeof(js) / sizeof(js[0]); i++) {
		pre = js[i].type;
		seed("fuzz_pbjson", js[i].name, &pre, 1, js[i].json, strlen(js[i].json));
		n = packed(descs[js[i].type], js[i].json, &b);
		pre = 0x80 | js[i].type;
		snprintf(name, sizeof(name), "%s-packed", js[i].name);
		seed("fuzz_pbjson", name, &pre, 1, b, n);
		free(b);
	}
	pre = 0; /* EdgeDevConfig */
	{
		static const char cfg[] =
		    "{\"id\":{\"uuid\":\"6a1b1bd8-46b1-4bb6-8a6e-3c1b2f6c6a10\",\"version\":\"3\"},"
		    "\"configItems\":[{\"key\":\"timer.config.interval\",\"value\":\"10\"}],"
		    "\"apps\":[{\"uuidandversion\":{\"uuid\":\"0b7f8c4e-6d2f-4a8b-9c1d-2e3f4a5b6c7d\","
		    "\"version\":\"1\"},\"displayname\":\"nginx\",\"activate\":true,"
		    "\"fixedresources\":{\"memory\":524288,\"vcpus\":1}}]}";
		seed("fuzz_pbjson", "devconfig", &pre, 1, cfg, strlen(cfg));
		n = packed(&org__lfedge__eve__config__edge_dev_config__descriptor, cfg, &b);
		pre = 0x80;
		seed("fuzz_pbjson", "devconfig-packed", &pre, 1, b, n);
		free(b);
	}
}

static void envelope_seeds(struct eve_signer *s)
{
	uint8_t pre = 1, *b;
	size_t n = packed(&org__lfedge__eve__info__zinfo_msg__descriptor, info_dev, &b);

	seed("fuzz_envelope", "payload-info", &pre, 1, b, n);
	pre = 3;
	seed("fuzz_envelope", "payload-info-cert", &pre, 1, b, n);
	{
		uint8_t *env;
		size_t elen;

		if (envelope_seal(s, b, n, true, &env, &elen) < 0)
			die("seal");
		pre = 0;
		seed("fuzz_envelope", "envelope-with-cert", &pre, 1, env, elen);
		free(env);
	}
	free(b);
}

static void newlogs_seeds(void)
{
	struct buf z;
	uint8_t pre = 1;

	seed("fuzz_newlogs", "text", &pre, 1, newlogs_text, strlen(newlogs_text));
	pre = 3;
	seed("fuzz_newlogs", "text-app", &pre, 1, newlogs_text, strlen(newlogs_text));
	buf_init(&z, 1 << 20);
	if (gzip_compress(newlogs_text, strlen(newlogs_text), "{\"startTime\":1}", &z) < 0)
		die("gzip");
	pre = 0;
	seed("fuzz_newlogs", "gzip", &pre, 1, z.data, z.len);
	buf_free(&z);
}

/* ---- OCI layers ---- */

struct ent {
	const char *path;
	char type; /* f file, d dir, l symlink, h hard link */
	const char *data;
};

static void layer(const char *name, const struct ent *e, size_t n, bool gz)
{
	struct archive *a = archive_write_new();
	char path[512];
	size_t i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/fuzz_oci_layer", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/fuzz_oci_layer/%s", root, name);
	archive_write_set_format_pax_restricted(a);
	if (gz)
		archive_write_add_filter_gzip(a);
	f = fopen(path, "wb");
	if (!f || fputc(0, f) == EOF) /* byte 0 = 0: a raw layer file follows */
		die(path);
	if (archive_write_open_FILE(a, f) != ARCHIVE_OK)
		die(path);
	for (i = 0; i < n; i++) {
		struct archive_entry *x = archive_entry_new();

		archive_entry_set_pathname(x, e[i].path);
		archive_entry_set_perm(x, e[i].type == 'd' ? 0755 : 0644);
		archive_entry_set_mtime(x, 1764720000, 0);
		if (e[i].type == 'd') {
			archive_entry_set_filetype(x, AE_IFDIR);
		} else if (e[i].type == 'l') {
			archive_entry_set_filetype(x, AE_IFLNK);
			archive_entry_set_symlink(x, e[i].data);
		} else if (e[i].type == 'h') {
			archive_entry_set_filetype(x, AE_IFREG);
			archive_entry_set_hardlink(x, e[i].data);
		} else {
			archive_entry_set_filetype(x, AE_IFREG);
			archive_entry_set_size(x, (la_int64_t)strlen(e[i].data));
		}
		archive_write_header(a, x);
		if (e[i].type == 'f')
			archive_write_data(a, e[i].data, strlen(e[i].data));
		archive_entry_free(x);
	}
	archive_write_close(a);
	archive_write_free(a);
	if (fclose(f))
		die(path);
}

#define N(x) (sizeof(x) / sizeof(x[0]))

/* The same entries in the harness's structured form (byte 0 = 1). */
static void structured(const char *name, const struct ent *e, size_t n)
{
	struct buf b;
	uint8_t one = 1;
	size_t i;

	buf_init(&b, 1 << 16);
	for (i = 0; i < n; i++) {
		const char *fields[3] = {e[i].path,
					 e[i].type == 'f' ? ""
					 : e[i].data      ? e[i].data
							  : "",
					 e[i].type == 'f' ? e[i].data : ""};
		uint8_t t = e[i].type == 'f' ? 0 : e[i].type == 'd' ? 1 : e[i].type == 'l' ? 2 : 3;
		size_t k;

		buf_append(&b, &t, 1);
		for (k = 0; k < 3; k++) {
			uint8_t len = (uint8_t)strlen(fields[k]);

			buf_append(&b, &len, 1);
			buf_append(&b, fields[k], len);
		}
	}
	seed("fuzz_oci_layer", name, &one, 1, b.data, b.len);
	buf_free(&b);
}

static void oci_seeds(void)
{
	const struct ent base[] = {{"bin/", 'd', NULL},
				   {"bin/busybox", 'f', "BB"},
				   {"bin/sh", 'l', "busybox"},
				   {"etc/", 'd', NULL},
				   {"etc/hosts", 'f', "127.0.0.1 localhost\n"},
				   {"etc/h2", 'h', "etc/hosts"}};
	const struct ent wh[] = {
	    {"etc/.wh.hosts", 'f', ""}, {"dir/.wh..wh..opq", 'f', ""}, {"dir/new", 'f', "n"}};
	const struct ent esc[] = {{"../x", 'f', "x"},  {"up/x", 'f', "x"},
				  {"abs/x", 'f', "x"}, {"h", 'h', "../../outside/secret"},
				  {".wh...", 'f', ""}, {"up/.wh.secret", 'f', ""}};
	const struct ent links[] = {
	    {"l", 'l', "/"}, {"l/etc/x", 'f', "x"}, {"m", 'l', ".."}, {"m/x", 'f', "x"}};

	structured("s-base", base, N(base));
	structured("s-whiteouts", wh, N(wh));
	structured("s-escapes", esc, N(esc));
	structured("s-links", links, N(links));
	layer("base.tar", base, N(base), false);
	layer("base.tar.gz", base, N(base), true);
	layer("whiteouts.tar", wh, N(wh), false);
	layer("escapes.tar", esc, N(esc), false);
	layer("links.tar", links, N(links), false);
}

/* A container app's environment file (fuzz_initenv): written by the
 * runtime's encoder, and a few damaged ones. */
static void initenv_seeds(void)
{
	static char *const env[] = {"PATH=/usr/bin:/bin", "GREETING=world", "S=a<b&c>d\n e", "EMPTY=", NULL};
	static const char unterminated[] = "EVEINIT1\nA=1";
	static const char badname[] = "EVEINIT1\n1A=1";
	char *data = NULL;
	size_t len = 0;

	if (initenv_encode(env, &data, &len) < 0)
		die("initenv_encode");
	seed("fuzz_initenv", "env", (const uint8_t *)"", 0, data, len);
	free(data);
	if (initenv_encode(NULL, &data, &len) < 0)
		die("initenv_encode");
	seed("fuzz_initenv", "empty", (const uint8_t *)"", 0, data, len);
	free(data);
	seed("fuzz_initenv", "unterminated", (const uint8_t *)"", 0, unterminated, sizeof(unterminated) - 1);
	seed("fuzz_initenv", "bad-name", (const uint8_t *)"", 0, badname, sizeof(badname));
}

int main(int argc, char **argv)
{
	struct eve_signer s = {0};
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;

	if (argc != 2)
		die("usage: fuzz_mkcorpus DIR");
	root = argv[1];
	mkdir(root, 0755);
	if (crypto_ec_generate(&key) < 0 || crypto_cert_selfsigned(key, "fuzz-seed", 3650, &cert) < 0 ||
	    envelope_signer_from_key(&s, key, cert, false) < 0)
		die("key");
	devapi_seeds(&s);
	pbjson_seeds();
	envelope_seeds(&s);
	newlogs_seeds();
	oci_seeds();
	initenv_seeds();
	envelope_signer_clear(&s);
	EVP_PKEY_free(key);
	X509_free(cert);
	return 0;
}
