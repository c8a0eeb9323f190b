// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * For timing under BPF_PROG_TEST_RUN with many repetitions: each run
 * first puts the saved query frame back (the program under test answers
 * in place, so a repetition would otherwise see its own reply), then
 * tail-calls the program under test. Timed with the program under test
 * and with an empty one; the difference is the program's own cost.
 *
 * The frame is set back to the query's length on every run, with a
 * zero change when nothing grew it: the empty program's figure then
 * holds the same resize call as the answered query's, and shrinking a
 * reply back, which is the harness's work and no part of answering,
 * drops out of the difference.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "restore.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The frames, taken in turn: one, or a mix of queries (the branches of
 * the program under test then go several ways, as on a real link). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RS_SAVED_MAX);
	__type(key, __u32);
	__type(value, struct rs_frame);
} saved SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rs_turn);
} turn SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} target SEC(".maps");

SEC("xdp")
int restore(struct xdp_md *ctx)
{
	__u32 zero = 0, i = 0;
	struct rs_turn *t = bpf_map_lookup_elem(&turn, &zero);

	if (!t)
		return XDP_ABORTED;
	/* A reply grown at the front moved the frame's start: put it back
	 * (a zero move on every other run, so the empty program's figure
	 * holds the same call). The start goes through the map to come back
	 * as a number (the wrapper is loaded by root, who may store it). */
	t->now = (__u64)(long)ctx->data;
	if (!t->base)
		t->base = t->now;
	asm volatile("" ::: "memory");
	if (bpf_xdp_adjust_head(ctx, (int)(t->base - t->now)))
		return XDP_ABORTED;
	if (t->n > 1) {
		i = t->next;
		t->next = i + 1 < t->n ? i + 1 : 0;
	}
	struct rs_frame *f = bpf_map_lookup_elem(&saved, &i);

	if (!f)
		return XDP_ABORTED;
	int have = (int)(ctx->data_end - ctx->data);

	asm volatile("" : "+r"(have)); /* a length, not pointer arithmetic */
	__u32 len = f->len;
	if (len < 14 || len > 508)
		return XDP_ABORTED;
	if (bpf_xdp_adjust_tail(ctx, (int)len - have))
		return XDP_ABORTED;
	/* A length the verifier can bound: 14 + (0..511). */
	__u32 n = len - 14;
	asm volatile("%0 &= 511" : "+r"(n));
	if (bpf_xdp_store_bytes(ctx, 0, f->bytes, n + 14))
		return XDP_ABORTED;
	bpf_tail_call(ctx, &target, 0);
	return XDP_ABORTED;
}

SEC("xdp")
int empty(struct xdp_md *ctx)
{
	return XDP_PASS;
}

/* Calibration: what growing the frame for a reply costs: one growth of
 * 16 bytes at the tail, or at the front (the wrapper's resizes are in
 * both figures). */
SEC("xdp")
int grow_once(struct xdp_md *ctx)
{
	if (bpf_xdp_adjust_tail(ctx, 16))
		return XDP_ABORTED;
	return XDP_PASS;
}

SEC("xdp")
int grow_head(struct xdp_md *ctx)
{
	if (bpf_xdp_adjust_head(ctx, -16))
		return XDP_ABORTED;
	return XDP_PASS;
}
