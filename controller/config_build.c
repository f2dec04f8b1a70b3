// SPDX-License-Identifier: Apache-2.0
/* EdgeDevConfig assembly. All message memory comes from one arena freed at
 * the end, so the tree needs no per-field ownership bookkeeping. */
#include "config_build.h"

#include <arpa/inet.h>
#include <limits.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "attest.h"
#include "b64.h"
#include "bootstrap.h"
#include "buf.h"
#include "cipher.h"
#include "config/devconfig.pb-c.h"
#include "crypto.h"
#include "app_acl.h"
#include "apps.h"
#include "app_io.h"
#include "app_spec.h"
#include "app_vm.h"
#include "ctl.h"
#include "store.h"
#include "deviceio.h"
#include "devices_store.h"
#include "hexstr.h"
#include "ipnet.h"
#include "images.h"
#include "networks.h"
#include "secrets.h"
#include "envelope.h"
#include "fileio.h"
#include "hexstr.h"
#include "pbjson.h"
#include "pbpack.h"
#include "trustkeys.h"
#include "volumes.h"

typedef Org__Lfedge__Eve__Config__EdgeDevConfig EdgeDevConfig;
typedef Org__Lfedge__Eve__Config__AppInstanceConfig AppInstanceConfig;
typedef Org__Lfedge__Eve__Config__ContentTree ContentTree;
typedef Org__Lfedge__Eve__Config__DatastoreConfig DatastoreConfig;
typedef Org__Lfedge__Eve__Config__Volume Volume;
typedef Org__Lfedge__Eve__Config__NetworkInstanceConfig NetworkInstanceConfig;
typedef Org__Lfedge__Eve__Config__ConfigItem ConfigItem;

#define MAX_ITEMS 4096 /* per list: apps, networks, config items */

struct arena {
	void **p;
	size_t n, cap;
	int err;
};

static void *arena_alloc(struct arena *a, size_t size)
{
	if (a->n == a->cap) {
		size_t nc = a->cap ? a->cap * 2 : 64;
		void **np = realloc(a->p, nc * sizeof(void *));
		if (!np) {
			a->err = -ENOMEM;
			return NULL;
		}
		a->p = np;
		a->cap = nc;
	}
	void *m = calloc(1, size ? size : 1);
	if (!m) {
		a->err = -ENOMEM;
		return NULL;
	}
	a->p[a->n++] = m;
	return m;
}

static char *arena_str(struct arena *a, const char *s)
{
	size_t n = strlen(s);
	char *d = arena_alloc(a, n + 1);
	if (d)
		memcpy(d, s, n + 1);
	return d ? d : (char *)protobuf_c_empty_string;
}

static char *arena_fmt(struct arena *a, const char *fmt, long long v)
{
	char tmp[32];
	snprintf(tmp, sizeof(tmp), fmt, v);
	return arena_str(a, tmp);
}

static void arena_free(struct arena *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->p[i]);
	free(a->p);
}

/* Append ptr to a repeated field (array of pointers in the arena). */
static void push(struct arena *a, void ***arr, size_t *n, void *ptr)
{
	if (!ptr || *n >= MAX_ITEMS)
		return;
	void **na = arena_alloc(a, (*n + 1) * sizeof(void *));
	if (!na)
		return;
	if (*n)
		memcpy(na, *arr, *n * sizeof(void *));
	na[(*n)++] = ptr;
	*arr = na;
}
#define PUSH(a, field, nfield, ptr) push(a, (void ***)&(field), &(nfield), ptr)

void config_uuid_from(const void *data, size_t len, char out[37])
{
	uint8_t h[CRYPTO_SHA256_LEN] = {0};
	crypto_sha256(data, len, h);
	h[6] = (h[6] & 0x0f) | 0x50; /* name-based, like v5 */
	h[8] = (h[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", h[0], h[1],
		 h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]);
}

struct build {
	struct ctl *ctl;
	struct store *db;
	struct arena a;
	EdgeDevConfig *cfg;
	const char *uuid;
	/* secrets to the device (device_cipher): the ECDH-derived AES key */
	bool dk_tried, dk_ok;
	uint8_t dk_key[CIPHER_KEY_LEN];
	char dk_ctx[37];
};

static Org__Lfedge__Eve__Config__UUIDandVersion *uv_str(struct arena *a, const char *id, const char *version)
{
	Org__Lfedge__Eve__Config__UUIDandVersion *u = arena_alloc(a, sizeof(*u));
	if (!u)
		return NULL;
	org__lfedge__eve__config__uuidand_version__init(u);
	u->uuid = arena_str(a, id);
	u->version = arena_str(a, version);
	return u;
}

static Org__Lfedge__Eve__Config__UUIDandVersion *uv(struct arena *a, const char *id, long long version)
{
	char v[32];
	snprintf(v, sizeof(v), "%lld", version);
	return uv_str(a, id, v);
}

static Org__Lfedge__Eve__Config__Format image_format(const char *f)
{
	static const struct {
		const char *name;
		Org__Lfedge__Eve__Config__Format fmt;
	} map[] = {
	    {"raw", ORG__LFEDGE__EVE__CONFIG__FORMAT__RAW},
	    {"qcow2", ORG__LFEDGE__EVE__CONFIG__FORMAT__QCOW2},
	    {"iso", ORG__LFEDGE__EVE__CONFIG__FORMAT__ISO},
	    {"oci", ORG__LFEDGE__EVE__CONFIG__FORMAT__CONTAINER},
	    {"baseos", ORG__LFEDGE__EVE__CONFIG__FORMAT__RAW},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].name, f))
			return map[i].fmt;
	return ORG__LFEDGE__EVE__CONFIG__FORMAT__FmtUnknown;
}

/* The datastore for (origin, dpath), added on first use; returns its id.
 * Devices download fqdn/dpath/url (EVE's HTTP datastore rule). */
static const char *datastore_for(struct build *b, const char *origin, const char *dpath)
{
	char key[1024], id[37];
	snprintf(key, sizeof(key), "%s|%s", origin, dpath);
	config_uuid_from(key, strlen(key), id);
	for (size_t i = 0; i < b->cfg->n_datastores; i++)
		if (!strcmp(b->cfg->datastores[i]->id, id))
			return b->cfg->datastores[i]->id;
	DatastoreConfig *ds = arena_alloc(&b->a, sizeof(*ds));
	if (!ds)
		return "";
	org__lfedge__eve__config__datastore_config__init(ds);
	ds->id = arena_str(&b->a, id);
	ds->dtype = !strncmp(origin, "https://", 8) ? ORG__LFEDGE__EVE__CONFIG__DS_TYPE__DsHttps
						    : ORG__LFEDGE__EVE__CONFIG__DS_TYPE__DsHttp;
	ds->fqdn = arena_str(&b->a, origin);
	ds->dpath = arena_str(&b->a, dpath);
	PUSH(&b->a, b->cfg->datastores, b->cfg->n_datastores, ds);
	return ds->id;
}

/* Split an image url into its datastore (origin, dpath) and the part the
 * ContentTree carries. Uploaded blobs ("/datastore/sha256/<hex>") live in
 * this controller's datastore "datastore/sha256"; an external URL becomes
 * origin + its path. */
