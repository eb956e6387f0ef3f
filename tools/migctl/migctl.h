/* SPDX-License-Identifier: GPL-2.0 */
/*
 * migctl: drives vmig from userspace.
 *
 * One grammar for every command: a command has a table of long options
 * and a number of positional arguments; options and arguments may come in
 * any order (getopt_long's permutation); "--help" prints the command's
 * usage. A usage error exits with status 2, and so does a number out of
 * its range (migctl_parse_num()).
 */
#ifndef _MIGCTL_H
#define _MIGCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include <vmig/libvmig.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The exit status of a usage error. */
#define MIGCTL_USAGE 2

/* One long option of a command; an all-zero entry ends the table. */
struct migctl_opt {
	const char *name;	/* without the leading "--" */
	int id;			/* what the command's handler receives */
	const char *arg;	/* the value's placeholder; NULL for a flag */
	const char *help;	/* one line for --help */
};

struct migctl_cmd {
	const char *name;	/* "status", or "vm create" in a group */
	const char *args;	/* the positional arguments, for the usage */
	const char *help;	/* one line */
	const struct migctl_opt *opts;	/* NULL: none but --help */
	const struct migctl_opt *more_opts;	/* a shared table after them */
	int min_args, max_args;	/* the number of positional arguments */
	int (*run)(const struct migctl_cmd *cmd, int argc, char **argv);
	/* A group ("vm", "disk"): its subcommands instead of @run. */
	const struct migctl_cmd *subs;
	size_t nr_subs;
};

/*
 * Called for each option on the command line with its id and value (NULL
 * for a flag); returns 0, or MIGCTL_USAGE after saying what is wrong.
 */
typedef int (*migctl_opt_fn)(void *ctx, int id, const char *arg);

/*
 * Parse @argv (argv[0] is the command's name) by @cmd's grammar, handing
 * each option to @fn with @ctx (@fn is NULL for a command without
 * options). On success returns -1 and points *@args at
 * the *@nr_args positional arguments. Otherwise returns the exit status:
 * 0 after --help, MIGCTL_USAGE after a usage error.
 */
int migctl_parse(const struct migctl_cmd *cmd, int argc, char **argv,
		 migctl_opt_fn fn, void *ctx, int *nr_args, char ***args);
/* A command's only option, --json: migctl_json_opt() sets *(bool *)ctx. */
extern const struct migctl_opt migctl_json_opts[];
int migctl_json_opt(void *ctx, int id, const char *arg);
/* Print @cmd's usage on stderr; returns MIGCTL_USAGE. */
int migctl_usage(const struct migctl_cmd *cmd);

/* migctl_num flags: what may follow the digits. */
#define MIGCTL_NUM_SIZE	0x1	/* K, M, G (powers of 1024), iB or B */
#define MIGCTL_NUM_RATE	0x2	/* also Kbit, Mbit, Gbit (of 1000) */

/* A number an option or argument takes. */
struct migctl_num {
	const char *what;	/* "--count", "SIZE": named in errors */
	unsigned long long min, max;
	const char *unit;	/* NULL, or said after the range: "ms" */
	unsigned int flags;	/* MIGCTL_NUM_* */
};

/*
 * Parse all of @s as the number @n describes into @out; with
 * MIGCTL_NUM_RATE, a rate in bits is converted to bytes. Returns 0, or
 * MIGCTL_USAGE after saying on stderr what @n->what takes.
 */
int migctl_parse_num(const struct migctl_num *n, const char *s,
		     unsigned long long *out);
/* The same, into a 32-bit field (@n->max must fit). */
int migctl_parse_u32(const struct migctl_num *n, const char *s,
		     uint32_t *out);

/* Open /dev/vmig, explaining on stderr what to do when that fails. */
int migctl_open_dev(void);
/* Open VM @name on @dev, explaining failures on stderr. */
int migctl_open_vm(int dev, const char *name);
/* The same, opening /dev/vmig for the purpose. */
int migctl_open_vm_name(const char *name);
/* "1.5 MiB" */
void migctl_fmt_bytes(char *buf, size_t len, double bytes);

/* JSON output: one object (or array) per line, compact, on stdout. */
void migctl_json_print(struct json_object *o);
void migctl_json_u64(struct json_object *o, const char *key, uint64_t v);
void migctl_json_str(struct json_object *o, const char *key, const char *s);
/* A __u64 member of a struct, for migctl_json_u64s(). */
struct migctl_json_key {
	const char *key;
	size_t offset;
};

/* The member @m of struct @type, under its own name. */
#define MIGCTL_JSON_KEY(type, m) { #m, offsetof(struct type, m) }

/* Add the __u64 members @keys (@n of them) of the struct at @base to @o. */
void migctl_json_u64s(struct json_object *o, const void *base,
		      const struct migctl_json_key *keys, size_t n);
/* A double printed with @fmt, e.g. "%.3f". */
void migctl_json_double(struct json_object *o, const char *key, double v,
			const char *fmt);

/*
 * tls.c: the streams' security, for migrate and listen: the options
 * (ids from MIGCTL_OPT_PSK on; migctl_tls_opts is their table, a
 * command's @more_opts), their check, and the handshake of each stream.
 */
struct migctl_tls {
	struct vmig_tls_cfg cfg;
	bool insecure;
};

enum {
	MIGCTL_OPT_PSK = 100, MIGCTL_OPT_CERT, MIGCTL_OPT_KEY, MIGCTL_OPT_CA,
	MIGCTL_OPT_PEER_NAME, MIGCTL_OPT_INSECURE,
};

extern const struct migctl_opt migctl_tls_opts[];
/* An option of migctl_tls_opts (or --peer-name) into @t. */
int migctl_tls_opt(struct migctl_tls *t, int id, const char *arg);
/*
 * After the options: credentials, or --insecure (which warns); the files
 * are checked now (exit status 1), before any connection.
 */
int migctl_tls_check(struct migctl_tls *t, const char *cmd);
/* The handshake on @fd, kTLS then; 0, or an errno after a message. */
int migctl_tls_secure(const struct migctl_tls *t, int fd, bool server);

/* The commands and the groups of commands, for the table in migctl.c. */
extern const struct migctl_cmd migctl_version_cmd, migctl_vm_group,
	migctl_track_cmd, migctl_migrate_cmd, migctl_listen_cmd,
	migctl_status_cmd, migctl_switchover_cmd, migctl_cancel_cmd,
	migctl_disk_group, migctl_genkey_cmd;

#endif /* _MIGCTL_H */
