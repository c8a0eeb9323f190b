/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * xdpdns-health's settings and its hysteresis: what the checks feed and
 * when the anycast prefix is announced or withdrawn. Pure code, no I/O
 * but the config file, so that the unit tests drive it directly.
 */
#ifndef XDPDNS_HSTATE_H
#define XDPDNS_HSTATE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define HS_MAX_SERVICE 16
#define HS_MAX_ZONES 64
#define HS_MAX_PEERS 64
#define HS_REASON_MAX 256

/* An address announced on the dummy interface (a /32 or a /128). */
struct hs_addr {
	int family; /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} a;
};

struct hs_config {
	char dev[16]; /* the interface xdpdns is attached to */
	char announce_dev[16]; /* the dummy interface BIRD exports */
	struct hs_addr service[HS_MAX_SERVICE];
	int nservice;
	struct sockaddr_storage server; /* the TCP probe's target */
	socklen_t server_len;
	char zones[HS_MAX_ZONES][256]; /* apexes as text; none: every one */
	/* The same apexes in lowercase wire form, converted once, when set. */
	uint8_t zone_apex[HS_MAX_ZONES][256];
	int nzones;
	double interval_s; /* between two rounds of checks */
	double timeout_s; /* for one probe */
	double max_latency_s; /* slower server answers count as failures */
	unsigned fall; /* failed rounds in a row to withdraw */
	unsigned rise; /* good rounds in a row to announce */
	char state_file[256]; /* empty: the default for dev */
	bool withdraw_on_exit;
};

/* The defaults: interval 1 s, timeout 0.5 s, latency 0.25 s, fall 3,
 * rise 5, server 127.0.0.1:53, withdraw on exit. */
void hs_config_defaults(struct hs_config *c);

/*
 * Set one option by its long name (as on the command line, without the
 * dashes). Returns 0, -2 for an unknown name, or -1 for a bad value, with
 * what was expected in *why.
 */
int hs_set_option(struct hs_config *c, const char *name, const char *val,
		  const char **why);

/*
 * Read 'name = value' lines ('#' comments) from path. Returns 0, or -1
 * with "path:line: reason" in err.
 */
int hs_read_config(struct hs_config *c, const char *path, char *err,
		   size_t errlen);

/* Whether the settings make a node checker; -1 with a reason if not. */
int hs_config_check(const struct hs_config *c, const char **why);

/* ---- the hysteresis -------------------------------------------------- */

enum hs_state {
	HS_STARTING, /* not announced yet: waiting for rise good rounds */
	HS_ANNOUNCED,
	HS_WITHDRAWN, /* was announced, then fall rounds failed */
};

struct hs_machine {
	enum hs_state state;
	unsigned good_run, bad_run; /* rounds in a row */
	unsigned rise, fall;
};

void hs_machine_init(struct hs_machine *m, unsigned rise, unsigned fall);

/* Feed one round's verdict; true when the state changed. */
bool hs_feed(struct hs_machine *m, bool good);

static inline bool hs_announced(const struct hs_machine *m)
{
	return m->state == HS_ANNOUNCED;
}

const char *hs_state_name(enum hs_state s);

#endif
