// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Passes every frame. On veth, frames a program sends back with XDP_TX
 * reach the peer only when the peer has an XDP program too: the tests
 * attach this one to the client's end.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}
