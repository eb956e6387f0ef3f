// SPDX-License-Identifier: GPL-2.0
/*
 * migctl's grammar: the options and arguments of a command, its usage and
 * --help, and the numbers options take.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migctl.h"

/* getopt_long's value of opt_at(cmd, i) is OPT_BASE + i. */
#define OPT_BASE 256
#define MAX_OPTS 32
#define WIDTH 79

/*
 * Print @word on @f after a space at column *@col, or on a new line
 * indented by @indent when it would not fit.
 */
static void put_word(FILE *f, const char *word, int *col, int indent)
{
	int len = strlen(word);

	if (*col > indent && *col + 1 + len > WIDTH) {
		fprintf(f, "\n%*s", indent, "");
		*col = indent;
	}
	*col += fprintf(f, " %s", word);
}

/* The @i-th option of @cmd: its own table, then the shared one; or NULL. */
static const struct migctl_opt *opt_at(const struct migctl_cmd *cmd, int i)
{
	const struct migctl_opt *t[] = { cmd->opts, cmd->more_opts };
	size_t k;

	for (k = 0; k < ARRAY_SIZE(t); k++) {
		const struct migctl_opt *o = t[k];

		for (; o && o->name; o++)
			if (!i--)
				return o;
	}
	return NULL;
}

static void print_synopsis(FILE *f, const struct migctl_cmd *cmd)
{
	const struct migctl_opt *o;
	int col, indent, i;
	char word[128];

	col = fprintf(f, "usage: migctl %s", cmd->name);
	indent = col;
	if (cmd->args && *cmd->args)
		put_word(f, cmd->args, &col, indent);
	for (i = 0; (o = opt_at(cmd, i)); i++) {
		snprintf(word, sizeof(word), "[--%s%s%s]", o->name,
			 o->arg ? " " : "", o->arg ? o->arg : "");
		put_word(f, word, &col, indent);
	}
	fputc('\n', f);
}

int migctl_usage(const struct migctl_cmd *cmd)
{
	size_t i;

	if (!cmd->subs) {
		print_synopsis(stderr, cmd);
		return MIGCTL_USAGE;
	}
	for (i = 0; i < cmd->nr_subs; i++)
		print_synopsis(stderr, &cmd->subs[i]);
	return MIGCTL_USAGE;
}

static void print_help(const struct migctl_cmd *cmd)
{
	const struct migctl_opt *o;
	char left[64];
	int i;

	print_synopsis(stdout, cmd);
	printf("\n%c%s.\n\noptions:\n", toupper((unsigned char)*cmd->help),
	       cmd->help + 1);
	for (i = 0; (o = opt_at(cmd, i)); i++) {
		snprintf(left, sizeof(left), "--%s%s%s", o->name,
			 o->arg ? " " : "", o->arg ? o->arg : "");
		if (strlen(left) > 22)
			printf("  %s\n  %-22s %s\n", left, "", o->help);
		else
			printf("  %-22s %s\n", left, o->help);
	}
	printf("  %-22s %s\n", "--help", "print this help");
}

/* The option a getopt_long error is about, as the user wrote it. */
static void bad_option(char *buf, size_t len, const struct migctl_cmd *cmd,
		       char **argv)
{
	if (optopt >= OPT_BASE)
		snprintf(buf, len, "--%s", opt_at(cmd, optopt - OPT_BASE)->name);
	else if (optopt)
		snprintf(buf, len, "-%c", optopt);
	else
		snprintf(buf, len, "%s", argv[optind - 1]);
}

