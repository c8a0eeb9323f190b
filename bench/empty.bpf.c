// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The baseline for per-packet costs: an XDP program that does nothing. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int xdp_empty(struct xdp_md *ctx)
{
	return XDP_PASS;
}
