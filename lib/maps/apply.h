/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Applying a compiled zone set to a live XDP program, as one transaction:
 * under the pin directory's lock, every zone's serial checked against the
 * one served, the zones filled into the generation not served, the
 * caller's step before the switch (a server's reload), one write that
 * serves the new generation, then the zone list. A failure anywhere
 * before the switch leaves what is served as it was.
 */
#ifndef XDPDNS_APPLY_H
#define XDPDNS_APPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cdb.h"
#include "pins.h"
#include "xdpmaps.h"

struct xd_apply_opts {
	bool force; /* load zones whose serial does not move forward */
	/* Names loaded first when not all fit (XD_NF_PARTIAL below the
	 * rest), lowercase wire form; NULL: every name must fit. */
	const uint8_t *const *hot;
	size_t nhot;
	/* Called with the new generation filled, before it is served;
	 * non-zero (with *why) refuses the switch. NULL: none. */
	int (*before_switch)(void *arg, const char **why);
	void *arg;
};

/* What became of a zone. */
enum xd_apply_state {
	XD_APPLY_NEW,
	XD_APPLY_CHANGED, /* another serial than the one served */
	XD_APPLY_UNCHANGED,
	XD_APPLY_REMOVED, /* served before, not in this set */
	XD_APPLY_OLD_SERIAL, /* refused: its serial does not move forward */
	XD_APPLY_FORCED, /* the same, loaded anyway (force) */
};

struct xd_apply_zone {
	uint8_t name[256]; /* lowercase wire form */
	uint32_t serial, served; /* new, and served before (when it was) */
	enum xd_apply_state state;
};

struct xd_apply_report {
	struct xd_fill_report fill;
	unsigned gen; /* the generation served now */
	struct xd_apply_zone *zones; /* the set's zones, then removed ones */
	size_t nzones;
	bool refused_serial; /* nothing done: see the zones' states */
	const char *step; /* where it failed: "fill", "server", "switch" */
};

/*
 * Apply db to the program pinned as p (opened with the lock). Returns 0,
 * or a negative errno with *why (and rep->step) saying what failed;
 * -EINVAL with rep->refused_serial when a serial does not move forward.
 * rep->zones is the caller's to free (xd_apply_report_free()).
 */
int xd_apply(struct xd_pins *p, const struct xd_cdb *db,
	     const struct xd_apply_opts *o, struct xd_apply_report *rep,
	     const char **why);
void xd_apply_report_free(struct xd_apply_report *rep);

#endif
