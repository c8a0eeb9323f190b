// SPDX-License-Identifier: GPL-3.0-or-later
#include "apply.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "dname.h"
#include "xdpdns.h"

/* Lowercase wire form of a zone's apex as the zone list's key. */
static void zone_key(const struct xd_cdb *db, const struct xd_cdb_zone *z,
		     struct xd_zone_key *k)
{
	memset(k, 0, sizeof(*k));
	const uint8_t *n = xd_cdb_name(db, z->apex);
	size_t len = xd_dname_len(n);
	memcpy(k->name, n, len < sizeof(k->name) ? len : sizeof(k->name));
}

/* Each zone's serial against the one served: forward, or refused. */
static bool check_serials(const struct xd_pins *p, const struct xd_cdb *db,
			  bool force, struct xd_apply_report *rep)
{
	bool refused = false;

	for (size_t i = 0; i < db->nzones; i++) {
		struct xd_apply_zone *z = &rep->zones[i];
		struct xd_zone_key k;
		struct xd_zone_val v;
		zone_key(db, &db->zones[i], &k);
		memcpy(z->name, k.name, sizeof(z->name));
		z->serial = db->zones[i].serial;
		if (bpf_map_lookup_elem(p->zones, &k, &v)) {
			z->state = XD_APPLY_NEW;
			continue;
		}
		z->served = v.serial;
		if (xd_serial_gt(z->serial, v.serial)) {
			z->state = XD_APPLY_CHANGED;
			continue;
		}
		z->state = force ? XD_APPLY_FORCED : XD_APPLY_OLD_SERIAL;
		refused |= !force;
	}
	return refused;
}

/* The zone list follows what is now served: zones no longer in the set
 * removed (and reported after the set's), the set's written. */
static void update_zone_list(const struct xd_pins *p, const struct xd_cdb *db,
			     struct xd_apply_report *rep)
{
	struct xd_zone_key key, next;
	void *prev = NULL;

	while (!bpf_map_get_next_key(p->zones, prev, &next)) {
		bool keep = false;
		for (size_t i = 0; i < db->nzones && !keep; i++)
			keep = !memcmp(rep->zones[i].name, next.name,
				       sizeof(next.name));
		if (keep) {
			key = next;
			prev = &key;
			continue;
		}
		struct xd_zone_val old = { 0 };
		bpf_map_lookup_elem(p->zones, &next, &old);
		bpf_map_delete_elem(p->zones, &next);
		struct xd_apply_zone *gone =
			realloc(rep->zones, (rep->nzones + 1) * sizeof(*gone));
		if (gone) {
			rep->zones = gone;
			gone = &rep->zones[rep->nzones++];
			memset(gone, 0, sizeof(*gone));
			memcpy(gone->name, next.name, sizeof(gone->name));
			gone->served = old.serial;
			gone->state = XD_APPLY_REMOVED;
		}
		prev = NULL; /* deleting moves the iteration */
	}
	for (size_t i = 0; i < db->nzones; i++) {
		struct xd_apply_zone *z = &rep->zones[i];
		struct xd_zone_key k;
		struct xd_zone_val v = { .serial = z->serial };
		memcpy(k.name, z->name, sizeof(k.name));
		if (z->state != XD_APPLY_NEW && z->served == z->serial)
			z->state = XD_APPLY_UNCHANGED;
		bpf_map_update_elem(p->zones, &k, &v, BPF_ANY);
	}
}

int xd_apply(struct xd_pins *p, const struct xd_cdb *db,
	     const struct xd_apply_opts *o, struct xd_apply_report *rep,
	     const char **why)
{
	struct xd_config cfg;
	uint32_t zero = 0;
	int r;

	memset(rep, 0, sizeof(*rep));
	*why = NULL;
	rep->zones = calloc(db->nzones ? db->nzones : 1, sizeof(*rep->zones));
	if (!rep->zones)
		return -ENOMEM;
	rep->nzones = db->nzones;
	if (check_serials(p, db, o->force, rep)) {
		rep->refused_serial = true;
		*why = "a serial does not move forward";
		return -EINVAL;
	}
	if (bpf_map_lookup_elem(p->maps.config, &zero, &cfg)) {
		r = -errno;
		rep->step = "config";
		*why = "cannot read the config map";
		return r;
	}
	/* The generation not served (the first when nothing is). */
	unsigned gen = cfg.enabled ? (cfg.generation & 1) ^ 1 : 0;
	struct xd_fill_opts fo = {
		.partial = o->hot != NULL,
		.hot = o->hot,
		.nhot = o->nhot,
	};
	r = xd_xdp_fill(&p->maps, db, gen, &fo, &rep->fill, why);
	if (r < 0) {
		rep->step = "fill";
		return r;
	}
	if (o->before_switch && o->before_switch(o->arg, why)) {
		rep->step = "server";
		return -ECANCELED;
	}
	if ((r = xd_xdp_serve(&p->maps, gen, true)) < 0) {
		rep->step = "switch";
		*why = "cannot switch generations";
		return r;
	}
	rep->gen = gen;
	/* Packets that read the old generation before the switch may still
	 * be reading its arrays (each takes microseconds): the next apply
	 * refills them, so let them finish while the lock is held. */
	usleep(20000);
	update_zone_list(p, db, rep);
	return 0;
}

void xd_apply_report_free(struct xd_apply_report *rep)
{
	free(rep->zones);
	rep->zones = NULL;
	rep->nzones = 0;
}
