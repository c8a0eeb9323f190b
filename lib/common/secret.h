/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The DNS cookie secret's file: 32 hex digits on one line, readable by
 * its owner alone. Secrets are read from files only, never from command
 * lines, which every user can read in /proc/PID/cmdline. xdpdns-server
 * and xdpdns-loader read the same file, so that the XDP program and the
 * server make the same server cookies; every node of an anycast service
 * gets a copy of one file, so that a client's cookie holds at all of them.
 */
#ifndef XDPDNS_SECRET_H
#define XDPDNS_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Where the secret lives unless a file is named: made at first start by
 * whichever of xdpdns-server and 'xdpdns-loader attach' needs it first.
 * Changed only at build time (make CFLAGS=-DXD_COOKIE_SECRET_DEFAULT=...),
 * never by the environment: a security path is not the caller's to move.
 */
#ifndef XD_COOKIE_SECRET_DEFAULT
#define XD_COOKIE_SECRET_DEFAULT "/var/lib/xdpdns/cookie-secret"
#endif

#define XD_SECRET_LEN 16

/*
 * Read the secret in the file at path into out. Refused, with what to do
 * in err: a symbolic link, anything but a regular file, a file owned by
 * a user other than root or the caller's effective user, a file group or
 * others may read, write or execute (as ssh refuses private keys), and
 * content other than 32 hex digits with an optional newline, or all
 * zeroes. Returns 0, -ENOENT when there is no such file (err says so
 * too), or -1 for any other refusal.
 */
int xd_secret_read(const char *path, uint8_t out[XD_SECRET_LEN], char *err,
		   size_t errlen);

/*
 * Read the secret at path, or make it when the file is missing: its
 * directory (0700) when missing too, 16 random bytes written to a
 * temporary file (0600) in that directory and synced, then linked to
 * path. When another process linked its own first, that one is read
 * instead, so that processes starting at once agree on one secret. *made
 * says whether this call made it. Returns 0, or -1 with the reason in err.
 */
int xd_secret_load_or_make(const char *path, uint8_t out[XD_SECRET_LEN],
			   bool *made, char *err, size_t errlen);

#endif
