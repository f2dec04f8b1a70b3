// SPDX-License-Identifier: Apache-2.0
/* EVE's BootstrapConfig (config/devconfig.proto): a device's initial
 * configuration, signed by the controller, that it takes at installation
 * (bootstrap-config.pb in its config directory, or removable media). */
#ifndef EVE_BOOTSTRAP_H
#define EVE_BOOTSTRAP_H

#include <stddef.h>
#include <stdint.h>

#include "envelope.h"

/* Seal a packed EdgeDevConfig as a packed BootstrapConfig: an AuthContainer
 * signed by s (no senderCert) whose payload is cfg, and s's certificate as
 * the CONTROLLER_SIGNING entry of controller_certs. *out is caller-freed. */
int bootstrap_seal(const struct eve_signer *s, const uint8_t *cfg, size_t len, uint8_t **out,
		   size_t *out_len);

#endif
