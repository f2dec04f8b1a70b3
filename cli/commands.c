// SPDX-License-Identifier: Apache-2.0
/* The command table: every command, its arguments and options. The parser,
 * --help, `completion bash` and `__man` all read it. */
#include "commands.h"

#include <stddef.h>

const struct cmd_opt cmdtab_globals[] = {
    {"server", 0, OPT_STR, "URL",
     "controller URL, e.g. https://ctl:8443 (overrides EVECTL_SERVER and the config)"},
    {"token", 0, OPT_STR, "TOKEN", "admin API token (overrides EVECTL_TOKEN and the config)"},
    {"ca", 0, OPT_STR, "FILE", "CA certificate (PEM) to trust for the server (overrides EVECTL_CA)"},
    {"context", 0, OPT_STR, "NAME", "use this config context instead of the current one"},
    {"output", 'o', OPT_CHOICE, "FORMAT", "output format", false, "table|json|wide"},
    {"quiet", 'q', OPT_BOOL, NULL, "print only ids (names for images)"},
    {"help", 'h', OPT_BOOL, NULL, "show help"},
    {"version", 0, OPT_BOOL, NULL, "print evectl's version and exit"},
    {NULL},
};

static const struct cmd_opt login_opts[] = {
    {"server", 0, OPT_STR, "URL", "controller URL", true},
    {"ca", 0, OPT_STR, "FILE", "CA certificate (PEM) of the controller (its root-certificate.pem)", true},
    {"token", 0, OPT_STR, "TOKEN", "admin API token", true},
    {"context", 0, OPT_STR, "NAME", "name of the context to save (default: default)"},
    {NULL},
};

static const struct cmd_opt onboard_add_opts[] = {
    {"cert", 0, OPT_STR, "FILE", "onboarding certificate (PEM)", true},
    {"serial", 0, OPT_LIST, "S[,S...]", "serial numbers allowed to onboard with it ('*' = any)", true},
    {"append", 0, OPT_BOOL, NULL, "add these serials to the certificate's list instead of replacing it"},
    {"remove", 0, OPT_BOOL, NULL, "remove these serials from the certificate's list"},
    {NULL},
};

static const struct cmd_opt device_add_opts[] = {
    {"cert", 0, OPT_STR, "FILE", "the device certificate (PEM)", true},
    {"serial", 0, OPT_STR, "SERIAL", "the device serial number", true},
    {"label", 'l', OPT_LIST, "KEY=VALUE", "a label"},
    {"project", 0, OPT_STR, "PROJECT",
     "the project it belongs to (default: the only one granted, else default)"},
    {NULL},
};

static const struct cmd_opt label_filter_opts[] = {
    {"label", 'l', OPT_STR, "KEY=VALUE", "only devices with this label"},
    {NULL},
};

static const struct cmd_opt update_os_opts[] = {
    {"image", 0, OPT_STR, "NAME", "base OS image (format baseos) to install", true},
    {"retry", 0, OPT_BOOL, NULL, "retry an update that failed"},
    {"no-activate", 0, OPT_BOOL, NULL, "download only, do not activate"},
    {"label", 'l', OPT_STR, "KEY=VALUE", "every device with this label (instead of DEVICE)"},
    {NULL},
};

static const struct cmd_opt info_opts[] = {
    {"type", 0, OPT_STR, "TYPE", "only this info type (device, app, network, ...)"},
    {"limit", 0, OPT_INT, "N", "at most N records (default 100)"},
    {NULL},
};

static const struct cmd_opt metrics_opts[] = {
    {"since", 0, OPT_DUR, "DURATION", "only the last DURATION (30s, 10m, 2h)"},
    {"limit", 0, OPT_INT, "N", "at most N records (default 100)"},
    {NULL},
};

static const struct cmd_opt logs_opts[] = {
    {"follow", 'f', OPT_BOOL, NULL, "keep printing new log lines until interrupted"},
    {"since", 0, OPT_DUR, "DURATION", "only the last DURATION (30s, 10m, 2h)"},
    {"limit", 0, OPT_INT, "N", "at most N lines (default 100); with -f: the last N, then follow"},
    {"source", 0, OPT_STR, "SOURCE", "only lines from this source (e.g. the app's console, an agent module)"},
    {NULL},
};

static const struct cmd_opt flows_opts[] = {
    {"follow", 'f', OPT_BOOL, NULL, "keep printing new flow reports until interrupted"},
    {"limit", 0, OPT_INT, "N", "the last N reports (default 20, at most 200)"},
    {NULL},
};

