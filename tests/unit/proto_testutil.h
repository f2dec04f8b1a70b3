// SPDX-License-Identifier: Apache-2.0
/* Test helpers shared by the proto, pbjson and confighash unit tests: the
 * list of every message type we carry, and a filler that sets every field
 * of any message to a non-zero value through its descriptor.
 * When you add a message to proto/, add its descriptor to PT_ALL_MSGS (the
 * proto test fails if a message reachable from the list is missing). */
#ifndef EVE_PROTO_TESTUTIL_H
#define EVE_PROTO_TESTUTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "attest/attest.pb-c.h"
#include "auth/auth.pb-c.h"
#include "certs/certs.pb-c.h"
#include "config/appconfig.pb-c.h"
#include "config/baseosconfig.pb-c.h"
#include "config/devcommon.pb-c.h"
#include "config/devconfig.pb-c.h"
#include "config/devmodel.pb-c.h"
#include "config/edgeview.pb-c.h"
#include "evecommon/netcmn.pb-c.h"
#include "config/fw.pb-c.h"
#include "config/netconfig.pb-c.h"
#include "config/netinst.pb-c.h"
#include "config/storage.pb-c.h"
#include "config/vm.pb-c.h"
#include "evecommon/acipherinfo.pb-c.h"
#include "evecommon/devmodelcommon.pb-c.h"
#include "evecommon/evecommon.pb-c.h"
#include "eveuuid/eveuuid.pb-c.h"
#include "flowlog/flowlog.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "hardwarehealth/hardware_health.pb-c.h"
#include "info/info.pb-c.h"
#include "logs/log.pb-c.h"
#include "metrics/metrics.pb-c.h"
#include "register/register.pb-c.h"

