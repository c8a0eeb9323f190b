// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * xdp-bench: per-query cost of the XDP program under BPF_PROG_TEST_RUN,
 * with an empty program's cost, measured the same way in the same run,
 * subtracted. A wrapper program (restore.bpf.c) puts the query back
 * before every repetition and tail-calls the program under test (or the
 * empty one); the kernel times many repetitions; the figure is the median
 * of batch means.
 *
 * With --memory, it also loads a zone of RECORDS A records and reports
 * the bytes the maps take per record (both generations).
 *
 * It also times the extra cost of rate limiting and of DNS cookies
 * (alone with --abuse-only).
 *
 * Usage: xdp-bench RESTORE.bpf.o [--json FILE] [--memory ZONEFILE ORIGIN
 *        RECORDS] [--abuse-only] [--case TEXT]   (root; the timed zones
 *        come from tests/; --case: only the queries whose name has TEXT)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "answer.h"
#include "restore.h"
#include "xdpdns.h"
#include "../tests/unit/xdptest.h"

#define BATCHES 31
#define REPEAT 50000

static size_t build_query(uint8_t *q, const char *name, uint16_t type, int edns)
{
	uint8_t wire[256];
	size_t n = 12, i = 0;
	const char *p = name;

	memset(q, 0, 12);
	q[0] = 0x12;
	q[1] = 0x34;
	q[5] = 1;
	while (*p && strcmp(p, ".")) {
		const char *dot = strchr(p, '.');
		size_t l = (size_t)(dot - p);
		wire[i++] = (uint8_t)l;
		memcpy(wire + i, p, l);
		i += l;
		p = dot + 1;
	}
	wire[i++] = 0;
	memcpy(q + n, wire, i);
	n += i;
	q[n++] = (uint8_t)(type >> 8);
	q[n++] = (uint8_t)type;
	q[n++] = 0;
	q[n++] = 1;
	if (edns > 0) {
		q[11] = 1;
		const uint8_t opt[11] = { 0, 0, 41, (uint8_t)(edns >> 8),
					  (uint8_t)edns };
		memcpy(q + n, opt, 11);
		n += 11;
	}
	return n;
}

/* Append a COOKIE option to the OPT record build_query put last. */
static size_t add_cookie(uint8_t *q, size_t n, const uint8_t *ck, size_t cl)
{
	q[n - 2] = 0;
	q[n - 1] = (uint8_t)(4 + cl);
	q[n++] = 0;
	q[n++] = 10;
	q[n++] = 0;
	q[n++] = (uint8_t)cl;
	memcpy(q + n, ck, cl);
	return n + cl;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct bench {
	int restore; /* the wrapper program */
	int saved; /* its frame map */
	int turn; /* which of the frames is next */
	int target; /* its prog array */
};

struct figure {
	double median, min; /* ns per repetition, over batches */
	double diff; /* median over batches of (this - progs[last]) */
	int verdict;
};

/* One thing to time: a program on a frame, with the program's settings
 * (NULL: as they are); with nmix, on mix[0..nmix) in turn instead. */
struct variant {
	int prog;
	const uint8_t *frame;
	size_t len;
	const struct xd_config *cfg;
	int nmix;
	const uint8_t (*mix)[1024];
	const size_t *mixlen;
};

static int config_fd = -1;

static void use(const struct bench *b, const struct variant *v)
{
	struct rs_frame saved;
	struct rs_turn turn = { (uint32_t)v->nmix, 0 };
	uint32_t zero = 0;

	/* Rate limiting starts each batch on a fresh bucket (another key
	 * for the buckets' hash): a batch asks faster than any rate. */
	static uint64_t seed;
	struct xd_config c;
	if (v->cfg) {
		c = *v->cfg;
		c.rrl_seed = ++seed;
	}
	/* The mix, or the one frame (the wrapper's turn 0: the first). */
	for (uint32_t i = 0; i < (uint32_t)(v->nmix ? v->nmix : 1); i++) {
		saved.len = (uint32_t)(v->nmix ? v->mixlen[i] : v->len);
		memcpy(saved.bytes, v->nmix ? v->mix[i] : v->frame, saved.len);
		if (bpf_map_update_elem(b->saved, &i, &saved, BPF_ANY)) {
			perror("xdp-bench: set-up");
			exit(1);
		}
	}
	if (bpf_map_update_elem(b->turn, &zero, &turn, BPF_ANY) ||
	    bpf_map_update_elem(b->target, &zero, &v->prog, BPF_ANY) ||
	    (v->cfg && bpf_map_update_elem(config_fd, &zero, &c, BPF_ANY))) {
		perror("xdp-bench: set-up");
		exit(1);
	}
}

/* Time v[0..n) in interleaved batches, so that a slow spell of the
 * machine weighs on every variant alike; diff is against the last. */
static void measure_variants(const struct bench *b, const struct variant *v,
			     int n, struct figure *fig)
{
	static uint8_t out[4096];
	double batch[4][BATCHES];

	for (int i = 0; i < BATCHES; i++) {
		for (int k = 0; k < n; k++) {
			const uint8_t *in = v[k].nmix ? v[k].mix[0] :
							v[k].frame;
			size_t inlen = v[k].nmix ? v[k].mixlen[0] : v[k].len;
			LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in,
				    .data_size_in = (uint32_t)inlen,
				    .data_out = out,
				    .data_size_out = sizeof(out),
				    .repeat = REPEAT);
			use(b, &v[k]);
			if (bpf_prog_test_run_opts(b->restore, &o) < 0) {
				perror("test run");
				exit(1);
			}
			batch[k][i] = (double)o.duration;
			fig[k].verdict = (int)o.retval;
		}
	}
	/* Batches next to each other in time are compared: the machine has
	 * slow spells that last several batches. */
	for (int k = 0; k < n; k++) {
		double d[BATCHES];
		for (int i = 0; i < BATCHES; i++)
			d[i] = batch[k][i] - batch[n - 1][i];
		qsort(d, BATCHES, sizeof(double), cmp_double);
		fig[k].diff = d[BATCHES / 2];
	}
	for (int k = 0; k < n; k++) {
		qsort(batch[k], BATCHES, sizeof(double), cmp_double);
		fig[k].median = batch[k][BATCHES / 2];
		fig[k].min = batch[k][0];
	}
}