int migctl_parse(const struct migctl_cmd *cmd, int argc, char **argv,
		 migctl_opt_fn fn, void *ctx, int *nr_args, char ***args)
{
	struct option lo[MAX_OPTS + 2] = {};
	const struct migctl_opt *o;
	char which[64];
	int n = 0, c, ret;

	for (; (o = opt_at(cmd, n)) && n < MAX_OPTS; n++) {
		lo[n].name = o->name;
		lo[n].has_arg = o->arg ? required_argument : no_argument;
		lo[n].val = OPT_BASE + n;
	}
	lo[n].name = "help";
	lo[n].val = 'h';

	optind = 0;	/* glibc: start afresh */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			print_help(cmd);
			return 0;
		case ':':
			bad_option(which, sizeof(which), cmd, argv);
			fprintf(stderr, "migctl %s: %s needs a value\n",
				cmd->name, which);
			return migctl_usage(cmd);
		case '?':
			bad_option(which, sizeof(which), cmd, argv);
			fprintf(stderr, "migctl %s: %s '%s'\n", cmd->name,
				optopt >= OPT_BASE ? "no value allowed for" :
				"unknown option", which);
			return migctl_usage(cmd);
		default:
			ret = fn(ctx, opt_at(cmd, c - OPT_BASE)->id, optarg);
			if (ret)
				return ret;
		}
	}
	n = argc - optind;
	if (n < cmd->min_args || n > cmd->max_args) {
		fprintf(stderr, "migctl %s: %s\n", cmd->name,
			n < cmd->min_args ? "missing arguments" :
			"too many arguments");
		return migctl_usage(cmd);
	}
	*nr_args = n;
	*args = argv + optind;
	return -1;
}

const struct migctl_opt migctl_json_opts[] = {
	{ "json", 1, NULL, "print JSON" },
	{}
};

int migctl_json_opt(void *ctx, int id, const char *arg)
{
	(void)id;
	(void)arg;
	*(bool *)ctx = true;
	return 0;
}

/* @v for a message: with a K, M or G when it is a round size. */
static void fmt_num(char *buf, size_t len, unsigned long long v,
		    unsigned int flags)
{
	static const char units[] = "GMK";
	int shift, i;

	for (i = 0, shift = 30; v && flags && i < 3; i++, shift -= 10) {
		if (!(v & ((1ULL << shift) - 1))) {
			snprintf(buf, len, "%llu%c", v >> shift, units[i]);
			return;
		}
	}
	snprintf(buf, len, "%llu", v);
}

/*
 * The suffix at *@p: a multiplier in *@mult, and in *@div 8 for a rate in
 * bits. Advances *@p past it; false when malformed.
 */
static bool parse_suffix(const char **p, unsigned int flags,
			 unsigned long long *mult, unsigned int *div)
{
	const char *letter = **p ? strchr("KkMmGg", **p) : NULL;
	int k = letter ? (letter - "KkMmGg") / 2 + 1 : 0;
	const char *s = *p + (k ? 1 : 0);
	int i;

	if ((flags & MIGCTL_NUM_RATE) && !strcmp(s, "bit")) {
		for (i = 0; i < k; i++)
			*mult *= 1000;
		*div = 8;
		*p = s + 3;
		return true;
	}
	*mult = 1ULL << (10 * k);
	if (k && *s == 'i')
		s++;
	if (*s == 'B')
		s++;
	*p = s;
	return true;
}

int migctl_parse_num(const struct migctl_num *n, const char *s,
		     unsigned long long *out)
{
	unsigned long long v, mult = 1;
	unsigned int div = 1;
	char lo[32], hi[32];
	const char *p;
	char *end;
	bool ok;

	errno = 0;
	v = strtoull(s, &end, 10);
	ok = isdigit((unsigned char)*s) && !errno;
	p = end;
	if (ok && (n->flags & (MIGCTL_NUM_SIZE | MIGCTL_NUM_RATE)))
		ok = parse_suffix(&p, n->flags, &mult, &div);
	ok = ok && !*p && v <= ULLONG_MAX / mult;
	if (ok) {
		v = v * mult / div;
		ok = v >= n->min && v <= n->max;
	}
	if (ok) {
		*out = v;
		return 0;
	}
	fmt_num(lo, sizeof(lo), n->min, n->flags);
	fmt_num(hi, sizeof(hi), n->max, n->flags);
	fprintf(stderr, "migctl: %s: %s to %s%s%s, not '%s'\n", n->what, lo,
		hi, n->unit ? " " : "", n->unit ? n->unit : "", s);
	return MIGCTL_USAGE;
}

int migctl_parse_u32(const struct migctl_num *n, const char *s,
		     uint32_t *out)
{
	unsigned long long v;
	int ret = migctl_parse_num(n, s, &v);

	if (!ret)
		*out = v;
	return ret;
}