static void content_url(struct build *b, ContentTree *ct, const char *url)
{
	static const char blob_prefix[] = "/datastore/sha256/";
	if (!strncmp(url, blob_prefix, sizeof(blob_prefix) - 1)) {
		ct->dsid = (char *)datastore_for(b, b->ctl->base_url, "datastore/sha256");
		ct->url = arena_str(&b->a, url + sizeof(blob_prefix) - 1);
	} else {
		const char *p = strstr(url, "://");
		const char *path = p ? strchrnul(p + 3, '/') : url + strlen(url);
		char origin[512];
		snprintf(origin, sizeof(origin), "%.*s", (int)(path - url), url);
		while (*path == '/')
			path++;
		ct->dsid = (char *)datastore_for(b, origin, "");
		ct->url = arena_str(&b->a, path);
	}
	PUSH(&b->a, ct->ds_ids_list, ct->n_ds_ids_list, ct->dsid);
}

/* ---- secrets to the device: EVE's CipherContext / CipherBlock ---------- */

static ProtobufCBinaryData arena_bytes(struct arena *a, const uint8_t *p, size_t n)
{
	ProtobufCBinaryData d = {0, NULL};
	uint8_t *m = arena_alloc(a, n ? n : 1);
	if (m) {
		memcpy(m, p, n);
		d.data = m;
		d.len = n;
	}
	return d;
}

/* The key shared with the device (ECDH of the controller's ECDH key and the
 * device's ECDH certificate, sent with ATTEST_REQ_CERT), and its context
 * in cfg->cipherContexts. False when the device sent no ECDH certificate. */
static bool device_cipher(struct build *b)
{
	char *pem = NULL;
	X509 *x = NULL;
	uint8_t px[32], py[32], dh[32], ch[32];
	char key[200];
	Org__Lfedge__Eve__Common__CipherContext *cc;

	if (b->dk_tried)
		return b->dk_ok;
	b->dk_tried = true;
	if (!b->ctl->ecdh_key || !b->ctl->ecdh_pem || attest_device_ecdh_pem(b->db, b->uuid, &pem) < 0)
		return false;
	if (crypto_cert_from_pem(pem, strlen(pem), &x) < 0 ||
	    cipher_ecdh_point(b->ctl->ecdh_key, X509_get0_pubkey(x), px, py) < 0 ||
	    cipher_key_from_point(px, py, b->dk_key) < 0)
		goto out;
	crypto_sha256(pem, strlen(pem), dh);
	crypto_sha256(b->ctl->ecdh_pem, strlen(b->ctl->ecdh_pem), ch);
	snprintf(key, sizeof(key), "cipher|%02x%02x%02x%02x%02x%02x%02x%02x|%02x%02x%02x%02x%02x%02x%02x%02x",
		 dh[0], dh[1], dh[2], dh[3], dh[4], dh[5], dh[6], dh[7], ch[0], ch[1], ch[2], ch[3], ch[4],
		 ch[5], ch[6], ch[7]);
	config_uuid_from(key, strlen(key), b->dk_ctx);
	cc = arena_alloc(&b->a, sizeof(*cc));
	if (!cc)
		goto out;
	org__lfedge__eve__common__cipher_context__init(cc);
	cc->contextid = arena_str(&b->a, b->dk_ctx);
	cc->hashscheme = ORG__LFEDGE__EVE__COMMON__HASH_ALGORITHM__HASH_ALGORITHM_SHA256_16BYTES;
	cc->keyexchangescheme = ORG__LFEDGE__EVE__COMMON__KEY_EXCHANGE_SCHEME__KEA_ECDH;
	cc->encryptionscheme = ORG__LFEDGE__EVE__COMMON__ENCRYPTION_SCHEME__SA_AES_256_CFB;
	cc->devicecerthash = arena_bytes(&b->a, dh, 16);
	cc->controllercerthash = arena_bytes(&b->a, ch, 16);
	PUSH(&b->a, b->cfg->ciphercontexts, b->cfg->n_ciphercontexts, cc);
	b->dk_ok = true;
out:
	OPENSSL_cleanse(px, sizeof(px));
	OPENSSL_cleanse(py, sizeof(py));
	X509_free(x);
	free(pem);
	return b->dk_ok;
}

/* eb sealed to the device; NULL when it cannot be (no ECDH certificate). */
static Org__Lfedge__Eve__Common__CipherBlock *seal_block(struct build *b,
							 const Org__Lfedge__Eve__Common__EncryptionBlock *eb)
{
	size_t len = org__lfedge__eve__common__encryption_block__get_packed_size(eb);
	uint8_t *pt = device_cipher(b) ? malloc(len ? len : 1) : NULL, *ct = NULL, iv[CIPHER_IV_LEN], sha[32];
	Org__Lfedge__Eve__Common__CipherBlock *cb = NULL;

	if (!pt)
		return NULL;
	org__lfedge__eve__common__encryption_block__pack(eb, pt);
	if (cipher_seal(b->dk_key, b->ctl->secrets_nonce_key, pt, len, iv, &ct, sha) == 0 &&
	    (cb = arena_alloc(&b->a, sizeof(*cb))) != NULL) {
		org__lfedge__eve__common__cipher_block__init(cb);
		cb->ciphercontextid = arena_str(&b->a, b->dk_ctx);
		cb->initialvalue = arena_bytes(&b->a, iv, sizeof(iv));
		cb->cipherdata = arena_bytes(&b->a, ct, len);
		cb->cleartextsha256 = arena_bytes(&b->a, sha, sizeof(sha));
	}
	OPENSSL_clear_free(pt, len ? len : 1);
	free(ct);
	return cb;
}

/* A DsContainerRegistry datastore (added on first use): fqdn is
 * docker://host[:port]; credentials go in apiKey/password (EVE's fields);
 * with_root, the controller's root certificate is its dsCertPEM. */
static const char *registry_datastore(struct build *b, const char *fqdn, const char *user, const char *pass,
				      const char *ca, bool with_root)
{
	char key[2048], id[37], path[PATH_MAX + 64], cah[65];
	uint8_t h[32];
	crypto_sha256(ca, strlen(ca), h);
	hexstr_encode(h, sizeof(h), cah);
	snprintf(key, sizeof(key), "registry|%s|%s|%s|%s", fqdn, user, pass, cah);
	config_uuid_from(key, strlen(key), id);
	for (size_t i = 0; i < b->cfg->n_datastores; i++)
		if (!strcmp(b->cfg->datastores[i]->id, id))
			return b->cfg->datastores[i]->id;
	DatastoreConfig *ds = arena_alloc(&b->a, sizeof(*ds));
	if (!ds)
		return "";
	org__lfedge__eve__config__datastore_config__init(ds);
	ds->id = arena_str(&b->a, id);
	ds->dtype = ORG__LFEDGE__EVE__CONFIG__DS_TYPE__DsContainerRegistry;
	ds->fqdn = arena_str(&b->a, fqdn);
	ds->dpath = arena_str(&b->a, "");
	ds->apikey = arena_str(&b->a, user);
	ds->password = arena_str(&b->a, pass);
	if (*user || *pass) {
		/* credentials travel encrypted when the device can decrypt them */
		Org__Lfedge__Eve__Common__EncryptionBlock eb =
		    ORG__LFEDGE__EVE__COMMON__ENCRYPTION_BLOCK__INIT;
		eb.dsapikey = ds->apikey;
		eb.dspassword = ds->password;
		ds->cipherdata = seal_block(b, &eb);
		if (ds->cipherdata)
			ds->apikey = ds->password = (char *)protobuf_c_empty_string;
	}
	uint8_t *pem = NULL;
	size_t len = 0;
	snprintf(path, sizeof(path), "%s/" CTL_CERTS_DIR "/root-certificate.pem", b->ctl->dir);
	if (with_root && fileio_read(path, 64u << 10, &pem, &len) == 0) {
		ProtobufCBinaryData *certs = arena_alloc(&b->a, sizeof(*certs));
		uint8_t *copy = arena_alloc(&b->a, len + 1);
		if (certs && copy) {
			memcpy(copy, pem, len);
			certs->data = copy;
			certs->len = len;
			ds->dscertpem = certs;
			ds->n_dscertpem = 1;
		}
	}
	free(pem);
	if (!with_root && ca[0]) {
		ProtobufCBinaryData *certs = arena_alloc(&b->a, sizeof(*certs));
		char *copy = arena_str(&b->a, ca);
		if (certs && copy) {
			certs->data = (uint8_t *)copy;
			certs->len = strlen(copy);
			ds->dscertpem = certs;
			ds->n_dscertpem = 1;
		}
	}
	PUSH(&b->a, b->cfg->datastores, b->cfg->n_datastores, ds);
	return ds->id;
}

