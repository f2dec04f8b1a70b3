// SPDX-License-Identifier: Apache-2.0
/* An app's spec: what POST/PUT /api/v1/apps take (apps.c), what the store
 * keeps (apps.spec, app_instances.pin_spec, rollouts.spec: JSON text) and
 * what config_build.c turns into EVE's AppInstanceConfig. This module is
 * the one place the spec's JSON keys are spelled: the APP_SPEC_* names
 * below (SQL that reads a spec with json_extract uses them too), the
 * parsers and the writer. Pure functions: no database, no logging. */
#ifndef CTL_APP_SPEC_H
#define CTL_APP_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define APP_SPEC_NAME_MAX 128 /* bytes of an app's name */

/* Keys of a spec (and of an admin body, which adds name, activate and
 * project). */
#define APP_SPEC_IMAGE "image"
#define APP_SPEC_DEVICE "device"
#define APP_SPEC_SELECTOR "selector"
#define APP_SPEC_CPUS "cpus"
#define APP_SPEC_MEMORY_MB "memory_mb"
#define APP_SPEC_DISK_MB "disk_mb"
#define APP_SPEC_NETWORKS "networks"
#define APP_SPEC_PORTS "ports"
#define APP_SPEC_ENV "env"
#define APP_SPEC_VNC "vnc"
#define APP_SPEC_USER_DATA "user_data"
#define APP_SPEC_KERNEL "kernel"
#define APP_SPEC_RAMDISK "ramdisk"
#define APP_SPEC_CMDLINE "cmdline"
#define APP_SPEC_ACLS "acls"
#define APP_SPEC_VMMODE "vmmode"
#define APP_SPEC_BOOT "boot"
#define APP_SPEC_CPUS_PINNED "cpus_pinned"
#define APP_SPEC_IO "io"
#define APP_SPEC_VOLUMES "volumes"
#define APP_SPEC_ROLLBACK_AFTER_S "rollback_after_s"
/* Keys of the body only (not stored in the spec). */
#define APP_SPEC_NAME "name"
#define APP_SPEC_ACTIVATE "activate"
#define APP_SPEC_PROJECT "project"
/* Keys of a "ports" entry and of a "volumes" entry. */
#define APP_SPEC_PORT_HOST "host"
#define APP_SPEC_PORT_APP "app"
#define APP_SPEC_VOLUME_NAME "name"
#define APP_SPEC_VOLUME_MOUNT "mount"

/* The user_data value the API prints for a set secret. */
#define APP_SPEC_SECRET_SET "(secret: set)"

/* A spec. Strings and JSON values are owned by the struct (app_spec_free).
 * The JSON members hold lists whose shape the parser checked. */
struct app_spec {
	char *image;              /* image name or id (body: as given) */
	char *device;             /* target device (stored: its id); NULL with a selector */
	json_t *selector;         /* object of label: value; NULL with a device */
	int64_t cpus;             /* vCPUs (stored spec: 0 when absent) */
	int64_t memory_mb;        /* stored spec: 0 when absent */
	int64_t disk_mb;          /* 0: the image's size (VM) or no cap (container) */
	bool cpus_given;          /* body: cpus was given */
	json_t *networks;         /* array of network names; never NULL */
	json_t *ports;            /* array of {host, app}; never NULL */
	json_t *env;              /* object of strings; never NULL */
	bool vnc;                 /* remote console */
	bool activate;            /* body only (apps.activate) */
	char *user_data;          /* body: clear text; stored: sealed (secrets.h); never NULL */
	char *kernel;             /* direct kernel boot: path in the image; NULL: none */
	char *ramdisk;            /* NULL: none */
	char *cmdline;            /* NULL: none */
	json_t *acls;             /* app_acl.h; NULL: none */
	char *vmmode;             /* VmConfig.virtualizationMode name; NULL: none */
	bool vmmode_given;        /* body: vmmode was given (perhaps not a string) */
	char *boot;               /* "bios", "uefi"; NULL: none */
	char *cpus_pinned;        /* CPU list (app_vm.h); NULL: none */
	json_t *io;               /* array of adapter labels (app_io.h); NULL: none */
	json_t *volumes;          /* body: as given; stored: [{name, mount}] (volumes.h) */
	int64_t rollback_after_s; /* 0: no automatic rollback */
};

/* Parse and check an admin body (POST/PUT /apps) for app `name` into *s:
 * known keys only, every value of its type and in bounds (the checks that
 * need no database). On error returns -EINVAL with the reason in err; *s
 * is then partly filled (free it). */
int app_spec_from_body(json_t *body, const char *name, struct app_spec *s, char *err, size_t errlen);
/* Parse stored spec JSON text into *s (lenient: what is absent or of
 * another type reads as none). 0, -EINVAL (not a JSON object), -ENOMEM. */
int app_spec_load(const char *text, struct app_spec *s);
/* The stored form of s as a JSON object (caller owns it); NULL on ENOMEM. */
json_t *app_spec_json(const struct app_spec *s);
/* The same as compact JSON text with sorted keys (caller frees). */
char *app_spec_dump(const struct app_spec *s);
/* Free what s holds and zero it (accepts a zeroed struct). */
void app_spec_free(struct app_spec *s);

/* Set a string member (*field) to a copy of v (NULL clears). 0, -ENOMEM. */
int app_spec_set_str(char **field, const char *v);
/* Entry i of the port maps: host and app port; false past the end. */
bool app_spec_port(const struct app_spec *s, size_t i, int64_t *host, int64_t *app);
/* Entry i of the networks; NULL past the end. */
const char *app_spec_network(const struct app_spec *s, size_t i);
/* Entry i of the I/O adapters; NULL past the end (or not a string). */
const char *app_spec_io(const struct app_spec *s, size_t i);
/* Entry i of the volumes: its name and mount point ("" for none); false
 * past the end. */
bool app_spec_volume(const struct app_spec *s, size_t i, const char **name, const char **mount);
/* What of a change from old to s needs the instances restarted to take
 * effect ("env changed", ...), or NULL. */
const char *app_spec_restart_reason(const struct app_spec *old, const struct app_spec *s);

#endif