/* A row of the cost table, and its JSON object when jf is open: f[0] the
 * program, f[1] the empty one. */
static void print_cost(FILE *jf, int *printed, const char *what,
		       const char *verdict, const struct figure *f)
{
	double best = f[0].min - f[1].min;

	printf("| %s | %s | %.0f | %.0f | %.0f | %.0f |\n", what, verdict,
	       f[0].median, f[1].median, f[0].diff, best);
	if (jf)
		fprintf(jf,
			"%s {\"query\": \"%s\", \"verdict\": \"%s\", "
			"\"program_ns\": %.0f, \"empty_ns\": %.0f, "
			"\"cost_ns\": %.0f, \"best_cost_ns\": %.0f}\n",
			(*printed)++ ? "," : "", what, verdict, f[0].median,
			f[1].median, f[0].diff, best);
}

/* Time progs[0..n) on one frame, settings as they are. */
static void measure(const struct bench *b, const int *progs, int n,
		    const uint8_t *frame, size_t len, struct figure *fig)
{
	struct variant v[4];

	for (int k = 0; k < n; k++)
		v[k] = (struct variant){ progs[k], frame, len, NULL,
					 0,	   NULL,  NULL };
	measure_variants(b, v, n, fig);
}

/*
 * A mix of queries taken in turn, as xdp-livegen sends them in the
 * side-by-side bench: A, AAAA and MX answers, NXDOMAIN and referrals
 * round and round, every other round with EDNS, one round in four over
 * IPv6, the names varied. Every one is answered (XDP_TX).
 */
#define MIX_N 40
_Static_assert(MIX_N <= RS_SAVED_MAX, "the wrapper holds the mix");
#define MIX_WHAT                                                            \
	"mix of 40 (A, AAAA, MX, NXDOMAIN, referral; half EDNS, a quarter " \
	"IPv6)"

static void mix_frames(uint8_t (*mix)[1024], size_t *len)
{
	static const char *const a[] = { "www.basic.example.",
					 "mail.basic.example.",
					 "ns1.basic.example.",
					 "sip.basic.example." };
	static const char *const aaaa[] = { "www.basic.example.",
					    "mail.basic.example.",
					    "ns1.basic.example." };
	static const char *const mx[] = { "mx2.basic.example.",
					  "basic.example." };
	static const char *const nx[] = { "nx1.basic.example.",
					  "nx12345.basic.example.",
					  "a.b.nope.basic.example.",
					  "nx987654321.basic.example." };
	static const char *const ref[] = { "host.child.delegation.example.",
					   "www.ext.delegation.example.",
					   "child.delegation.example.",
					   "a.b.sibling.delegation.example." };
	for (int i = 0; i < MIX_N; i++) {
		uint8_t q[512];
		int r = i / 5;
		const char *name;
		uint16_t type = 1;
		switch (i % 5) {
		case 0:
			name = a[r % 4];
			break;
		case 1:
			name = aaaa[r % 3];
			type = 28;
			break;
		case 2:
			name = mx[r % 2];
			type = 15;
			break;
		case 3:
			name = nx[r % 4];
			break;
		default:
			name = ref[r % 4];
			break;
		}
		size_t n = build_query(q, name, type, r % 2 ? 1232 : 0);
		struct frame_opts fo = { .ipv6 = r % 4 == 3 };
		len[i] = frame_build(mix[i], q, n, &fo);
	}
}