/* Images in an OCI registry: this controller's (/v2/<name>:<tag>) or an
 * external one (docker://host/repo:tag, oci://...). EVE pulls
 * fqdn + "/" + ContentTree.URL. True when url was one of them. */
static bool content_registry(struct build *b, ContentTree *ct, const char *url, const char *user,
			     const char *pass, const char *ca)
{
	char fqdn[600];
	if (!strncmp(url, "/v2/", 4)) {
		snprintf(fqdn, sizeof(fqdn), "docker://%s", b->ctl->fqdn);
		ct->dsid = (char *)registry_datastore(b, fqdn, "", "", "", true);
		ct->url = arena_str(&b->a, url + 4);
	} else if (!strncmp(url, "docker://", 9) || !strncmp(url, "oci://", 6)) {
		const char *host = strstr(url, "://") + 3, *slash = strchr(host, '/');
		if (!slash)
			return false;
		char *clear = NULL; /* the password is stored sealed (images.c) */
		snprintf(fqdn, sizeof(fqdn), "%.*s", (int)(slash - url), url);
		if (*pass && secrets_open(b->ctl, pass, &clear) < 0)
			clear = NULL;
		ct->dsid = (char *)registry_datastore(b, fqdn, user, clear ? clear : "", ca, false);
		if (clear)
			OPENSSL_clear_free(clear, strlen(clear) + 1);
		ct->url = arena_str(&b->a, slash + 1);
	} else {
		return false;
	}
	PUSH(&b->a, ct->ds_ids_list, ct->n_ds_ids_list, ct->dsid);
	return true;
}

/* The image's publisher signature (EVE's SignatureInfo), when it has one. */
static void content_signature(struct build *b, ContentTree *ct, const char *sig, const char *signer,
			      const char *inter)
{
	Org__Lfedge__Eve__Config__SignatureInfo *si;
	uint8_t *der = NULL;
	size_t dl = 0;

	if (!sig || !*sig || b64_decode(sig, strlen(sig), &der, &dl) < 0)
		return;
	si = arena_alloc(&b->a, sizeof(*si));
	uint8_t *copy = arena_alloc(&b->a, dl ? dl : 1);
	if (si && copy) {
		org__lfedge__eve__config__signature_info__init(si);
		memcpy(copy, der, dl);
		si->signature.data = copy;
		si->signature.len = dl;
		si->signercerturl = arena_str(&b->a, signer ? signer : "");
		si->intercertsurl = arena_str(&b->a, inter ? inter : "");
		ct->siginfo = si;
	}
	free(der);
}

struct content_ctx {
	struct build *b;
	ContentTree *ct;
};

/* The ContentTree of one images row (images.h). */
static int content_tree_row(void *ctx, const struct images_row *img)
{
	struct content_ctx *cc = ctx;
	struct build *b = cc->b;
	ContentTree *ct = arena_alloc(&b->a, sizeof(*ct));
	if (!ct)
		return -ENOMEM;
	org__lfedge__eve__config__content_tree__init(ct);
	ct->uuid = arena_str(&b->a, img->id);
	ct->displayname = arena_str(&b->a, img->name);
	ct->iformat = image_format(img->format);
	ct->sha256 = arena_str(&b->a, img->sha256);
	ct->maxsizebytes = (uint64_t)img->size;
	if (!content_registry(b, ct, img->url, img->reg_user, img->reg_secret, img->reg_ca))
		content_url(b, ct, img->url);
	content_signature(b, ct, img->sig, img->sig_signer_url, img->sig_inter_url);
	PUSH(&b->a, b->cfg->contentinfo, b->cfg->n_contentinfo, ct);
	cc->ct = ct;
	return 0;
}

/* ContentTree for image id (added once); NULL if the image is gone. */
static ContentTree *content_tree(struct build *b, const char *image_id)
{
	for (size_t i = 0; i < b->cfg->n_contentinfo; i++)
		if (!strcmp(b->cfg->contentinfo[i]->uuid, image_id))
			return b->cfg->contentinfo[i];
	struct content_ctx cc = {b, NULL};
	return images_get(b->db, image_id, content_tree_row, &cc) == 0 ? cc.ct : NULL;
}

static int cmp_strp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Config items, sorted by key: the project's, under the device's own
 * (both rows hold them as JSON). */
static void add_config_items(struct build *b, const char *project_json, const char *items_json)
{
	json_t *o = json_loads(project_json, 0, NULL), *dev = json_loads(items_json, 0, NULL);
	if (!json_is_object(o) || !json_is_object(dev)) {
		json_decref(o);
		json_decref(dev);
		return;
	}
	json_object_update(o, dev);
	json_decref(dev);
	size_t n = json_object_size(o), k = 0;
	const char **keys = n ? calloc(n, sizeof(char *)) : NULL;
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v) if (keys && k < n) keys[k++] = key;
	if (k > 1)
		qsort(keys, k, sizeof(char *), cmp_strp);
	for (size_t i = 0; i < k; i++) {
		ConfigItem *ci = arena_alloc(&b->a, sizeof(*ci));
		if (!ci)
			break;
		org__lfedge__eve__config__config_item__init(ci);
		ci->key = arena_str(&b->a, keys[i]);
		ci->value = arena_str(&b->a, json_string_value(json_object_get(o, keys[i])) ?: "");
		PUSH(&b->a, b->cfg->configitems, b->cfg->n_configitems, ci);
	}
	free(keys);
	json_decref(o);
}

/* The publisher keys every device trusts besides its own (trustkeys.c),
 * as config items images.trust.key.NAME (the device's trustkeys.h). */
static int trust_key_item(void *ctx, const char *name, const char *spki)
{
	struct build *b = ctx;
	ConfigItem *ci = arena_alloc(&b->a, sizeof(*ci));
	char key[64];

	if (!ci)
		return -ENOMEM;
	org__lfedge__eve__config__config_item__init(ci);
	snprintf(key, sizeof(key), TRUSTKEYS_ITEM_PREFIX "%.40s", name);
	ci->key = arena_str(&b->a, key);
	ci->value = arena_str(&b->a, spki);
	PUSH(&b->a, b->cfg->configitems, b->cfg->n_configitems, ci);
	return 0;
}

