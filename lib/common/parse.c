// SPDX-License-Identifier: GPL-3.0-or-later
#include "parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int xd_parse_sockaddr(const char *spec, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port = NULL;
	size_t n;

	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');
		if (!end)
			return -1;
		n = (size_t)(end - spec - 1);
		if (end[1] == ':')
			port = end + 2;
		else if (end[1])
			return -1;
		spec++;
	} else {
		const char *colon = strchr(spec, ':');
		/* One colon: IPv4 with a port; more: a bare IPv6 address. */
		if (colon && !strchr(colon + 1, ':')) {
			port = colon + 1;
			n = (size_t)(colon - spec);
		} else {
			n = strlen(spec);
		}
	}
	if (n == 0 || n >= sizeof(host))
		return -1;
	memcpy(host, spec, n);
	host[n] = 0;
	unsigned long pn = 53;
	if (port && xd_parse_number(port, 1, 65535, &pn) < 0)
		return -1;
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)pn);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)pn);
		*len = sizeof(*s6);
		return 0;
	}
	return -1;
}

int xd_parse_number(const char *text, unsigned long min, unsigned long max,
		    unsigned long *out)
{
	char *e;

	errno = 0;
	unsigned long v = strtoul(text, &e, 10);
	if (errno || *e || !*text || v < min || v > max)
		return -1;
	/* strtoul takes "-N" as N negated and wrapped: of those, only -0
	 * is a number here. */
	if (v && strchr(text, '-'))
		return -1;
	*out = v;
	return 0;
}

int xd_parse_seconds(const char *text, double lo, double hi, double *out)
{
	char *e;

	errno = 0;
	double v = strtod(text, &e);
	if (errno || e == text || *e || !isfinite(v) || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int xd_parse_hex16(const char *hex, uint8_t out[16])
{
	static const char digits[] = "0123456789abcdefABCDEF";

	if (strlen(hex) != 32)
		return -1;
	for (int i = 0; i < 16; i++) {
		char pair[3] = { hex[2 * i], hex[2 * i + 1], 0 };
		if (!strchr(digits, pair[0]) || !strchr(digits, pair[1]))
			return -1;
		out[i] = (uint8_t)strtoul(pair, NULL, 16);
	}
	return 0;
}

int xd_parse_prefix(const char *text, struct xd_prefix *k)
{
	char addr[64];
	const char *slash = strchr(text, '/');
	size_t n = slash ? (size_t)(slash - text) : strlen(text);
	long len = -1;

	if (n >= sizeof(addr))
		return -1;
	memcpy(addr, text, n);
	addr[n] = 0;
	if (slash) {
		char *e;
		len = strtol(slash + 1, &e, 10);
		if (*e || slash[1] < '0' || slash[1] > '9')
			return -1;
	}
	memset(k, 0, sizeof(*k));
	uint8_t v4[4];
	if (inet_pton(AF_INET, addr, v4) == 1) {
		if (len < 0)
			len = 32;
		if (len > 32)
			return -1;
		k->addr[10] = k->addr[11] = 0xff;
		memcpy(k->addr + 12, v4, 4);
		k->prefixlen = 96 + (uint32_t)len;
	} else if (inet_pton(AF_INET6, addr, k->addr) == 1) {
		if (len < 0)
			len = 128;
		if (len > 128)
			return -1;
		k->prefixlen = (uint32_t)len;
	} else {
		return -1;
	}
	/* Bits past the prefix cleared, as the trie compares them. */
	for (int i = 0; i < 16; i++) {
		uint32_t first = 8 * (uint32_t)i;
		if (k->prefixlen <= first)
			k->addr[i] = 0;
		else if (k->prefixlen < first + 8)
			k->addr[i] &=
				(uint8_t)(0xff00 >> (k->prefixlen - first));
	}
	return 0;
}

int xd_parse_bool(const char *text, bool *on)
{
	static const char *const yes[] = { "on", "yes", "true", "1" };
	static const char *const no[] = { "off", "no", "false", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (!strcmp(text, yes[i]))
			return *on = true, 0;
		if (!strcmp(text, no[i]))
			return *on = false, 0;
	}
	return -1;
}

void xd_sockaddr_text(const struct sockaddr_storage *ss, char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(out, len, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(out, len, "%s:%u", host, ntohs(s4->sin_port));
	}
}
