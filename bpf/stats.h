/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Every verdict leaves through one of these, counting it once by reason. */
#ifndef XDPDNS_BPF_STATS_H
#define XDPDNS_BPF_STATS_H

#include <stdbool.h>
#include <stddef.h>

#include "maps.h"

#define FIELD(f) offsetof(struct xd_stats, f)

static __always_inline void count(size_t field)
{
	__u32 zero = 0;
	__u8 *s = bpf_map_lookup_elem(&xd_stats, &zero);

	if (s && field <= sizeof(struct xd_stats) - sizeof(__u64))
		(*(__u64 *)(s + field))++;
}

/*
 * A pass or a drop: counted in one subprogram that the many places that
 * give up call, so that their code (and clang's idea of where the
 * program goes) stays out of the way of the answers. Cold: clang lays
 * the paths that call it out of line. In .text, where libbpf looks for
 * subprograms (cold functions otherwise go to .text.unlikely).
 */
static __noinline __attribute__((cold, section(".text"))) int
verdict(__u32 field, int v)
{
	count(field);
	return v;
}

/* A pass that no limit applies to: only what is not a DNS query over UDP
 * (pass_not_dns, pass_tcp). Every other pass is PASS_Q() or PASS_E()
 * (rrl.h), which limit it per client prefix; test_xdp's every_reason
 * proves each reason limited but these. */
#define PASS_UNLIMITED(f) verdict(FIELD(f), XDP_PASS)
#define DROP(f) verdict(FIELD(f), XDP_DROP)

/*
 * How a stage of the program ends: true when it took the packet's
 * verdict (the program returns *v), false to let the packet go on to
 * the next stage. A global function's result (a pass through the
 * limiter) is not known to the verifier: returned through *v, it cannot
 * be mistaken for "go on", which would have the verifier walk the rest
 * of the program after every pass.
 */
static __always_inline int stop(int *v, int verdict)
{
	*v = verdict;
	return 1;
}

#endif
