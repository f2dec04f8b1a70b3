// SPDX-License-Identifier: Apache-2.0
/* evectl's program state and the helpers every command handler uses. A
 * handler returns an exit code; the helpers print the one stderr line. */
#ifndef EVECTL_H
#define EVECTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "api.h"
#include "cmdtab.h"
#include "output.h"

enum exit_code {
	EXIT_OK = 0,
	EXIT_USAGE = 1,       /* bad command line, bad input file */
	EXIT_NOTFOUND = 2,    /* 404 */
	EXIT_REJECTED = 3,    /* the server refused (other 4xx/5xx) */
	EXIT_UNREACHABLE = 4, /* connection / TLS failure */
	EXIT_TIMEOUT = 5,     /* app wait gave up */
};

struct evectl {
	struct api *api; /* opened on first use */
	enum out_mode mode;
};

/* The program: parse, dispatch, return the exit code. */
int evectl_main(int argc, char **argv);

/* Print "evectl: <message>" on stderr and return EXIT_USAGE. */
int ev_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "evectl: <message>" on stderr and return code. */
int ev_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Map an api error to an exit code, printing the api's message. */
int ev_api_error(struct cmd_args *a, int err);
/* Output mode chosen by -o / -q. */
enum out_mode ev_mode(const struct cmd_args *a);
/* The connected api (resolving flags, environment and config on first use);
 * NULL after printing why (then *code is the exit code). */
struct api *ev_api(struct cmd_args *a, int *code);
/* Build "/x/%s/y" with each %s URL-escaped into a new string; only %s is
 * supported. NULL on ENOMEM. Caller frees. */
char *ev_path(const char *fmt, ...);
/* Request with error printing: returns an exit code; *out as api_call. */
int ev_request(struct cmd_args *a, const char *method, const char *path, const json_t *body, json_t **out);
/* GET a list, following "next" cursors, into one {"items": [...], "next": null}. */
int ev_list(struct cmd_args *a, const char *path, json_t **out);
/* Print a list response per the output mode. */
void ev_print_list(struct cmd_args *a, const struct out_col *cols, const json_t *resp, const char *idkey);
/* Print one object per the output mode (table: "KEY value" lines). */
void ev_print_object(struct cmd_args *a, const struct out_col *cols, const json_t *obj, const char *idkey);
/* After an action: -o json prints resp (if any), -q prints nothing, else
 * the formatted message on stdout. */
void ev_done(struct cmd_args *a, const json_t *resp, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Read and parse a JSON file of at most cap bytes ("-" = stdin). */
int ev_read_json(const char *path, size_t cap, json_t **out);

#endif
