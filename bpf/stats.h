/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Every verdict leaves through one of these, counting it once by reason. */
#ifndef XDPDNS_BPF_STATS_H
#define XDPDNS_BPF_STATS_H

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

#define PASS(f)                  \
	({                       \
		count(FIELD(f)); \
		XDP_PASS;        \
	})
#define DROP(f)                  \
	({                       \
		count(FIELD(f)); \
		XDP_DROP;        \
	})

#endif
