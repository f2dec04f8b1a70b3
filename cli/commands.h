// SPDX-License-Identifier: Apache-2.0
/* Command handlers, one file per noun; the table that binds them to names
 * and options is in commands.c. Each returns an enum exit_code. */
#ifndef EVECTL_COMMANDS_H
#define EVECTL_COMMANDS_H

#include <jansson.h>

#include "cmdtab.h"

/* cmd_config.c */
int cmd_login(struct cmd_args *a);
int cmd_context_use(struct cmd_args *a);
int cmd_context_list(struct cmd_args *a);
int cmd_completion(struct cmd_args *a);
int cmd_man(struct cmd_args *a);
int cmd_status(struct cmd_args *a);
int cmd_names(struct cmd_args *a); /* hidden: names for shell completion */
/* cmd_top.c */
int cmd_top(struct cmd_args *a);
/* cmd_onboard.c */
int cmd_onboard_add(struct cmd_args *a);
int cmd_onboard_list(struct cmd_args *a);
int cmd_onboard_remove(struct cmd_args *a);
/* cmd_device.c */
int cmd_device_add(struct cmd_args *a);
int cmd_device_list(struct cmd_args *a);
int cmd_device_get(struct cmd_args *a);
int cmd_device_delete(struct cmd_args *a);
int cmd_device_rename(struct cmd_args *a);
int cmd_device_label(struct cmd_args *a);
int cmd_device_reboot(struct cmd_args *a);
/* cmd_attest.c */
int cmd_device_attest_show(struct cmd_args *a);
int cmd_device_attest_accept(struct cmd_args *a);
int cmd_device_attest_reset(struct cmd_args *a);
int cmd_device_attest_policy(struct cmd_args *a);
int cmd_device_attest_allow_no_tpm(struct cmd_args *a);
int cmd_device_config_set(struct cmd_args *a);
int cmd_project_config_set(struct cmd_args *a);
int cmd_project_config_get(struct cmd_args *a);
int cmd_device_config_get(struct cmd_args *a);
int cmd_device_config_dump(struct cmd_args *a);
int cmd_device_bootstrap_config(struct cmd_args *a);
int cmd_device_update_os(struct cmd_args *a);
int cmd_device_info(struct cmd_args *a);
int cmd_device_metrics(struct cmd_args *a);
int cmd_device_logs(struct cmd_args *a);
/* cmd_deviceio.c (interoperability: the device hardware model) */
int cmd_device_io_list(struct cmd_args *a);
int cmd_device_io_set(struct cmd_args *a);
int cmd_device_io_delete(struct cmd_args *a);
/* cmd_image.c */
int cmd_image_add(struct cmd_args *a);
int cmd_image_upload(struct cmd_args *a);
int cmd_image_push(struct cmd_args *a);
int cmd_image_sign(struct cmd_args *a); /* cmd_image_sign.c */
/* cmd_image_trust.c */
int cmd_image_trust_add(struct cmd_args *a);
int cmd_image_trust_list(struct cmd_args *a);
int cmd_image_trust_remove(struct cmd_args *a);
int cmd_image_list(struct cmd_args *a);
int cmd_image_get(struct cmd_args *a);
int cmd_image_delete(struct cmd_args *a);
/* cmd_app_history.c */
int cmd_app_history(struct cmd_args *a);
int cmd_app_rollback(struct cmd_args *a);

/* cmd_volume.c */
int cmd_volume_create(struct cmd_args *a);
int cmd_volume_list(struct cmd_args *a);
int cmd_volume_get(struct cmd_args *a);
int cmd_volume_delete(struct cmd_args *a);
int cmd_volume_purge(struct cmd_args *a);

/* cmd_network.c */
int cmd_network_create(struct cmd_args *a);
int cmd_network_list(struct cmd_args *a);
int cmd_network_get(struct cmd_args *a);
int cmd_network_delete(struct cmd_args *a);
/* cmd_app.c */
int cmd_app_deploy(struct cmd_args *a);
int cmd_app_list(struct cmd_args *a);
int cmd_app_get(struct cmd_args *a);
int cmd_app_action(struct cmd_args *a); /* start|stop|restart|purge */
int cmd_app_delete(struct cmd_args *a);
/* cmd_console.c: remote sessions through the controller */
int cmd_app_console(struct cmd_args *a);
int cmd_app_vnc(struct cmd_args *a);
int cmd_app_port_forward(struct cmd_args *a);
int cmd_app_logs(struct cmd_args *a);
int cmd_app_flows(struct cmd_args *a); /* cmd_flows.c */
int cmd_app_wait(struct cmd_args *a);
/* The SIGNATURE column of an app instance (its "download" object): the
 * publisher signature as the device judged it (also `device get`). */
void app_fmt_signature(const json_t *o, const char *key, char *buf, size_t n);
/* cmd_rollout.c */
int cmd_rollout_create(struct cmd_args *a);
int cmd_rollout_list(struct cmd_args *a);
int cmd_rollout_get(struct cmd_args *a);
int cmd_rollout_action(struct cmd_args *a); /* pause|resume|abort|rollback */
int cmd_rollout_delete(struct cmd_args *a);
/* cmd_apply.c */
int cmd_apply(struct cmd_args *a);
int cmd_delete_file(struct cmd_args *a);
/* cmd_access.c */
int cmd_whoami(struct cmd_args *a);
int cmd_token_create(struct cmd_args *a);
int cmd_token_list(struct cmd_args *a);
int cmd_token_revoke(struct cmd_args *a);
int cmd_user_create(struct cmd_args *a);
int cmd_user_list(struct cmd_args *a);
int cmd_user_delete(struct cmd_args *a);
int cmd_user_passwd(struct cmd_args *a);
int cmd_project_create(struct cmd_args *a);
int cmd_project_list(struct cmd_args *a);
int cmd_project_delete(struct cmd_args *a);
int cmd_audit(struct cmd_args *a);
/* logs.c: print a (possibly followed) log listing under base ("/devices/x"). */
int logs_run(struct cmd_args *a, const char *base);

#endif
