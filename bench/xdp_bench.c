// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * xdp-bench: per-query cost of the XDP program under BPF_PROG_TEST_RUN,
 * with an empty program's cost, measured the same way in the same run,
 * subtracted. A wrapper program (restore.bpf.c) puts the query back
 * before every repetition and tail-calls the program under test (or the
 * empty one); the kernel times many repetitions; the figure is the median
 * of batch means.
 *
 * Usage: xdp-bench RESTORE.bpf.o [--json FILE]   (root; zones from tests/)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "answer.h"
#include "xdpdns.h"
#include "../tests/unit/xdptest.h"

#define BATCHES 15
#define REPEAT 20000

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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct bench {
	int restore; /* the wrapper program */
	int saved; /* its frame map */
	int target; /* its prog array */
};

/* Median over batches of the kernel-timed mean cost of one repetition:
 * restore the query, then run prog. */
static double cost(const struct bench *b, int prog, const uint8_t *frame,
		   size_t len, int *verdict)
{
	static uint8_t out[4096];
	double batch[BATCHES];
	struct {
		uint32_t len;
		uint8_t bytes[1020];
	} saved = { .len = (uint32_t)len };
	uint32_t zero = 0;

	memcpy(saved.bytes, frame, len);
	if (bpf_map_update_elem(b->saved, &zero, &saved, BPF_ANY) ||
	    bpf_map_update_elem(b->target, &zero, &prog, BPF_ANY)) {
		perror("bench maps");
		exit(1);
	}
	for (int i = 0; i < BATCHES; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
			    .data_size_in = (uint32_t)len, .data_out = out,
			    .data_size_out = sizeof(out), .repeat = REPEAT);
		if (bpf_prog_test_run_opts(b->restore, &o) < 0) {
			perror("test run");
			exit(1);
		}
		batch[i] = (double)o.duration;
		*verdict = (int)o.retval;
	}
	qsort(batch, BATCHES, sizeof(double), cmp_double);
	return batch[BATCHES / 2];
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

	if (argc < 2) {
		fprintf(stderr,
			"usage: xdp-bench RESTORE.bpf.o [--json FILE]\n");
		return 2;
	}
	if (argc == 4 && !strcmp(argv[2], "--json"))
		json = argv[3];
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
		.restore = bpf_program__fd(
			bpf_object__find_program_by_name(eo, "restore")),
		.saved = bpf_map__fd(bpf_object__find_map_by_name(eo, "saved")),
		.target =
			bpf_map__fd(bpf_object__find_map_by_name(eo, "target")),
	};
	int empty =
		bpf_program__fd(bpf_object__find_program_by_name(eo, "empty"));

	static const struct {
		const char *what, *name;
		uint16_t type;
		int edns;
		uint16_t flags;
	} cases[] = {
		{ "A hit", "www.basic.example.", 1, 0, 0 },
		{ "A hit, EDNS", "www.basic.example.", 1, 1232, 0 },
		{ "NXDOMAIN 3 labels below the apex",
		  "a.b.c.nope.basic.example.", 1, 0, 0 },
		{ "referral with glue", "host.child.delegation.example.", 1, 0,
		  0 },
		{ "wildcard", "x.w.wildcard.example.", 1, 0, 0 },
		{ "miss (passed)", "www.example.org.", 1, 0, 0 },
		{ "malformed (dropped)", "www.basic.example.", 1, 0, 0x8000 },
	};
	FILE *jf = json ? fopen(json, "w") : NULL;
	if (jf)
		fprintf(jf, "{\"cases\": [\n");
	printf("| query | verdict | program ns | empty ns | cost ns |\n");
	printf("|---|---|---|---|---|\n");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t q[512], frame[1024];
		size_t n = build_query(q, cases[i].name, cases[i].type,
				       cases[i].edns);
		q[2] |= (uint8_t)(cases[i].flags >> 8);
		struct frame_opts fo = { 0 };
		size_t flen = frame_build(frame, q, n, &fo);
		int v = -1, ve = -1;
		double t = cost(&b, env.prog_fd, frame, flen, &v);
		double e = cost(&b, empty, frame, flen, &ve);
		const char *vs = v == XDP_TX   ? "TX" :
				 v == XDP_PASS ? "PASS" :
				 v == XDP_DROP ? "DROP" :
						 "?";
		printf("| %s | %s | %.1f | %.1f | %.1f |\n", cases[i].what, vs,
		       t, e, t - e);
		if (jf)
			fprintf(jf,
				"%s {\"query\": \"%s\", \"verdict\": \"%s\", "
				"\"program_ns\": %.1f, \"empty_ns\": %.1f, "
				"\"cost_ns\": %.1f}\n",
				i ? "," : "", cases[i].what, vs, t, e, t - e);
	}
	if (jf) {
		fprintf(jf, "]}\n");
		fclose(jf);
	}
	bpf_object__close(eo);
	xdp_env_close(&env);
	return 0;
}
