// SPDX-License-Identifier: Apache-2.0
/* The EVE API protos: every message round-trips, bad bytes never crash the
 * decoder, and hand-built wire bytes (written from the public field numbers)
 * decode to the expected fields, so a wrong number or type fails here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto_testutil.h"

#define UNPACK(type, prefix, bytes)                                                                          \
	((type *)protobuf_c_message_unpack(&prefix##__descriptor, NULL, sizeof(bytes), bytes))

static bool msg_listed(const ProtobufCMessageDescriptor *d)
{
	for (size_t i = 0; i < PT_N_MSGS; i++)
		if (PT_ALL_MSGS[i] == d)
			return true;
	return false;
}

/* Every message type referenced by a listed one is listed too. */
static void test_list_complete(void **state)
{
	for (size_t i = 0; i < PT_N_MSGS; i++) {
		const ProtobufCMessageDescriptor *d = PT_ALL_MSGS[i];

		for (unsigned f = 0; f < d->n_fields; f++)
			if (d->fields[f].type == PROTOBUF_C_TYPE_MESSAGE &&
			    !msg_listed(d->fields[f].descriptor)) {
				fprintf(stderr, "%s.%s: type not in PT_ALL_MSGS\n", d->name,
					d->fields[f].name);
				fail();
			}
	}
	assert_true(PT_N_MSGS > 100);
}

static void test_roundtrip_all(void **state)
{
	for (size_t i = 0; i < PT_N_MSGS; i++) {
		const ProtobufCMessageDescriptor *d = PT_ALL_MSGS[i];
		ProtobufCMessage *m = pt_fill(d, 0, 1), *u;
		size_t len;
		uint8_t *buf = pt_pack(m, &len);

		if (d->n_fields > 0)
			assert_true(len > 0);
		u = protobuf_c_message_unpack(d, NULL, len, buf);
		if (!u)
			fprintf(stderr, "%s: unpack failed\n", d->name);
		assert_non_null(u);
		assert_true(pt_same(m, u));
		protobuf_c_message_free_unpacked(u, NULL);
		protobuf_c_message_free_unpacked(m, NULL);
		free(buf);
	}
}

/* Every prefix decodes or fails cleanly; dropping the last byte always cuts
 * a field and must fail. */
static void test_truncated(void **state)
{
	for (size_t i = 0; i < PT_N_MSGS; i++) {
		const ProtobufCMessageDescriptor *d = PT_ALL_MSGS[i];
		ProtobufCMessage *m = pt_fill(d, 0, 2);
		size_t len;
		uint8_t *buf = pt_pack(m, &len);

		for (size_t cut = 0; cut < len; cut++) {
			/* A heap copy of exactly cut bytes so ASan sees any overread. */
			uint8_t *part = pt_xmalloc(cut);
			ProtobufCMessage *u;

			memcpy(part, buf, cut);
			u = protobuf_c_message_unpack(d, NULL, cut, part);
			if (cut == len - 1)
				assert_null(u);
			protobuf_c_message_free_unpacked(u, NULL);
			free(part);
		}
		protobuf_c_message_free_unpacked(m, NULL);
		free(buf);
	}
}

