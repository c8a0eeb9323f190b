// SPDX-License-Identifier: GPL-3.0-or-later
#include "parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
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
