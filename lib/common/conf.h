/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The tools' config files: one "name = value" setting a line, names as
 * the long options; '#' starts a comment, blank lines are skipped. The
 * reader does the lines, each tool its own settings.
 */
#ifndef XDPDNS_CONF_H
#define XDPDNS_CONF_H

#include <stddef.h>

/*
 * Take one setting, the white space around name and value removed.
 * Returns 0, or -1 with what is wrong (e.g. "unknown option 'x'") in why.
 */
typedef int (*xd_conf_set_fn)(void *ctx, const char *name, const char *value,
			      char *why, size_t whylen);

/*
 * Read path, calling set for each setting in order until one is refused.
 * Returns 0, or -1 with "path:line: reason" in err (a line of more than
 * 1023 bytes with its newline, one without '=', or set's why), or
 * "path: reason" when the file cannot be opened.
 */
int xd_conf_read(const char *path, xd_conf_set_fn set, void *ctx, char *err,
		 size_t errlen);

/*
 * Call read(ctx, FILE) for each -c/--config option of the command line,
 * in order, as getopt_long reads them with the tool's own options (so
 * every form counts: "-c FILE", "-cFILE", "--config FILE",
 * "--config=FILE" and abbreviations such as "--conf FILE"; not an
 * option's argument that looks like one, nor an operand after "--").
 * Stops at the first read that fails and returns what it returned, else
 * 0. Errors in the other options are left to the tool's own pass, which
 * starts afresh: optind is reset. The tools read the files before their
 * other options, so that the command line wins.
 */
struct option;
int xd_conf_each(int argc, char **argv, const char *shortopts,
		 const struct option *longopts,
		 int (*read)(void *ctx, const char *path), void *ctx);

#endif