static const struct cmd_opt image_add_opts[] = {
    {"url", 0, OPT_STR, "URL",
     "where devices get it: http(s)://..., or docker://HOST/REPO:TAG / oci://... (an OCI registry)", true},
    {"sha256", 0, OPT_STR, "HEX",
     "sha256 of the image (64 hex digits); for docker:// the manifest digest (optional: else the tag is "
     "followed)"},
    {"format", 0, OPT_CHOICE, "FORMAT", "image format (docker://: oci, the default)", false,
     "qcow2|raw|iso|oci|baseos"},
    {"size", 0, OPT_SIZE, "SIZE", "size in bytes (K/M/G accepted)"},
    {"version", 0, OPT_STR, "VERSION", "version string (base OS images)"},
    /* OCI registries (docker://, oci://) */
    {"username", 0, OPT_STR, "USER", "registry user name (docker:// and oci:// images)"},
    {"password-file", 0, OPT_STR, "FILE", "file holding the registry password (first line)"},
    {"registry-ca", 0, OPT_STR, "PEM", "registry TLS roots (PEM file), else the device's system store"},
    {"project", 0, OPT_STR, "PROJECT",
     "the project it belongs to (default: the only one granted, else default)"},
    /* publisher signature of an http(s) image (EVE's SignatureInfo) */
    {"signature", 0, OPT_STR, "FILE",
     "detached signature: ECDSA (DER) over the image's sha256, e.g. `openssl dgst -sha256 -sign KEY IMAGE`"},
    {"signer-cert-url", 0, OPT_STR, "URL", "where devices fetch the signer's certificate (with --signature)"},
    {"inter-cert-url", 0, OPT_STR, "URL",
     "where devices fetch an intermediate certificate (with --signature)"},
    {NULL},
};

static const struct cmd_opt image_push_opts[] = {
    {"tag", 0, OPT_STR, "TAG", "tag to push (default latest)"},
    {NULL},
};

static const struct cmd_opt image_sign_opts[] = {
    {"key", 0, OPT_STR, "FILE", "publisher's ECDSA P-256 private key (PEM)", true},
    {"identity", 0, OPT_STR, "REF", "docker-reference named in the signature (default: the repository)"},
    {NULL},
};

static const struct cmd_opt image_trust_add_opts[] = {
    {"key", 0, OPT_STR, "FILE", "publisher's public key (PEM, ECDSA P-256) or a certificate holding it",
     true},
    {NULL},
};

static const struct cmd_opt image_upload_opts[] = {
    {"format", 0, OPT_CHOICE, "FORMAT", "image format (default: from the extension, else raw)", false,
     "qcow2|raw|iso|oci|baseos"},
    {"version", 0, OPT_STR, "VERSION", "version string (base OS images)"},
    {"project", 0, OPT_STR, "PROJECT",
     "the project it belongs to (default: the only one granted, else default)"},
    {"signature", 0, OPT_STR, "FILE",
     "detached signature: ECDSA (DER) over the image's sha256, e.g. `openssl dgst -sha256 -sign KEY IMAGE`"},
    {"signer-cert-url", 0, OPT_STR, "URL", "where devices fetch the signer's certificate (with --signature)"},
    {"inter-cert-url", 0, OPT_STR, "URL",
     "where devices fetch an intermediate certificate (with --signature)"},
    {NULL},
};

static const struct cmd_opt network_create_opts[] = {
    {"device", 0, OPT_STR, "DEVICE", "device (name or id) the network instance lives on", true},
    {"type", 0, OPT_CHOICE, "TYPE", "local (NAT) or switch (L2 bridge to a port)", true, "local|switch"},
    {"subnet", 0, OPT_STR, "CIDR", "subnet, e.g. 10.1.0.0/24"},
    {"port", 0, OPT_STR, "PORT", "device port, e.g. eth1 (required for switch)"},
    {NULL},
};

static const struct cmd_opt device_filter_opts[] = {
    {"device", 0, OPT_STR, "DEVICE", "only on this device (name or id)"},
    {NULL},
};

static const struct cmd_opt network_delete_opts[] = {
    {"device", 0, OPT_STR, "DEVICE", "only on this device (name or id)"},
    {"force", 0, OPT_BOOL, NULL, "delete it even while apps use it (they lose that interface)"},
    {NULL},
};

static const struct cmd_opt device_delete_opts[] = {
    {"force", 0, OPT_BOOL, NULL, "delete it with its app instances, and the apps that target only it"},
    {NULL},
};

static const struct cmd_opt reboot_opts[] = {
    {"yes", 'y', OPT_BOOL, NULL, "do not ask for confirmation (scripts)"},
    {NULL},
};

static const struct cmd_opt file_opts[] = {
    {"file", 'f', OPT_STR, "FILE", "edge-container manifest (JSON; '-' = stdin)", true},
    {NULL},
};

static const struct cmd_opt delete_file_opts[] = {
    {"file", 'f', OPT_STR, "FILE", "edge-container manifest (JSON; '-' = stdin)", true},
    {"ignore-not-found", 0, OPT_BOOL, NULL, "exit 0 when the app does not exist"},
    {NULL},
};

