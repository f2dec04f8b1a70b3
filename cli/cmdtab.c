// SPDX-License-Identifier: Apache-2.0
/* Table-driven parser, help, bash completion and man page. */
#include "cmdtab.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

/* The program's table, handed over by cmdtab_use (cmdtab.c does not link
 * to commands.c: the command files call cmdtab_str & co. without a cycle). */
static const struct cmd *tab_commands;
static const struct cmd_opt *tab_globals;

void cmdtab_use(const struct cmd *commands, const struct cmd_opt *globals)
{
	tab_commands = commands;
	tab_globals = globals;
}

static size_t opts_count(const struct cmd_opt *o)
{
	size_t n = 0;

	while (o && o[n].lng)
		n++;
	return n;
}

/* True when prefix (words) is a word-boundary prefix of name. */
static bool name_has_prefix(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);

	if (n == 0)
		return true;
	return strncmp(name, prefix, n) == 0 && (name[n] == 0 || name[n] == ' ');
}

static const struct cmd *cmd_find(const char *words)
{
	const struct cmd *c;

	for (c = tab_commands; c->name; c++) {
		if (strcmp(c->name, words) == 0)
			return c;
	}
	return NULL;
}

static bool group_exists(const char *words)
{
	const struct cmd *c;

	for (c = tab_commands; c->name; c++) {
		if (name_has_prefix(c->name, words))
			return true;
	}
	return false;
}

/* Find an option by long name (lng != NULL) or short letter. */
static int opt_index(const struct cmd_opt *t, const char *lng, size_t lnglen, char shrt)
{
	size_t i;

	for (i = 0; t && t[i].lng; i++) {
		if (lng && strlen(t[i].lng) == lnglen && strncmp(t[i].lng, lng, lnglen) == 0)
			return (int)i;
		if (!lng && shrt && t[i].shrt == shrt)
			return (int)i;
	}
	return -1;
}

static bool choice_ok(const char *choices, const char *v)
{
	size_t n = strlen(v);
	const char *p = choices;

	while (p && *p) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);

		if (len == n && strncmp(p, v, n) == 0)
			return true;
		p = bar ? bar + 1 : NULL;
	}
	return false;
}

/* Validate and store one option value. */
static int val_set(const struct cmd_opt *o, struct cmd_val *v, const char *text, char *err, size_t errlen)
{
	uint64_t n = 0;
	int r = 0;

	switch (o->type) {
	case OPT_BOOL:
		v->num = 1;
		break;
	case OPT_STR:
		break;
	case OPT_INT:
		r = units_parse_uint(text, INT32_MAX, &n);
		break;
	case OPT_SIZE:
		r = units_parse_size(text, &n);
		break;
	case OPT_DUR:
		r = units_parse_duration(text, &n);
		break;
	case OPT_CHOICE:
		if (!choice_ok(o->choices, text)) {
			snprintf(err, errlen, "--%s: '%s' is not one of %s", o->lng, text, o->choices);
			return -EINVAL;
		}
		break;
	case OPT_LIST: {
		const char **l = realloc(v->list, (v->nlist + 1) * sizeof(*l));

		if (!l)
			return -ENOMEM;
		l[v->nlist++] = text;
		v->list = l;
		break;
	}
	}
	if (r < 0) {
		static const char *const what[] = {[OPT_INT] = "a non-negative integer",
						   [OPT_SIZE] = "a size like 512M (K/M/G/T)",
						   [OPT_DUR] = "a duration like 30s, 10m, 2h"};
		snprintf(err, errlen, "--%s: '%s' is not %s", o->lng, text, what[o->type]);
		return -EINVAL;
	}
	v->set = true;
	v->str = text;
	if (o->type != OPT_BOOL)
		v->num = (long long)n;
	return 0;
}

