/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What xdpdns-loader pins for an interface, under /sys/fs/bpf/xdpdns/IF/:
 * the program ("prog"), its maps by name, and "zones", the serial of every
 * zone served. xdpdns-loader creates and removes them; xdpdns-zonec apply
 * opens them to load zones.
 */
#ifndef XDPDNS_PINS_H
#define XDPDNS_PINS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xdpmaps.h"
#include "xdpdns.h"

#define XD_PIN_ROOT "/sys/fs/bpf/xdpdns"
#define XD_ZONES_MAX 65536 /* zones one interface can serve */
/* xdpdns-health writes its state for IF to XD_HEALTH_STATE_DIR/health-IF.state
 * (key=value lines: state, since, checked, pid, reason, routes: "ok" or
 * "FAILED: what"); status shows it. */
#define XD_HEALTH_STATE_DIR "/run/xdpdns"

/* The program's maps that are pinned, in this order, with these names
 * and value sizes: opening pins whose value sizes differ (made by
 * another version of xdpdns) is refused. A layout changed within the
 * same size would not be caught: a change of layout changes the size or
 * needs a version check of its own. */
#define XD_PIN_MAPS                                      \
	X(slots, "xd_slots", sizeof(struct xd_sbucket))  \
	X(nodes, "xd_nodes", sizeof(struct xd_xnode))    \
	X(names, "xd_names", XD_NAMES_CHUNK)             \
	X(chunks, "xd_chunks", XD_CHUNK)                 \
	X(tslots, "xd_tslots", sizeof(struct xd_tslot))  \
	X(config, "xd_config", sizeof(struct xd_config)) \
	X(stats, "xd_stats", sizeof(struct xd_stats))    \
	X(rrl, "xd_rrl", sizeof(struct xd_rrl_bucket))   \
	X(exempt, "xd_rrl_exempt", 1)

struct xd_pins {
	char dir[PATH_MAX];
	struct xd_xdp_maps maps;
	int zones; /* hash: struct xd_zone_key -> struct xd_zone_val */
	int prog;
	int lock; /* the directory, flock()ed while zones are applied */
};

/* A zone's apex, lowercase wire form, zero-padded. */
struct xd_zone_key {
	uint8_t name[256];
};

struct xd_zone_val {
	uint32_t serial;
	uint32_t pad;
};

/* The pin directory of ifname; -1 when the name cannot be an interface. */
int xd_pins_dir(char *buf, size_t len, const char *ifname);

/*
 * Open every pin of ifname (fds -1 first, so close() is always safe).
 * With lock, also take the apply lock (blocks while another apply runs).
 * Returns 0, -ENOENT when xdpdns is not attached there, -EPROTO when the
 * pins were made by another version, or -errno, with a reason in *why;
 * on failure nothing is left open.
 */
int xd_pins_open(struct xd_pins *p, const char *ifname, bool lock,
		 const char **why);
void xd_pins_close(struct xd_pins *p);

/* RFC 1982 serial number arithmetic: is a greater than b? */
bool xd_serial_gt(uint32_t a, uint32_t b);

#endif