static const struct cmd_opt deploy_opts[] = {
    {"image", 0, OPT_STR, "IMAGE", "image name on the controller", true},
    {"device", 0, OPT_STR, "DEVICE", "run on this device (name or id)"},
    {"selector", 0, OPT_LIST, "KEY=VALUE", "run on every device with these labels, now and later"},
    {"cpus", 0, OPT_INT, "N", "virtual CPUs (default 1)"},
    {"memory", 0, OPT_SIZE, "SIZE", "memory, e.g. 512M (default 256M)"},
    {"disk", 0, OPT_SIZE, "SIZE", "size of the image volume (root disk / container layer), e.g. 2G"},
    {"rollback-after", 0, OPT_DUR, "DURATION",
     "roll an update back by itself when it is not RUNNING on every device within DURATION"},
    {"volume", 'v', OPT_LIST, "VOL[:/MOUNT]",
     "attach this data volume (evectl volume create); containers mount it at MOUNT"},
    {"network", 0, OPT_LIST, "NET", "attach to this network instance"},
    {"publish", 'p', OPT_LIST, "HOST:APP", "forward device port HOST to app port APP (needs --network)"},
    {"allow", 0, OPT_LIST, "TYPE:VALUE",
     "allow only this traffic (ip:CIDR, host:NAME, tcp:PORT, udp:PORT); default: everything"},
    {"env", 'e', OPT_LIST, "KEY=VALUE", "environment variable"},
    {"vnc", 0, OPT_BOOL, NULL, "enable the VNC console"},
    {"stopped", 0, OPT_BOOL, NULL, "create it without starting it"},
    {"kernel", 0, OPT_STR, "PATH", "VM: boot this kernel file of the image directly"},
    {"ramdisk", 0, OPT_STR, "PATH", "VM: with --kernel, this initrd file of the image"},
    {"cmdline", 0, OPT_STR, "ARGS", "VM: with --kernel, the kernel command line"},
    {"project", 0, OPT_STR, "PROJECT",
     "the project it belongs to (default: the only one granted, else default)"},
    /* any-app */
    {"boot", 0, OPT_STR, "bios|uefi", "VM: firmware that boots the disk image (default: BIOS)"},
    {"cpus-pinned", 0, OPT_STR, "CPUS", "VM: pin one vCPU to each of these host CPUs, e.g. 0,1"},
    {"user-data", 0, OPT_STR, "FILE", "VM: cloud-init user data from FILE (at most 64 KiB)"},
    {"io", 0, OPT_LIST, "ADAPTER",
     "assign this I/O adapter of the device (evectl device io list) to the app"},
    {NULL},
};

/* volumes (cmd_volume.c) */
static const struct cmd_opt volume_create_opts[] = {
    {"device", 0, OPT_STR, "DEVICE", "device (name or id) the volume lives on", true},
    {"size", 0, OPT_SIZE, "SIZE", "maximum size, e.g. 64M, 1G (required unless --image)"},
    {"image", 0, OPT_STR, "IMAGE", "make the volume from this app image (default: blank)"},
    {NULL},
};

static const struct cmd_opt app_delete_opts[] = {
    {"with-volumes", 0, OPT_BOOL, NULL, "also delete the data volumes the app uses (default: keep them)"},
    {NULL},
};

static const struct cmd_opt app_rollback_opts[] = {
    {"to", 0, OPT_INT, "N", "this revision (default: the one before the current)"},
    {NULL},
};

static const struct cmd_opt bootstrap_opts[] = {
    {"serial", 0, OPT_STR, "SERIAL", "the device registered with this serial (instead of DEVICE)"},
    {"out", 'o', OPT_STR, "FILE", "where to write bootstrap-config.pb", true},
    {NULL},
};

static const struct cmd_opt wait_opts[] = {
    {"state", 0, OPT_STR, "STATE", "wait until every instance is in STATE (e.g. RUNNING)", true},
    {"timeout", 0, OPT_DUR, "DURATION", "give up (exit 5) after DURATION (default 120s)"},
    {NULL},
};

