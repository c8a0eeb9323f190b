/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Announcing the anycast prefix: the service addresses on a dummy
 * interface, which BIRD's direct protocol turns into routes and exports
 * over BGP. Adding an address announces it, removing it withdraws it; the
 * kernel holds the state, so a restarted BIRD finds it as it was.
 */
#ifndef XDPDNS_ANNOUNCE_H
#define XDPDNS_ANNOUNCE_H

#include <stdbool.h>
#include <stddef.h>

#include "hstate.h"

/* Make the dummy interface if it is missing and set it up. Returns its
 * ifindex, or -errno. */
int ha_dummy_ensure(const char *name);

/* Add (announce) or remove (withdraw) one address as a host prefix on
 * ifindex. Returns 1 when it changed something, 0 when it already was so,
 * or -errno. */
int ha_addr_set(int ifindex, const struct hs_addr *a, bool present);

#endif
