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
 * The FILEs of the command line's -c/--config options, in order, as
 * getopt_long reads them with the tool's own options (so every form
 * counts: "-c FILE", "-cFILE", "--config FILE", "--config=FILE" and
 * abbreviations such as "--conf FILE"), at most max of them; returns how
 * many there were. Errors are left to the tool's own pass, which can
 * start afresh: optind is reset. The tools read the files before their
 * other options, so that the command line wins.
 */
#define XD_CONF_MAX 16 /* config files on one command line */

struct option;
size_t xd_conf_paths(int argc, char **argv, const char *shortopts,
		     const struct option *longopts, const char **paths,
		     size_t max);

#endif
