// SPDX-License-Identifier: Apache-2.0
/* Command tables: every evectl command is one row {name, positional usage,
 * options, help, handler}. The same rows drive the argument parser, the
 * generated --help at every level, `evectl completion bash` and the man
 * page (`evectl __man`), so they cannot drift apart. */
#ifndef EVECTL_CMDTAB_H
#define EVECTL_CMDTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum opt_type {
	OPT_BOOL,   /* flag, no value */
	OPT_STR,    /* one string */
	OPT_INT,    /* non-negative integer, in num */
	OPT_SIZE,   /* bytes with K/M/G/T suffix, in num */
	OPT_DUR,    /* seconds with s/m/h suffix, in num */
	OPT_CHOICE, /* one of opt->choices ("a|b|c") */
	OPT_LIST,   /* repeatable string, in list */
};

struct cmd_opt {
	const char *lng; /* long name without "--" */
	char shrt;       /* short letter or 0 */
	enum opt_type type;
	const char *metavar; /* value placeholder in help ("NAME") */
	const char *help;
	bool required;
	const char *choices; /* OPT_CHOICE: "a|b|c" */
};

struct cmd_args;
/* A handler returns an evectl exit code (enum exit_code in evectl.h). */
typedef int (*cmd_handler)(struct cmd_args *a);

struct cmd {
	const char *name;           /* words: "device config set" */
	const char *usage;          /* positional part: "DEVICE KEY=VALUE..." or NULL */
	int min_pos, max_pos;       /* positional count bounds; max -1 = unbounded */
	const struct cmd_opt *opts; /* terminated by a zeroed row; may be NULL */
	const char *help;           /* one line */
	const char *details;        /* more text for --help and the man page, or NULL */
	cmd_handler handler;
	bool hidden; /* not listed in help, completion or man page */
};

#define CMD_MAX_OPTS 24
#define CMD_MAX_POS 64

struct cmd_val {
	bool set;
	const char *str;   /* OPT_STR/CHOICE/INT/SIZE/DUR: the text given */
	long long num;     /* OPT_INT/SIZE/DUR: parsed value; OPT_BOOL: 1 */
	const char **list; /* OPT_LIST: values (array owned by cmd_args) */
	size_t nlist;
};

struct cmd_args {
	const struct cmd *cmd;              /* resolved command, NULL for a group */
	const char *group;                  /* words typed when no command resolved */
	struct cmd_val vals[CMD_MAX_OPTS];  /* parallel to cmd->opts */
	struct cmd_val gvals[CMD_MAX_OPTS]; /* parallel to the global options */
	const char *pos[CMD_MAX_POS];
	size_t npos;
	bool help;
	void *ctx; /* the caller's state (struct evectl *) */
};

/* The whole table, provided by the program (commands.c). */
extern const struct cmd cmdtab_commands[]; /* ends with a row whose name is NULL */
extern const struct cmd_opt cmdtab_globals[];

/* Use these tables (the two above, normally) in every cmdtab_ call that
 * follows: the program calls it first. Not thread-safe; the tables are
 * borrowed and must outlive their use. */
void cmdtab_use(const struct cmd *commands, const struct cmd_opt *globals);

/* Parse argv[1..argc) into a. Returns 0, or -EINVAL with a one-line message
 * in err. a->cmd is NULL when the words only name a group ("device"); then
 * a->group holds them. Strings point into argv; a owns nothing to free
 * except through cmdtab_args_free. */
int cmdtab_parse(int argc, char **argv, struct cmd_args *a, char *err, size_t errlen);
void cmdtab_args_free(struct cmd_args *a);

/* Option values by long name (command options first, then globals). */
const struct cmd_val *cmdtab_val(const struct cmd_args *a, const char *lng);
const char *cmdtab_str(const struct cmd_args *a, const char *lng);
bool cmdtab_flag(const struct cmd_args *a, const char *lng);

/* Help for one command, or for every command under the group words
 * (NULL or "" = top level). */
void cmdtab_help_cmd(FILE *f, const struct cmd *c);
void cmdtab_help_group(FILE *f, const char *group);
/* The distinct words that may follow the group words prefix, as " a b c ". */
void cmdtab_next_words(const char *prefix, char *out, size_t n);
/* A bash completion script for the whole table. */
void cmdtab_completion_bash(FILE *f);
/* The same for zsh (through bashcompinit). */
void cmdtab_completion_zsh(FILE *f);
/* A roff man page (section 1) for the whole table. */
void cmdtab_man(FILE *f);

#endif