/* Locate an option in the command's table, then the globals. */
static int opt_lookup(const struct cmd_args *a, const char *lng, size_t lnglen, char shrt,
		      const struct cmd_opt **o, struct cmd_val **v)
{
	struct cmd_args *m = (struct cmd_args *)a;
	int i = a->cmd ? opt_index(a->cmd->opts, lng, lnglen, shrt) : -1;

	if (i >= 0) {
		*o = &a->cmd->opts[i];
		*v = &m->vals[i];
		return 0;
	}
	i = opt_index(tab_globals, lng, lnglen, shrt);
	if (i < 0)
		return -ENOENT;
	*o = &tab_globals[i];
	*v = &m->gvals[i];
	return 0;
}

/* One "-x", "-xVAL", "--long", "--long=VAL" at argv[*i]. */
static int parse_option(int argc, char **argv, int *i, struct cmd_args *a, char *err, size_t errlen)
{
	const char *arg = argv[*i], *name, *eq = NULL, *val = NULL;
	const struct cmd_opt *o;
	struct cmd_val *v;
	size_t len;
	int r;

	if (arg[1] == '-') {
		name = arg + 2;
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		r = opt_lookup(a, name, len, 0, &o, &v);
		if (eq)
			val = eq + 1;
	} else {
		name = arg + 1;
		len = 1;
		r = opt_lookup(a, NULL, 0, arg[1], &o, &v);
		if (arg[2])
			val = arg + 2;
	}
	if (r < 0) {
		snprintf(err, errlen, "unknown option '%.*s%.*s'", arg[1] == '-' ? 2 : 1, "--", (int)len,
			 name);
		return -EINVAL;
	}
	if (o->type == OPT_BOOL) {
		if (val) {
			snprintf(err, errlen, "--%s takes no value", o->lng);
			return -EINVAL;
		}
	} else if (!val) {
		if (*i + 1 >= argc) {
			snprintf(err, errlen, "--%s needs a value (%s)", o->lng,
				 o->metavar ? o->metavar : "VALUE");
			return -EINVAL;
		}
		val = argv[++*i];
	}
	if (o->type != OPT_LIST && o->type != OPT_BOOL && v->set) {
		snprintf(err, errlen, "--%s given twice", o->lng);
		return -EINVAL;
	}
	return val_set(o, v, val, err, errlen);
}

/* A non-option word: extends the command words, or is a positional. */
static int parse_word(const char *w, char *words, size_t wlen, struct cmd_args *a, char *err, size_t errlen)
{
	char next[256];

	if (a->cmd) {
		if (a->npos >= CMD_MAX_POS) {
			snprintf(err, errlen, "too many arguments");
			return -EINVAL;
		}
		a->pos[a->npos++] = w;
		return 0;
	}
	if ((size_t)snprintf(next, sizeof(next), "%s%s%s", words, *words ? " " : "", w) >= sizeof(next) ||
	    !group_exists(next)) {
		snprintf(err, errlen, "unknown command '%s%s%s'", words, *words ? " " : "", w);
		return -EINVAL;
	}
	snprintf(words, wlen, "%s", next);
	a->cmd = cmd_find(words);
	return 0;
}

static int check_command(struct cmd_args *a, char *err, size_t errlen)
{
	const struct cmd *c = a->cmd;
	size_t i;

	if ((int)a->npos < c->min_pos || (c->max_pos >= 0 && (int)a->npos > c->max_pos)) {
		snprintf(err, errlen, "%s: expected %s%s", c->name,
			 c->usage && *c->usage ? c->usage : "no arguments",
			 (int)a->npos < c->min_pos ? "" : " (too many arguments)");
		return -EINVAL;
	}
	for (i = 0; c->opts && c->opts[i].lng; i++) {
		if (c->opts[i].required && !a->vals[i].set) {
			snprintf(err, errlen, "%s: --%s is required", c->name, c->opts[i].lng);
			return -EINVAL;
		}
	}
	return 0;
}