static void add_trust_keys(struct build *b)
{
	/* (void): a failed read leaves the keys out; the arena's error or a
	 * store error fails the whole build elsewhere */
	(void)trustkeys_each(b->db, trust_key_item, b);
}

/* Gateway = first host address of an IPv4 CIDR ("" when not IPv4). */
static void subnet_gateway(const char *cidr, char out[INET_ADDRSTRLEN])
{
	char ip[INET_ADDRSTRLEN];
	out[0] = 0;
	const char *slash = strchr(cidr, '/');
	if (!slash || (size_t)(slash - cidr) >= sizeof(ip))
		return;
	memcpy(ip, cidr, (size_t)(slash - cidr));
	ip[slash - cidr] = 0;
	struct in_addr a;
	int bits = atoi(slash + 1);
	if (inet_pton(AF_INET, ip, &a) != 1 || bits < 1 || bits > 30)
		return;
	uint32_t mask = bits == 32 ? 0xffffffffu : ~((1u << (32 - bits)) - 1);
	a.s_addr = htonl((ntohl(a.s_addr) & mask) + 1);
	inet_ntop(AF_INET, &a, out, INET_ADDRSTRLEN);
}

static int add_network(void *ctx, const struct networks_row *n)
{
	struct build *b = ctx;
	NetworkInstanceConfig *ni = arena_alloc(&b->a, sizeof(*ni));
	Org__Lfedge__Eve__Common__Ipspec *ip = arena_alloc(&b->a, sizeof(*ip));
	Org__Lfedge__Eve__Config__Adapter *port = arena_alloc(&b->a, sizeof(*port));
	if (!ni || !ip || !port)
		return -ENOMEM;
	org__lfedge__eve__config__network_instance_config__init(ni);
	org__lfedge__eve__common__ipspec__init(ip);
	org__lfedge__eve__config__adapter__init(port);
	ni->uuidandversion = uv(&b->a, n->id, 1);
	ni->displayname = arena_str(&b->a, n->name);
	bool sw = !strcmp(n->type, "switch");
	ni->insttype = sw ? ORG__LFEDGE__EVE__CONFIG__ZNETWORK_INST_TYPE__ZnetInstSwitch
			  : ORG__LFEDGE__EVE__CONFIG__ZNETWORK_INST_TYPE__ZnetInstLocal;
	ni->activate = 1;
	if (*n->port) {
		port->name = arena_str(&b->a, n->port);
		ni->port = port;
	}
	if (!sw && *n->subnet) {
		char gw[INET_ADDRSTRLEN];
		subnet_gateway(n->subnet, gw);
		ni->iptype = ORG__LFEDGE__EVE__CONFIG__ADDRESS_TYPE__IPV4;
		ip->subnet = arena_str(&b->a, n->subnet);
		ip->gateway = arena_str(&b->a, gw);
		ni->ip = ip;
	}
	PUSH(&b->a, b->cfg->networkinstances, b->cfg->n_networkinstances, ni);
	return 0;
}

static void add_networks(struct build *b)
{
	/* (void): as before, what was read before a failure stays */
	(void)networks_each_of_device(b->db, b->uuid, add_network, b);
}

/* userData: base64 of what app_vm_user_data makes of env and user_data
 * (containers: "K=V" lines then user_data; VMs: user_data untouched, env in
 * a cloud-init part of its own). user_data is stored sealed (secrets.c):
 * *secret says it was set, and the caller then sends the whole userData as
 * a CipherBlock. */
static char *app_user_data(struct build *b, const struct app_spec *spec, bool vm, bool *secret)
{
	const char *sealed = spec->user_data;
	char *out = (char *)protobuf_c_empty_string, *ud = NULL;
	struct buf u;

	*secret = sealed && *sealed && secrets_open(b->ctl, sealed, &ud) == 0;
	buf_init(&u, 1u << 20);
	if (app_vm_user_data(spec->env, ud, vm, &u) == 0 && u.len) {
		char *e = b64_encode(u.data, u.len);
		if (e) {
			out = arena_str(&b->a, e);
			OPENSSL_clear_free(e, strlen(e) + 1);
		}
	}
	if (ud)
		OPENSSL_clear_free(ud, strlen(ud) + 1);
	OPENSSL_cleanse(u.data, u.len);
	buf_free(&u);
	return out;
}

/* any-app: boot mode and CPU pinning of a VM (VmConfig.boot_mode, cpus,
 * pin_cpu); the admin API validated them (apps.c). */
static void app_vm_resources(Org__Lfedge__Eve__Config__VmConfig *vm, struct arena *a,
			     const struct app_spec *spec)
{
	const char *pin = spec->cpus_pinned;
	int mode = app_vm_boot_mode(spec->boot);

	vm->boot_mode = mode > 0 ? (Org__Lfedge__Eve__Config__VmBootMode)mode
				 : ORG__LFEDGE__EVE__CONFIG__VM_BOOT_MODE__VM_BOOT_MODE_UNSPECIFIED;
	if (pin && *pin) {
		vm->cpus = arena_str(a, pin);
		vm->pin_cpu = true;
	}
}

static Org__Lfedge__Eve__Config__InstanceOpsCmd *ops(struct arena *a, long long counter)
{
	Org__Lfedge__Eve__Config__InstanceOpsCmd *o = arena_alloc(a, sizeof(*o));
	if (o) {
		org__lfedge__eve__config__instance_ops_cmd__init(o);
		o->counter = (uint32_t)counter;
	}
	return o;
}

static const char *network_id(struct build *b, const char *name)
{
	char id[UUID_STR_LEN];
	return networks_id(b->db, b->uuid, name, id) == 0 ? arena_str(&b->a, id) : NULL;
}

static Org__Lfedge__Eve__Config__ACEMatch *ace_match(struct arena *a, const char *type, const char *value)
{
	Org__Lfedge__Eve__Config__ACEMatch *m = arena_alloc(a, sizeof(*m));
	if (m) {
		org__lfedge__eve__config__acematch__init(m);
		m->type = arena_str(a, type);
		m->value = arena_str(a, value);
	}
	return m;
}

/* Port maps travel as EVE does them: an ACE matching protocol + host port
 * (lport) whose action maps to the app's port. They go on the first adapter,
 * the one on the app's (NAT) network. */
static void app_portmaps(struct build *b, Org__Lfedge__Eve__Config__NetworkAdapter *na,
			 const struct app_spec *spec)
{
	int64_t host, app;
	for (size_t i = 0; app_spec_port(spec, i, &host, &app); i++) {
		Org__Lfedge__Eve__Config__ACE *ace = arena_alloc(&b->a, sizeof(*ace));
		Org__Lfedge__Eve__Config__ACEAction *act = arena_alloc(&b->a, sizeof(*act));
		char *lport = arena_fmt(&b->a, "%lld", (long long)host);
		Org__Lfedge__Eve__Config__ACEMatch *proto = ace_match(&b->a, "protocol", "tcp");
		Org__Lfedge__Eve__Config__ACEMatch *port = ace_match(&b->a, "lport", lport ? lport : "0");
		if (!ace || !act || !proto || !port)
			return;
		org__lfedge__eve__config__ace__init(ace);
		org__lfedge__eve__config__aceaction__init(act);
		act->portmap = true;
		act->appport = (uint32_t)app;
		ace->id = (int32_t)i + 1;
		PUSH(&b->a, ace->matches, ace->n_matches, proto);
		PUSH(&b->a, ace->matches, ace->n_matches, port);
		PUSH(&b->a, ace->actions, ace->n_actions, act);
		PUSH(&b->a, na->acls, na->n_acls, ace);
	}
}