static const ProtobufCMessageDescriptor *const PT_ALL_MSGS[] = {
    &org__lfedge__eve__attest__zattest_req__descriptor,
    &org__lfedge__eve__attest__zattest_response__descriptor,
    &org__lfedge__eve__attest__zattest_nonce_resp__descriptor,
    &org__lfedge__eve__attest__tpm_event_digest__descriptor,
    &org__lfedge__eve__attest__tpm_event_log_entry__descriptor,
    &org__lfedge__eve__attest__attest_gpscoordinates__descriptor,
    &org__lfedge__eve__attest__attest_version_info__descriptor,
    &org__lfedge__eve__attest__tpm_pcrvalue__descriptor,
    &org__lfedge__eve__attest__zattest_quote__descriptor,
    &org__lfedge__eve__attest__attest_volume_key__descriptor,
    &org__lfedge__eve__attest__zattest_quote_resp__descriptor,
    &org__lfedge__eve__attest__attest_storage_keys__descriptor,
    &org__lfedge__eve__attest__attest_storage_keys_resp__descriptor,
    &org__lfedge__eve__attest__attest_policy_pcr_list__descriptor,
    &org__lfedge__eve__attest__attest_volume_key_data__descriptor,
    &org__lfedge__eve__auth__auth_body__descriptor,
    &org__lfedge__eve__auth__auth_container__descriptor,
    &org__lfedge__eve__certs__zcontroller_cert__descriptor,
    &org__lfedge__eve__certs__zcert_meta_data__descriptor,
    &org__lfedge__eve__certs__zcert__descriptor,
    &org__lfedge__eve__certs__zcert_attr__descriptor,
    &org__lfedge__eve__config__instance_ops_cmd__descriptor,
    &org__lfedge__eve__config__volume_ref__descriptor,
    &org__lfedge__eve__config__app_instance_config__descriptor,
    &org__lfedge__eve__config__base_osconfig__descriptor,
    &org__lfedge__eve__config__base_os__descriptor,
    &org__lfedge__eve__config__uuidand_version__descriptor,
    &org__lfedge__eve__config__device_ops_cmd__descriptor,
    &org__lfedge__eve__config__config_item__descriptor,
    &org__lfedge__eve__config__adapter__descriptor,
    &org__lfedge__eve__config__eth_vf__descriptor,
    &org__lfedge__eve__config__edge_dev_config__descriptor,
    &org__lfedge__eve__config__config_request__descriptor,
    &org__lfedge__eve__config__config_response__descriptor,
    &org__lfedge__eve__config__system_adapter__descriptor,
    &org__lfedge__eve__config__phy_iousage_policy__descriptor,
    &org__lfedge__eve__config__physical_io__descriptor,
    &org__lfedge__eve__config__physical_io__phyaddrs_entry__descriptor,
    &org__lfedge__eve__config__physical_io__cbattr_entry__descriptor,
    &org__lfedge__eve__common__ip_range__descriptor,
    &org__lfedge__eve__common__proxy_server__descriptor,
    &org__lfedge__eve__common__proxy_config__descriptor,
    &org__lfedge__eve__common__znet_static_dnsentry__descriptor,
    &org__lfedge__eve__common__ipspec__descriptor,
    &org__lfedge__eve__config__network_config__descriptor,
    &org__lfedge__eve__config__network_adapter__descriptor,
    &org__lfedge__eve__config__ace__descriptor,
    &org__lfedge__eve__config__acematch__descriptor,
    &org__lfedge__eve__config__aceaction__descriptor,
    &org__lfedge__eve__config__iproute__descriptor,
    &org__lfedge__eve__config__network_instance_config__descriptor,
    &org__lfedge__eve__config__signature_info__descriptor,
    &org__lfedge__eve__config__datastore_config__descriptor,
    &org__lfedge__eve__config__content_tree__descriptor,
    &org__lfedge__eve__config__volume_content_origin__descriptor,
    &org__lfedge__eve__config__volume__descriptor,
    &org__lfedge__eve__config__vm_config__descriptor,
    /* remote console (edgeview.proto) */
    &org__lfedge__eve__config__edge_view_config__descriptor,
    &org__lfedge__eve__config__dev_debug_access_policy__descriptor,
    &org__lfedge__eve__config__app_debug_access_policy__descriptor,
    &org__lfedge__eve__config__external_end_point_policy__descriptor,
    &org__lfedge__eve__common__cipher_context__descriptor,
    &org__lfedge__eve__common__cipher_block__descriptor,
    &org__lfedge__eve__common__encryption_block__descriptor,
    &org__lfedge__eve__common__disk_description__descriptor,
    &org__lfedge__eve__uuid__uuid_request__descriptor,
    &org__lfedge__eve__uuid__uuid_response__descriptor,
    &org__lfedge__eve__flowlog__ip_flow__descriptor,
    &org__lfedge__eve__flowlog__scope_info__descriptor,
    &org__lfedge__eve__flowlog__flow_record__descriptor,
    &org__lfedge__eve__flowlog__dns_request__descriptor,
    &org__lfedge__eve__flowlog__flow_message__descriptor,
    &google__protobuf__timestamp__descriptor,
    &org__lfedge__eve__hardwarehealth__zhardware_health__descriptor,
    &org__lfedge__eve__hardwarehealth__dimm_rank_info__descriptor,
    &org__lfedge__eve__hardwarehealth__eccmemory_controller_info__descriptor,
    &org__lfedge__eve__hardwarehealth__eccmemory_report__descriptor,
    &org__lfedge__eve__info__zmet_ipassignment_entry__descriptor,
    &org__lfedge__eve__info__zmet_vif_info__descriptor,
    &org__lfedge__eve__info__zinfo_manufacturer__descriptor,
    &org__lfedge__eve__info__zinfo_network__descriptor,
    &org__lfedge__eve__info__geo_loc__descriptor,
    &org__lfedge__eve__info__zinfo_dns__descriptor,
    &org__lfedge__eve__info__error_info__descriptor,
    &org__lfedge__eve__info__device_entity__descriptor,
    &org__lfedge__eve__info__zinfo_app_instance__descriptor,
    &org__lfedge__eve__info__zinfo_config_item__descriptor,
    &org__lfedge__eve__info__zinfo_config_item_status__descriptor,
    &org__lfedge__eve__info__zinfo_config_item_status__config_items_entry__descriptor,
    &org__lfedge__eve__info__zinfo_config_item_status__unknown_config_items_entry__descriptor,
    &org__lfedge__eve__info__zinfo_device__descriptor,
    &org__lfedge__eve__info__zio_bundle__descriptor, /* any-app */
    &org__lfedge__eve__info__attestation_info__descriptor,
    &org__lfedge__eve__info__system_adapter_info__descriptor,
    &org__lfedge__eve__info__device_port_status__descriptor,
    &org__lfedge__eve__info__device_port__descriptor,
    &org__lfedge__eve__info__proxy_status__descriptor,
    &org__lfedge__eve__info__proxy_entry__descriptor,
    &org__lfedge__eve__info__zinfo_dev_sw__descriptor,
    &org__lfedge__eve__info__zinfo_storage__descriptor,
    &org__lfedge__eve__info__zinfo_app__descriptor,
    &org__lfedge__eve__info__zinfo_network_instance__descriptor,
    &org__lfedge__eve__info__iproute__descriptor,
    &org__lfedge__eve__info__usage_info__descriptor,
    &org__lfedge__eve__info__volume_resources__descriptor,
    &org__lfedge__eve__info__zinfo_volume__descriptor,
    &org__lfedge__eve__info__content_resources__descriptor,
    &org__lfedge__eve__info__zinfo_content_tree__descriptor,
    &org__lfedge__eve__info__zinfo_blob__descriptor,
    &org__lfedge__eve__info__zinfo_blob_list__descriptor,
    &org__lfedge__eve__info__zinfo_app_inst_meta_data__descriptor,
    &org__lfedge__eve__info__zinfo_hardware__descriptor, /* hardware inventory */
    &org__lfedge__eve__info__hardware_inventory__descriptor,
    &org__lfedge__eve__info__hardware_inventory__misc_entry__descriptor,
    &org__lfedge__eve__info__cpuinfo__descriptor,
    &org__lfedge__eve__info__cpu__descriptor,
    &org__lfedge__eve__info__tpm__descriptor,
    &org__lfedge__eve__info__pcidevice__descriptor,
    &org__lfedge__eve__info__pciaddress__descriptor,
    &org__lfedge__eve__info__usbdevice__descriptor,
    &org__lfedge__eve__info__usbaddress__descriptor,
    &org__lfedge__eve__info__bus_parent__descriptor,
    &org__lfedge__eve__info__serial_port__descriptor,
    &org__lfedge__eve__info__network_device__descriptor,
    &org__lfedge__eve__info__zinfo_msg__descriptor,
    &org__lfedge__eve__logs__log_entry__descriptor,
    &org__lfedge__eve__logs__log_entry__tags_entry__descriptor,
    &org__lfedge__eve__logs__log_bundle__descriptor,
    &org__lfedge__eve__logs__app_instance_log_bundle__descriptor,
    &org__lfedge__eve__logs__server_metrics__descriptor,
    &org__lfedge__eve__metrics__memory_metric__descriptor,
    &org__lfedge__eve__metrics__app_memory_metric__descriptor,
    &org__lfedge__eve__metrics__device_memory_metric__descriptor,
    &org__lfedge__eve__metrics__network_metric__descriptor,
    &org__lfedge__eve__metrics__zedcloud_metric__descriptor,
    &org__lfedge__eve__metrics__urlcloud_metric__descriptor,
    &org__lfedge__eve__metrics__app_cpu_metric__descriptor,
    &org__lfedge__eve__metrics__device_metric__descriptor,
    &org__lfedge__eve__metrics__app_container_metric__descriptor,
    &org__lfedge__eve__metrics__metric_item__descriptor,
    &org__lfedge__eve__metrics__disk_metric__descriptor,
    &org__lfedge__eve__metrics__app_disk_metric__descriptor,
    &org__lfedge__eve__metrics__app_metric__descriptor,
    &org__lfedge__eve__metrics__network_stats__descriptor,
    &org__lfedge__eve__metrics__zmetric_network_stats__descriptor,
    &org__lfedge__eve__metrics__zmetric_network_instance__descriptor,
    &org__lfedge__eve__metrics__zmetric_volume__descriptor,
    &org__lfedge__eve__metrics__zmetric_process__descriptor,
    &org__lfedge__eve__metrics__zmetric_msg__descriptor,
    &org__lfedge__eve__register__zregister_msg__descriptor,
};
#define PT_N_MSGS (sizeof(PT_ALL_MSGS) / sizeof(PT_ALL_MSGS[0]))