static void test_garbage(void **state)
{
	static const uint8_t bad_varint[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
					     0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t bad_wiretype[] = {0x0f, 0x01};
	static const uint8_t past_end[] = {0x0a, 0x05, 0x01};
	static const uint8_t field_zero[] = {0x00, 0x01};
	static const uint8_t bad_sub[] = {0x0a, 0x03, 0x0a, 0x09, 0x01}; /* sub-message overruns */
	const ProtobufCMessageDescriptor *cfg = &org__lfedge__eve__config__edge_dev_config__descriptor;
	uint32_t rnd = 12345;

	assert_null(protobuf_c_message_unpack(cfg, NULL, sizeof(bad_varint), bad_varint));
	assert_null(protobuf_c_message_unpack(cfg, NULL, sizeof(bad_wiretype), bad_wiretype));
	assert_null(protobuf_c_message_unpack(cfg, NULL, sizeof(past_end), past_end));
	assert_null(protobuf_c_message_unpack(cfg, NULL, sizeof(field_zero), field_zero));
	assert_null(protobuf_c_message_unpack(cfg, NULL, sizeof(bad_sub), bad_sub));
	assert_null(protobuf_c_message_unpack(&org__lfedge__eve__auth__auth_container__descriptor, NULL,
					      sizeof(bad_sub), bad_sub));

	/* Random bytes against every type: must not crash or leak. */
	for (size_t i = 0; i < PT_N_MSGS; i++)
		for (int round = 0; round < 20; round++) {
			uint8_t *buf;
			size_t len;
			ProtobufCMessage *u;

			rnd = rnd * 1103515245u + 12345u;
			len = 1 + (rnd >> 16) % 64;
			buf = pt_xmalloc(len);
			for (size_t k = 0; k < len; k++) {
				rnd = rnd * 1103515245u + 12345u;
				buf[k] = (uint8_t)(rnd >> 16);
			}
			u = protobuf_c_message_unpack(PT_ALL_MSGS[i], NULL, len, buf);
			protobuf_c_message_free_unpacked(u, NULL);
			free(buf);
		}
}

/* ---------------------------------------------------------------------- */
/* Fixed vectors: bytes written by hand from the public field numbers. */

static void test_vector_auth(void **state)
{
	static const uint8_t b[] = {
	    0x0a, 0x05, 0x0a, 0x03, 'a', 'b', 'c', /* 1 protectedPayload { 1 payload } */
	    0x10, 0x02,                            /* 2 algo = SHA256_32BYTES */
	    0x1a, 0x02, 0xde, 0xad,                /* 3 senderCertHash */
	    0x22, 0x01, 0x01,                      /* 4 signatureHash */
	    0x2a, 0x02, 'P',  'M',                 /* 5 senderCert */
	};
	Org__Lfedge__Eve__Auth__AuthContainer *m =
	    UNPACK(Org__Lfedge__Eve__Auth__AuthContainer, org__lfedge__eve__auth__auth_container, b);

	assert_non_null(m);
	assert_non_null(m->protectedpayload);
	assert_int_equal(m->protectedpayload->payload.len, 3);
	assert_memory_equal(m->protectedpayload->payload.data, "abc", 3);
	assert_int_equal(m->algo, ORG__LFEDGE__EVE__COMMON__HASH_ALGORITHM__HASH_ALGORITHM_SHA256_32BYTES);
	assert_int_equal(m->algo, 2);
	assert_int_equal(m->sendercerthash.len, 2);
	assert_int_equal(m->sendercerthash.data[0], 0xde);
	assert_int_equal(m->signaturehash.len, 1);
	assert_int_equal(m->sendercert.len, 2);
	assert_memory_equal(m->sendercert.data, "PM", 2);
	protobuf_c_message_free_unpacked(&m->base, NULL);
}

static void test_vector_certs(void **state)
{
	static const uint8_t b[] = {
	    0x0a, 0x0e,             /* 1 certs[0] */
	    0x08, 0x01,             /*   1 hashAlgo = SHA256_16BYTES */
	    0x12, 0x01, 0xaa,       /*   2 certHash */
	    0x18, 0x01,             /*   3 type = CONTROLLER_SIGNING */
	    0x22, 0x01, 'C',        /*   4 cert */
	    0x2a, 0x02, 0x08, 0x01, /*   5 attributes { 1 is_mutable } */
	    0x0a, 0x02, 0x18, 0x0a, /* 1 certs[1] { 3 type = DEVICE_ONBOARDING } */
	};
	Org__Lfedge__Eve__Certs__ZControllerCert *m =
	    UNPACK(Org__Lfedge__Eve__Certs__ZControllerCert, org__lfedge__eve__certs__zcontroller_cert, b);

	assert_non_null(m);
	assert_int_equal(m->n_certs, 2);
	assert_int_equal(m->certs[0]->hashalgo, 1);
	assert_int_equal(m->certs[0]->certhash.data[0], 0xaa);
	assert_int_equal(m->certs[0]->type,
			 ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_SIGNING);
	assert_int_equal(m->certs[0]->cert.len, 1);
	assert_non_null(m->certs[0]->attributes);
	assert_true(m->certs[0]->attributes->is_mutable);
	assert_false(m->certs[0]->attributes->is_tpm);
	assert_int_equal(m->certs[1]->type, ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_DEVICE_ONBOARDING);
	assert_int_equal(ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_DEVICE_ONBOARDING, 10);
	assert_int_equal(ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_INTERMEDIATE, 2);
	assert_int_equal(ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_ECDH_EXCHANGE, 3);
	assert_int_equal(ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_DEVICE_RESTRICTED_SIGNING, 11);
	protobuf_c_message_free_unpacked(&m->base, NULL);
}

static void test_vector_register_uuid(void **state)
{
	static const uint8_t reg[] = {0x12, 0x03, 'P', 'E', 'M', 0x1a, 0x02, 'S', '1', 0x22, 0x01, 'X'};
	static const uint8_t uu[] = {0x0a, 0x01, 'u', 0x12, 0x01, 'm', 0x1a, 0x01, 'p'};
	Org__Lfedge__Eve__Register__ZRegisterMsg *r =
	    UNPACK(Org__Lfedge__Eve__Register__ZRegisterMsg, org__lfedge__eve__register__zregister_msg, reg);
	Org__Lfedge__Eve__Uuid__UuidResponse *u =
	    UNPACK(Org__Lfedge__Eve__Uuid__UuidResponse, org__lfedge__eve__uuid__uuid_response, uu);

	assert_non_null(r);
	assert_int_equal(r->pemcert.len, 3);
	assert_memory_equal(r->pemcert.data, "PEM", 3);
	assert_string_equal(r->serial, "S1");
	assert_string_equal(r->softserial, "X");
	assert_string_equal(r->onboardkey, "");
	assert_non_null(u);
	assert_string_equal(u->uuid, "u");
	assert_string_equal(u->manufacturer, "m");
	assert_string_equal(u->product_name, "p");
	protobuf_c_message_free_unpacked(&r->base, NULL);
	protobuf_c_message_free_unpacked(&u->base, NULL);
}

static void check_config_app(const Org__Lfedge__Eve__Config__AppInstanceConfig *a)
{
	assert_string_equal(a->uuidandversion->uuid, "a");
	assert_string_equal(a->displayname, "n");
	assert_int_equal(a->fixedresources->memory, 1024);
	assert_int_equal(a->fixedresources->vcpus, 2);
	assert_int_equal(a->fixedresources->virtualizationmode, ORG__LFEDGE__EVE__CONFIG__VM_MODE__HVM);
	assert_true(a->activate);
	assert_int_equal(a->n_interfaces, 1);
	assert_string_equal(a->interfaces[0]->networkid, "N");
	assert_int_equal(a->restart->counter, 3);
	assert_null(a->purge);
	assert_int_equal(a->n_volumereflist, 1);
	assert_string_equal(a->volumereflist[0]->uuid, "v");
}

static void check_config_storage(const Org__Lfedge__Eve__Config__EdgeDevConfig *m)
{
	assert_int_equal(m->n_datastores, 1);
	assert_string_equal(m->datastores[0]->id, "s");
	assert_int_equal(m->datastores[0]->dtype, ORG__LFEDGE__EVE__CONFIG__DS_TYPE__DsHttps);
	assert_string_equal(m->datastores[0]->fqdn, "h");
	assert_int_equal(m->n_contentinfo, 1);
	assert_string_equal(m->contentinfo[0]->uuid, "c");
	assert_string_equal(m->contentinfo[0]->url, "u");
	assert_int_equal(m->contentinfo[0]->iformat, ORG__LFEDGE__EVE__CONFIG__FORMAT__QCOW2);
	assert_string_equal(m->contentinfo[0]->sha256, "ab");
	assert_int_equal(m->contentinfo[0]->maxsizebytes, 300);
	assert_int_equal(m->n_volumes, 1);
	assert_string_equal(m->volumes[0]->uuid, "v");
	assert_int_equal(m->volumes[0]->origin->type,
			 ORG__LFEDGE__EVE__CONFIG__VOLUME_CONTENT_ORIGIN_TYPE__VCOT_DOWNLOAD);
	assert_string_equal(m->volumes[0]->origin->downloadcontenttreeid, "c");
	assert_int_equal(m->volumes[0]->maxsizebytes, 1);
	assert_true(m->volumes[0]->readonly);
}

static void test_vector_config(void **state)
{
	static const uint8_t b[] = {
	    0x0a, 0x06, 0x0a, 0x01, 'd',  0x12, 0x01, '7',        /* 1 id { uuid, version } */
	    0x22, 0x22,                                           /* 4 apps[0], 34 bytes */
	    0x0a, 0x03, 0x0a, 0x01, 'a',                          /*   1 uuidandversion */
	    0x12, 0x01, 'n',                                      /*   2 displayname */
	    0x1a, 0x07, 0x18, 0x80, 0x08, 0x28, 0x02, 0x78, 0x01, /* 3 fixedresources {3 memory, 5 vcpus, 15
								     mode} */
	    0x28, 0x01,                                           /*   5 activate */
	    0x32, 0x03, 0x1a, 0x01, 'N',                          /*   6 interfaces { 3 networkId } */
	    0x4a, 0x02, 0x10, 0x03,                               /*   9 restart { 2 counter } */
	    0x82, 0x01, 0x03, 0x0a, 0x01, 'v',                    /*   16 volumeRefList { 1 uuid } */
	    0x32, 0x09, 0xa2, 0x06, 0x01, 's',  0x08, 0x02, 0x12, 0x01,
	    'h',                                                 /* 6 datastores {100 id, 1 dType, 2 fqdn} */
	    0x42, 0x03, 0x52, 0x01, 'b',                         /* 8 base { 10 baseOSVersion } */
	    0x4a, 0x02, 0x10, 0x05,                              /* 9 reboot { 2 counter } */
	    0x5a, 0x06, 0x0a, 0x01, 'k',  0x12, 0x01, 'v',       /* 11 configItems */
	    0x82, 0x01, 0x10,                                    /* 16 networkInstances[0] */
	    0x0a, 0x03, 0x0a, 0x01, 'i',                         /*   1 uuidandversion */
	    0x20, 0x02,                                          /*   4 instType = Local */
	    0xa2, 0x01, 0x06, 0x12, 0x04, 'e',  't',  'h',  '0', /* 20 port { 2 name } */
	    0xa2, 0x01, 0x0f,                                    /* 20 contentInfo[0] */
	    0x0a, 0x01, 'c',  0x1a, 0x01, 'u',  0x20, 0x03,      /*   1 uuid, 3 URL, 4 iformat = QCOW2 */
	    0x2a, 0x02, 'a',  'b',  0x30, 0xac, 0x02,            /*   5 sha256, 6 maxSizeBytes = 300 */
	    0xaa, 0x01, 0x0e,                                    /* 21 volumes[0] */
	    0x0a, 0x01, 'v',                                     /*   1 uuid */
	    0x12, 0x05, 0x08, 0x02, 0x12, 0x01, 'c',             /*   2 origin { 1 type, 2 contentTreeID } */
	    0x28, 0x01, 0x30, 0x01,                              /*   5 maxsizebytes, 6 readonly */
	    0xb2, 0x01, 0x01, 'h',                               /* 22 controllercert_confighash */
	    0xc0, 0x01, 0x01,                                    /* 24 maintenance_mode */
	    0xd2, 0x01, 0x0c,                                    /* 26 baseos */
	    0x0a, 0x01, 'c',  0x12, 0x02, 0x10, 0x01,            /*   1 content_tree_uuid, 2 retry_update */
	    0x18, 0x01, 0x22, 0x01, '9',                         /*   3 activate, 4 base_os_version */
	    0x9a, 0x02, 0x02, 'd',  'n',                         /* 35 device_name */
	};
	Org__Lfedge__Eve__Config__EdgeDevConfig *m =
	    UNPACK(Org__Lfedge__Eve__Config__EdgeDevConfig, org__lfedge__eve__config__edge_dev_config, b);

	assert_non_null(m);
	assert_string_equal(m->id->uuid, "d");
	assert_string_equal(m->id->version, "7");
	assert_int_equal(m->n_apps, 1);
	check_config_app(m->apps[0]);
	check_config_storage(m);
	assert_int_equal(m->n_legacy_base, 1);
	assert_string_equal(m->legacy_base[0]->baseosversion, "b");
	assert_int_equal(m->reboot->counter, 5);
	assert_null(m->backup);
	assert_int_equal(m->n_configitems, 1);
	assert_string_equal(m->configitems[0]->key, "k");
	assert_string_equal(m->configitems[0]->value, "v");
	assert_int_equal(m->n_networkinstances, 1);
	assert_string_equal(m->networkinstances[0]->uuidandversion->uuid, "i");
	assert_int_equal(m->networkinstances[0]->insttype,
			 ORG__LFEDGE__EVE__CONFIG__ZNETWORK_INST_TYPE__ZnetInstLocal);
	assert_string_equal(m->networkinstances[0]->port->name, "eth0");
	assert_string_equal(m->controllercert_confighash, "h");
	assert_true(m->maintenance_mode);
	assert_string_equal(m->baseos->content_tree_uuid, "c");
	assert_int_equal(m->baseos->retry_update->counter, 1);
	assert_true(m->baseos->activate);
	assert_string_equal(m->baseos->base_os_version, "9");
	assert_string_equal(m->device_name, "dn");
	protobuf_c_message_free_unpacked(&m->base, NULL);
}

static void test_vector_config_request(void **state)
{
	static const uint8_t req[] = {0x0a, 0x01, 'x', 0x12, 0x01, 0x01};
	static const uint8_t resp[] = {0x0a, 0x02, 0xb2, 0x01,
				       0x12, 0x01, 'y'}; /* config{} truncated field */
	static const uint8_t resp_ok[] = {0x0a, 0x04, 0x0a, 0x02, 0x0a, 0x00, 0x12, 0x01, 'y'};
	Org__Lfedge__Eve__Config__ConfigRequest *r =
	    UNPACK(Org__Lfedge__Eve__Config__ConfigRequest, org__lfedge__eve__config__config_request, req);
	Org__Lfedge__Eve__Config__ConfigResponse *p;

	assert_non_null(r);
	assert_string_equal(r->confighash, "x");
	assert_int_equal(r->integrity_token.len, 1);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	assert_null(protobuf_c_message_unpack(&org__lfedge__eve__config__config_response__descriptor, NULL,
					      sizeof(resp), resp));
	p = UNPACK(Org__Lfedge__Eve__Config__ConfigResponse, org__lfedge__eve__config__config_response,
		   resp_ok);
	assert_non_null(p);
	assert_non_null(p->config);
	assert_string_equal(p->config->id->uuid, "");
	assert_string_equal(p->confighash, "y");
	protobuf_c_message_free_unpacked(&p->base, NULL);
}

static void test_vector_info_device(void **state)
{
	static const uint8_t b[] = {
	    0x08, 0x01,                       /* 1 ztype = ZiDevice */
	    0x12, 0x01, 'd',                  /* 2 devId */
	    0x1a, 0x1a,                       /* 3 dinfo, 26 bytes */
	    0x22, 0x01, 'x',                  /*   4 machineArch */
	    0x38, 0x04,                       /*   7 ncpu */
	    0x40, 0x80, 0x10,                 /*   8 memory = 2048 */
	    0x9a, 0x01, 0x0b,                 /*   19 swList[0] */
	    0x1a, 0x04, 'I',  'M',  'G', 'A', /* 3 partitionLabel */
	    0x30, 0x07,                       /*     6 status = RUNNING */
	    0x3a, 0x01, '1',                  /*     7 shortVersion */
	    0xa2, 0x01, 0x01, 'h',            /*   20 HostName */
	    0x32, 0x02, 0x08, 0x01,           /* 6 atTimeStamp { 1 seconds } */
	};
	Org__Lfedge__Eve__Info__ZInfoMsg *m =
	    UNPACK(Org__Lfedge__Eve__Info__ZInfoMsg, org__lfedge__eve__info__zinfo_msg, b);
	Org__Lfedge__Eve__Info__ZInfoDevice *d;

	assert_non_null(m);
	assert_int_equal(m->ztype, ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiDevice);
	assert_string_equal(m->devid, "d");
	assert_int_equal(m->info_content_case, ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_DINFO);
	d = m->dinfo;
	assert_string_equal(d->machinearch, "x");
	assert_int_equal(d->ncpu, 4);
	assert_int_equal(d->memory, 2048);
	assert_int_equal(d->n_swlist, 1);
	assert_string_equal(d->swlist[0]->partitionlabel, "IMGA");
	assert_int_equal(d->swlist[0]->status, ORG__LFEDGE__EVE__INFO__ZSW_STATE__RUNNING);
	assert_string_equal(d->swlist[0]->shortversion, "1");
	assert_string_equal(d->hostname, "h");
	assert_int_equal(m->attimestamp->seconds, 1);
	protobuf_c_message_free_unpacked(&m->base, NULL);
}

static void test_vector_info_objects(void **state)
{
	static const uint8_t app[] = {0x08, 0x03, 0x2a, 0x05, 0x0a, 0x01, 'a', 0x78, 0x09};
	static const uint8_t vol[] = {0x08, 0x07, 0x6a, 0x07, 0x0a, 0x01, 'v', 0x28, 0x0f, 0x30, 0x64};
	static const uint8_t ct[] = {0x08, 0x08, 0x72, 0x07, 0x0a, 0x01, 'c', 0x30, 0x13, 0x38, 0x32};
	static const uint8_t ni[] = {0x08, 0x06, 0x62, 0x06, 0x12, 0x01, 'n', 0xc8, 0x02, 0x02};
	Org__Lfedge__Eve__Info__ZInfoMsg *m;

	m = UNPACK(Org__Lfedge__Eve__Info__ZInfoMsg, org__lfedge__eve__info__zinfo_msg, app);
	assert_non_null(m);
	assert_int_equal(m->ztype, ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiApp);
	assert_int_equal(m->info_content_case, ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_AINFO);
	assert_string_equal(m->ainfo->appid, "a");
	assert_int_equal(m->ainfo->state, ORG__LFEDGE__EVE__INFO__ZSW_STATE__HALTED);
	protobuf_c_message_free_unpacked(&m->base, NULL);

	m = UNPACK(Org__Lfedge__Eve__Info__ZInfoMsg, org__lfedge__eve__info__zinfo_msg, vol);
	assert_non_null(m);
	assert_int_equal(m->info_content_case, ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_VINFO);
	assert_string_equal(m->vinfo->uuid, "v");
	assert_int_equal(m->vinfo->state, ORG__LFEDGE__EVE__INFO__ZSW_STATE__CREATED_VOLUME);
	assert_int_equal(m->vinfo->progresspercentage, 100);
	protobuf_c_message_free_unpacked(&m->base, NULL);

	m = UNPACK(Org__Lfedge__Eve__Info__ZInfoMsg, org__lfedge__eve__info__zinfo_msg, ct);
	assert_non_null(m);
	assert_int_equal(m->info_content_case, ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_CINFO);
	assert_string_equal(m->cinfo->uuid, "c");
	assert_int_equal(m->cinfo->state, ORG__LFEDGE__EVE__INFO__ZSW_STATE__LOADED);
	assert_int_equal(m->cinfo->progresspercentage, 50);
	protobuf_c_message_free_unpacked(&m->base, NULL);

	m = UNPACK(Org__Lfedge__Eve__Info__ZInfoMsg, org__lfedge__eve__info__zinfo_msg, ni);
	assert_non_null(m);
	assert_int_equal(m->info_content_case, ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_NIINFO);
	assert_string_equal(m->niinfo->networkid, "n");
	assert_int_equal(m->niinfo->state,
			 ORG__LFEDGE__EVE__INFO__ZNETWORK_INSTANCE_STATE__ZNETINST_STATE_ONLINE);
	protobuf_c_message_free_unpacked(&m->base, NULL);
}

/* The public numeric values of the enums peers switch on. */
static void test_enum_numbers(void **state)
{
	static const struct {
		const ProtobufCEnumDescriptor *e;
		const char *name;
		int value;
	} t[] = {
	    {&org__lfedge__eve__info__zsw_state__descriptor, "INVALID", 0},
	    {&org__lfedge__eve__info__zsw_state__descriptor, "INITIAL", 1},
	    {&org__lfedge__eve__info__zsw_state__descriptor, "DOWNLOAD_STARTED", 2},
	    {&org__lfedge__eve__info__zsw_state__descriptor, "DOWNLOADED", 3},
	    {&org__lfedge__eve__info__zsw_state__descriptor, "DELIVERED", 4},
	    {&org__lfedge__eve__info__zsw_state__descriptor, "INSTALLED", 5},
	    {&org__lfedge__eve__info__zsw_state__descriptor, "BOOTING", 6},
	    {&org__lfedge__eve__info__zsw_state__descriptor, "RUNNING", 7},
	    {&org__lfedge__eve__info__zsw_state__descriptor, "HALTING", 8},
	    {&org__lfedge__eve__info__zsw_state__descriptor, "HALTED", 9},
	    {&org__lfedge__eve__info__zsw_state__descriptor, "RESTARTING", 10},
	    {&org__lfedge__eve__info__zsw_state__descriptor, "PURGING", 11},
	    {&org__lfedge__eve__info__zsw_state__descriptor, "RESOLVING_TAG", 12},
	    {&org__lfedge__eve__info__zsw_state__descriptor, "RESOLVED_TAG", 13},
	    {&org__lfedge__eve__info__zsw_state__descriptor, "CREATING_VOLUME", 14},
	    {&org__lfedge__eve__info__zsw_state__descriptor, "CREATED_VOLUME", 15},
	    {&org__lfedge__eve__info__zsw_state__descriptor, "VERIFYING", 16},
	    {&org__lfedge__eve__info__zsw_state__descriptor, "VERIFIED", 17},
	    {&org__lfedge__eve__info__zsw_state__descriptor, "LOADING", 18},
	    {&org__lfedge__eve__info__zsw_state__descriptor, "LOADED", 19},
	    {&org__lfedge__eve__info__zsw_state__descriptor, "AWAITNETWORKINSTANCE", 20},
	    {&org__lfedge__eve__info__zsw_state__descriptor, "ERROR", 21},
	    {&org__lfedge__eve__info__zsw_state__descriptor, "START_DELAYED", 22},
	    {&org__lfedge__eve__info__zsw_state__descriptor, "PENDING", 23},
	    {&org__lfedge__eve__info__zsw_state__descriptor, "SCHEDULING", 24},
	    {&org__lfedge__eve__info__base_os_status__descriptor, "UPDATED", 4},
	    {&org__lfedge__eve__info__base_os_status__descriptor, "FAILED", 6},
	    {&org__lfedge__eve__info__zinfo_types__descriptor, "ZiNetworkInstance", 6},
	    {&org__lfedge__eve__info__zinfo_types__descriptor, "ZiContentTree", 8},
	    {&org__lfedge__eve__common__hash_algorithm__descriptor, "HASH_ALGORITHM_SHA256_16BYTES", 1},
	    {&org__lfedge__eve__config__format__descriptor, "RAW", 1},
	    {&org__lfedge__eve__config__format__descriptor, "QCOW2", 3},
	    {&org__lfedge__eve__config__format__descriptor, "CONTAINER", 8},
	    {&org__lfedge__eve__config__format__descriptor, "ISO", 9},
	    {&org__lfedge__eve__config__vm_mode__descriptor, "HVM", 1},
	    {&org__lfedge__eve__config__vm_mode__descriptor, "NOHYPER", 4},
	    {&org__lfedge__eve__config__znetwork_inst_type__descriptor, "ZnetInstSwitch", 1},
	    {&org__lfedge__eve__config__znetwork_inst_type__descriptor, "ZnetInstLocal", 2},
	    {&org__lfedge__eve__config__ds_type__descriptor, "DsContainerRegistry", 5},
	    {&org__lfedge__eve__common__dhcptype__descriptor, "Client", 4},
	    {&org__lfedge__eve__attest__zattest_req_type__descriptor, "ATTEST_REQ_QUOTE", 3},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value_by_name(t[i].e, t[i].name);

		if (!v || v->value != t[i].value)
			fprintf(stderr, "%s.%s wrong\n", t[i].e->name, t[i].name);
		assert_non_null(v);
		assert_int_equal(v->value, t[i].value);
	}
	assert_int_equal(org__lfedge__eve__info__zsw_state__descriptor.n_values, 25);
}

static void test_vector_metrics(void **state)
{
	static const uint8_t b[] = {
	    0x0a, 0x01, 'd',                    /* 1 devID */
	    0x1a, 0x02, 0x08, 0x05,             /* 3 atTimeStamp { seconds = 5 } */
	    0x22, 0x26,                         /* 4 dm, 38 bytes */
	    0x12, 0x04, 0x10, 0x0a, 0x18, 0x14, /*  2 memory { 2 usedMem, 3 availMem } */
	    0x1a, 0x0b, 0x0a, 0x04, 'e',  't',  'h', '0',  0x10, 0x64, 0x18, 0xc8, 0x01, /* 3 network */
	    0x32, 0x07, 0x0a, 0x03, 's',  'd',  'a', 0x38, 0x09, /* 6 disk { 1 disk, 7 total } */
	    0x3a, 0x02, 0x28, 0x07,                              /*   7 cpuMetric { 5 total } */
	    0x8a, 0x01, 0x03, 0x08, 0x80, 0x20,                  /*  17 deviceMemory { 1 memoryMB = 4096 } */
	    0x2a, 0x0f,                                          /* 5 am[0] */
	    0x0a, 0x01, 'a',  0x12, 0x01, 'n',                   /*   1 AppID, 2 AppName */
	    0x1a, 0x03, 0x38, 0xe8, 0x07,                        /*   3 cpu { 7 total_ns = 1000 } */
	    0x42, 0x02, 0x10, 0x40,                              /*   8 appMemory { 2 usedMB } */
	};
	Org__Lfedge__Eve__Metrics__ZMetricMsg *m =
	    UNPACK(Org__Lfedge__Eve__Metrics__ZMetricMsg, org__lfedge__eve__metrics__zmetric_msg, b);
	Org__Lfedge__Eve__Metrics__DeviceMetric *dm;

	assert_non_null(m);
	assert_string_equal(m->devid, "d");
	assert_int_equal(m->attimestamp->seconds, 5);
	assert_int_equal(m->metric_content_case, ORG__LFEDGE__EVE__METRICS__ZMETRIC_MSG__METRIC_CONTENT_DM);
	dm = m->dm;
	assert_int_equal(dm->memory->usedmem, 10);
	assert_int_equal(dm->memory->availmem, 20);
	assert_int_equal(dm->n_network, 1);
	assert_string_equal(dm->network[0]->iname, "eth0");
	assert_int_equal(dm->network[0]->txbytes, 100);
	assert_int_equal(dm->network[0]->rxbytes, 200);
	assert_int_equal(dm->n_disk, 1);
	assert_string_equal(dm->disk[0]->disk, "sda");
	assert_int_equal(dm->disk[0]->total, 9);
	assert_int_equal(dm->cpumetric->total, 7);
	assert_int_equal(dm->devicememory->memorymb, 4096);
	assert_int_equal(m->n_am, 1);
	assert_string_equal(m->am[0]->appid, "a");
	assert_string_equal(m->am[0]->appname, "n");
	assert_int_equal(m->am[0]->cpu->total_ns, 1000);
	assert_int_equal(m->am[0]->appmemory->usedmb, 64);
	protobuf_c_message_free_unpacked(&m->base, NULL);
}

static void test_vector_logs(void **state)
{
	static const uint8_t b[] = {
	    0x0a, 0x01, 'd',                              /* 1 devID */
	    0x12, 0x04, 'I',  'M',  'G', 'A',             /* 2 image */
	    0x1a, 0x1b,                                   /* 3 log[0], 27 bytes */
	    0x0a, 0x04, 'i',  'n',  'f', 'o',             /*   1 severity */
	    0x12, 0x01, 's',                              /*   2 source */
	    0x22, 0x02, 'h',  'i',                        /*   4 content */
	    0x28, 0x03,                                   /*   5 msgid */
	    0x32, 0x06, 0x0a, 0x01, 'k', 0x12, 0x01, 'v', /* 6 tags { k: v } */
	    0x3a, 0x02, 0x08, 0x02,                       /*   7 timestamp */
	    0x2a, 0x01, '1',                              /* 5 eveVersion */
	};
	Org__Lfedge__Eve__Logs__LogBundle *m =
	    UNPACK(Org__Lfedge__Eve__Logs__LogBundle, org__lfedge__eve__logs__log_bundle, b);

	assert_non_null(m);
	assert_string_equal(m->devid, "d");
	assert_string_equal(m->image, "IMGA");
	assert_int_equal(m->n_log, 1);
	assert_string_equal(m->log[0]->severity, "info");
	assert_string_equal(m->log[0]->source, "s");
	assert_string_equal(m->log[0]->content, "hi");
	assert_int_equal(m->log[0]->msgid, 3);
	assert_int_equal(m->log[0]->n_tags, 1);
	assert_string_equal(m->log[0]->tags[0]->key, "k");
	assert_string_equal(m->log[0]->tags[0]->value, "v");
	assert_int_equal(m->log[0]->timestamp->seconds, 2);
	assert_string_equal(m->eveversion, "1");
	protobuf_c_message_free_unpacked(&m->base, NULL);
}

static void test_vector_flowlog(void **state)
{
	static const uint8_t b[] = {
	    0x0a, 0x01, 'd',                               /* 1 devId */
	    0x12, 0x06, 0x0a, 0x01, 'a',  0x22, 0x01, 'n', /* 2 scope { 1 uuid, 4 netInstUUID } */
	    0x1a, 0x15,                                    /* 3 flows[0], 21 bytes */
	    0x0a, 0x0d,                                    /*   1 flow */
	    0x0a, 0x01, '1',  0x10, 0x50, 0x1a, 0x01, '2', /*     1 src, 2 srcPort, 3 dest */
	    0x20, 0xbb, 0x03, 0x28, 0x06,                  /*     4 destPort = 443, 5 protocol */
	    0x10, 0x01, 0x40, 0x0a, 0x60, 0x02,            /*   2 inbound, 8 txBytes, 12 action */
	    0x22, 0x06, 0x0a, 0x01, 'h',  0x12, 0x01, 'x', /* 4 dnsReqs { 1 hostName, 2 addrs } */
	};
	Org__Lfedge__Eve__Flowlog__FlowMessage *m =
	    UNPACK(Org__Lfedge__Eve__Flowlog__FlowMessage, org__lfedge__eve__flowlog__flow_message, b);
	Org__Lfedge__Eve__Flowlog__FlowRecord *r;

	assert_non_null(m);
	assert_string_equal(m->devid, "d");
	assert_string_equal(m->scope->uuid, "a");
	assert_string_equal(m->scope->netinstuuid, "n");
	assert_int_equal(m->n_flows, 1);
	r = m->flows[0];
	assert_string_equal(r->flow->src, "1");
	assert_int_equal(r->flow->srcport, 80);
	assert_string_equal(r->flow->dest, "2");
	assert_int_equal(r->flow->destport, 443);
	assert_int_equal(r->flow->protocol, 6);
	assert_true(r->inbound);
	assert_int_equal(r->txbytes, 10);
	assert_int_equal(r->action, ORG__LFEDGE__EVE__FLOWLOG__ACLACTION__ActionAccept);
	assert_int_equal(m->n_dnsreqs, 1);
	assert_string_equal(m->dnsreqs[0]->hostname, "h");
	assert_int_equal(m->dnsreqs[0]->n_addrs, 1);
	assert_string_equal(m->dnsreqs[0]->addrs[0], "x");
	protobuf_c_message_free_unpacked(&m->base, NULL);
}

static void test_vector_attest(void **state)
{
	static const uint8_t req[] = {
	    0x08, 0x03,             /* 1 reqType = ATTEST_REQ_QUOTE */
	    0x12, 0x10,             /* 2 quote */
	    0x0a, 0x02, 0x01, 0x02, /*   1 attestData */
	    0x12, 0x01, 0x03,       /*   2 signature */
	    0x1a, 0x07, 0x08, 0x07, 0x10,
	    0x02, 0x1a, 0x01, 0xaa, /* 3 pcr_values { index, hash_algo, value } */
	    0x1a, 0x02, 0x18, 0x0b, /* 3 certs { 3 type = RESTRICTED_SIGNING } */
	};
	static const uint8_t resp[] = {
	    0x08, 0x02,                              /* 1 respType = ATTEST_RESP_NONCE */
	    0x12, 0x04, 0x0a, 0x02, 0x11, 0x22,      /* 2 nonce { 1 nonce } */
	    0x1a, 0x05, 0x08, 0x01, 0x12, 0x01, 't', /* 3 quoteResp { 1 response, 2 integrity_token } */
	};
	Org__Lfedge__Eve__Attest__ZAttestReq *q =
	    UNPACK(Org__Lfedge__Eve__Attest__ZAttestReq, org__lfedge__eve__attest__zattest_req, req);
	Org__Lfedge__Eve__Attest__ZAttestResponse *r = UNPACK(
	    Org__Lfedge__Eve__Attest__ZAttestResponse, org__lfedge__eve__attest__zattest_response, resp);

	assert_non_null(q);
	assert_int_equal(q->reqtype, ORG__LFEDGE__EVE__ATTEST__ZATTEST_REQ_TYPE__ATTEST_REQ_QUOTE);
	assert_int_equal(q->quote->attestdata.len, 2);
	assert_int_equal(q->quote->signature.data[0], 3);
	assert_int_equal(q->quote->n_pcr_values, 1);
	assert_int_equal(q->quote->pcr_values[0]->index, 7);
	assert_int_equal(q->quote->pcr_values[0]->hash_algo,
			 ORG__LFEDGE__EVE__ATTEST__TPM_HASH_ALGO__TPM_HASH_ALGO_SHA256);
	assert_int_equal(q->quote->pcr_values[0]->value.data[0], 0xaa);
	assert_int_equal(q->n_certs, 1);
	assert_int_equal(q->certs[0]->type,
			 ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_DEVICE_RESTRICTED_SIGNING);
	assert_non_null(r);
	assert_int_equal(r->resptype, ORG__LFEDGE__EVE__ATTEST__ZATTEST_RESP_TYPE__ATTEST_RESP_NONCE);
	assert_int_equal(r->nonce->nonce.len, 2);
	assert_int_equal(r->nonce->nonce.data[1], 0x22);
	assert_int_equal(r->quoteresp->response,
			 ORG__LFEDGE__EVE__ATTEST__ZATTEST_RESPONSE_CODE__Z_ATTEST_RESPONSE_CODE_SUCCESS);
	assert_int_equal(r->quoteresp->integrity_token.len, 1);
	protobuf_c_message_free_unpacked(&q->base, NULL);
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

static void test_vector_common(void **state)
{
	static const uint8_t disk[] = {0x0a, 0x01, 'a', 0x12, 0x01, 'b', 0x1a, 0x01, 'c'};
	/* seconds = -1 (ten-byte varint), nanos = 5 */
	static const uint8_t ts[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				     0xff, 0xff, 0xff, 0x01, 0x10, 0x05};
	Org__Lfedge__Eve__Common__DiskDescription *d = UNPACK(
	    Org__Lfedge__Eve__Common__DiskDescription, org__lfedge__eve__common__disk_description, disk);
	Google__Protobuf__Timestamp *t = UNPACK(Google__Protobuf__Timestamp, google__protobuf__timestamp, ts);

	assert_non_null(d);
	assert_string_equal(d->name, "a");
	assert_string_equal(d->logical_name, "b");
	assert_string_equal(d->serial, "c");
	assert_non_null(t);
	assert_int_equal(t->seconds, -1);
	assert_int_equal(t->nanos, 5);
	protobuf_c_message_free_unpacked(&d->base, NULL);
	protobuf_c_message_free_unpacked(&t->base, NULL);
}

/* Our encoder writes the same bytes a peer would: pack a config by hand and
 * compare with the public wire form. */
static void test_encode_vector(void **state)
{
	static const uint8_t want[] = {0x0a, 0x01, 'x', 0x12, 0x02, 0x01, 0x02};
	uint8_t tok[] = {1, 2};
	Org__Lfedge__Eve__Config__ConfigRequest r = ORG__LFEDGE__EVE__CONFIG__CONFIG_REQUEST__INIT;
	uint8_t buf[16];

	r.confighash = "x";
	r.integrity_token.data = tok;
	r.integrity_token.len = 2;
	assert_int_equal(org__lfedge__eve__config__config_request__get_packed_size(&r), sizeof(want));
	assert_int_equal(org__lfedge__eve__config__config_request__pack(&r, buf), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_list_complete),
	    cmocka_unit_test(test_roundtrip_all),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_vector_auth),
	    cmocka_unit_test(test_vector_certs),
	    cmocka_unit_test(test_vector_register_uuid),
	    cmocka_unit_test(test_vector_config),
	    cmocka_unit_test(test_vector_config_request),
	    cmocka_unit_test(test_vector_info_device),
	    cmocka_unit_test(test_vector_info_objects),
	    cmocka_unit_test(test_enum_numbers),
	    cmocka_unit_test(test_vector_metrics),
	    cmocka_unit_test(test_vector_logs),
	    cmocka_unit_test(test_vector_flowlog),
	    cmocka_unit_test(test_vector_attest),
	    cmocka_unit_test(test_vector_common),
	    cmocka_unit_test(test_encode_vector),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