/* The action of an ACL entry (app_acl.h: validated when stored); none =
 * allow. */
static void acl_action(struct build *b, Org__Lfedge__Eve__Config__ACE *ace, const struct app_acl_entry *e)
{
	Org__Lfedge__Eve__Config__ACEAction *act;

	if (!e->action || !(act = arena_alloc(&b->a, sizeof(*act))))
		return;
	org__lfedge__eve__config__aceaction__init(act);
	act->drop = e->drop;
	act->limit = e->limit;
	act->limitrate = e->limitrate;
	act->limitburst = e->limitburst;
	act->limitunit = act->limit ? arena_str(&b->a, e->limitunit) : NULL;
	PUSH(&b->a, ace->actions, ace->n_actions, act);
}

/* The app's ACLs for this network, one ACE per entry; without any, one
 * allow-all ACE (ip 0.0.0.0/0) as EVE controllers send: a device allows
 * an adapter only what its ACEs allow. */
static void app_acls(struct build *b, Org__Lfedge__Eve__Config__NetworkAdapter *na,
		     const struct app_spec *spec, const char *network)
{
	size_t n = 0;
	struct app_acl_entry e;
	Org__Lfedge__Eve__Config__ACE *ace;
	for (size_t i = 0; app_acl_entry(spec->acls, i, &e); i++) {
		if (strcmp(e.network, network))
			continue;
		if (!(ace = arena_alloc(&b->a, sizeof(*ace))))
			return;
		org__lfedge__eve__config__ace__init(ace);
		ace->id = (int32_t)(na->n_acls + 1);
		for (size_t j = 0; j < e.n_matches; j++) {
			Org__Lfedge__Eve__Config__ACEMatch *am =
			    ace_match(&b->a, e.matches[j].type, e.matches[j].value);
			if (am)
				PUSH(&b->a, ace->matches, ace->n_matches, am);
		}
		acl_action(b, ace, &e);
		PUSH(&b->a, na->acls, na->n_acls, ace);
		n++;
	}
	Org__Lfedge__Eve__Config__ACEMatch *all = n ? NULL : ace_match(&b->a, "ip", "0.0.0.0/0");
	if (!all || !(ace = arena_alloc(&b->a, sizeof(*ace))))
		return;
	org__lfedge__eve__config__ace__init(ace);
	ace->id = (int32_t)(na->n_acls + 1);
	ace->name = arena_str(&b->a, "allow-all");
	PUSH(&b->a, ace->matches, ace->n_matches, all);
	PUSH(&b->a, na->acls, na->n_acls, ace);
}

static void app_interfaces(struct build *b, AppInstanceConfig *ac, const struct app_spec *spec)
{
	size_t n = json_array_size(spec->networks);
	for (size_t i = 0; i < n; i++) {
		const char *net = app_spec_network(spec, i);
		const char *nid = net ? network_id(b, net) : NULL;
		Org__Lfedge__Eve__Config__NetworkAdapter *na = nid ? arena_alloc(&b->a, sizeof(*na)) : NULL;
		if (!na)
			continue;
		org__lfedge__eve__config__network_adapter__init(na);
		na->name = arena_fmt(&b->a, "eth%lld", (long long)ac->n_interfaces);
		na->networkid = (char *)nid;
		na->interface_order = (uint32_t)ac->n_interfaces + 1;
		if (ac->n_interfaces == 0)
			app_portmaps(b, na, spec);
		app_acls(b, na, spec, net);
		PUSH(&b->a, ac->interfaces, ac->n_interfaces, na);
	}
}

/* any-app: the I/O adapters assigned to the app (spec "io", checked by
 * app_io.c), by logical label with their PhyIoType. */
static void app_adapters(struct build *b, AppInstanceConfig *ac, const struct app_spec *spec)
{
	size_t n = json_array_size(spec->io);
	for (size_t i = 0; i < n; i++) {
		const char *label = app_spec_io(spec, i);
		Org__Lfedge__Eve__Config__Adapter *ad = arena_alloc(&b->a, sizeof(*ad));
		int t = label ? app_io_type(b->db, b->uuid, label) : -ENOENT;
		if (!ad)
			return;
		org__lfedge__eve__config__adapter__init(ad);
		/* an adapter removed from the model since: the device refuses
		 * the unknown name (never silently dropped here) */
		ad->type = t >= 0 ? (Org__Lfedge__Eve__Common__PhyIoType)t
				  : ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoOther;
		ad->name = arena_str(&b->a, label ? label : "");
		PUSH(&b->a, ac->adapters, ac->n_adapters, ad);
	}
}

/* --- volumes (volumes.c): data volumes of the device ------------------
 * Every volume of the device is sent, used or not, so its data outlives
 * the app that used it; an app refers to its volumes by VolumeRef (with
 * the container mount point). */
static int add_volume(void *ctx, const struct volumes_row *v)
{
	struct build *b = ctx;
	if (b->cfg->n_volumes >= MAX_ITEMS)
		return -E2BIG;
	Volume *vol = arena_alloc(&b->a, sizeof(*vol));
	Org__Lfedge__Eve__Config__VolumeContentOrigin *origin = arena_alloc(&b->a, sizeof(*origin));
	ContentTree *ct = NULL;
	if (!vol || !origin)
		return -ENOMEM;
	org__lfedge__eve__config__volume__init(vol);
	org__lfedge__eve__config__volume_content_origin__init(origin);
	origin->type = ORG__LFEDGE__EVE__CONFIG__VOLUME_CONTENT_ORIGIN_TYPE__VCOT_BLANK;
	if (!strcmp(v->kind, "image") && (ct = content_tree(b, v->image_id))) {
		origin->type = ORG__LFEDGE__EVE__CONFIG__VOLUME_CONTENT_ORIGIN_TYPE__VCOT_DOWNLOAD;
		origin->downloadcontenttreeid = ct->uuid;
	} else if (strcmp(v->kind, "blank")) {
		return 0; /* its image is gone: nothing to build it from */
	}
	vol->uuid = arena_str(&b->a, v->id);
	vol->displayname = arena_str(&b->a, v->name);
	vol->maxsizebytes = v->size_bytes;
	vol->generationcount = v->generation;
	vol->origin = origin;
	PUSH(&b->a, b->cfg->volumes, b->cfg->n_volumes, vol);
	return 0;
}

static void add_volumes(struct build *b)
{
	/* (void): as before, what was read before a failure stays */
	(void)volumes_each_of_device(b->db, b->uuid, add_volume, b);
}

/* The VolumeRefs of an app's data volumes (spec "volumes"), in order. */
static void app_volume_refs(struct build *b, AppInstanceConfig *ac, const struct app_spec *spec)
{
	const char *name, *mount;
	char id[UUID_STR_LEN];
	int64_t generation;
	for (size_t i = 0; app_spec_volume(spec, i, &name, &mount); i++) {
		Org__Lfedge__Eve__Config__VolumeRef *ref = arena_alloc(&b->a, sizeof(*ref));
		if (!ref)
			return;
		org__lfedge__eve__config__volume_ref__init(ref);
		if (volumes_ref(b->db, b->uuid, name, id, &generation) == 0) {
			ref->uuid = arena_str(&b->a, id);
			ref->generationcount = generation;
			ref->mount_dir = arena_str(&b->a, mount);
			PUSH(&b->a, ac->volumereflist, ac->n_volumereflist, ref);
		}
	}
}

