// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "attached.h"

struct xdp_program *xd_find_attached(struct xdp_multiprog *mp, uint32_t id,
				     bool *legacy)
{
	*legacy = xdp_multiprog__is_legacy(mp);
	if (*legacy) {
		struct xdp_program *p = xdp_multiprog__main_prog(mp);
		return p && xdp_program__id(p) == id ? p : NULL;
	}
	for (struct xdp_program *p = xdp_multiprog__next_prog(NULL, mp); p;
	     p = xdp_multiprog__next_prog(p, mp))
		if (xdp_program__id(p) == id)
			return p;
	return NULL;
}
