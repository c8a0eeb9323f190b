// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * xdpdns-health: keep an anycast node's route in BGP only while the node
 * answers correctly. Checks the XDP fast path and xdpdns-server against
 * the zones last applied, announces or withdraws the service addresses
 * through BIRD (a dummy interface its direct protocol exports), and, in
 * --peers mode, compares the zone serials and NSIDs of the whole fleet.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <libknot/libknot.h>

#include "announce.h"
#include "cli.h"
#include "conf.h"
#include "hstate.h"
#include "parse.h"
#include "pins.h"
#include "probe.h"
#include "xdpdns.h"

#define EXIT_FAIL 1

static const char usage[] =
	"Usage: xdpdns-health --dev IF --announce-dev DUMMY --service ADDR...\n"
	"                     [OPTIONS]\n"
	"       xdpdns-health --check --dev IF [OPTIONS]\n"
	"       xdpdns-health --peers [--zone APEX... | --dev IF] ADDR[:PORT]...\n"
	"\n"
	"Keep an anycast DNS node in BGP only while it answers correctly.\n"
	"Every --interval it checks, for each zone applied to IF:\n"
	"  - the XDP fast path: the program pinned for IF is attached to IF,\n"
	"    and, run on a canary SOA query (BPF_PROG_TEST_RUN, the live maps,\n"
	"    nothing sent on the wire), it answers itself, authoritatively,\n"
	"    with the serial last applied by 'xdpdns-zonec apply';\n"
	"  - xdpdns-server: the same SOA over TCP from --server (XDP answers\n"
	"    UDP only, so TCP always reaches the server), with the serial last\n"
	"    applied, within --max-latency.\n"
	"A round is good when every check passes. After --rise good rounds in\n"
	"a row the service addresses are added to the dummy interface DUMMY\n"
	"(made if missing), which BIRD's direct protocol exports over BGP;\n"
	"after --fall failed rounds in a row they are removed, and BIRD\n"
	"withdraws the routes. At start nothing is announced until --rise good\n"
	"rounds. Every state change is logged with its reason, and the state\n"
	"is written to the state file that 'xdpdns-loader status' shows.\n"
	"\n"
	"Options:\n"
	"  -c, --config FILE       read options from FILE first: 'name = value'\n"
	"                          lines, names as the long options below, '#'\n"
	"                          comments; options given here win\n"
	"                          (repeatable: the files are read in order)\n"
	"  -d, --dev IF            the interface xdpdns is attached to\n"
	"  -a, --announce-dev DUMMY\n"
	"                          the interface that carries the service\n"
	"                          addresses while the node is healthy: a\n"
	"                          dummy interface (made when missing), or lo\n"
	"                          on kernels without dummy interfaces\n"
	"  -s, --service ADDR      an anycast service address, IPv4 or IPv6\n"
	"                          (repeatable), announced as a /32 or /128\n"
	"  -S, --server ADDR[:PORT]\n"
	"                          where xdpdns-server is asked over TCP\n"
	"                          (default 127.0.0.1:53): an address that\n"
	"                          stays up when the service addresses are\n"
	"                          withdrawn\n"
	"  -z, --zone APEX         check this zone (repeatable); default every\n"
	"                          applied zone, at most 64\n"
	"  -i, --interval S        seconds between rounds (default 1)\n"
	"  -t, --timeout S         seconds a probe may take (default 0.5)\n"
	"  -L, --max-latency S     a slower server answer fails the round\n"
	"                          (default 0.25)\n"
	"  -f, --fall N            failed rounds in a row to withdraw (default 3)\n"
	"  -r, --rise N            good rounds in a row to announce (default 5)\n"
	"      --state-file FILE   default " XD_HEALTH_STATE_DIR
	"/health-IF.state\n"
	"      --withdraw-on-exit yes|no\n"
	"                          remove the addresses when stopped (default\n"
	"                          yes: a node without its checker must not\n"
	"                          attract traffic)\n"
	"      --check             run one round, print each check's outcome,\n"
	"                          exit 0 when good, 1 when not; announces\n"
	"                          nothing\n"
	"      --peers             fleet mode: ask every ADDR[:PORT] (management\n"
	"                          addresses of the nodes, port 53 by default)\n"
	"                          for the SOA of each zone over UDP with NSID;\n"
	"                          print serial and NSID per node and whether\n"
	"                          the serials agree\n"
	"  -h, --help              this help\n"
	"\n"
	"Failover time is about fall x interval plus BGP propagation; recovery\n"
	"about rise x interval. The BIRD side: health/bird-xdpdns.conf; the\n"
	"whole deployment: docs/anycast.md. Needs root (CAP_NET_ADMIN for the\n"
	"addresses, CAP_BPF and CAP_SYS_ADMIN for the pins). Runs in the\n"
	"foreground and logs to standard error; under systemd see\n"
	"health/xdpdns-health.service. SIGTERM or SIGINT stops it.\n"
	"\n"
	"Exit status: 0 clean stop (or --check good, --peers consistent); 1\n"
	"failure (--check bad, --peers divergent or a peer silent); 2 usage\n"
	"error.\n";