/* interoperability: the device hardware model */
static const struct cmd_opt device_io_set_opts[] = {
    {"type", 0, OPT_CHOICE, "TYPE", "adapter type (new ports: eth)", false,
     "eth|wlan|wwan|eth-pf|eth-vf|usb|usb-controller|usb-device|com|audio|hdmi|nvme|sata|can|vcan|lcan|"
     "other"},
    {"usage", 0, OPT_CHOICE, "USAGE", "mgmt (+apps), mgmt-only, shared (apps), app (one app), disabled, none",
     false, "mgmt|mgmt-only|shared|app|disabled|none"},
    {"dhcp", 0, OPT_CHOICE, "MODE", "IP addressing of a mgmt/shared port", false, "client|static|none"},
    {"ip", 0, OPT_STR, "ADDR/PREFIX", "static address, e.g. 192.168.1.10/24 (with --dhcp static)"},
    {"gateway", 0, OPT_STR, "ADDR", "static default gateway"},
    {"dns", 0, OPT_LIST, "ADDR", "DNS server (repeatable; --dns \"\" clears)"},
    {"cost", 0, OPT_INT, "N", "0 (free, preferred) .. 255"},
    {"proxy", 0, OPT_STR, "URL", "HTTP(S) proxy http://host:port (\"\" clears)"},
    {"no-proxy", 0, OPT_STR, "LIST",
     "proxy exceptions (DIRECT), comma-separated: hosts, .domains, addresses"},
    {"pac", 0, OPT_STR, "FILE",
     "proxy auto-config script (PAC, at most 16 KiB; \"\" clears); not with --proxy"},
    {"ifname", 0, OPT_STR, "IFNAME", "the Linux interface of a network port"},
    {"label", 0, OPT_STR, "NAME", "logical label networks and apps refer to (default: the port)"},
    {"assigngrp", 0, OPT_STR, "NAME", "assignment group: makes the adapter assignable to an app"},
    {"pci", 0, OPT_STR, "ADDR", "PCI address, e.g. 0000:02:00.0"},
    {"usb", 0, OPT_STR, "ADDR", "USB address, e.g. 1:2.3"},
    {"serial-port", 0, OPT_STR, "DEV", "serial device, e.g. /dev/ttyS1"},
    {"create", 0, OPT_BOOL, NULL, "create the port with defaults even without other options"},
    {NULL},
};

static const struct cmd_opt rollout_create_opts[] = {
    {"app", 0, OPT_STR, "APP", "roll out a new revision of this app (to the devices it runs on)"},
    {"os", 0, OPT_STR, "IMAGE", "roll out this base OS image"},
    {"image", 0, OPT_STR, "IMAGE", "--app: the new image"},
    {"env", 'e', OPT_LIST, "KEY=VALUE", "--app: the new environment (replaces the app's)"},
    {"cpus", 0, OPT_INT, "N", "--app: new virtual CPU count"},
    {"memory", 0, OPT_SIZE, "SIZE", "--app: new memory size"},
    {"selector", 0, OPT_LIST, "KEY=VALUE", "only devices with these labels"},
    {"device", 0, OPT_LIST, "DEVICE", "only these devices"},
    {"phases", 0, OPT_STR, "LIST", "cumulative counts or percentages, e.g. 1,10%,50%,100% (default 100%)"},
    {"phase-devices", 0, OPT_LIST, "D1,D2", "an explicit phase: these devices (repeat for each phase)"},
    {"health", 0, OPT_DUR, "DURATION", "healthy this long to pass the gate (default 60s)"},
    {"timeout", 0, OPT_DUR, "DURATION", "phase timeout for devices not healthy (default 10m)"},
    {"online", 0, OPT_DUR, "DURATION", "a device seen within this is online (default 3m)"},
    {"offline", 0, OPT_CHOICE, "failed|skipped", "a device offline at the timeout counts as (default failed)",
     false, "failed|skipped"},
    {"pause", 0, OPT_STR, "DURATION|manual", "wait between phases, or 'manual' approval (rollout resume)"},
    {"max-failures", 0, OPT_STR, "N|N%", "failure budget: halt when more devices fail (default 0)"},
    {"no-rollback", 0, OPT_BOOL, NULL, "on halt, leave the failed phase as it is (default: roll it back)"},
    {NULL},
};

static const struct cmd_opt rollout_get_opts[] = {
    {"watch", 'w', OPT_BOOL, NULL, "print each decision until the rollout ends (exit 0 done, 3 halted)"},
    {NULL},
};

/* who may do what: tokens, users, projects, audit (cmd_access.c) */
static const struct cmd_opt token_create_opts[] = {
    {"name", 0, OPT_STR, "NAME", "what the token is for (shown by token list and in the audit)", true},
    {"role", 0, OPT_CHOICE, "ROLE",
     "admin: everything; operator: change the projects granted; viewer: read them", true,
     "admin|operator|viewer"},
    {"project", 0, OPT_LIST, "PROJECT", "a project it may use ('*' for all; not for admin)"},
    {"expires", 0, OPT_DUR, "DURATION", "expires after this long (30d, 12h; default: never)"},
    {NULL},
};

static const struct cmd_opt user_create_opts[] = {
    {"role", 0, OPT_CHOICE, "ROLE", "admin, operator or viewer", true, "admin|operator|viewer"},
    {"project", 0, OPT_LIST, "PROJECT", "a project the user may use ('*' for all; not for admin)"},
    {NULL},
};

static const struct cmd_opt audit_opts[] = {
    {"since", 0, OPT_DUR, "DURATION", "only events of the last DURATION (1h, 7d)"},
    {"user", 0, OPT_STR, "WHO", "only events of this user (or token:NAME for an API token)"},
    {"limit", 0, OPT_INT, "N", "at most N events (default 100)"},
    {"follow", 'f', OPT_BOOL, NULL, "then print new events as they happen"},
    {NULL},
};

