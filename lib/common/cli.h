/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the xdpdns tools say on standard error: the daemons' timestamped
 * log lines and every tool's usage errors. Each takes the program's name
 * (prog, e.g. "xdpdns-server"), so that one copy serves every tool.
 */
#ifndef XDPDNS_CLI_H
#define XDPDNS_CLI_H

#define EXIT_USAGE 2 /* a bad command line, as every tool's --help says */

/* "2006-01-02T15:04:05Z prog: message" (UTC) and a newline on stderr. */
__attribute__((format(printf, 2, 3))) void xd_log(const char *prog,
						  const char *fmt, ...);

/*
 * "prog: message" on stderr, then a blank line and usage, or, with usage
 * NULL, "Try 'prog --help'."; exits with status 2.
 */
__attribute__((noreturn, format(printf, 3, 4))) void
xd_usage_error(const char *prog, const char *usage, const char *fmt, ...);

#endif