static const char *prog = "xdpdns-health";
static volatile sig_atomic_t stopping;

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the checks --------------------------------------------------------- */

struct round {
	bool good;
	char why[HS_REASON_MAX];
	int zones; /* checked */
	double worst_rtt_s;
};

/* The zones to check: the configured ones, each of which must be applied,
 * or every applied zone. */
static int pick_zones(const struct hs_config *c, int zones_fd,
		      struct hp_zone *out, char *why, size_t len)
{
	static struct hp_zone applied[HS_MAX_ZONES];
	int n = hp_applied_zones(zones_fd, applied, HS_MAX_ZONES);

	if (!c->nzones) {
		memcpy(out, applied, (size_t)n * sizeof(*out));
		if (!n)
			snprintf(why, len, "xdp: no zones applied");
		return n ? n : -1;
	}
	for (int i = 0; i < c->nzones; i++) {
		int k = 0;
		while (k < n &&
		       !knot_dname_is_equal(applied[k].apex, c->zone_apex[i]))
			k++;
		if (k == n) {
			snprintf(why, len, "xdp: zone %s is not applied to %s",
				 c->zones[i], c->dev);
			return -1;
		}
		out[i] = applied[k];
	}
	return c->nzones;
}

static uint32_t canary_dst(const struct hs_config *c)
{
	for (int i = 0; i < c->nservice; i++)
		if (c->service[i].family == AF_INET)
			return c->service[i].a.v4.s_addr;
	return htonl(INADDR_LOOPBACK);
}

static void run_round(const struct hs_config *c, struct round *r, bool verbose)
{
	static struct hp_zone zones[HS_MAX_ZONES];
	struct xd_pins p;
	const char *w = NULL;
	char srv[64];
	int run_fd = -1;

	memset(r, 0, sizeof(*r));
	xd_sockaddr_text(&c->server, srv, sizeof(srv));
	if (xd_pins_open(&p, c->dev, false, &w) < 0) {
		snprintf(r->why, sizeof(r->why), "xdp: %s: %s", c->dev, w);
		goto out;
	}
	if (hp_xdp_attached(c->dev, p.prog, &run_fd, r->why, sizeof(r->why)) <
	    0)
		goto out;
	struct xd_config cfg;
	uint32_t zero = 0;
	if (bpf_map_lookup_elem(p.maps.config, &zero, &cfg)) {
		snprintf(r->why, sizeof(r->why), "xdp: cannot read xd_config");
		goto out;
	}
	if (cfg.disabled) {
		snprintf(r->why, sizeof(r->why),
			 "xdp: fast path switched off (config fast-path=off)");
		goto out;
	}
	int n = pick_zones(c, p.zones, zones, r->why, sizeof(r->why));
	if (n < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		const struct hp_zone *z = &zones[i];
		uint32_t serial = 0;
		double rtt = 0;
		if (hp_xdp_canary(run_fd, z, canary_dst(c), r->why,
				  sizeof(r->why)) < 0)
			goto out;
		if (verbose)
			printf("ok   xdp: %s SOA answered in XDP, serial %u\n",
			       z->text, z->applied);
		if (hp_tcp_soa(&c->server, c->server_len, z->apex, c->timeout_s,
			       &serial, &rtt, r->why, sizeof(r->why)) < 0)
			goto out;
		if (serial != z->applied) {
			snprintf(r->why, sizeof(r->why),
				 "server %s: %s serial %u, the last applied "
				 "is %u",
				 srv, z->text, serial, z->applied);
			goto out;
		}
		if (rtt > r->worst_rtt_s)
			r->worst_rtt_s = rtt;
		if (rtt > c->max_latency_s) {
			snprintf(r->why, sizeof(r->why),
				 "server %s: %s SOA took %.1f ms, over "
				 "--max-latency %.1f ms",
				 srv, z->text, rtt * 1000,
				 c->max_latency_s * 1000);
			goto out;
		}
		if (verbose)
			printf("ok   server %s: %s serial %u in %.2f ms\n", srv,
			       z->text, serial, rtt * 1000);
		r->zones++;
	}
	r->good = true;
	snprintf(r->why, sizeof(r->why),
		 "%d zone(s) answered by XDP and the server with the "
		 "applied serials",
		 r->zones);
out:
	if (run_fd >= 0)
		close(run_fd);
	xd_pins_close(&p);
}