/* Deepest nesting the filler builds (keeps EdgeDevConfig small). */
#define PT_FILL_DEPTH 3

static inline void *pt_xmalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (!p) {
		fprintf(stderr, "out of memory\n");
		abort();
	}
	return p;
}

static inline size_t pt_elem_size(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return 8;
	case PROTOBUF_C_TYPE_FLOAT:
		return sizeof(float);
	case PROTOBUF_C_TYPE_DOUBLE:
		return sizeof(double);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	default:
		return 4;
	}
}

static inline ProtobufCMessage *pt_fill(const ProtobufCMessageDescriptor *d, int depth, unsigned seed);

/* A distinct non-zero value per field, type and seed. Negative and >2^63
 * values exercise the sign and width handling. */
static inline void pt_fill_value(const ProtobufCFieldDescriptor *f, void *p, int depth, unsigned seed)
{
	unsigned k = seed * 131u + f->id;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		*(int32_t *)p = -(int32_t)k;
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		*(uint32_t *)p = 100000u + k;
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		*(int64_t *)p = -(int64_t)k * 1000000007LL;
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		*(uint64_t *)p = 0xF000000000000000ull + k;
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		*(float *)p = 1.5f + (float)k;
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		*(double *)p = 2.25 + (double)k;
		break;
	case PROTOBUF_C_TYPE_BOOL:
		*(protobuf_c_boolean *)p = 1;
		break;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumDescriptor *e = f->descriptor;
		*(int *)p =
		    e->n_values < 2 ? e->values[0].value : e->values[(k % (e->n_values - 1)) + 1].value;
		break;
	}
	case PROTOBUF_C_TYPE_STRING: {
		char *s = pt_xmalloc(48);
		snprintf(s, 48, "%s-%u-\xc3\xa9", f->name, k); /* non-ASCII UTF-8 too */
		*(char **)p = s;
		break;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData *b = p;
		b->len = 4;
		b->data = pt_xmalloc(4);
		b->data[0] = (uint8_t)k;
		b->data[1] = 0;
		b->data[2] = 0xff;
		b->data[3] = (uint8_t)f->id;
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		*(ProtobufCMessage **)p = pt_fill(f->descriptor, depth + 1, seed + 1);
		break;
	}
}