/* Remote sessions (cmd_console.c). */
static const struct cmd_opt console_opts[] = {
    {"instance", 0, OPT_STR, "ID", "the instance (id, or its device) when the app runs on several devices"},
    {"ttl", 0, OPT_DUR, "DURATION", "the session ends by itself after this (default 10m, at most 1h)"},
    {NULL},
};

static const struct cmd_opt vnc_opts[] = {
    {"listen", 0, OPT_STR, "ADDR:PORT", "local address for VNC viewers, e.g. 127.0.0.1:5901", true},
    {"instance", 0, OPT_STR, "ID", "the instance (id, or its device) when the app runs on several devices"},
    {"ttl", 0, OPT_DUR, "DURATION", "the session ends by itself after this (default 10m, at most 1h)"},
    {NULL},
};

#define NOARGS NULL, 0, 0
#define ONE(x) x, 1, 1

const struct cmd cmdtab_commands[] = {
    {"login", NOARGS, login_opts, "Save a server, its CA and a token as a context",
     "Checks them with GET /status first; writes ~/.config/evectl/config (0600).", cmd_login},
    {"context use", ONE("NAME"), NULL, "Make NAME the current context", NULL, cmd_context_use},
    {"context list", NOARGS, NULL, "List contexts (tokens are never printed)", NULL, cmd_context_list},
    {"status", NOARGS, NULL, "Show the controller's version and counts", NULL, cmd_status},

    {"onboard add", NOARGS, onboard_add_opts,
     "Allow devices with these serials to onboard with a certificate",
     "If the certificate is known already, its serial list is replaced (--append adds to it, --remove "
     "takes serials out); the output says what the list now is.",
     cmd_onboard_add},
    {"onboard list", NOARGS, NULL, "List onboarding certificates", NULL, cmd_onboard_list},
    {"onboard remove", ONE("ID"), NULL, "Remove an onboarding certificate", NULL, cmd_onboard_remove},

    {"device add", ONE("NAME"), device_add_opts, "Pre-register a device by its certificate", NULL,
     cmd_device_add},
    {"device list", NOARGS, label_filter_opts, "List devices", NULL, cmd_device_list},
    {"device get", ONE("DEVICE"), NULL, "Show a device and its apps", NULL, cmd_device_get},
    {"device delete", ONE("DEVICE"), device_delete_opts, "Delete a device",
     "Refused (exit 3) while apps run on it, unless --force.", cmd_device_delete},
    {"device rename", "DEVICE NEWNAME", 2, 2, NULL, "Rename a device", NULL, cmd_device_rename},
    {"device label", "DEVICE KEY=VALUE|KEY-...", 2, -1, NULL, "Set (KEY=VALUE) or remove (KEY-) labels", NULL,
     cmd_device_label},
    {"device reboot", ONE("DEVICE"), reboot_opts, "Reboot a device",
     "On a terminal it asks for confirmation first (and says so when the device is the machine you are "
     "on); --yes skips the question.",
     cmd_device_reboot},
    /* remote attestation (cmd_attest.c) */
    {"device attest show", ONE("DEVICE"), NULL, "Show a device's attestation state and PCRs",
     "STATE is unknown (not attested yet), ok, failed (DETAIL names the PCRs that differ from the baseline, "
     "or why the quote was refused) or not-supported (no TPM). Under the enforce policy a failed device's "
     "config is frozen at what it had.",
     cmd_device_attest_show},
    {"device attest accept", ONE("DEVICE"), NULL, "Accept the device's last verified PCRs as its baseline",
     "After a legitimate change (an update): the device is ok again and gets its config at its next "
     "attestation.",
     cmd_device_attest_accept},
    {"device attest reset", ONE("DEVICE"), NULL, "Forget the baseline: the next good quote sets it", NULL,
     cmd_device_attest_reset},
    {"device attest policy", "DEVICE off|report|enforce|default", 2, 2, NULL,
     "Set the device's attestation policy (default: controller.conf's attestation)", NULL,
     cmd_device_attest_policy},
    {"device attest allow-no-tpm", "DEVICE on|off", 2, 2, NULL,
     "Let a device without a TPM get config under the enforce policy", NULL, cmd_device_attest_allow_no_tpm},
    {"device config set", "DEVICE KEY=VALUE|KEY-...", 2, -1, NULL,
     "Set (KEY=VALUE) or remove (KEY-) configuration items",
     "e.g. timer.config.interval=10. A value of the wrong type or out of range for a property EVE defines "
     "is refused (exit 3) before anything is sent; a name EVE does not define is sent with a warning.",
     cmd_device_config_set},
    {"device config get", ONE("DEVICE"), NULL, "Show each runtime configuration property and its state",
     "STATE is applied (the device runs the configured value), pending (not reported yet), rejected (the "
     "device refused the value: see ERROR), unsupported (the device does not implement it), unknown (not a "
     "property EVE defines) or default (not configured). -o wide adds the configured value and whether "
     "eve-agent implements the property.",
     cmd_device_config_get},
    {"device config dump", ONE("DEVICE"), NULL, "Print the configuration the device receives (JSON)", NULL,
     cmd_device_config_dump},
    {"device bootstrap-config", "[DEVICE]", 0, 1, bootstrap_opts,
     "Write the signed bootstrap config a device takes at installation",
     "EVE's BootstrapConfig: the device's current configuration signed by the controller, with the "
     "signing certificate. The agent takes it from its config directory (bootstrap-config.pb) before "
     "it can reach the controller, or from a filesystem labelled EVE-CONFIG.",
     cmd_device_bootstrap_config},
    {"device update-os", "[DEVICE]", 0, 1, update_os_opts, "Install a base OS image on a device", NULL,
     cmd_device_update_os},
    {"device info", ONE("DEVICE"), info_opts, "Show the info records a device sent, newest first",
     "The table shows each record's object, name, state and error; -o wide adds the record, -o json "
     "prints them as the API returns them.",
     cmd_device_info},
    {"device metrics", ONE("DEVICE"), metrics_opts, "Show the metrics a device sent, newest first",
     "The table shows CPU time, memory, disk, network bytes and the number of apps; -o wide adds the "
     "record, -o json prints them as the API returns them.",
     cmd_device_metrics},
    {"top", "[DEVICE]", 0, 1, NULL, "Show CPU, memory, disk and network of devices and their apps",
     "From the two newest metrics records of each device: CPU % (of the whole device; of one CPU for an "
     "app) and network rates are the difference between them.",
     cmd_top},
    {"device logs", ONE("DEVICE"), logs_opts, "Show (or follow) a device's logs", NULL, cmd_device_logs},
    {"device io list", ONE("DEVICE"), NULL, "Show a device's hardware model (ports and I/O adapters)",
     "Also lists the ports the device reports that the model does not have yet. Management ports the "
     "device reports (uplink) join the model by themselves.",
     cmd_device_io_list},
    {"device io set", "DEVICE PORT", 2, 2, device_io_set_opts,
     "Add or change a port or I/O adapter of a device's hardware model",
     "The device receives it as deviceIoList + systemAdapterList (+ a NetworkConfig for mgmt and shared "
     "ports). Settings the device would not use are refused.",
     cmd_device_io_set},
    {"device io delete", "DEVICE PORT", 2, 2, NULL, "Remove a port or I/O adapter from the model", NULL,
     cmd_device_io_delete},

    {"image add", ONE("NAME"), image_add_opts, "Register an image that devices download from a URL", NULL,
     cmd_image_add},
    {"image upload", "NAME FILE", 2, 2, image_upload_opts, "Upload an image file to the controller",
     "Hashes FILE (sha256) first, registers NAME with that hash, then streams the file; a progress bar is "
     "drawn on stderr when it is a terminal. Uploading the same file again sends nothing.",
     cmd_image_upload},
    {"image push", "NAME FILE|DIR", 2, 2, image_push_opts,
     "Push a container image to the controller's registry",
     "FILE|DIR is an OCI image layout (a directory, or a tar of one) or a `docker save` tar. Blobs go to "
     "the controller's OCI registry (/v2/NAME, the one skopeo and docker push to), those it has already "
     "are skipped, then the manifest under --tag; this makes (or updates) the image NAME, format oci, "
     "which devices pull as a container-registry datastore. A progress bar is drawn on stderr when it "
     "is a terminal.",
     cmd_image_push},
    {"image sign", ONE("NAME"), image_sign_opts, "Sign an image of the controller's registry (cosign format)",
     "Signs the manifest digest the image's tag names with the publisher key --key (ECDSA P-256, PEM), "
     "in Sigstore/cosign's key-based format: a simple-signing payload and its signature stored as "
     "sha256-<digest>.sig in the image's repository of the controller's registry (replacing an earlier "
     "signature of that digest). Devices whose image-trust/ holds the public key verify it before they "
     "use the image (config property images.signatures; docs/security.md).",
     cmd_image_sign},
    /* publisher keys every device trusts besides its own (issue #31) */
    {"image trust add", ONE("NAME"), image_trust_add_opts, "Make every device trust a publisher key",
     "Adds the public key --key to the publisher keys every device trusts for image and base OS "
     "signatures. Devices receive it in their signed config (config item images.trust.key.NAME) and "
     "sign-check with it besides the keys of their config dir's image-trust/; a device whose "
     "image-trust/controller-keys says deny refuses it and reports why (evectl device config get). "
     "The controller cannot lower a device's local images.signatures policy (docs/security.md).",
     cmd_image_trust_add},
    {"image trust list", NOARGS, NULL, "List the publisher keys every device trusts", NULL,
     cmd_image_trust_list},
    {"image trust remove", ONE("NAME"), NULL, "Stop trusting a publisher key on every device",
     "Removes the key from every device's config: images it signed are judged again, and under "
     "images.signatures=require their apps stop (ERROR, with the reason).",
     cmd_image_trust_remove},
    {"image list", NOARGS, NULL, "List images", NULL, cmd_image_list},
    {"image get", ONE("NAME"), NULL, "Show an image", NULL, cmd_image_get},
    {"image delete", ONE("NAME"), NULL, "Delete an image (refused while an app uses it)", NULL,
     cmd_image_delete},

    {"network create", ONE("NAME"), network_create_opts, "Create a network instance on a device", NULL,
     cmd_network_create},
    {"network list", NOARGS, device_filter_opts, "List network instances", NULL, cmd_network_list},
    {"network get", ONE("NAME|ID"), device_filter_opts, "Show a network instance (a name needs --device)",
     NULL, cmd_network_get},
    {"network delete", ONE("NAME|ID"), network_delete_opts,
     "Delete a network instance (a name needs --device)",
     "Refused (exit 3) while an app on that device attaches to it, unless --force.", cmd_network_delete},

    {"volume create", ONE("NAME"), volume_create_opts, "Create a data volume on a device",
     "Blank (--size) or made from an app image (--image). Apps attach it with app deploy --volume; it "
     "outlives them.",
     cmd_volume_create},
    {"volume list", NOARGS, device_filter_opts, "List volumes, with the bytes each uses", NULL,
     cmd_volume_list},
    {"volume get", ONE("NAME|ID"), device_filter_opts, "Show a volume", NULL, cmd_volume_get},
    {"volume purge", ONE("NAME|ID"), device_filter_opts, "Rebuild a volume empty (or from its image)",
     "Bumps its generation (EVE generationCount): the device recreates it; its data is lost.",
     cmd_volume_purge},
    {"volume delete", ONE("NAME|ID"), device_filter_opts, "Delete a volume and its data",
     "Refused (exit 3) while an app uses it.", cmd_volume_delete},

    {"apply", NOARGS, file_opts, "Create or update the app an edge-container manifest describes",
     "Idempotent: applying the same file twice changes nothing (prints 'unchanged'). A change of env, "
     "ports or user_data restarts the app's instances so it takes effect (the output says so). Unknown "
     "fields and values this controller would not honour are refused.",
     cmd_apply},
    {"delete", NOARGS, delete_file_opts, "Delete the app an edge-container manifest describes", NULL,
     cmd_delete_file},

    {"app deploy", ONE("NAME"), deploy_opts, "Deploy an edge container to a device or a label selector",
     "Give exactly one of --device or --selector. Each --allow becomes a firewall rule (EVE ACE) on "
     "every --network adapter: the app then reaches only what some --allow names (host: the name and "
     "its subdomains, once the app resolved them through the network's DNS); without --allow it "
     "reaches everything.",
     cmd_app_deploy},
    {"app list", NOARGS, device_filter_opts, "List apps", NULL, cmd_app_list},
    {"app get", ONE("NAME"), NULL, "Show an app and its instances", NULL, cmd_app_get},
    {"app start", ONE("NAME"), NULL, "Start (activate) an app", NULL, cmd_app_action},
    {"app stop", ONE("NAME"), NULL, "Stop (deactivate) an app", NULL, cmd_app_action},
    {"app restart", ONE("NAME"), NULL, "Restart an app's instances", NULL, cmd_app_action},
    {"app purge", ONE("NAME"), NULL, "Restart an app's instances from fresh disks", NULL, cmd_app_action},
    {"app delete", ONE("NAME"), app_delete_opts, "Delete an app",
     "Its data volumes stay on the device (attach them to another app) unless --with-volumes.",
     cmd_app_delete},
    {"app history", ONE("NAME"), NULL, "Show an app's revisions and why each was made", NULL,
     cmd_app_history},
    {"app rollback", ONE("NAME"), app_rollback_opts, "Return an app to an earlier revision",
     "The earlier revision (image and spec) becomes the app's next one (reason: rollback to vN). Its "
     "devices restart it on that image; its data volumes keep their data.",
     cmd_app_rollback},
    {"app console", ONE("NAME"), console_opts, "Attach to an app's serial console through the controller",
     "Raw terminal; ^] leaves. The device opens the tunnel to the controller (nothing listens on the "
     "device); the session is recorded and ends when you leave or at --ttl.",
     cmd_app_console},
    {"app vnc", ONE("NAME"), vnc_opts, "Forward a VM app's VNC display to a local port",
     "Each VNC viewer connection to --listen becomes a channel through the controller; Ctrl-C ends the "
     "session.",
     cmd_app_vnc},
    {"app port-forward", "NAME [ADDR:]LOCALPORT:APPPORT", 2, 2, console_opts,
     "Forward a local TCP port to a TCP port of the app",
     "Connections to LOCALPORT (on 127.0.0.1 unless ADDR) reach APPPORT on the app's address on its "
     "device, through the controller; Ctrl-C ends the session.",
     cmd_app_port_forward},
    {"app logs", ONE("NAME"), logs_opts, "Show (or follow) an app's console and logs", NULL, cmd_app_logs},
    {"app flows", ONE("NAME"), flows_opts, "Show (or follow) an app's flow logs",
     "Connections accepted or dropped by the app's firewall rules, with the rule (ACE) that decided, and "
     "its DNS requests, as its devices report them.",
     cmd_app_flows},
    {"app wait", ONE("NAME"), wait_opts, "Wait until every instance of an app is in a state",
     "Polls once a second. An instance counts only once its device reported on the app's newest "
     "generation (after a restart, purge, start, stop or change); one in ERROR for it ends the wait at "
     "once (exit 3, with the device's error). Exits 5 when the timeout passes first.",
     cmd_app_wait},

    {"rollout create", ONE("NAME"), rollout_create_opts,
     "Roll out an app revision or a base OS image phase by phase",
     "Each phase starts when the previous one passed its health gate (every updated instance RUNNING "
     "the new revision, or the new base OS committed, and the device online, for --health). More "
     "failed devices than --max-failures halts the rollout and rolls the failed phase back.",
     cmd_rollout_create},
    {"rollout list", NOARGS, NULL, "List rollouts", NULL, cmd_rollout_list},
    {"rollout get", ONE("NAME"), rollout_get_opts, "Show a rollout: phases, devices and decisions", NULL,
     cmd_rollout_get},
    {"rollout pause", ONE("NAME"), NULL, "Stop a rollout where it is", NULL, cmd_rollout_action},
    {"rollout resume", ONE("NAME"), NULL, "Continue a paused rollout (or approve its next phase)", NULL,
     cmd_rollout_action},
    {"rollout abort", ONE("NAME"), NULL, "End a rollout; updated devices keep the new version", NULL,
     cmd_rollout_action},
    {"rollout rollback", ONE("NAME"), NULL, "End a rollout and revert every device it updated", NULL,
     cmd_rollout_action},
    {"rollout delete", ONE("NAME"), NULL, "Delete a finished rollout's record", NULL, cmd_rollout_delete},

    {"whoami", NOARGS, NULL, "Show the user or token in use, its role and projects", NULL, cmd_whoami},
    {"token create", NOARGS, token_create_opts, "Create an API token (its text is shown once)",
     "Tokens are stored hashed: only now can the token be copied. Example: evectl token create --role "
     "operator --project site-a --expires 30d --name ci.",
     cmd_token_create},
    {"token list", NOARGS, NULL, "List API tokens: role, projects, expiry, last use (never the tokens)", NULL,
     cmd_token_list},
    {"token revoke", ONE("ID|NAME"), NULL, "Revoke an API token (401 from its next request on)",
     "The last admin token is refused while no admin user exists.", cmd_token_revoke},
    {"user create", ONE("NAME"), user_create_opts, "Create a user (the password is read from the terminal)",
     "Without a terminal the password is the first line of standard input. Users log in to the dashboard "
     "(POST /api/v1/login) for a 12 h session.",
     cmd_user_create},
    {"user list", NOARGS, NULL, "List users", NULL, cmd_user_list},
    {"user delete", ONE("NAME"), NULL, "Delete a user and end its sessions", NULL, cmd_user_delete},
    {"user passwd", ONE("NAME"), NULL, "Change a user's password (ends its sessions)", NULL, cmd_user_passwd},
    {"project create", ONE("NAME"), NULL, "Create a project (a-z 0-9 - _ .)", NULL, cmd_project_create},
    {"project list", NOARGS, NULL, "List the projects granted, with their device and app counts", NULL,
     cmd_project_list},
    {"project delete", ONE("NAME"), NULL, "Delete an empty project", NULL, cmd_project_delete},
    {"project config set", "PROJECT KEY=VALUE|KEY-...", 2, -1, NULL,
     "Set (KEY=VALUE) or remove (KEY-) configuration items of every device of a project",
     "A device's own item (device config set) wins over its project's; device config get shows where each "
     "value comes from (SOURCE). Values are checked as for device config set.",
     cmd_project_config_set},
    {"project config get", ONE("PROJECT"), NULL, "Show a project's configuration items", NULL,
     cmd_project_config_get},
    {"audit", NOARGS, audit_opts, "Show who changed what, when, and the result",
     "Every state-changing admin request and every login is recorded (kept 90 days). Oldest first.",
     cmd_audit},

    {"completion", ONE("bash|zsh"), NULL, "Print a bash or zsh completion script",
     "Use: source <(evectl completion bash), or in zsh: source <(evectl completion zsh). Device, app, "
     "image and network names are completed from the controller of the current context.",
     cmd_completion},
    {"__man", NOARGS, NULL, "Print the man page (roff)", NULL, cmd_man, true},
    {"__names", ONE("KIND"), NULL, "Print device|app|image|network names (completion)", NULL, cmd_names,
     true},
    {NULL},
};