/* One app instance: its AppInstanceConfig, Volume and ContentTree. */
static int add_app(void *ctx, const struct apps_instance_row *row)
{
	struct build *b = ctx;
	if (b->cfg->n_apps >= MAX_ITEMS)
		return -E2BIG;
	struct app_spec spec = {0};
	int e = app_spec_load(row->spec, &spec);
	AppInstanceConfig *ac = arena_alloc(&b->a, sizeof(*ac));
	Org__Lfedge__Eve__Config__VmConfig *vm = arena_alloc(&b->a, sizeof(*vm));
	Volume *vol = arena_alloc(&b->a, sizeof(*vol));
	Org__Lfedge__Eve__Config__VolumeContentOrigin *origin = arena_alloc(&b->a, sizeof(*origin));
	Org__Lfedge__Eve__Config__VolumeRef *ref = arena_alloc(&b->a, sizeof(*ref));
	ContentTree *ct = content_tree(b, row->image_id);
	if (e < 0 || !ac || !vm || !vol || !origin || !ref || !ct)
		goto out;
	long long purge = row->purge_counter;
	org__lfedge__eve__config__app_instance_config__init(ac);
	org__lfedge__eve__config__vm_config__init(vm);
	org__lfedge__eve__config__volume__init(vol);
	org__lfedge__eve__config__volume_content_origin__init(origin);
	org__lfedge__eve__config__volume_ref__init(ref);

	origin->type = ORG__LFEDGE__EVE__CONFIG__VOLUME_CONTENT_ORIGIN_TYPE__VCOT_DOWNLOAD;
	origin->downloadcontenttreeid = ct->uuid;
	vol->uuid = arena_str(&b->a, row->volume_id);
	vol->origin = origin;
	vol->generationcount = purge;
	int64_t disk_mb = spec.disk_mb;
	/* A container's rootfs unpacks to more than its (compressed) image:
	 * without disk_mb no size is sent and the device's unpack cap applies. */
	vol->maxsizebytes = disk_mb > 0 ? (int64_t)disk_mb << 20
			    : ct->iformat == ORG__LFEDGE__EVE__CONFIG__FORMAT__CONTAINER
				? 0
				: (int64_t)ct->maxsizebytes;
	vol->displayname = arena_str(&b->a, row->name);
	PUSH(&b->a, b->cfg->volumes, b->cfg->n_volumes, vol);

	int64_t cpus = spec.cpus, mem = spec.memory_mb;
	vm->vcpus = vm->maxcpus = (uint32_t)(cpus > 0 ? cpus : 1);
	vm->memory = vm->maxmem = (uint32_t)((mem > 0 ? mem : 256) * 1024);
	vm->virtualizationmode = ct->iformat == ORG__LFEDGE__EVE__CONFIG__FORMAT__CONTAINER
				     ? ORG__LFEDGE__EVE__CONFIG__VM_MODE__NOHYPER
				     : ORG__LFEDGE__EVE__CONFIG__VM_MODE__HVM;
	vm->enable_vnc = spec.vnc;
	vm->kernel = arena_str(&b->a, spec.kernel ? spec.kernel : "");
	vm->ramdisk = arena_str(&b->a, spec.ramdisk ? spec.ramdisk : "");
	vm->extraargs = arena_str(&b->a, spec.cmdline ? spec.cmdline : "");
	app_vm_resources(vm, &b->a, &spec);

	ac->uuidandversion = uv_str(&b->a, row->id, row->generation);
	ac->displayname = arena_str(&b->a, row->name);
	ac->fixedresources = vm;
	ac->activate = row->activate;
	ac->restart = ops(&b->a, row->restart_counter);
	ac->purge = ops(&b->a, purge);
	bool secret = false;
	ac->userdata =
	    app_user_data(b, &spec, ct->iformat != ORG__LFEDGE__EVE__CONFIG__FORMAT__CONTAINER, &secret);
	if (secret) {
		/* user_data is a secret: the whole userData travels as a
		 * CipherBlock (protectedUserData), as EVE's controller sends it */
		Org__Lfedge__Eve__Common__EncryptionBlock eb =
		    ORG__LFEDGE__EVE__COMMON__ENCRYPTION_BLOCK__INIT;
		eb.protecteduserdata = ac->userdata;
		ac->cipherdata = seal_block(b, &eb);
		if (ac->cipherdata)
			ac->userdata = (char *)protobuf_c_empty_string;
		else if (b->ctl->log_device)
			b->ctl->log_device(b->uuid, "app user_data sent unencrypted: the device sent no ECDH "
						    "certificate (ATTEST_REQ_CERT) to encrypt it to");
	}
	ac->remoteconsole = vm->enable_vnc;
	ref->uuid = vol->uuid;
	ref->generationcount = purge;
	PUSH(&b->a, ac->volumereflist, ac->n_volumereflist, ref);
	app_volume_refs(b, ac, &spec);
	app_interfaces(b, ac, &spec);
	app_adapters(b, ac, &spec);
	PUSH(&b->a, b->cfg->apps, b->cfg->n_apps, ac);
out:
	app_spec_free(&spec);
	return 0;
}

static void add_apps(struct build *b)
{
	/* (void): as before, what was read before a failure stays */
	(void)apps_each_instance_of_device(b->db, b->uuid, add_app, b);
}

struct baseos_ctx {
	struct build *b;
	Org__Lfedge__Eve__Config__BaseOS *bo;
};

static int baseos_version(void *ctx, const struct images_row *img)
{
	struct baseos_ctx *c = ctx;
	c->bo->base_os_version = arena_str(&c->b->a, img->version);
	return 0;
}

static void add_baseos(struct build *b, const char *image_id, int activate, long long retry)
{
	ContentTree *ct = content_tree(b, image_id);
	Org__Lfedge__Eve__Config__BaseOS *bo = arena_alloc(&b->a, sizeof(*bo));
	Org__Lfedge__Eve__Config__DeviceOpsCmd *rc = arena_alloc(&b->a, sizeof(*rc));
	if (!ct || !bo || !rc)
		return;
	org__lfedge__eve__config__base_os__init(bo);
	org__lfedge__eve__config__device_ops_cmd__init(rc);
	rc->counter = (uint32_t)retry;
	bo->content_tree_uuid = ct->uuid;
	bo->retry_update = rc;
	bo->activate = activate != 0;
	/* (void): content_tree read the same row; without it, no version */
	struct baseos_ctx vc = {b, bo};
	(void)images_get(b->db, image_id, baseos_version, &vc);
	b->cfg->baseos = bo;
}

/* Sort a repeated field of messages whose first string member is an id. */
static int cmp_ct(const void *x, const void *y)
{
	return strcmp((*(ContentTree *const *)x)->uuid, (*(ContentTree *const *)y)->uuid);
}

static int cmp_ds(const void *x, const void *y)
{
	return strcmp((*(DatastoreConfig *const *)x)->id, (*(DatastoreConfig *const *)y)->id);
}

static int cmp_vol(const void *x, const void *y)
{
	return strcmp((*(Volume *const *)x)->uuid, (*(Volume *const *)y)->uuid);
}

