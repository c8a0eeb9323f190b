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
 * FILE when argv[i] is "-c FILE", "--config FILE" or "--config=FILE",
 * else NULL. The tools read it before their other options, so that the
 * command line wins.
 */
const char *xd_conf_arg(int argc, char **argv, int i);

#endif