/* ---- the state file ----------------------------------------------------- */

static void default_state_file(struct hs_config *c)
{
	if (!c->state_file[0])
		snprintf(c->state_file, sizeof(c->state_file),
			 "%s/health-%s.state", XD_HEALTH_STATE_DIR, c->dev);
}

/* What the last change of the service addresses left undone: empty when
 * every address is as the state says. Written to the state file. */
static char route_fail[HS_REASON_MAX];

/* Written whole to a temporary file, then renamed over the old one. */
static void write_state(const struct hs_config *c, const char *state,
			time_t since, const char *reason)
{
	char tmp[300];

	/* Its directory (/run/xdpdns) may not exist yet. */
	snprintf(tmp, sizeof(tmp), "%s", c->state_file);
	char *slash = strrchr(tmp, '/');
	if (slash && slash != tmp) {
		*slash = 0;
		mkdir(tmp, 0755);
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", c->state_file);
	FILE *f = fopen(tmp, "w");
	if (!f) {
		static bool told;
		if (!told)
			xd_log(prog, "cannot write %s: %s", tmp,
			       strerror(errno));
		told = true;
		return;
	}
	fprintf(f,
		"state=%s\nsince=%lld\nchecked=%lld\npid=%d\nreason=%s\n"
		"routes=%s%s\ninterval=%g\nfall=%u\nrise=%u\n",
		state, (long long)since, (long long)time(NULL), (int)getpid(),
		reason, route_fail[0] ? "FAILED: " : "ok", route_fail,
		c->interval_s, c->fall, c->rise);
	if (fclose(f) == 0)
		rename(tmp, c->state_file);
}

/* ---- announcing ---------------------------------------------------------- */

static void addr_text(const struct hs_addr *a, char *out, size_t len)
{
	inet_ntop(a->family, &a->a, out, (socklen_t)len);
}

/*
 * Make the addresses on the announcing interface match the state (on:
 * all added; off: all removed), logging what someone else had moved.
 * What fails is kept in route_fail for the state file, retried the next
 * round, and logged when it changes (not every round while it lasts);
 * final: the last call, at exit, with no next round (the caller logs).
 */
static void set_announced(const struct hs_config *c, int *ifindex, bool on,
			  bool quiet_changes, bool final)
{
	char fail[HS_REASON_MAX] = "";
	int nfail = 0;

	/* After a failure, an address put right is the retry's doing, not
	 * someone else's. */
	if (route_fail[0])
		quiet_changes = true;

	for (int i = 0; i < c->nservice; i++) {
		char text[INET6_ADDRSTRLEN];
		addr_text(&c->service[i], text, sizeof(text));
		int r = ha_addr_set(*ifindex, &c->service[i], on);
		if (r == -ENODEV) {
			/* The interface was deleted (and maybe made again):
			 * find or make it anew. */
			int ni = ha_dummy_ensure(c->announce_dev);
			if (ni > 0) {
				*ifindex = ni;
				r = ha_addr_set(ni, &c->service[i], on);
			}
		}
		if (r < 0) {
			if (!nfail++)
				snprintf(fail, sizeof(fail),
					 "cannot %s %s %s %s: %s",
					 on ? "add" : "remove", text,
					 on ? "to" : "from", c->announce_dev,
					 strerror(-r));
		} else if (r > 0 && !quiet_changes)
			xd_log(prog,
			       "%s %s %s %s (someone else had changed it)",
			       on ? "re-added" : "removed", text,
			       on ? "to" : "from", c->announce_dev);
	}
	if (nfail > 1) {
		size_t n = strlen(fail);
		snprintf(fail + n, sizeof(fail) - n, " (and %d more)",
			 nfail - 1);
	}
	if (!final && fail[0] && strcmp(fail, route_fail))
		xd_log(prog, "%s; retrying every round", fail);
	else if (!final && !fail[0] && route_fail[0])
		xd_log(prog, "%s: the service addresses are %s now",
		       c->announce_dev, on ? "all there" : "all removed");
	snprintf(route_fail, sizeof(route_fail), "%s", fail);
}

static volatile sig_atomic_t hangup;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		hangup = 1;
	else
		stopping = 1;
}

