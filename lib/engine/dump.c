// SPDX-License-Identifier: GPL-3.0-or-later
#include "dump.h"

#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "dname.h"
#include "zone.h"

const char *xd_rcode_str(unsigned rcode)
{
	static const char *const names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
		"NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
		"NXRRSET", "NOTAUTH", "NOTZONE",
	};
	if (rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	if (rcode == 16)
		return "BADVERS";
	return "RCODE?";
}

const char *xd_kind_str(unsigned kind)
{
	switch (kind) {
	case XD_KIND_POSITIVE:
		return "positive";
	case XD_KIND_NODATA:
		return "nodata";
	case XD_KIND_NXDOMAIN:
		return "nxdomain";
	case XD_KIND_REFERRAL:
		return "referral";
	default:
		return "error";
	}
}

int xd_print_response(const uint8_t *msg, size_t len, const char *prefix,
		      FILE *f)
{
	static const char *const secname[] = { "an", "ns", "ar" };
	knot_pkt_t *pkt = knot_pkt_new((void *)msg, (uint16_t)len, NULL);
	knot_dump_style_t style = KNOT_DUMP_STYLE_DEFAULT;
	size_t size = 1024;
	char *buf = malloc(size);
	int ret = -1;

	if (!pkt || !buf) {
		free(buf);
		knot_pkt_free(pkt);
		return -1;
	}
	style.wrap = false;
	style.original_ttl = false;
	if (knot_pkt_parse(pkt, 0) != KNOT_EOK)
		goto out;
	for (int s = KNOT_ANSWER; s <= KNOT_ADDITIONAL; s++) {
		const knot_pktsection_t *sec = knot_pkt_section(pkt, s);
		for (uint16_t i = 0; i < sec->count; i++) {
			const knot_rrset_t *rr = knot_pkt_rr(sec, i);
			if (rr->type == XD_TYPE_OPT) {
				fprintf(f, "%s%s OPT udp=%u version=%u%s\n",
					prefix, secname[s - KNOT_ANSWER],
					knot_edns_get_payload(rr),
					knot_edns_get_version(rr),
					knot_edns_do(rr) ? " do" : "");
				continue;
			}
			if (knot_rrset_txt_dump(rr, &buf, &size, &style) < 0)
				goto out;
			/* One record per line, single spaces. */
			char *o = buf;
			bool sp = false;
			for (char *p = buf; *p; p++) {
				if (*p == ' ' || *p == '\t' || *p == '\n') {
					sp = true;
					continue;
				}
				if (sp && o != buf)
					*o++ = ' ';
				sp = false;
				*o++ = *p;
			}
			*o = '\0';
			fprintf(f, "%s%s %s\n", prefix,
				secname[s - KNOT_ANSWER], buf);
		}
	}
	ret = 0;
out:
	free(buf);
	knot_pkt_free(pkt);
	return ret;
}

static const struct xd_cdb *sort_db;

static int cmp_entry(const void *pa, const void *pb)
{
	const struct xd_cdb_entry *a = *(const struct xd_cdb_entry *const *)pa;
	const struct xd_cdb_entry *b = *(const struct xd_cdb_entry *const *)pb;
	int c = xd_dname_cmp(xd_cdb_name(sort_db, a->name),
			     xd_cdb_name(sort_db, b->name));

	if (c)
		return c;
	return (int)a->type - (int)b->type;
}

/* The response a query for (name, type) gets from template t. */
static int print_tmpl(const uint8_t *name, uint16_t type,
		      const struct xd_tmpl *t, FILE *f)
{
	uint8_t q[12 + XD_DNAME_MAX + 4], out[65536];
	struct xd_query query = { .qtype = type, .qclass = XD_CLASS_IN };
	size_t nlen = xd_dname_len(name);
	char flags[64];

	memcpy(q, name, nlen);
	q[nlen] = (uint8_t)(type >> 8);
	q[nlen + 1] = (uint8_t)type;
	q[nlen + 2] = 0;
	q[nlen + 3] = XD_CLASS_IN;
	query.question_len = nlen + 4;
	query.qname_len = (uint8_t)nlen;
	int delta = (t->flags & XD_TF_RELOC) ? (int)nlen - t->base_len : 0;
	size_t len = xd_render(&query, q, t, delta, sizeof(out), 0, out,
			       sizeof(out), NULL);
	snprintf(flags, sizeof(flags), "%s%s%s",
		 (t->flags & XD_TF_AA) ? " aa" : "",
		 (t->flags & XD_TF_CNAME) ? " cname" : "",
		 (t->flags & XD_TF_WILDCARD) ? " wildcard" : "");
	fprintf(f, "  %s %s%s cuts", xd_kind_str(t->kind),
		xd_rcode_str(t->rcode), flags);
	const struct xd_cut *c = xd_tmpl_cuts(t);
	fprintf(f, "=0%s", (t->flags & XD_TF_TC0) ? "tc" : "");
	for (unsigned i = 0; i < t->ncuts; i++)
		fprintf(f, ",%u%s", c[i].len, c[i].tc ? "tc" : "");
	if (t->flags & XD_TF_RELOC)
		fprintf(f, " reloc=%u/base%u", t->nrelocs, t->base_len);
	fputc('\n', f);
	if (!len || xd_print_response(out, len, "    ", f) < 0) {
		fprintf(f, "    (template does not render)\n");
		return -1;
	}
	return 0;
}

int xd_dump(const struct xd_cdb *db, FILE *f)
{
	const struct xd_cdb_entry **v =
		malloc((db->nentries ? db->nentries : 1) * sizeof(*v));
	char name[XD_DNAME_STR_MAX], tname[16];
	int ret = 0;

	if (!v)
		return -1;
	fprintf(f,
		"; xdpdns compiled zones: %zu zones, %zu entries, "
		"%zu template bytes\n",
		db->nzones, db->nentries, db->tmpls_len);
	for (size_t i = 0; i < db->nzones; i++) {
		const struct xd_cdb_zone *z = &db->zones[i];
		const uint8_t *apex = xd_cdb_name(db, z->apex);
		fprintf(f, "zone %s serial %u names %u\n",
			xd_dname_str(apex, name), z->serial, z->nodes);
		fprintf(f, "%s (below, not existing)\n", name);
		if (print_tmpl(apex, 1, xd_cdb_tmpl(db, z->nxdomain), f) < 0)
			ret = -1;
	}
	for (size_t i = 0; i < db->nentries; i++)
		v[i] = &db->entries[i];
	sort_db = db;
	qsort(v, db->nentries, sizeof(*v), cmp_entry);
	for (size_t i = 0; i < db->nentries; i++) {
		const struct xd_cdb_entry *e = v[i];
		const uint8_t *n = xd_cdb_name(db, e->name);
		xd_dname_str(n, name);
		if (e->type == XD_TYPE_NODE)
			fprintf(f, "%s *%s%s%s%s\n", name,
				(e->nflags & XD_NFE_SIGNED) ? " signed" : "",
				(e->nflags & XD_NFE_APEX) ? " apex" : "",
				(e->nflags & XD_NFE_DELEG) ? " cut" : "",
				(e->nflags & XD_NFE_WILDCARD) ?
					" wildcard-below" :
					"");
		else
			fprintf(f, "%s %s\n", name,
				xd_type_str(e->type, tname, sizeof(tname)));
		if (print_tmpl(n, e->type ? e->type : 65535,
			       xd_cdb_tmpl(db, e->tmpl), f) < 0)
			ret = -1;
	}
	free(v);
	return ret;
}