/* --- interoperability: the device hardware model (deviceio.c) ---------
 * deviceIoList: one PhysicalIO per port/adapter of the model;
 * systemAdapterList: one SystemAdapter per IP endpoint (usage mgmt,
 * mgmt-only, shared) naming its PhysicalIO by logical label
 * (lowerLayerName) and a NetworkConfig (networks) with its addressing
 * (DHCP client / static / none), DNS and proxy. EVE's rules: a port is a
 * management port when its PhysicalIO usage is MgmtAndApps or MgmtOnly
 * (SystemAdapter.uplink is the older form of the same fact, kept in step);
 * a static port's address is SystemAdapter.addr within the network's
 * subnet. */

typedef Org__Lfedge__Eve__Config__PhysicalIO PhysicalIO;
typedef Org__Lfedge__Eve__Config__SystemAdapter SystemAdapter;
typedef Org__Lfedge__Eve__Config__NetworkConfig NetworkConfig;

static void add_phyaddr(struct build *b, PhysicalIO *io, const char *key, const char *val)
{
	Org__Lfedge__Eve__Config__PhysicalIO__PhyaddrsEntry *e;

	if (!*val)
		return;
	e = arena_alloc(&b->a, sizeof(*e));
	if (!e)
		return;
	org__lfedge__eve__config__physical_io__phyaddrs_entry__init(e);
	e->key = arena_str(&b->a, key);
	e->value = arena_str(&b->a, val);
	PUSH(&b->a, io->phyaddrs, io->n_phyaddrs, e);
}

static PhysicalIO *io_physical(struct build *b, const struct deviceio_port *p)
{
	PhysicalIO *io = arena_alloc(&b->a, sizeof(*io));

	if (!io)
		return NULL;
	org__lfedge__eve__config__physical_io__init(io);
	io->ptype = p->ptype;
	io->phylabel = arena_str(&b->a, p->phylabel);
	io->logicallabel = arena_str(&b->a, p->logicallabel);
	io->assigngrp = arena_str(&b->a, p->assigngrp);
	io->usage = p->usage;
	/* phyaddrs keys as EVE reads them (map, sorted by key) */
	add_phyaddr(b, io, "ifname", p->ifname);
	add_phyaddr(b, io, "pcilong", p->pcilong);
	add_phyaddr(b, io, "serial", p->serial);
	add_phyaddr(b, io, "usbaddr", p->usbaddr);
	return io;
}

/* "10.1.2.3/24" -> addr "10.1.2.3", subnet "10.1.2.0/24" (IPv6 alike). */
static void io_static(struct build *b, const char *cidr, char **addr, Org__Lfedge__Eve__Common__Ipspec *ip)
{
	char net[INET6_ADDRSTRLEN + 4], a[INET6_ADDRSTRLEN];

	if (ipnet_network(cidr, net, sizeof(net)) < 0)
		return;
	snprintf(a, sizeof(a), "%.*s", (int)strcspn(cidr, "/"), cidr);
	*addr = arena_str(&b->a, a);
	ip->subnet = arena_str(&b->a, net);
}

/* http(s)://host:port -> one ProxyServer each for HTTP and HTTPS traffic. */
static Org__Lfedge__Eve__Common__ProxyConfig *io_proxy(struct build *b, const struct deviceio_port *p)
{
	Org__Lfedge__Eve__Common__ProxyConfig *pc;
	const char *h = strstr(p->proxy, "://"), *colon;
	char host[256];

	if (!h)
		return NULL;
	h += 3;
	colon = strrchr(h, ':');
	if (!colon || (size_t)(colon - h) >= sizeof(host))
		return NULL;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - h), h);
	pc = arena_alloc(&b->a, sizeof(*pc));
	if (!pc)
		return NULL;
	org__lfedge__eve__common__proxy_config__init(pc);
	pc->exceptions = arena_str(&b->a, p->no_proxy);
	for (int i = 0; i < 2; i++) {
		Org__Lfedge__Eve__Common__ProxyServer *ps = arena_alloc(&b->a, sizeof(*ps));
		if (!ps)
			return NULL;
		org__lfedge__eve__common__proxy_server__init(ps);
		ps->proto = i ? ORG__LFEDGE__EVE__COMMON__PROXY_PROTO__PROXY_HTTPS
			      : ORG__LFEDGE__EVE__COMMON__PROXY_PROTO__PROXY_HTTP;
		ps->server = arena_str(&b->a, host);
		ps->port = (uint32_t)atoi(colon + 1);
		PUSH(&b->a, pc->proxies, pc->n_proxies, ps);
	}
	return pc;
}

/* The port's PAC script (base64 as stored and sent). */
static Org__Lfedge__Eve__Common__ProxyConfig *io_pacfile(struct build *b, const struct deviceio_port *p)
{
	Org__Lfedge__Eve__Common__ProxyConfig *pc = arena_alloc(&b->a, sizeof(*pc));

	if (!pc)
		return NULL;
	org__lfedge__eve__common__proxy_config__init(pc);
	pc->pacfile = arena_str(&b->a, p->pacfile);
	return pc;
}

static NetworkConfig *io_network(struct build *b, const struct deviceio_port *p, SystemAdapter *sa)
{
	NetworkConfig *n = arena_alloc(&b->a, sizeof(*n));
	Org__Lfedge__Eve__Common__Ipspec *ip = arena_alloc(&b->a, sizeof(*ip));
	char seed[128], id[37], tmp[sizeof(p->dns)], *save = NULL;

	if (!n || !ip)
		return NULL;
	org__lfedge__eve__config__network_config__init(n);
	org__lfedge__eve__common__ipspec__init(ip);
	snprintf(seed, sizeof(seed), "deviceio:%s:%s", b->uuid, p->phylabel);
	config_uuid_from(seed, strlen(seed), id);
	n->id = arena_str(&b->a, id);
	n->type = strchr(p->ip, ':') ? ORG__LFEDGE__EVE__COMMON__NETWORK_TYPE__V6
				     : ORG__LFEDGE__EVE__COMMON__NETWORK_TYPE__V4;
	ip->dhcp = !strcmp(p->dhcp, "static") ? ORG__LFEDGE__EVE__COMMON__DHCPTYPE__Static
		   : !strcmp(p->dhcp, "none") ? ORG__LFEDGE__EVE__COMMON__DHCPTYPE__DHCPNone
					      : ORG__LFEDGE__EVE__COMMON__DHCPTYPE__Client;
	if (ip->dhcp == ORG__LFEDGE__EVE__COMMON__DHCPTYPE__Static) {
		io_static(b, p->ip, &sa->addr, ip);
		ip->gateway = arena_str(&b->a, p->gateway);
	}
	snprintf(tmp, sizeof(tmp), "%s", p->dns);
	for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save))
		PUSH(&b->a, ip->dns, ip->n_dns, arena_str(&b->a, t));
	n->ip = ip;
	if (p->proxy[0])
		n->entproxy = io_proxy(b, p);
	else if (p->pacfile[0])
		n->entproxy = io_pacfile(b, p);
	sa->networkuuid = n->id;
	return n;
}

