/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Values the tools read from their command lines and config files.
 * Each returns 0, or -1 when the text is not such a value.
 */
#ifndef XDPDNS_PARSE_H
#define XDPDNS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* ADDR, [ADDR]:PORT or ADDR:PORT (IPv4), port 53 unless given. */
int xd_parse_sockaddr(const char *spec, struct sockaddr_storage *ss,
		      socklen_t *len);

/* ss as text, with its port: 198.18.0.1:53, [2001:db8::1]:53. */
void xd_sockaddr_text(const struct sockaddr_storage *ss, char *out, size_t len);

/* A decimal number from min to max. */
int xd_parse_number(const char *text, unsigned long min, unsigned long max,
		    unsigned long *out);

/* Seconds, a finite decimal from lo to hi (fractions allowed). */
int xd_parse_seconds(const char *text, double lo, double hi, double *out);

/* on or off, and their other spellings (yes/no, true/false, 1/0). */
int xd_parse_bool(const char *text, bool *on);

/* 32 hex digits, either case, into 16 bytes (a DNS cookie secret). */
int xd_parse_hex16(const char *hex, uint8_t out[16]);

/* A prefix as the rate limiters keep them: IPv4 mapped into IPv6
 * (::ffff:a.b.c.d, prefix length + 96), the bits past the prefix
 * cleared. */
struct xd_prefix {
	uint32_t prefixlen;
	uint8_t addr[16];
};

/* An IPv4 or IPv6 address, with or without /LENGTH, into k. */
int xd_parse_prefix(const char *text, struct xd_prefix *k);

#endif
