// SPDX-License-Identifier: Apache-2.0
/* The dashboard's third-party browser libraries, served from the Debian
 * packages that ship them (never copied into this repository): xterm.js
 * at /ui/vendor/xterm/ (xterm.js: node-xterm's CommonJS modules from
 * /usr/share/nodejs/xterm/lib wrapped into one script, since libjs-xterm's
 * xterm.js is a stub; xterm.css: libjs-xterm) and noVNC (novnc,
 * /usr/share/novnc) at /ui/vendor/novnc/. Only .js and .css
 * files, no hidden or parent segments, no symlinks, at most 2 MiB each;
 * 404 when the package is not installed. */
#ifndef CTL_DASHBOARD_VENDOR_H
#define CTL_DASHBOARD_VENDOR_H

#include "http.h"

extern const struct http_route dashboard_vendor_routes[];

#endif