static int run_node(struct hs_config *c)
{
	struct hs_machine m;
	struct round r;
	char last_logged[HS_REASON_MAX] = "";
	char addrs[HS_MAX_SERVICE * (INET6_ADDRSTRLEN + 1)] = "";

	default_state_file(c);
	int ifindex = ha_dummy_ensure(c->announce_dev);
	if (ifindex < 0) {
		fprintf(stderr, "%s: cannot make or bring up %s: %s%s\n", prog,
			c->announce_dev, strerror(-ifindex),
			ifindex == -EOPNOTSUPP ?
				" (this kernel has no dummy interfaces: make "
				"one by other means, or use --announce-dev lo)" :
				"");
		return EXIT_FAIL;
	}
	for (int i = 0; i < c->nservice; i++) {
		char t[INET6_ADDRSTRLEN];
		addr_text(&c->service[i], t, sizeof(t));
		strcat(addrs, i ? " " : "");
		strcat(addrs, t);
	}
	/* The signals wait, blocked, while a round runs; the sleep between
	 * rounds takes them (ppoll), so that none is lost to a race. */
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigset_t block, open_mask;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &open_mask);

	hs_machine_init(&m, c->rise, c->fall);
	set_announced(c, &ifindex, false, true, false);
	time_t since = time(NULL);
	char reason[HS_REASON_MAX];
	snprintf(reason, sizeof(reason), "started, waiting for %u good rounds",
		 c->rise);
	xd_log(prog,
	       "%s: checking every %gs (fall %u, rise %u); announcing %s on "
	       "%s when healthy",
	       c->dev, c->interval_s, c->fall, c->rise, addrs, c->announce_dev);
	write_state(c, hs_state_name(m.state), since, reason);

	double next = now_mono();
	while (!stopping) {
		run_round(c, &r, false);
		bool changed = hs_feed(&m, r.good);
		if (changed) {
			since = time(NULL);
			if (hs_announced(&m))
				snprintf(reason, sizeof(reason),
					 "%u good rounds: %s", c->rise, r.why);
			else
				snprintf(reason, sizeof(reason),
					 "%u failed rounds: %s", c->fall,
					 r.why);
			xd_log(prog, "%s: %s %s: %s", c->dev,
			       hs_announced(&m) ? "ANNOUNCED" : "WITHDRAWN",
			       addrs, reason);
			/* Said already: not again while it lasts. */
			snprintf(last_logged, sizeof(last_logged), "%s",
				 r.good ? "" : r.why);
		} else if (!r.good && strcmp(r.why, last_logged)) {
			/* A new failure: say it once, not every round. */
			if (hs_announced(&m))
				xd_log(prog,
				       "%s: check failed (%u of %u to "
				       "withdraw): %s",
				       c->dev, m.bad_run, c->fall, r.why);
			else
				xd_log(prog,
				       "%s: check failed (not announced): %s",
				       c->dev, r.why);
			snprintf(last_logged, sizeof(last_logged), "%s", r.why);
		} else if (r.good && last_logged[0]) {
			xd_log(prog, "%s: checks pass again", c->dev);
			last_logged[0] = 0;
		}
		set_announced(c, &ifindex, hs_announced(&m), changed, false);
		write_state(c, hs_state_name(m.state), since, reason);

		next += c->interval_s;
		double wait = next - now_mono();
		if (wait < 0) {
			next = now_mono();
			continue;
		}
		struct timespec ts = {
			.tv_sec = (time_t)wait,
			.tv_nsec = (long)((wait - (double)(time_t)wait) * 1e9)
		};
		ppoll(NULL, 0, &ts, &open_mask); /* a signal cuts it short */
		if (hangup) {
			hangup = 0;
			xd_log(prog,
			       "%s: SIGHUP: settings are read at start; restart "
			       "to change them",
			       c->dev);
		}
	}
	if (c->withdraw_on_exit) {
		set_announced(c, &ifindex, false, true, true);
		if (route_fail[0])
			xd_log(prog, "%s: stopped; NOT all of %s withdrawn: %s",
			       c->dev, addrs, route_fail);
		else
			xd_log(prog, "%s: stopped; withdrew %s", c->dev, addrs);
		write_state(c, "stopped", time(NULL),
			    route_fail[0] ? "xdpdns-health stopped, NOT all "
					    "addresses withdrawn" :
					    "xdpdns-health stopped, addresses "
					    "withdrawn");
	} else {
		xd_log(prog, "%s: stopped; %s left as they were (%s)", c->dev,
		       addrs, hs_announced(&m) ? "announced" : "withdrawn");
		write_state(c, "stopped", time(NULL),
			    hs_announced(&m) ?
				    "xdpdns-health stopped, addresses left "
				    "announced" :
				    "xdpdns-health stopped, addresses left "
				    "withdrawn");
	}
	return 0;
}

