// SPDX-License-Identifier: Apache-2.0
/* libvirt calls shared by the hypervisor backends (see hv.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libvirt/virterror.h>

#include "err.h"
#include "hv.h"

/* ---- XML ---------------------------------------------------------- */

void hv_xml_text(struct buf *b, const char *s)
{
	static const struct {
		char c;
		const char *rep;
	} esc[] = {{'&', "&amp;"}, {'<', "&lt;"}, {'>', "&gt;"}, {'\'', "&apos;"}, {'"', "&quot;"}};
	size_t i;

	for (; s && *s; s++) {
		const char *rep = NULL;

		for (i = 0; i < sizeof(esc) / sizeof(esc[0]); i++)
			if (*s == esc[i].c)
				rep = esc[i].rep;
		/* Control characters are not valid XML 1.0: drop them. */
		if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n')
			continue;
		if (rep)
			buf_append(b, rep, strlen(rep));
		else
			buf_append(b, s, 1);
	}
}

void hv_xml_common(struct buf *b, const struct hv_spec *s)
{
	uint64_t maxmem = s->maxmem_kib > s->memory_kib ? s->maxmem_kib : s->memory_kib;

	buf_printf(b, "  <name>");
	hv_xml_text(b, s->name);
	buf_printf(b, "</name>\n");
	if (s->uuid) {
		buf_printf(b, "  <uuid>");
		hv_xml_text(b, s->uuid);
		buf_printf(b, "</uuid>\n");
	}
	if (s->title && *s->title) {
		buf_printf(b, "  <title>");
		hv_xml_text(b, s->title);
		buf_printf(b, "</title>\n");
	}
	buf_printf(b, "  <memory unit='KiB'>%llu</memory>\n", (unsigned long long)maxmem);
	buf_printf(b, "  <currentMemory unit='KiB'>%llu</currentMemory>\n",
		   (unsigned long long)s->memory_kib);
	if (s->cpuset && *s->cpuset) {
		buf_printf(b, "  <vcpu placement='static' cpuset='");
		hv_xml_text(b, s->cpuset);
		buf_printf(b, "'>%u</vcpu>\n", s->vcpus ? s->vcpus : 1);
	} else {
		buf_printf(b, "  <vcpu placement='static'>%u</vcpu>\n", s->vcpus ? s->vcpus : 1);
	}
	buf_printf(b, "  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>restart</on_reboot>\n"
		      "  <on_crash>destroy</on_crash>\n");
}

/* The CPUs of a list "0-2,5" in order into cpus[max]; count or -EINVAL. */
static int cpu_list(const char *s, unsigned *cpus, size_t max)
{
	size_t n = 0;
	char *end;

	while (s && *s) {
		unsigned long lo = strtoul(s, &end, 10), hi = lo, c;

		if (end == s || lo > 4095)
			return -EINVAL;
		s = end;
		if (*s == '-') {
			hi = strtoul(s + 1, &end, 10);
			if (end == s + 1 || hi < lo || hi > 4095)
				return -EINVAL;
			s = end;
		}
		for (c = lo; c <= hi; c++) {
			if (n == max)
				return -EINVAL;
			cpus[n++] = (unsigned)c;
		}
		if (*s == ',')
			s++;
		else if (*s)
			return -EINVAL;
	}
	return (int)n;
}

int hv_xml_cputune(struct buf *b, const struct hv_spec *s, char *err, size_t errlen)
{
	unsigned cpus[256], i, vcpus = s->vcpus ? s->vcpus : 1;
	int n;

	if (!s->pin_vcpus)
		return 0;
	n = cpu_list(s->cpuset, cpus, sizeof(cpus) / sizeof(cpus[0]));
	if (n < (int)vcpus) {
		snprintf(err, errlen, "CPU pinning: '%s' must name at least one CPU per vCPU (%u)",
			 s->cpuset ? s->cpuset : "", vcpus);
		return -EINVAL;
	}
	buf_printf(b, "  <cputune>\n");
	for (i = 0; i < vcpus; i++)
		buf_printf(b, "    <vcpupin vcpu='%u' cpuset='%u'/>\n", i, cpus[i]);
	buf_printf(b, "  </cputune>\n");
	return 0;
}

void hv_xml_hostdevs(struct buf *b, const struct hv_spec *s)
{
	unsigned com = 1;
	size_t i;

	for (i = 0; i < s->n_hostdevs; i++) {
		const struct hv_hostdev *h = &s->hostdevs[i];

		switch (h->kind) {
		case HV_HOSTDEV_PCI:
			buf_printf(
			    b,
			    "    <hostdev mode='subsystem' type='pci' managed='yes'>\n      <source>\n"
			    "        <address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>\n"
			    "      </source>\n    </hostdev>\n",
			    h->domain, h->bus, h->slot, h->function);
			break;
		case HV_HOSTDEV_USB:
			buf_printf(
			    b,
			    "    <hostdev mode='subsystem' type='usb' managed='yes'>\n      <source>\n"
			    "        <address bus='%u' device='%u'/>\n      </source>\n    </hostdev>\n",
			    h->bus, h->slot);
			break;
		case HV_HOSTDEV_SERIAL:
			buf_printf(b, "    <serial type='dev'>\n      <source path='");
			hv_xml_text(b, h->path);
			buf_printf(b, "'/>\n      <target port='%u'/>\n    </serial>\n", com++);
			break;
		}
	}
}

