// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The two halves of xdp-livegen.
 *
 * lg_send runs under BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES:
 * each run writes the next query template over the frame (the kernel
 * recycles its pages without restoring them, and the node answered in
 * place), varies the DNS ID, and redirects the frame out of the client's
 * veth, so the node's XDP program receives it as a real frame.
 *
 * lg_sink is attached to the client's veth: it checks every reply against
 * what the template it answers must get, counts it, and drops it.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "livegen.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 out_ifindex; /* the client's veth */
const volatile __u32 n_templates = 1;

/* The query frames, sent in turn. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LG_TEMPLATES);
	__type(key, __u32);
	__type(value, struct lg_template);
} templates SEC(".maps");

/* What a correct reply to each template looks like. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LG_TEMPLATES);
	__type(key, __u32);
	__type(value, struct lg_expect);
} expects SEC(".maps");

/* enum lg_counter, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LG_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Frames sent so far; the generator runs on one CPU. */
__u64 seq;
/* Pacing, set by userspace between test runs: a frame every gap_ns (0:
 * as fast as it goes), the next one due at next_ns. */
__u64 gap_ns;
__u64 next_ns;

/* How late a frame may be and still be caught up on: past this (a test
 * run's set-up between bursts, a preemption) the schedule restarts from
 * now rather than sending a burst at full speed. */
#define LG_LATE_NS 20000

static __always_inline void count(__u32 what)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &what);

	if (c)
		*c += 1;
}

/* RFC 1624: the checksum after a 16-bit field changed from old to new. */
static __always_inline __u16 csum_replace(__u16 csum, __u16 old, __u16 new)
{
	__u32 s = (__u16)~csum + (__u16)~old + new;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (__u16)~s;
	return s ? s : 0xffff;
}

static long until_due(__u64 i, void *due)
{
	return bpf_ktime_get_ns() >= *(__u64 *)due;
}

/* Waits, spinning on the clock, until the next frame is due. */
static __always_inline void pace(void)
{
	__u64 now = bpf_ktime_get_ns(), due = next_ns;

	if (!due || now > due + LG_LATE_NS)
		due = now;
	else if (now < due)
		bpf_loop(1 << 22, until_due, &due, 0);
	next_ns = due + gap_ns;
}

SEC("xdp")
int lg_send(struct xdp_md *ctx)
{
	__u64 n = seq++;
	__u32 i = n % n_templates;
	struct lg_template *t = bpf_map_lookup_elem(&templates, &i);
	__u16 old, new, *id, *csum;
	void *data, *end;

	if (!t || t->len > LG_FRAME_MAX || t->len < 64)
		return XDP_ABORTED;
	if (bpf_xdp_store_bytes(ctx, 0, t->frame, LG_FRAME_MAX))
		return XDP_ABORTED;
	if (bpf_xdp_adjust_tail(ctx, (int)t->len - LG_FRAME_MAX))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (t->id_off > LG_FRAME_MAX - 2 || t->csum_off > LG_FRAME_MAX - 2)
		return XDP_ABORTED;
	id = data + t->id_off;
	csum = data + t->csum_off;
	if ((void *)(id + 1) > end || (void *)(csum + 1) > end)
		return XDP_ABORTED;
	/* The ID's high byte tags the template, the low byte varies with
	 * each round of the templates. */
	old = *id;
	new = old | bpf_htons((__u16)(n / n_templates) & 0xff);
	*id = new;
	if (*csum)
		*csum = csum_replace(*csum, old, new);
	if (gap_ns)
		pace();
	count(LG_SENT);
	return bpf_redirect(out_ifindex, 0);
}

/* The UDP header of an IPv4 or IPv6 frame, or NULL. */
static __always_inline struct udphdr *udp_of(void *data, void *end)
{
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > end)
		return NULL;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end || ip->ihl != 5 ||
		    ip->protocol != IPPROTO_UDP)
			return NULL;
		return (void *)(ip + 1);
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end || ip6->nexthdr != IPPROTO_UDP)
			return NULL;
		return (void *)(ip6 + 1);
	}
	return NULL;
}

SEC("xdp")
int lg_sink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct udphdr *udp = udp_of(data, end);
	struct lg_expect *e;
	__u64 *w;
	__u8 *dns;
	__u32 i;

	if (!udp || (void *)(udp + 1) > end || udp->source != bpf_htons(53)) {
		count(LG_OTHER);
		return XDP_PASS;
	}
	i = bpf_ntohs(udp->dest) - LG_PORT_BASE;
	e = bpf_map_lookup_elem(&expects, &i);
	if (!e || i >= n_templates) {
		count(LG_OTHER);
		return XDP_PASS;
	}
	dns = (void *)(udp + 1);
	w = (void *)(dns + 2);
	if ((void *)(dns + 2) > end || bpf_ntohs(udp->len) != e->dns_len + 8 ||
	    dns[0] != e->tag)
		goto bad;
		/* Whole words only: a short reply's last few bytes go unchecked
	 * (its length was). */
#pragma unroll
	for (int k = 0; k < LG_CHECK_WORDS; k++) {
		if ((void *)(w + k + 1) > end)
			break;
		if ((w[k] & e->mask[k]) != e->word[k])
			goto bad;
	}
	count(LG_OK);
	return XDP_DROP;
bad:
	count(LG_BAD);
	return XDP_DROP;
}