static int run_check(struct hs_config *c)
{
	struct round r;

	run_round(c, &r, true);
	printf("%s %s\n", r.good ? "good:" : "FAIL", r.why);
	return r.good ? 0 : EXIT_FAIL;
}

/* ---- peers --------------------------------------------------------------- */

struct peer_answer {
	bool ok;
	uint32_t serial;
	char nsid[HP_NSID_MAX * 4 + 1];
	char why[HS_REASON_MAX];
};

/* A node of the fleet, as given to --peers: parsed once. */
struct peer {
	struct sockaddr_storage ss;
	socklen_t len;
	char name[64];
};

static int run_peers(struct hs_config *c, const struct peer *peers, int npeers)
{
	static struct hp_zone zones[HS_MAX_ZONES];
	static struct peer_answer ans[HS_MAX_PEERS];
	int nz = 0, rc = 0;

	if (c->nzones) {
		for (int i = 0; i < c->nzones; i++) {
			memcpy(zones[i].apex, c->zone_apex[i],
			       sizeof(zones[i].apex));
			knot_dname_to_str(zones[i].text, zones[i].apex,
					  sizeof(zones[i].text));
		}
		nz = c->nzones;
	} else {
		struct xd_pins p;
		const char *w = NULL;
		if (xd_pins_open(&p, c->dev, false, &w) < 0) {
			fprintf(stderr,
				"%s: %s: %s (or name the zones with "
				"--zone)\n",
				prog, c->dev, w);
			return EXIT_FAIL;
		}
		nz = hp_applied_zones(p.zones, zones, HS_MAX_ZONES);
		xd_pins_close(&p);
		if (!nz) {
			fprintf(stderr, "%s: no zones applied to %s\n", prog,
				c->dev);
			return EXIT_FAIL;
		}
	}
	for (int z = 0; z < nz; z++) {
		int answered = 0, first = -1;
		bool same = true;
		for (int i = 0; i < npeers; i++) {
			struct peer_answer *a = &ans[i];
			double rtt = 0;
			a->ok = hp_udp_soa_nsid(&peers[i].ss, peers[i].len,
						zones[z].apex, c->timeout_s,
						&a->serial, a->nsid, &rtt,
						a->why, sizeof(a->why)) == 0;
			if (a->ok)
				printf("peer %s nsid %s zone %s serial %u rtt "
				       "%.2f ms\n",
				       peers[i].name,
				       a->nsid[0] ? a->nsid : "-",
				       zones[z].text, a->serial, rtt * 1000);
			else
				printf("peer %s zone %s FAILED %s\n",
				       peers[i].name, zones[z].text, a->why);
			if (!a->ok)
				continue;
			answered++;
			if (first < 0)
				first = i;
			else if (a->serial != ans[first].serial)
				same = false;
		}
		if (answered == npeers && same) {
			printf("zone %s consistent: serial %u on all %d "
			       "peers\n",
			       zones[z].text, ans[first].serial, npeers);
			continue;
		}
		rc = EXIT_FAIL;
		if (same)
			printf("zone %s INCOMPLETE (%d of %d peers answered):",
			       zones[z].text, answered, npeers);
		else
			printf("zone %s DIVERGENT:", zones[z].text);
		for (int i = 0; i < npeers; i++) {
			if (ans[i].ok)
				printf(" %s=%u",
				       ans[i].nsid[0] ? ans[i].nsid :
							peers[i].name,
				       ans[i].serial);
			else
				printf(" %s=none", peers[i].name);
		}
		printf("\n");
	}
	/* Two nodes with one NSID cannot be told apart in a failover. */
	for (int i = 0; i < npeers; i++)
		for (int k = i + 1; k < npeers; k++)
			if (ans[i].ok && ans[k].ok && ans[i].nsid[0] &&
			    !strcmp(ans[i].nsid, ans[k].nsid))
				printf("warning: %s and %s share NSID %s\n",
				       peers[i].name, peers[k].name,
				       ans[i].nsid);
	return rc;
}