void hv_xml_disk(struct buf *b, const struct hv_disk *d, bool cdrom, const char *dev, const char *bus)
{
	buf_printf(b, "    <disk type='file' device='%s'>\n      <driver name='qemu' type='%s'/>\n",
		   cdrom ? "cdrom" : "disk", d->format ? d->format : "raw");
	buf_printf(b, "      <source file='");
	hv_xml_text(b, d->path);
	buf_printf(b, "'/>\n      <target dev='%s' bus='%s'/>\n", dev, bus);
	if (d->readonly || d->cdrom)
		buf_printf(b, "      <readonly/>\n");
	buf_printf(b, "    </disk>\n");
}

void hv_xml_nics(struct buf *b, const struct hv_spec *s, const char *model)
{
	size_t i;

	for (i = 0; i < s->n_nics; i++) {
		const struct hv_nic *n = &s->nics[i];

		if (n->network) {
			buf_printf(b, "    <interface type='network'>\n      <source network='");
			hv_xml_text(b, n->network);
		} else {
			buf_printf(b, "    <interface type='bridge'>\n      <source bridge='");
			hv_xml_text(b, n->bridge);
		}
		buf_printf(b, "'/>\n");
		if (n->mac) {
			buf_printf(b, "      <mac address='");
			hv_xml_text(b, n->mac);
			buf_printf(b, "'/>\n");
		}
		if (model)
			buf_printf(b, "      <model type='%s'/>\n", model);
		buf_printf(b, "    </interface>\n");
	}
}

/* ---- libvirt -------------------------------------------------------- */

static void quiet_errors(void *ud, virErrorPtr e)
{
	/* Library code does not log: errors are read with virGetLastError. */
}

static pthread_once_t hv_once = PTHREAD_ONCE_INIT;

static void hv_init(void)
{
	virInitialize();
	virSetErrorFunc(NULL, quiet_errors);
}

const char *hv_last_error(void)
{
	virErrorPtr e = virGetLastError();

	return e && e->message ? e->message : "unknown libvirt error";
}

static int lv_fail(char *err, size_t errlen, const char *what)
{
	virErrorPtr e = virGetLastError();
	int code = e ? e->code : 0;

	if (err)
		snprintf(err, errlen, "%s: %s", what, hv_last_error());
	switch (code) {
	case VIR_ERR_NO_DOMAIN:
		return -ENOENT;
	case VIR_ERR_OPERATION_INVALID:
		return -EINVAL;
	case VIR_ERR_NO_CONNECT:
	case VIR_ERR_SYSTEM_ERROR:
		return -ECONNREFUSED;
	default:
		return -EIO;
	}
}

int hv_connect(const char *uri, virConnectPtr *out, char *err, size_t errlen)
{
	virConnectPtr c;

	pthread_once(&hv_once, hv_init);
	c = virConnectOpen(uri);
	if (!c)
		return lv_fail(err, errlen, uri);
	*out = c;
	return 0;
}

int hv_lookup(virConnectPtr c, const char *name, virDomainPtr *out)
{
	virDomainPtr d = virDomainLookupByName(c, name);

	if (!d)
		return lv_fail(NULL, 0, name) == -ENOENT ? -ENOENT : -EIO;
	*out = d;
	return 0;
}

int hv_define(virConnectPtr c, const char *xml, char *err, size_t errlen)
{
	virDomainPtr d = virDomainDefineXML(c, xml);

	if (!d)
		return lv_fail(err, errlen, "define");
	virDomainFree(d);
	return 0;
}

int hv_start(virDomainPtr d, char *err, size_t errlen)
{
	if (virDomainIsActive(d) == 1)
		return 0;
	if (virDomainCreate(d) < 0)
		return lv_fail(err, errlen, "start");
	return 0;
}

int hv_define_start(virConnectPtr c, const char *xml, virDomainPtr *out, char *err, size_t errlen)
{
	virDomainPtr d = virDomainDefineXML(c, xml);
	int r;

	if (!d)
		return lv_fail(err, errlen, "define");
	r = hv_start(d, err, errlen);
	if (r < 0) {
		virDomainFree(d);
		return r;
	}
	*out = d;
	return 0;
}

int hv_shutdown(virDomainPtr d)
{
	if (virDomainIsActive(d) != 1)
		return 0;
	return virDomainShutdown(d) < 0 ? lv_fail(NULL, 0, "shutdown") : 0;
}

int hv_destroy(virDomainPtr d)
{
	if (virDomainIsActive(d) != 1)
		return 0;
	if (virDomainDestroy(d) < 0 && virDomainIsActive(d) == 1)
		return lv_fail(NULL, 0, "destroy");
	return 0;
}