static void add_device_io(struct build *b)
{
	struct deviceio_port *ports = NULL;
	size_t n = 0;

	if (deviceio_list(b->db, b->uuid, &ports, &n) < 0) {
		b->a.err = -EIO;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct deviceio_port *p = &ports[i];
		SystemAdapter *sa;

		PUSH(&b->a, b->cfg->deviceiolist, b->cfg->n_deviceiolist, io_physical(b, p));
		if (!deviceio_is_endpoint(p))
			continue;
		sa = arena_alloc(&b->a, sizeof(*sa));
		if (!sa)
			break;
		org__lfedge__eve__config__system_adapter__init(sa);
		sa->name = arena_str(&b->a, p->logicallabel);
		sa->lowerlayername = arena_str(&b->a, p->logicallabel);
		sa->uplink = deviceio_is_mgmt(p);
		sa->freeuplink = deviceio_is_mgmt(p) && p->cost == 0;
		sa->cost = p->cost;
		PUSH(&b->a, b->cfg->networks, b->cfg->n_networks, io_network(b, p, sa));
		PUSH(&b->a, b->cfg->systemadapterlist, b->cfg->n_systemadapterlist, sa);
	}
	free(ports);
}

/* Changes whenever the certificates served by /certs change (EVE then
 * fetches /certs again): SHA-256 of the signing and ECDH PEMs. */
static void add_certs_hash(struct build *b)
{
	uint8_t h[CRYPTO_SHA256_LEN];
	char hex[2 * CRYPTO_SHA256_LEN + 1];
	struct buf pems;

	buf_init(&pems, 1u << 20);
	if (buf_printf(&pems, "%s%s", b->ctl->signer.cert_pem, b->ctl->ecdh_pem ? b->ctl->ecdh_pem : "") ==
		0 &&
	    crypto_sha256(pems.data, pems.len, h) == 0) {
		hexstr_encode(h, sizeof(h), hex);
		b->cfg->controllercert_confighash = arena_str(&b->a, hex);
	}
	buf_free(&pems);
}

/* Edge-view (remote consoles, console.c): while the device has a live
 * console session, its token and the app policy. */
static void add_edgeview(struct build *b)
{
	char *tok = NULL;
	uint32_t gen = 0;
	if (!b->ctl->edgeview_token || b->ctl->edgeview_token(b->ctl, b->db, b->uuid, &tok, &gen) < 0)
		return;
	Org__Lfedge__Eve__Config__EdgeViewConfig *ev = arena_alloc(&b->a, sizeof(*ev));
	Org__Lfedge__Eve__Config__AppDebugAccessPolicy *ap = arena_alloc(&b->a, sizeof(*ap));
	Org__Lfedge__Eve__Config__DevDebugAccessPolicy *dp = arena_alloc(&b->a, sizeof(*dp));
	if (ev && ap && dp) {
		org__lfedge__eve__config__edge_view_config__init(ev);
		org__lfedge__eve__config__app_debug_access_policy__init(ap);
		org__lfedge__eve__config__dev_debug_access_policy__init(dp);
		ev->token = arena_str(&b->a, tok);
		ap->allow_app = true; /* sessions are per app; none on the device itself */
		ev->app_policy = ap;
		ev->dev_policy = dp;
		ev->generation_id = gen;
		b->cfg->edgeview = ev;
	}
	free(tok);
}

struct device_ctx {
	struct build *b;
	Org__Lfedge__Eve__Config__DeviceOpsCmd *reboot;
	char *items, *project_items, *baseos;
	int activate;
	long long retry;
};

/* The device's own row (devices_store.h): config id, reboot counter,
 * config items and base OS. */
static int device_row(void *ctx, const struct devices_config_row *row)
{
	struct device_ctx *dc = ctx;
	struct build *b = dc->b;
	b->cfg = arena_alloc(&b->a, sizeof(*b->cfg));
	dc->reboot = arena_alloc(&b->a, sizeof(*dc->reboot));
	if (!b->cfg || !dc->reboot)
		return -ENOMEM;
	org__lfedge__eve__config__edge_dev_config__init(b->cfg);
	org__lfedge__eve__config__device_ops_cmd__init(dc->reboot);
	b->cfg->id = uv(&b->a, b->uuid, row->config_version);
	dc->reboot->counter = (uint32_t)row->reboot_counter;
	dc->reboot->desiredstate = 1;
	b->cfg->reboot = dc->reboot;
	dc->items = arena_str(&b->a, row->config_items);
	dc->project_items = arena_str(&b->a, row->project_items);
	dc->baseos = row->baseos_image ? arena_str(&b->a, row->baseos_image) : NULL;
	dc->activate = row->baseos_activate;
	dc->retry = row->baseos_retry;
	return 0;
}

static int build_config(struct build *b)
{
	struct device_ctx dc = {.b = b};
	int r = devices_store_config_row(b->db, b->uuid, device_row, &dc);
	if (r < 0)
		return r;
	char *items = dc.items, *project_items = dc.project_items, *baseos = dc.baseos;
	int activate = dc.activate;
	long long retry = dc.retry;

	add_config_items(b, project_items, items);
	add_trust_keys(b);
	add_networks(b);
	add_device_io(b); /* interoperability */
	add_certs_hash(b);
	add_apps(b);
	add_volumes(b);
	add_edgeview(b);
	if (baseos && *baseos)
		add_baseos(b, baseos, activate, retry);
	EdgeDevConfig *c = b->cfg;
	if (c->n_contentinfo > 1)
		qsort(c->contentinfo, c->n_contentinfo, sizeof(void *), cmp_ct);
	if (c->n_datastores > 1)
		qsort(c->datastores, c->n_datastores, sizeof(void *), cmp_ds);
	if (c->n_volumes > 1)
		qsort(c->volumes, c->n_volumes, sizeof(void *), cmp_vol);
	return b->a.err;
}

int config_build_envelope(struct ctl *c, struct store *d, const char *uuid, uint8_t **env, size_t *len,
			  char hash[CONFIGHASH_LEN])
{
	struct build b = {.ctl = c, .db = d, .uuid = uuid};
	uint8_t *packed = NULL;
	int r = build_config(&b);
	if (r == 0)
		r = confighash_message(&b.cfg->base, hash);
	if (r < 0)
		goto out;
	Org__Lfedge__Eve__Config__ConfigResponse resp = ORG__LFEDGE__EVE__CONFIG__CONFIG_RESPONSE__INIT;
	resp.config = b.cfg;
	resp.confighash = hash;
	size_t n;
	r = pbpack(&resp.base, 0, &packed, &n);
	if (r < 0)
		goto out;
	r = envelope_seal(&c->signer, packed, n, false, env, len);
out:
	free(packed);
	arena_free(&b.a);
	return r;
}

int config_build_bootstrap(struct ctl *c, struct store *d, const char *uuid, uint8_t **out, size_t *len)
{
	struct build b = {.ctl = c, .db = d, .uuid = uuid};
	uint8_t *packed = NULL;
	size_t n = 0;
	int r = build_config(&b);
	if (r < 0)
		goto out;
	r = pbpack(&b.cfg->base, 0, &packed, &n);
	if (r < 0)
		goto out;
	r = bootstrap_seal(&c->signer, packed, n, out, len);
out:
	free(packed);
	arena_free(&b.a);
	return r;
}

int config_build_json(struct ctl *c, struct store *d, const char *uuid, json_t **out)
{
	struct build b = {.ctl = c, .db = d, .uuid = uuid};
	char hash[CONFIGHASH_LEN];
	int r = build_config(&b);
	if (r == 0)
		r = confighash_message(&b.cfg->base, hash);
	json_t *j = r == 0 ? pbjson_from_message(&b.cfg->base) : NULL;
	if (r == 0 && !j)
		r = -ENOMEM;
	if (r == 0) {
		json_object_set_new(j, "configHash", json_string(hash));
		*out = j;
	}
	arena_free(&b.a);
	return r;
}