/* ---- options ------------------------------------------------------------- */

/* One config file into the struct hs_config at c (xd_conf_each()). */
static int read_config(void *c, const char *path)
{
	char err[512];

	if (hs_read_config(c, path, err, sizeof(err)) == 0)
		return 0;
	fprintf(stderr, "%s: %s\n", prog, err);
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "dev", required_argument, NULL, 'd' },
		{ "announce-dev", required_argument, NULL, 'a' },
		{ "service", required_argument, NULL, 's' },
		{ "server", required_argument, NULL, 'S' },
		{ "zone", required_argument, NULL, 'z' },
		{ "interval", required_argument, NULL, 'i' },
		{ "timeout", required_argument, NULL, 't' },
		{ "max-latency", required_argument, NULL, 'L' },
		{ "fall", required_argument, NULL, 'f' },
		{ "rise", required_argument, NULL, 'r' },
		{ "state-file", required_argument, NULL, 1 },
		{ "withdraw-on-exit", required_argument, NULL, 2 },
		{ "check", no_argument, NULL, 3 },
		{ "peers", no_argument, NULL, 4 },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct hs_config c;
	bool check = false, peers = false;

	hs_config_defaults(&c);
	/* The config files first, in order, then the flags over them. */
	static const char shortopts[] = "c:d:a:s:S:z:i:t:L:f:r:h";
	if (xd_conf_each(argc, argv, shortopts, opts, read_config, &c) < 0)
		return EXIT_USAGE;
	int o;
	while ((o = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		const char *name = NULL;
		switch (o) {
		case 'c':
			continue;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 3:
			check = true;
			continue;
		case 4:
			peers = true;
			continue;
		case '?':
			fprintf(stderr, "Try '%s --help'.\n", prog);
			return EXIT_USAGE;
		}
		for (const struct option *op = opts; op->name; op++)
			if (op->val == o)
				name = op->name;
		const char *why;
		if (hs_set_option(&c, name, optarg, &why) < 0)
			xd_usage_error(prog, NULL, "bad --%s '%s': expected %s",
				       name, optarg, why);
	}
	if (peers) {
		int n = argc - optind;
		if (check)
			xd_usage_error(
				prog, NULL,
				"--peers and --check exclude each other");
		if (n < 1 || n > HS_MAX_PEERS)
			xd_usage_error(prog, NULL,
				       "--peers needs 1 to %d addresses",
				       HS_MAX_PEERS);
		static struct peer list[HS_MAX_PEERS];
		for (int i = 0; i < n; i++) {
			struct peer *p = &list[i];
			if (xd_parse_sockaddr(argv[optind + i], &p->ss,
					      &p->len) < 0)
				xd_usage_error(prog, NULL,
					       "bad peer '%s': expected ADDR, "
					       "ADDR:PORT or [ADDR]:PORT",
					       argv[optind + i]);
			xd_sockaddr_text(&p->ss, p->name, sizeof(p->name));
		}
		if (!c.nzones && !c.dev[0])
			xd_usage_error(prog, NULL,
				       "--peers needs --zone APEX or --dev IF "
				       "(to take its applied zones)");
		return run_peers(&c, list, n);
	}
	if (optind < argc)
		xd_usage_error(prog, NULL, "unexpected argument '%s'",
			       argv[optind]);
	if (check) {
		if (!c.dev[0])
			xd_usage_error(prog, NULL, "--check needs --dev IF");
		return run_check(&c);
	}
	const char *why;
	if (hs_config_check(&c, &why) < 0)
		xd_usage_error(prog, NULL, "%s", why);
	return run_node(&c);
}