int hv_remove(virConnectPtr c, const char *name)
{
	virDomainPtr d;
	int r;

	r = hv_lookup(c, name, &d);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = hv_destroy(d);
	/* A UEFI app's NVRAM is the app's file: libvirt refuses a plain
	 * undefine then, and leaves it in place with KEEP_NVRAM (a flag not
	 * every driver takes, so only as the second try). */
	if (r == 0 && virDomainIsPersistent(d) == 1 && virDomainUndefine(d) < 0 &&
	    virDomainUndefineFlags(d, VIR_DOMAIN_UNDEFINE_KEEP_NVRAM) < 0)
		r = lv_fail(NULL, 0, "undefine");
	virDomainFree(d);
	return r;
}

bool hv_is_active(virDomainPtr d)
{
	return virDomainIsActive(d) == 1;
}

bool hv_is_healthy(virDomainPtr d)
{
	int state = 0, reason = 0;

	if (virDomainGetState(d, &state, &reason, 0) < 0)
		return true; /* unknown: let the next pass decide */
	if (state == VIR_DOMAIN_CRASHED)
		return false;
	return !(state == VIR_DOMAIN_PAUSED &&
		 (reason == VIR_DOMAIN_PAUSED_IOERROR || reason == VIR_DOMAIN_PAUSED_CRASHED ||
		  reason == VIR_DOMAIN_PAUSED_UNKNOWN));
}

/* Value of attr='...' in the first element `tag` that has it, after from. */
static char *xml_attr_after(const char *xml, const char *from, const char *attr)
{
	const char *p = strstr(xml, from), *q, *end;
	char key[64];

	if (!p)
		return NULL;
	snprintf(key, sizeof(key), " %s='", attr);
	end = strstr(p, "</");
	q = strstr(p, key);
	if (!q || (end && q > end))
		return NULL;
	q += strlen(key);
	end = strchr(q, '\'');
	return end ? strndup(q, (size_t)(end - q)) : NULL;
}

int hv_console_pty(virDomainPtr d, char **out)
{
	char *xml = virDomainGetXMLDesc(d, 0), *p;

	if (!xml)
		return -EIO;
	p = xml_attr_after(xml, "<console type='pty'", "tty");
	free(xml);
	if (!p || strncmp(p, "/dev/pts/", 9) != 0) {
		free(p);
		return -ENOENT;
	}
	*out = p;
	return 0;
}

/* Each target dev='x' inside <tag ...> ... </tag> blocks of the live XML. */
static void each_target(const char *xml, const char *tag, virDomainPtr d, struct hv_stats *st, bool disk)
{
	char open[32], close_tag[32], dev[64];
	const char *p = xml, *blk_end, *t, *q;

	snprintf(open, sizeof(open), "<%s ", tag);
	snprintf(close_tag, sizeof(close_tag), "</%s>", tag);
	while ((p = strstr(p, open))) {
		blk_end = strstr(p, close_tag);
		if (!blk_end)
			break;
		t = strstr(p, "<target dev='");
		if (t && t < blk_end) {
			t += strlen("<target dev='");
			q = strchr(t, '\'');
			if (q && (size_t)(q - t) < sizeof(dev)) {
				memcpy(dev, t, (size_t)(q - t));
				dev[q - t] = '\0';
				if (disk) {
					virDomainBlockStatsStruct bs;

					if (virDomainBlockStats(d, dev, &bs, sizeof(bs)) == 0) {
						st->rd_bytes += bs.rd_bytes > 0 ? (uint64_t)bs.rd_bytes : 0;
						st->wr_bytes += bs.wr_bytes > 0 ? (uint64_t)bs.wr_bytes : 0;
						st->rd_req += bs.rd_req > 0 ? (uint64_t)bs.rd_req : 0;
						st->wr_req += bs.wr_req > 0 ? (uint64_t)bs.wr_req : 0;
					}
				} else {
					virDomainInterfaceStatsStruct is;

					if (virDomainInterfaceStats(d, dev, &is, sizeof(is)) == 0) {
						st->rx_bytes += is.rx_bytes > 0 ? (uint64_t)is.rx_bytes : 0;
						st->tx_bytes += is.tx_bytes > 0 ? (uint64_t)is.tx_bytes : 0;
						st->rx_pkts +=
						    is.rx_packets > 0 ? (uint64_t)is.rx_packets : 0;
						st->tx_pkts +=
						    is.tx_packets > 0 ? (uint64_t)is.tx_packets : 0;
					}
				}
			}
		}
		p = blk_end;
	}
}

int hv_stats(virDomainPtr d, struct hv_stats *st)
{
	virDomainInfo info;
	char *xml;

	memset(st, 0, sizeof(*st));
	if (virDomainGetInfo(d, &info) < 0)
		return lv_fail(NULL, 0, "info");
	st->cpu_ns = info.cpuTime;
	st->mem_kib = info.memory;
	st->maxmem_kib = info.maxMem;
	st->vcpus = info.nrVirtCpu;
	xml = virDomainGetXMLDesc(d, 0);
	if (xml) {
		each_target(xml, "disk", d, st, true);
		each_target(xml, "interface", d, st, false);
		free(xml);
	}
	return 0;
}