int cmdtab_parse(int argc, char **argv, struct cmd_args *a, char *err, size_t errlen)
{
	static char words[256];
	bool opts_done = false;
	int i, r;

	words[0] = 0;
	a->cmd = NULL;
	a->group = words;
	for (i = 1; i < argc; i++) {
		const char *w = argv[i];

		if (!opts_done && strcmp(w, "--") == 0) {
			opts_done = true;
			continue;
		}
		if (!opts_done && (strcmp(w, "-h") == 0 || strcmp(w, "--help") == 0)) {
			a->help = true;
			continue;
		}
		if (!opts_done && w[0] == '-' && w[1])
			r = parse_option(argc, argv, &i, a, err, errlen);
		else
			r = parse_word(w, words, sizeof(words), a, err, errlen);
		if (r < 0)
			return r;
	}
	if (a->cmd && !a->help)
		return check_command(a, err, errlen);
	return 0;
}

void cmdtab_args_free(struct cmd_args *a)
{
	size_t i;

	for (i = 0; i < CMD_MAX_OPTS; i++) {
		free(a->vals[i].list);
		free(a->gvals[i].list);
		a->vals[i].list = a->gvals[i].list = NULL;
	}
}

const struct cmd_val *cmdtab_val(const struct cmd_args *a, const char *lng)
{
	const struct cmd_opt *o;
	struct cmd_val *v;

	if (opt_lookup(a, lng, strlen(lng), 0, &o, &v) < 0)
		return NULL;
	return v;
}

const char *cmdtab_str(const struct cmd_args *a, const char *lng)
{
	const struct cmd_val *v = cmdtab_val(a, lng);

	return v && v->set ? v->str : NULL;
}

bool cmdtab_flag(const struct cmd_args *a, const char *lng)
{
	const struct cmd_val *v = cmdtab_val(a, lng);

	return v && v->set;
}

/* ---- help ---- */

static void opt_left(const struct cmd_opt *o, char *buf, size_t n)
{
	const char *mv = o->type == OPT_BOOL     ? ""
			 : o->type == OPT_CHOICE ? o->choices
			 : o->metavar            ? o->metavar
						 : "VALUE";

	if (o->shrt)
		snprintf(buf, n, "-%c, --%s%s%s", o->shrt, o->lng, *mv ? " " : "", mv);
	else
		snprintf(buf, n, "    --%s%s%s", o->lng, *mv ? " " : "", mv);
}

static void help_opts(FILE *f, const char *title, const struct cmd_opt *t)
{
	char left[96];
	size_t i;

	if (!opts_count(t))
		return;
	fprintf(f, "\n%s:\n", title);
	for (i = 0; t[i].lng; i++) {
		opt_left(&t[i], left, sizeof(left));
		fprintf(f, "  %-30s %s%s%s\n", left, t[i].help, t[i].required ? " (required)" : "",
			t[i].type == OPT_LIST ? " (repeatable)" : "");
	}
}

void cmdtab_help_cmd(FILE *f, const struct cmd *c)
{
	fprintf(f, "Usage: evectl %s%s%s [options]\n\n%s\n", c->name, c->usage ? " " : "",
		c->usage ? c->usage : "", c->help);
	if (c->details)
		fprintf(f, "\n%s\n", c->details);
	help_opts(f, "Options", c->opts);
	help_opts(f, "Global options", tab_globals);
}

void cmdtab_help_group(FILE *f, const char *group)
{
	const struct cmd *c;
	const char *g = group ? group : "";
	char left[96];

	fprintf(f, "Usage: evectl %s%sCOMMAND [options]\n\n", g, *g ? " " : "");
	if (!*g)
		fprintf(f, "evectl drives an EVE controller through its admin REST API.\n\n");
	fprintf(f, "Commands:\n");
	for (c = tab_commands; c->name; c++) {
		if (c->hidden || !name_has_prefix(c->name, g))
			continue;
		snprintf(left, sizeof(left), "%s%s%s", c->name, c->usage ? " " : "",
			 c->usage ? c->usage : "");
		fprintf(f, "  %-40s %s\n", left, c->help);
	}
	help_opts(f, "Global options", tab_globals);
	fprintf(
	    f, "\nRun 'evectl COMMAND --help' for a command's options.\n"
	       "Exit codes: 0 ok, 1 usage, 2 not found, 3 rejected by the server (or 'app wait' saw ERROR),\n"
	       "4 cannot reach the server, 5 'app wait' timed out.\n");
}

