// SPDX-License-Identifier: Apache-2.0
/* ZInfoDevSW from update_get_info; BaseOS config to update_baseos. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "update_swinfo.h"

static void free_one(Org__Lfedge__Eve__Info__ZInfoDevSW *m);

/* ZSwState for a slot: what is in it, as far as the update knows. */
static Org__Lfedge__Eve__Info__ZSwState sw_state(const struct update_slot_info *s)
{
	switch (s->status) {
	case UPDATE_ST_DOWNLOADING:
		return ORG__LFEDGE__EVE__INFO__ZSW_STATE__DOWNLOAD_STARTED;
	case UPDATE_ST_DOWNLOAD_DONE:
		return ORG__LFEDGE__EVE__INFO__ZSW_STATE__DOWNLOADED;
	case UPDATE_ST_FAILED:
	case UPDATE_ST_FALLBACK:
		return ORG__LFEDGE__EVE__INFO__ZSW_STATE__ERROR;
	default:
		break;
	}
	if (s->state == UPDATE_PART_UPDATING)
		return ORG__LFEDGE__EVE__INFO__ZSW_STATE__LOADING;
	if (s->state == UPDATE_PART_ACTIVE)
		return ORG__LFEDGE__EVE__INFO__ZSW_STATE__RUNNING;
	return s->version[0] ? ORG__LFEDGE__EVE__INFO__ZSW_STATE__INSTALLED
			     : ORG__LFEDGE__EVE__INFO__ZSW_STATE__INITIAL;
}

static Org__Lfedge__Eve__Info__BaseOsSubStatus sub_status(const struct update *u,
							  const struct update_slot_info *s)
{
	if (s->state == UPDATE_PART_ACTIVE && update_in_test_window(u))
		return ORG__LFEDGE__EVE__INFO__BASE_OS_SUB_STATUS__UPDATE_TESTING;
	if (s->state == UPDATE_PART_UPDATING)
		return ORG__LFEDGE__EVE__INFO__BASE_OS_SUB_STATUS__UPDATE_INITIALIZING;
	if (s->status == UPDATE_ST_DOWNLOADING)
		return ORG__LFEDGE__EVE__INFO__BASE_OS_SUB_STATUS__DOWNLOAD_INPROGRESS;
	return ORG__LFEDGE__EVE__INFO__BASE_OS_SUB_STATUS__NONE_SUBSTATUS;
}

static Org__Lfedge__Eve__Info__ZInfoDevSW *one(const struct update *u, const struct update_slot_info *s)
{
	Org__Lfedge__Eve__Info__ZInfoDevSW *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	org__lfedge__eve__info__zinfo_dev_sw__init(m);
	m->activated = s->activated;
	m->partitionlabel = strdup(s->label);
	m->partitionstate = strdup(update_part_state_name(s->state));
	m->shortversion = strdup(s->version);
	m->status = sw_state(s);
	m->userstatus = (Org__Lfedge__Eve__Info__BaseOsStatus)s->status;
	m->substatus = sub_status(u, s);
	m->substatusstr = strdup(update_status_name(s->status));
	bool ok = m->partitionlabel && m->partitionstate && m->shortversion && m->substatusstr;
	if (ok && s->err[0]) {
		m->swerr = calloc(1, sizeof(*m->swerr));
		if (m->swerr) {
			org__lfedge__eve__info__error_info__init(m->swerr);
			m->swerr->description = strdup(s->err);
		}
		ok = m->swerr && m->swerr->description;
	}
	if (!ok) {
		free_one(m);
		return NULL;
	}
	return m;
}

static void free_one(Org__Lfedge__Eve__Info__ZInfoDevSW *m)
{
	if (!m)
		return;
	free(m->partitionlabel);
	free(m->partitionstate);
	free(m->shortversion);
	free(m->substatusstr);
	if (m->swerr)
		free(m->swerr->description);
	free(m->swerr);
	free(m);
}

void update_free_swinfo(Org__Lfedge__Eve__Info__ZInfoDevSW **arr, size_t n)
{
	for (size_t i = 0; arr && i < n; i++)
		free_one(arr[i]);
	free(arr);
}

int update_fill_swinfo(struct update *u, Org__Lfedge__Eve__Info__ZInfoDevSW ***arr, size_t *n)
{
	struct update_slot_info info[2];
	int r = update_get_info(u, info);
	if (r < 0)
		return r;
	Org__Lfedge__Eve__Info__ZInfoDevSW **a = calloc(2, sizeof(*a));
	if (!a)
		return -ENOMEM;
	for (int i = 0; i < 2; i++) {
		a[i] = one(u, &info[i]);
		if (!a[i]) {
			update_free_swinfo(a, 2);
			return -ENOMEM;
		}
	}
	*arr = a;
	*n = 2;
	return 0;
}

int update_baseos_from_config(const Org__Lfedge__Eve__Config__BaseOS *b, const char *url, const char *sha256,
			      struct update_baseos *req)
{
	if (!b || !b->base_os_version || !b->base_os_version[0])
		return -EINVAL;
	memset(req, 0, sizeof(*req));
	req->version = b->base_os_version;
	req->url = url;
	req->sha256 = sha256;
	req->retry_update = b->retry_update ? b->retry_update->counter : 0;
	req->activate = b->activate;
	return 0;
}
