// SPDX-License-Identifier: GPL-3.0-or-later
#include "hstate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "conf.h"
#include "parse.h"

void hs_config_defaults(struct hs_config *c)
{
	memset(c, 0, sizeof(*c));
	c->interval_s = 1.0;
	c->timeout_s = 0.5;
	c->max_latency_s = 0.25;
	c->fall = 3;
	c->rise = 5;
	c->withdraw_on_exit = true;
	xd_parse_sockaddr("127.0.0.1:53", &c->server, &c->server_len);
}

static int parse_count(const char *val, unsigned *out)
{
	unsigned long v;

	if (xd_parse_number(val, 1, 1000, &v) < 0)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int parse_ifname(const char *val, char out[16])
{
	size_t n = strlen(val);

	if (n == 0 || n > 15 || strchr(val, '/') || strchr(val, ' ') ||
	    !strcmp(val, ".") || !strcmp(val, ".."))
		return -1;
	memcpy(out, val, n + 1);
	return 0;
}

static int parse_service(struct hs_config *c, const char *val)
{
	struct hs_addr *a = &c->service[c->nservice];
	char host[INET6_ADDRSTRLEN + 8];
	size_t n = strcspn(val, "/");

	if (c->nservice >= HS_MAX_SERVICE || n >= sizeof(host))
		return -1;
	memcpy(host, val, n);
	host[n] = 0;
	if (inet_pton(AF_INET, host, &a->a.v4) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, host, &a->a.v6) == 1)
		a->family = AF_INET6;
	else
		return -1;
	/* Only a host prefix: an anycast node announces its address. */
	if (val[n] && strcmp(val + n, a->family == AF_INET ? "/32" : "/128"))
		return -1;
	c->nservice++;
	return 0;
}

/* A zone's apex, kept as given (for messages) and in the lowercase wire
 * form the checks compare and send. */
static int parse_zone(struct hs_config *c, const char *val)
{
	size_t n = strlen(val);

	if (c->nzones >= HS_MAX_ZONES || n == 0 || n >= sizeof(c->zones[0]))
		return -1;
	uint8_t *wire = c->zone_apex[c->nzones];
	if (!knot_dname_from_str(wire, val, KNOT_DNAME_MAXLEN))
		return -1;
	knot_dname_to_lower(wire);
	memcpy(c->zones[c->nzones++], val, n + 1);
	return 0;
}

int hs_set_option(struct hs_config *c, const char *name, const char *val,
		  const char **why)
{
	*why = NULL;
	if (!strcmp(name, "dev")) {
		*why = "an interface name (1 to 15 bytes)";
		return parse_ifname(val, c->dev);
	}
	if (!strcmp(name, "announce-dev")) {
		*why = "an interface name (1 to 15 bytes)";
		return parse_ifname(val, c->announce_dev);
	}
	if (!strcmp(name, "service")) {
		*why = "an IPv4 or IPv6 address, optionally /32 or /128 (at "
		       "most 16)";
		return parse_service(c, val);
	}
	if (!strcmp(name, "server")) {
		*why = "ADDR, ADDR:PORT or [ADDR]:PORT";
		return xd_parse_sockaddr(val, &c->server, &c->server_len);
	}
	if (!strcmp(name, "zone")) {
		*why = "a domain name (at most 64 zones)";
		return parse_zone(c, val);
	}
	if (!strcmp(name, "interval")) {
		*why = "seconds, 0.05 to 3600";
		return xd_parse_seconds(val, 0.05, 3600, &c->interval_s);
	}
	if (!strcmp(name, "timeout")) {
		*why = "seconds, 0.01 to 60";
		return xd_parse_seconds(val, 0.01, 60, &c->timeout_s);
	}
	if (!strcmp(name, "max-latency")) {
		*why = "seconds, 0.001 to 60";
		return xd_parse_seconds(val, 0.001, 60, &c->max_latency_s);
	}
	if (!strcmp(name, "fall")) {
		*why = "a count, 1 to 1000";
		return parse_count(val, &c->fall);
	}
	if (!strcmp(name, "rise")) {
		*why = "a count, 1 to 1000";
		return parse_count(val, &c->rise);
	}
	if (!strcmp(name, "state-file")) {
		*why = "a path (at most 255 bytes)";
		size_t n = strlen(val);
		if (n == 0 || n >= sizeof(c->state_file))
			return -1;
		memcpy(c->state_file, val, n + 1);
		return 0;
	}
	if (!strcmp(name, "withdraw-on-exit")) {
		*why = "yes or no";
		return xd_parse_bool(val, &c->withdraw_on_exit);
	}
	return -2;
}

/* A setting from the config file, refused in the words of the command
 * line's errors. */
static int set_from_file(void *ctx, const char *name, const char *val,
			 char *why, size_t len)
{
	const char *expected;
	int r = hs_set_option(ctx, name, val, &expected);

	if (r == -2)
		snprintf(why, len, "unknown option '%s'", name);
	else if (r < 0)
		snprintf(why, len, "bad %s '%s': expected %s", name, val,
			 expected);
	return r < 0 ? -1 : 0;
}

int hs_read_config(struct hs_config *c, const char *path, char *err,
		   size_t errlen)
{
	return xd_conf_read(path, set_from_file, c, err, errlen);
}

int hs_config_check(const struct hs_config *c, const char **why)
{
	if (!c->dev[0])
		*why = "--dev IF is required (the interface xdpdns is "
		       "attached to)";
	else if (!c->announce_dev[0])
		*why = "--announce-dev IF is required (the dummy interface "
		       "BIRD exports)";
	else if (!c->nservice)
		*why = "at least one --service ADDR is required";
	else if (c->timeout_s > c->interval_s)
		*why = "--timeout must not exceed --interval";
	else if (c->max_latency_s > c->timeout_s)
		*why = "--max-latency must not exceed --timeout";
	else if (!strcmp(c->dev, c->announce_dev))
		*why = "--announce-dev must be a dummy interface, not --dev";
	else
		return 0;
	return -1;
}

void hs_machine_init(struct hs_machine *m, unsigned rise, unsigned fall)
{
	memset(m, 0, sizeof(*m));
	m->state = HS_STARTING;
	m->rise = rise ? rise : 1;
	m->fall = fall ? fall : 1;
}

bool hs_feed(struct hs_machine *m, bool good)
{
	if (good) {
		m->bad_run = 0;
		if (m->good_run < m->rise)
			m->good_run++;
		if (m->state != HS_ANNOUNCED && m->good_run >= m->rise) {
			m->state = HS_ANNOUNCED;
			return true;
		}
		return false;
	}
	m->good_run = 0;
	if (m->bad_run < m->fall)
		m->bad_run++;
	if (m->state == HS_ANNOUNCED && m->bad_run >= m->fall) {
		m->state = HS_WITHDRAWN;
		return true;
	}
	return false;
}

const char *hs_state_name(enum hs_state s)
{
	switch (s) {
	case HS_STARTING:
		return "starting";
	case HS_ANNOUNCED:
		return "announced";
	case HS_WITHDRAWN:
		return "withdrawn";
	}
	return "?";
}