/* ---- bash completion ---- */

/* Space-separated distinct words that follow prefix among command names. */
void cmdtab_next_words(const char *prefix, char *out, size_t n)
{
	const struct cmd *c;
	size_t plen = strlen(prefix), used = 0;

	out[0] = 0;
	for (c = tab_commands; c->name; c++) {
		const char *rest, *sp;
		char w[64];
		int wl;

		if (c->hidden || !name_has_prefix(c->name, prefix) || strlen(c->name) == plen)
			continue;
		rest = c->name + plen + (plen ? 1 : 0);
		sp = strchr(rest, ' ');
		wl = sp ? (int)(sp - rest) : (int)strlen(rest);
		snprintf(w, sizeof(w), " %.*s ", wl, rest);
		/* out is kept as " a b c " so strstr matches whole words */
		if (used && strstr(out, w))
			continue;
		if (used + (size_t)wl + 2 >= n)
			break;
		used += (size_t)snprintf(out + (used ? used - 1 : 0), n - used, "%s", w) - (used ? 1 : 0);
	}
}

static void completion_opts(FILE *f, const struct cmd_opt *t)
{
	size_t i;

	for (i = 0; t && t[i].lng; i++) {
		fprintf(f, " --%s", t[i].lng);
		if (t[i].shrt)
			fprintf(f, " -%c", t[i].shrt);
	}
}

/* Every option that takes a value, for skipping it while reading words. */
static void completion_value_opts(FILE *f)
{
	const struct cmd *c;
	size_t i;

	fprintf(f, "--server|--token|--ca|--context|-o|--output");
	for (c = tab_commands; c->name; c++) {
		for (i = 0; c->opts && c->opts[i].lng; i++) {
			if (c->opts[i].type == OPT_BOOL)
				continue;
			fprintf(f, "|--%s", c->opts[i].lng);
			if (c->opts[i].shrt)
				fprintf(f, "|-%c", c->opts[i].shrt);
		}
	}
}

static void completion_groups(FILE *f)
{
	const struct cmd *c;
	char words[1024], prefix[256];

	cmdtab_next_words("", words, sizeof(words));
	fprintf(f, "\t\"\") cands=\"%s\" ;;\n", words);
	for (c = tab_commands; c->name; c++) {
		const char *sp;

		if (c->hidden)
			continue;
		/* each proper prefix of the name is a group */
		for (sp = strchr(c->name, ' '); sp; sp = strchr(sp + 1, ' ')) {
			snprintf(prefix, sizeof(prefix), "%.*s", (int)(sp - c->name), c->name);
			if (cmd_find(prefix))
				continue;
			cmdtab_next_words(prefix, words, sizeof(words));
			fprintf(f, "\t\"%s\") cands=\"%s\" ;;\n", prefix, words);
		}
	}
}

/* The kind of object a command's first positional names, for completing
 * it with the controller's names; NULL when it names a new object. */
static const char *pos_kind(const struct cmd *c)
{
	static const char *const fresh[] = {" add", " deploy", " create", " upload", " rename"};
	const char *verb = strrchr(c->name, ' ');

	if (!c->usage || !verb)
		return NULL;
	for (size_t i = 0; i < sizeof(fresh) / sizeof(fresh[0]); i++) {
		if (strcmp(verb, fresh[i]) == 0)
			return NULL;
	}
	if (strncmp(c->usage, "DEVICE", 6) == 0 || strncmp(c->usage, "[DEVICE]", 8) == 0)
		return "device";
	if (strncmp(c->name, "app ", 4) == 0 && strncmp(c->usage, "NAME", 4) == 0)
		return "app";
	if (strncmp(c->name, "image ", 6) == 0 && strncmp(c->usage, "NAME", 4) == 0)
		return "image";
	if (strncmp(c->name, "network ", 8) == 0 && strncmp(c->usage, "NAME", 4) == 0)
		return "network";
	return NULL;
}

