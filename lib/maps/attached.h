/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Which XDP programs run on an interface: shared by xdpdns-loader and
 * xdpdns-health. */
#ifndef XDPDNS_LOADER_ATTACHED_H
#define XDPDNS_LOADER_ATTACHED_H

#include <stdbool.h>
#include <stdint.h>

#include <xdp/libxdp.h>

/*
 * The libxdp handle of program id among the programs mp (an interface's,
 * from xdp_multiprog__get_from_ifindex()) runs, or NULL. Sets *legacy when
 * the interface runs one program alone rather than libxdp's dispatcher.
 */
struct xdp_program *xd_find_attached(struct xdp_multiprog *mp, uint32_t id,
				     bool *legacy);

#endif