static int prog_fd(struct bpf_object *o, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(o, name);
	int fd = p ? bpf_program__fd(p) : -1;

	if (fd < 0) {
		fprintf(stderr, "xdp-bench: no program %s\n", name);
		exit(1);
	}
	return fd;
}

static const char *verdict_name(int v)
{
	return v == XDP_TX   ? "TX" :
	       v == XDP_PASS ? "PASS" :
	       v == XDP_DROP ? "DROP" :
			       "?";
}

/*
 * The extra cost of abuse control: the same query with and without it,
 * timed in interleaved batches, and the median of their paired
 * differences. RRL: a bucket with credit (the answer goes out) against
 * rate limiting off. Cookies: a query whose server cookie is ours and
 * young (checked, sent back as it is), one whose cookie is ours but over
 * half an hour old (checked and made afresh), and one with a client
 * cookie alone (made), each against the same query without the option.
 */
static void abuse_costs(const struct bench *b, int prog, int empty, int cfd,
			FILE *jf)
{
	uint32_t zero = 0;
	struct xd_config base, rrl, ck;
	uint8_t q[512], plain[1024], young[1024], old[1024], client[1024];
	size_t n, lp, ly = 0, lo = 0, lc;
	struct frame_opts fo = { 0 };
	static const uint8_t src[4] = { 198, 18, 0, 2 }; /* frame_build's */

	config_fd = cfd;
	if (bpf_map_lookup_elem(cfd, &zero, &base)) {
		perror("xdp-bench: config");
		exit(1);
	}
	n = build_query(q, "www.basic.example.", 1, 1232);
	lp = frame_build(plain, q, n, &fo);

	rrl = base;
	for (int c = 0; c < XD_RRL_CLASSES; c++)
		rrl.rrl_rate[c] = 1000000; /* the most: never limits here */
	rrl.rrl_window = 15;
	rrl.rrl_slip = 2;
	rrl.rrl_v4_prefix = 24;
	rrl.rrl_v6_prefix = 56;
	struct xd_config lim = rrl;
	lim.rrl_rate[XD_RRL_POSITIVE] = 1;
	lim.rrl_slip = 0;

	/* Cookies on, the program's clock at a fixed second. */
	ck = base;
	ck.cookie_flags = XD_CK_ON;
	memset(ck.cookie_secret, 0x5a, 16);
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	uint32_t now = 1800000000u;
	ck.clock_offset_ns =
		(uint64_t)now * 1000000000ull -
		((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec);
	uint8_t cookie[24] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	for (int pass = 0; pass < 2; pass++) {
		uint32_t t = pass ? now - 2400 : now - 60;
		uint8_t head[8] = { 1,
				    0,
				    0,
				    0,
				    (uint8_t)(t >> 24),
				    (uint8_t)(t >> 16),
				    (uint8_t)(t >> 8),
				    (uint8_t)t };
		memcpy(cookie + 8, head, 8);
		xd_server_cookie(ck.cookie_secret, cookie, head, src, 4,
				 cookie + 8);
		size_t m = add_cookie(q, n, cookie, 24);
		if (pass)
			lo = frame_build(old, q, m, &fo);
		else
			ly = frame_build(young, q, m, &fo);
	}
	lc = frame_build(client, q, add_cookie(q, n, cookie, 8), &fo);

	static const char *what[] = {
		"RRL: answered (bucket has credit)",
		"RRL: limited, dropped (whole program vs empty)",
		"cookie: ours, young (checked, echoed)",
		"cookie: ours, 40 min old (checked, remade)",
		"cookie: client part only (made)",
	};
	const struct variant with[] = {
		{ prog, plain, lp, &rrl }, { prog, plain, lp, &lim },
		{ prog, young, ly, &ck },  { prog, old, lo, &ck },
		{ prog, client, lc, &ck },
	};
	const struct variant without[] = {
		{ prog, plain, lp, &base }, { empty, plain, lp, &base },
		{ prog, plain, lp, &ck },   { prog, plain, lp, &ck },
		{ prog, plain, lp, &ck },
	};
	printf("\n### Abuse control: extra cost per query\n");
	printf("The same query (www.basic.example A, EDNS) with and without "
	       "the feature, in\ninterleaved batches; cost = median of the "
	       "paired differences.\n\n");
	printf("| case | verdict | with ns | without ns | extra ns | "
	       "best-batch extra ns |\n|---|---|---|---|---|---|\n");
	if (jf)
		fprintf(jf, "], \"abuse\": [\n");
	for (size_t i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
		struct variant v[2] = { with[i], without[i] };
		struct figure f[2];
		measure_variants(b, v, 2, f);
		double extra = f[0].diff; /* median of with - without */
		double best = f[0].min - f[1].min;
		const char *vs = verdict_name(f[0].verdict);
		printf("| %s | %s | %.0f | %.0f | %.0f | %.0f |\n", what[i], vs,
		       f[0].median, f[1].median, extra, best);
		if (jf)
			fprintf(jf,
				"%s {\"case\": \"%s\", \"verdict\": "
				"\"%s\", \"with_ns\": %.0f, "
				"\"without_ns\": %.0f, \"extra_ns\": %.0f, "
				"\"best_extra_ns\": %.0f}\n",
				i ? "," : "", what[i], vs, f[0].median,
				f[1].median, extra, best);
	}
	if (bpf_map_update_elem(cfd, &zero, &base, BPF_ANY)) {
		perror("xdp-bench: config");
		exit(1);
	}
}

int main(int argc, char **argv)
{
	static char *specs[] = {
		"basic.example.=tests/zones/basic.zone",
		"delegation.example.=tests/zones/delegation.zone",
		"wildcard.example.=tests/zones/wildcard.zone",
	};
	const char *json = NULL;
	struct xdp_env env;
	const char *why = NULL;

	const char *mzone = NULL, *morigin = NULL;
	long mrecords = 0;
	int bad = argc < 2, abuse_only = 0;
	const char *only = NULL;
	for (int i = 2; i < argc && !bad; i++) {
		if (!strcmp(argv[i], "--abuse-only"))
			abuse_only = 1;
		else if (!strcmp(argv[i], "--case") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--json") && i + 1 < argc)
			json = argv[++i];
		else if (!strcmp(argv[i], "--memory") && i + 3 < argc) {
			mzone = argv[++i];
			morigin = argv[++i];
			mrecords = strtol(argv[++i], NULL, 10);
		} else
			bad = 1;
	}
	if (bad || (mzone && mrecords <= 0)) {
		fprintf(stderr, "usage: xdp-bench RESTORE.bpf.o [--json FILE] "
				"[--memory ZONEFILE ORIGIN RECORDS] "
				"[--abuse-only] [--case TEXT]\n");
		return 2;
	}
	if (xdp_env_open(&env, specs, 3, &why) < 0) {
		fprintf(stderr, "xdp-bench: %s\n", why);
		return 1;
	}
	struct bpf_object *eo = bpf_object__open_file(argv[1], NULL);
	if (!eo || bpf_object__load(eo)) {
		fprintf(stderr, "xdp-bench: cannot load %s\n", argv[1]);
		return 1;
	}
	struct bench b = {
		.restore = prog_fd(eo, "restore"),
		.saved = bpf_map__fd(bpf_object__find_map_by_name(eo, "saved")),
		.turn = bpf_map__fd(bpf_object__find_map_by_name(eo, "turn")),
		.target =
			bpf_map__fd(bpf_object__find_map_by_name(eo, "target")),
	};
	int empty = prog_fd(eo, "empty");

	static const struct {
		const char *what, *name;
		uint16_t type;
		int edns;
		uint16_t flags;
		const char *calib; /* time this calibration instead */
	} cases[] = {
		{ "A hit", "www.basic.example.", 1, 0, 0, 0 },
		{ "A hit, EDNS", "www.basic.example.", 1, 1232, 0, 0 },
		{ "NXDOMAIN 3 labels below the apex",
		  "a.b.c.nope.basic.example.", 1, 0, 0, 0 },
		{ "referral with glue", "host.child.delegation.example.", 1, 0,
		  0, 0 },
		{ "wildcard", "x.w.wildcard.example.", 1, 0, 0, 0 },
		{ "miss (passed)", "www.example.org.", 1, 0, 0, 0 },
		{ "malformed (dropped)", "www.basic.example.", 1, 0, 0x8000,
		  0 },
		{ "calibration: grow 16 bytes", "www.basic.example.", 1, 0, 0,
		  "grow_once" },
		{ "calibration: grow 16 bytes at the front",
		  "www.basic.example.", 1, 0, 0, "grow_head" },
	};
	FILE *jf = json ? fopen(json, "w") : NULL;
	if (json && !jf) {
		perror(json);
		return 1;
	}
	if (jf)
		fprintf(jf, "{\"repeat\": %d, \"batches\": %d, \"cases\": [\n",
			REPEAT, BATCHES);
	if (!abuse_only) {
		printf("| query | verdict | program ns | empty ns | cost ns | "
		       "best-batch cost ns |\n");
		printf("|---|---|---|---|---|---|\n");
	}
	int printed = 0;
	for (size_t i = abuse_only ? sizeof(cases) / sizeof(cases[0]) : 0;
	     i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t q[512], frame[1024];
		if (only && !strstr(cases[i].what, only))
			continue;
		size_t n = build_query(q, cases[i].name, cases[i].type,
				       cases[i].edns);
		q[2] |= (uint8_t)(cases[i].flags >> 8);
		struct frame_opts fo = { 0 };
		size_t flen = frame_build(frame, q, n, &fo);
		int progs[2] = { cases[i].calib ? prog_fd(eo, cases[i].calib) :
						  env.prog_fd,
				 empty };
		struct figure f[2];
		measure(&b, progs, 2, frame, flen, f);
		print_cost(jf, &printed, cases[i].what,
			   verdict_name(f[0].verdict), f);
	}
	if (!abuse_only && (!only || strstr(MIX_WHAT, only))) {
		static uint8_t mix[MIX_N][1024];
		static size_t mixlen[MIX_N];
		struct figure f[2];
		mix_frames(mix, mixlen);
		for (int i = 0; i < MIX_N; i++) {
			uint8_t out[1024];
			size_t outlen = sizeof(out);
			if (xdp_run(&env, mix[i], mixlen[i], out, &outlen) !=
			    XDP_TX) {
				fprintf(stderr,
					"xdp-bench: mix query %d is "
					"not answered\n",
					i);
				return 1;
			}
		}
		struct variant v[2] = {
			{ env.prog_fd, NULL, 0, NULL, MIX_N, mix, mixlen },
			{ empty, NULL, 0, NULL, MIX_N, mix, mixlen },
		};
		measure_variants(&b, v, 2, f);
		print_cost(jf, &printed, MIX_WHAT, "mixed", f);
	}
	if (!only)
		abuse_costs(&b, env.prog_fd, empty, env.maps.config, jf);
	if (mzone) {
		/* The timed program's maps go first: this load is another. */
		char spec[1024];
		char *mspecs[1] = { spec };
		struct xdp_env menv;
		struct xd_xdp_sizes sz;
		snprintf(spec, sizeof(spec), "%s=%s", morigin, mzone);
		if (xdp_env_open(&menv, mspecs, 1, &why) < 0) {
			fprintf(stderr, "xdp-bench: %s: %s\n", mzone, why);
			return 1;
		}
		xd_xdp_sizes_for(&menv.db, &sz);
		uint64_t bytes = xd_xdp_bytes(&sz);
		printf("\nper generation: %u name slots (%zu B each), %u nodes "
		       "(%zu B), %u name chunks, %u template chunks (%d B), "
		       "%u overflow slots (%zu B)\n",
		       sz.slots, sizeof(struct xd_slot), sz.nodes,
		       sizeof(struct xd_xnode), sz.name_chunks, sz.chunks,
		       XD_CHUNK, sz.tslots, sizeof(struct xd_tslot));
		printf("\nXDP maps for %ld A records: %.1f MiB for two "
		       "generations, %.0f bytes per A record (%.0f per "
		       "generation)\n",
		       mrecords, bytes / 1048576.0, (double)bytes / mrecords,
		       (double)bytes / mrecords / 2);
		if (jf)
			fprintf(jf,
				"], \"memory\": {\"a_records\": %ld, "
				"\"bytes\": %llu, \"bytes_per_a\": %.1f}, "
				"\"end\": [\n",
				mrecords, (unsigned long long)bytes,
				(double)bytes / mrecords);
		xdp_env_close(&menv);
	}
	if (jf) {
		fprintf(jf, "]}\n");
		fclose(jf);
	}
	bpf_object__close(eo);
	xdp_env_close(&env);
	return 0;
}