void cmdtab_completion_bash(FILE *f)
{
	const struct cmd *c;

	fprintf(f,
		"# bash completion for evectl (generated by 'evectl completion bash')\n"
		"# Names of devices, apps, images and networks come from the controller\n"
		"# ('evectl __names KIND', with the current context).\n"
		"_evectl_names() { command evectl __names \"$1\" 2>/dev/null; }\n"
		"_evectl() {\n"
		"\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} words=\"\" w i "
		"skip=0 cands=\"\" kind=\"\"\n"
		"\tcase \"$prev\" in\n"
		"\t-o|--output) COMPREPLY=($(compgen -W \"table json wide\" -- \"$cur\")); return ;;\n"
		"\t-f|--file|--ca|--cert) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
		"\t--device) COMPREPLY=($(compgen -W \"$(_evectl_names device)\" -- \"$cur\")); return ;;\n"
		"\t--image) COMPREPLY=($(compgen -W \"$(_evectl_names image)\" -- \"$cur\")); return ;;\n"
		"\t--network) COMPREPLY=($(compgen -W \"$(_evectl_names network)\" -- \"$cur\")); return ;;\n"
		"\tesac\n"
		"\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
		"\t\tw=${COMP_WORDS[i]}\n"
		"\t\tif [ $skip = 1 ]; then skip=0; continue; fi\n"
		"\t\tcase \"$w\" in\n\t\t");
	completion_value_opts(f);
	fprintf(f, ") skip=1; continue ;;\n"
		   "\t\t-*) continue ;;\n"
		   "\t\tesac\n"
		   "\t\twords=\"${words:+$words }$w\"\n"
		   "\tdone\n"
		   "\tcase \"$words\" in\n");
	completion_groups(f);
	for (c = tab_commands; c->name; c++) {
		if (c->hidden)
			continue;
		fprintf(f, "\t\"%s\"|\"%s \"*) cands=\"", c->name, c->name);
		completion_opts(f, c->opts);
		completion_opts(f, tab_globals);
		fprintf(f, "\"");
		if (pos_kind(c))
			fprintf(f, "; [ \"$words\" = \"%s\" ] && kind=%s", c->name, pos_kind(c));
		fprintf(f, " ;;\n");
	}
	fprintf(f, "\tesac\n"
		   "\tif [ -n \"$kind\" ] && [ \"${cur#-}\" = \"$cur\" ]; then\n"
		   "\t\tcands=\"$cands $(_evectl_names \"$kind\")\"\n"
		   "\tfi\n"
		   "\tCOMPREPLY=($(compgen -W \"$cands\" -- \"$cur\"))\n"
		   "}\n"
		   "complete -o default -F _evectl evectl\n");
}

void cmdtab_completion_zsh(FILE *f)
{
	fprintf(f, "# zsh completion for evectl (generated by 'evectl completion zsh'):\n"
		   "# the bash completion through zsh's bashcompinit.\n"
		   "autoload -U +X compinit && compinit\n"
		   "autoload -U +X bashcompinit && bashcompinit\n");
	cmdtab_completion_bash(f);
}

/* ---- man page ---- */

/* Write text with roff's special characters escaped. */
static void roff(FILE *f, const char *s)
{
	const char *line_start = s;

	for (; s && *s; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else if ((*s == '.' || *s == '\'') && s == line_start)
			fputs("\\&", f), fputc(*s, f);
		else
			fputc(*s, f);
		if (*s == '\n')
			line_start = s + 1;
	}
}

static void man_opts(FILE *f, const struct cmd_opt *t)
{
	char left[96];
	size_t i;

	for (i = 0; t && t[i].lng; i++) {
		opt_left(&t[i], left, sizeof(left));
		fputs(".TP\n.B ", f);
		roff(f, left[0] == ' ' ? left + 4 : left);
		fputs("\n", f);
		roff(f, t[i].help);
		fprintf(f, "%s%s\n", t[i].required ? " (required)" : "",
			t[i].type == OPT_LIST ? " (repeatable)" : "");
	}
}