/* A message of type d with every field set (one member per oneof; two
 * elements per repeated field; sub-messages down to PT_FILL_DEPTH). Free
 * with protobuf_c_message_free_unpacked(m, NULL). */
static inline ProtobufCMessage *pt_fill(const ProtobufCMessageDescriptor *d, int depth, unsigned seed)
{
	ProtobufCMessage *m = pt_xmalloc(d->sizeof_message);

	d->message_init(m);
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		char *base = (char *)m;
		bool is_msg = f->type == PROTOBUF_C_TYPE_MESSAGE;

		if (is_msg && depth >= PT_FILL_DEPTH)
			continue;
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t *which = (uint32_t *)(base + f->quantifier_offset);
			if (*which)
				continue;
			*which = f->id;
		}
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t sz = pt_elem_size(f);
			char *arr = pt_xmalloc(2 * sz);
			pt_fill_value(f, arr, depth, seed);
			pt_fill_value(f, arr + sz, depth, seed + 7);
			*(size_t *)(base + f->quantifier_offset) = 2;
			*(char **)(base + f->offset) = arr;
		} else {
			pt_fill_value(f, base + f->offset, depth, seed);
		}
	}
	return m;
}

/* Packed bytes of m (caller frees), length in *len. */
static inline uint8_t *pt_pack(const ProtobufCMessage *m, size_t *len)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = pt_xmalloc(n);

	*len = protobuf_c_message_pack(m, buf);
	return buf;
}

/* True when a and b pack to the same bytes. */
static inline bool pt_same(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	size_t la, lb;
	uint8_t *pa = pt_pack(a, &la), *pb = pt_pack(b, &lb);
	bool same = la == lb && memcmp(pa, pb, la) == 0;

	free(pa);
	free(pb);
	return same;
}

#endif