void cmdtab_man(FILE *f)
{
	const struct cmd *c;

	fputs(".\\\" Generated by 'evectl __man' from the command tables; do not edit.\n"
	      ".TH EVECTL 1 \"\" \"evectl\" \"User Commands\"\n"
	      ".SH NAME\nevectl \\- command\\-line client of the EVE controller admin API\n"
	      ".SH SYNOPSIS\n.B evectl\n.I NOUN VERB\n[\\fIARGS\\fR] [\\fIOPTIONS\\fR]\n"
	      ".SH DESCRIPTION\n"
	      "evectl drives a fleet of EVE edge devices through the controller's admin REST API\n"
	      "(/api/v1, HTTPS, bearer token): onboarding, devices, images, network instances and\n"
	      "edge containers (apps).\n"
	      ".PP\n"
	      "Output is a human table by default;\n.B \\-o json\n"
	      "prints exactly the JSON the API returned,\n.B \\-o wide\nadds columns and\n.B \\-q\n"
	      "prints only ids (names for images).\n"
	      ".SH GLOBAL OPTIONS\n",
	      f);
	man_opts(f, tab_globals);
	fputs(".SH COMMANDS\n", f);
	for (c = tab_commands; c->name; c++) {
		if (c->hidden)
			continue;
		fputs(".SS \"", f);
		roff(f, c->name);
		if (c->usage) {
			fputs(" ", f);
			roff(f, c->usage);
		}
		fputs("\"\n", f);
		roff(f, c->help);
		fputs("\n", f);
		if (c->details) {
			fputs(".PP\n", f);
			roff(f, c->details);
			fputs("\n", f);
		}
		man_opts(f, c->opts);
	}
	fputs(".SH CONFIGURATION\n"
	      "Connection settings come from, in order of precedence: the flags\n.BR \\-\\-server ,\n"
	      ".BR \\-\\-token ,\n.BR \\-\\-ca ;\nthe environment variables\n.BR EVECTL_SERVER ,\n"
	      ".BR EVECTL_TOKEN ,\n.BR EVECTL_CA ;\nthen the current (or\n.BR \\-\\-context )\n"
	      "context of the configuration file\n.I $XDG_CONFIG_HOME/evectl/config\n"
	      "(default\n.IR ~/.config/evectl/config ),\nwritten by\n.B evectl login\nwith mode 0600.\n"
	      ".SH MANIFESTS\n"
	      ".B evectl apply \\-f FILE\n"
	      "reads an edge\\-container manifest (JSON): acKind (VMManifest), acVersion,\n"
	      "name, images[] (imagename; maxsize in KiB = the disk size unless\n"
	      "resources gives storage; readonly only false; target only Disk),\n"
	      "interfaces[] (name = a network instance that must exist on the device,\n"
	      "directattach only false, acIs[].matches[] of type host or ip), resources[]\n"
	      "(cpus; memory and storage in KiB, or strings with a unit like \"512M\"),\n"
	      "enablevnc, vmmode (checked by the controller against the image: HV_HVM for\n"
	      "VM images, HV_NOHYPER for containers), user_data. Where to run it is given by\n"
	      "\"device\" (a device name or id) or \"selector\" (an object of labels); \"env\"\n"
	      "(object), \"ports\" ([\"HOST:APP\"], published on the first interface) and\n"
	      "\"activate\" are optional. Any other field is refused (exit 1): nothing is\n"
	      "dropped silently. Applying the same file twice changes nothing; a changed env or\n"
	      "ports restarts the instances. See examples/*.json.\n"
	      ".SH EXIT STATUS\n"
	      "0 success; 1 usage error; 2 not found; 3 rejected by the server (its message is\n"
	      "printed), or\n.B app wait\nfound an instance in ERROR; 4 cannot reach the server or\n"
	      "TLS failure; 5\n.B app wait\ntimed out.\n"
	      ".SH SEE ALSO\nThe admin API: docs/admin\\-api.md.\n",
	      f);
}
