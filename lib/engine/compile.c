// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * Resolution of (name, type) pairs into answer templates, and the choice of
 * which pairs get an entry of their own.
 *
 * The resolver follows RFC 1034 4.3.2 as knotd 3.2 implements it: a name
 * at or below a zone cut gets a referral (except DS at the cut), a CNAME is
 * followed inside the zone up to 5 times, a name that does not exist is
 * matched against the closest encloser's wildcard, and additional A/AAAA
 * records are added for NS, MX, SRV, SVCB and HTTPS targets in the zone.
 */
#include "compile.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "denial.h"
#include "dname.h"
#include "rdata.h"

#define CNAME_CHAIN_MAX 5
#define MAX_PKT_SETS 1024
#define MAX_VISITED 16
#define MAX_TRAIL 16
/* Largest template that still fits a 64 KiB message after the header, the
 * longest question and an OPT record. */
#define TMPL_MAX (65535 - 12 - 259 - 11)

enum state { ST_HIT, ST_NODATA, ST_MISS, ST_DELEG, ST_FOLLOW };

/*
 * A proof of non-existence a DO=1 answer from a signed zone needs (RFC 4035
 * 3.1.3, RFC 5155 7.2), written into the authority section at the end.
 */
enum proof_kind {
	PR_NODATA, /* the name of node exists, not with the type */
	PR_NODS, /* no DS at the zone cut node */
	PR_NXDOMAIN, /* name does not exist; ce is its closest encloser */
	PR_WILD_ANSWER, /* name was answered by the wildcard below ce */
	PR_WILD_NODATA, /* same, the wildcard has no data of the type */
};

struct proof_req {
	uint8_t kind;
	const struct xd_node *node; /* NODATA, NODS: the node; else: ce */
	uint8_t name[XD_DNAME_MAX];
};

#define MAX_PROOF_REQS 8
#define MAX_PROOF_NODES 16

/* An RRset placed in the answer or authority section. */
struct pset {
	const struct xd_rrset *set;
	const struct xd_node *node;
	const uint8_t *owner; /* as written; NULL: the query name */
	bool synth; /* owner rewritten from a wildcard */
};

struct res {
	const struct xd_zone *z;
	struct xd_tw *w;
	uint16_t qtype;
	bool at_qname; /* still resolving the query name itself */
	const uint8_t *name; /* current name (lowercase) */
	uint8_t namebuf[XD_DNAME_MAX];
	unsigned nsets;
	const struct xd_node *visited[MAX_VISITED];
	unsigned nvisited;
	int chain;
	const struct xd_node *deleg; /* node deciding a referral */
	/* Nodes whose data decided the answer, for the candidate types. */
	const struct xd_node *trail[MAX_TRAIL];
	unsigned ntrail;
	bool overflow; /* more RRsets than MAX_PKT_SETS */
	bool dnssec; /* DO=1 answer of a signed zone */
	const struct xd_denial_index *di;
	struct proof_req preq[MAX_PROOF_REQS];
	unsigned npreq;
	const struct xd_node *proven[MAX_PROOF_NODES]; /* written */
	unsigned nproven;
	/* Last: everything before it is reset for each resolution. */
	struct xd_tw tw; /* reused for every template */
	struct pset sets[MAX_PKT_SETS];
};

/* ---- zone lookups ------------------------------------------------- */

/* Node for name in z, or NULL with *encloser set to the closest ancestor
 * that exists (NULL when name is outside z). */
static const struct xd_node *find(const struct xd_zone *z, const uint8_t *name,
				  const struct xd_node **encloser)
{
	*encloser = NULL;
	if (!xd_dname_in(name, z->apex))
		return NULL;
	/* NSEC3 owner names are not names of the zone (RFC 5155 7.2.9). */
	const struct xd_node *n = xd_zone_find(z, name);
	if (n && !(n->flags & XD_NODE_NSEC3))
		return n;
	for (const uint8_t *p = xd_dname_parent(name); p;
	     p = xd_dname_parent(p)) {
		n = xd_zone_find(z, p);
		if (n && !(n->flags & XD_NODE_NSEC3)) {
			*encloser = n;
			return NULL;
		}
	}
	return NULL;
}

static const struct xd_node *wildcard_child(const struct xd_zone *z,
					    const struct xd_node *n)
{
	uint8_t name[XD_DNAME_MAX];

	if (!xd_dname_wildcard(name, n->name, n->nlen))
		return NULL;
	return xd_zone_find(z, name);
}

/* The node or the wildcard covering name (knotd's additional lookup). */
static const struct xd_node *find_or_wildcard(const struct xd_zone *z,
					      const uint8_t *name)
{
	const struct xd_node *enc;
	const struct xd_node *n = find(z, name, &enc);

	if (!n && enc && (enc->flags & XD_NODE_WILDCARD))
		n = wildcard_child(z, enc);
	return n;
}

/* ---- writing ------------------------------------------------------ */

static void trail_add(struct res *r, const struct xd_node *n)
{
	if (r->ntrail < MAX_TRAIL)
		r->trail[r->ntrail++] = n;
}

static bool already_written(const struct res *r, const struct xd_rrset *s)
{
	for (unsigned i = 0; i < r->nsets; i++)
		if (r->sets[i].set == s && !r->sets[i].synth)
			return true;
	return false;
}

/* The type an RRSIG record covers. */
static uint16_t sig_covers(const struct xd_rr *rr)
{
	return rr->rdlen >= 2 ? (uint16_t)(rr->rdata[0] << 8 | rr->rdata[1]) :
				0;
}

/*
 * The signatures of node's RRset of type, after it (DO=1 answers of a
 * signed zone). ttl: 0 to serve each with its own TTL, else this one (the
 * SOA's in a negative answer).
 */
static void write_sigs(struct res *r, const uint8_t *owner,
		       const struct xd_node *node, uint16_t type, uint32_t ttl,
		       bool required)
{
	const struct xd_rrset *sigs;

	if (!r->dnssec || !node || type == XD_TYPE_RRSIG ||
	    !(sigs = xd_node_rrset(node, XD_TYPE_RRSIG)))
		return;
	bool any = false;
	for (const struct xd_rr *rr = sigs->rrs; rr; rr = rr->next)
		if (sig_covers(rr) == type) {
			xd_tw_rr(r->w, owner, XD_TYPE_RRSIG,
				 ttl ? ttl : rr->ttl, rr->rdata, rr->rdlen);
			any = true;
		}
	if (any)
		xd_tw_mark(r->w, required);
}

static void write_set(struct res *r, const uint8_t *owner,
		      const struct xd_node *node, const struct xd_rrset *s,
		      uint32_t ttl, bool required)
{
	for (const struct xd_rr *rr = s->rrs; rr; rr = rr->next)
		xd_tw_rr(r->w, owner, s->type, ttl, rr->rdata, rr->rdlen);
	xd_tw_mark(r->w, required);
	write_sigs(r, owner, node, s->type, 0, required);
}

/* Remember a proof the answer needs; name: the name it is about. */
static void want_proof(struct res *r, enum proof_kind kind,
		       const struct xd_node *node, const uint8_t *name)
{
	if (!r->dnssec)
		return;
	if (r->npreq == MAX_PROOF_REQS) {
		r->overflow = true;
		return;
	}
	struct proof_req *p = &r->preq[r->npreq++];
	p->kind = (uint8_t)kind;
	p->node = node;
	memcpy(p->name, name, xd_dname_len(name));
}

/* Put an RRset in the answer or authority section, remembered for the
 * additional section. */
static void put_set(struct res *r, const struct xd_node *node,
		    const uint8_t *owner, const struct xd_rrset *s, bool synth,
		    uint32_t ttl, bool required)
{
	if (r->nsets == MAX_PKT_SETS) {
		r->overflow = true;
		return;
	}
	r->sets[r->nsets++] = (struct pset){
		.set = s, .node = node, .owner = owner, .synth = synth
	};
	write_set(r, owner, node, s, ttl, required);
}

/* The owner to write for the current name: the question when resolving
 * the query name itself. */
static const uint8_t *cur_owner(const struct res *r)
{
	return r->at_qname ? NULL : r->name;
}

static uint32_t soa_negative_ttl(const struct xd_rrset *soa)
{
	const uint8_t *rd = soa->rrs->rdata;
	size_t off = xd_dname_len(rd);
	off += xd_dname_len(rd + off);
	off += 16; /* serial, refresh, retry, expire */
	uint32_t minimum = (uint32_t)rd[off] << 24 |
			   (uint32_t)rd[off + 1] << 16 |
			   (uint32_t)rd[off + 2] << 8 | rd[off + 3];
	return soa->ttl < minimum ? soa->ttl : minimum;
}

/* The SOA of a negative answer, with its signatures at the same TTL. */
static void write_soa(struct res *r, const struct xd_zone *z,
		      const struct xd_rrset *soa)
{
	uint32_t ttl = soa_negative_ttl(soa);

	for (const struct xd_rr *rr = soa->rrs; rr; rr = rr->next)
		xd_tw_rr(r->w, z->apex, XD_TYPE_SOA, ttl, rr->rdata, rr->rdlen);
	xd_tw_mark(r->w, false);
	write_sigs(r, z->apex, z->apex_node, XD_TYPE_SOA, ttl, false);
}

/* ---- resolution --------------------------------------------------- */

static bool visited(const struct res *r, const struct xd_node *n)
{
	for (unsigned i = 0; i < r->nvisited; i++)
		if (r->visited[i] == n)
			return true;
	return false;
}

static void visit(struct res *r, const struct xd_node *n)
{
	if (r->nvisited < MAX_VISITED)
		r->visited[r->nvisited++] = n;
}

static enum state follow_cname(struct res *r, const struct xd_node *n)
{
	const struct xd_rrset *cn = xd_node_rrset(n, XD_TYPE_CNAME);
	bool wild = xd_dname_is_wildcard(n->name);

	if (++r->chain > CNAME_CHAIN_MAX)
		return ST_HIT;
	/* A CNAME already in the answer means a loop: stop there. */
	if (!wild && already_written(r, cn))
		return ST_HIT;
	put_set(r, n, cur_owner(r), cn, wild, cn->ttl, true);
	if (wild) {
		if (visited(r, n))
			return ST_HIT;
		visit(r, n);
	}
	memcpy(r->namebuf, cn->rrs->rdata, xd_dname_len(cn->rrs->rdata));
	r->name = r->namebuf;
	r->at_qname = false;
	return ST_FOLLOW;
}

/* A query for RRSIG gets the signatures of one RRset, the lowest type
 * signed at the name, each with its own TTL (as knotd answers). */
static enum state put_sigs_of_lowest(struct res *r, const struct xd_node *n)
{
	const struct xd_rrset *sigs = xd_node_rrset(n, XD_TYPE_RRSIG);
	uint16_t lowest = 0;

	for (const struct xd_rr *rr = sigs->rrs; rr; rr = rr->next)
		if (!lowest || sig_covers(rr) < lowest)
			lowest = sig_covers(rr);
	for (const struct xd_rr *rr = sigs->rrs; rr; rr = rr->next)
		if (sig_covers(rr) == lowest)
			xd_tw_rr(r->w, cur_owner(r), XD_TYPE_RRSIG, rr->ttl,
				 rr->rdata, rr->rdlen);
	xd_tw_mark(r->w, true);
	return ST_HIT;
}

static enum state name_found(struct res *r, const struct xd_node *n)
{
	uint16_t t = r->qtype;

	trail_add(r, n);
	if (((n->flags & XD_NODE_DELEG) && t != XD_TYPE_DS) ||
	    (n->flags & XD_NODE_OCCLUDED)) {
		r->deleg = n;
		return ST_DELEG;
	}
	if (xd_node_rrset(n, XD_TYPE_CNAME) && t != XD_TYPE_CNAME &&
	    t != XD_TYPE_RRSIG && t != XD_TYPE_NSEC && t != XD_TYPE_ANY)
		return follow_cname(r, n);

	/* RFC 8482: ANY gets one RRset, the lowest type, as knotd does. */
	const struct xd_rrset *s = NULL;
	if (t == XD_TYPE_ANY) {
		for (unsigned i = 0; i < n->nsets; i++)
			if (!s || n->sets[i].type < s->type)
				s = &n->sets[i];
	} else if (t == XD_TYPE_RRSIG && xd_node_rrset(n, t)) {
		return put_sigs_of_lowest(r, n);
	} else {
		s = xd_node_rrset(n, t);
	}
	if (!s) {
		want_proof(r, PR_NODATA, n, r->name);
		return ST_NODATA;
	}
	put_set(r, n, cur_owner(r), s, xd_dname_is_wildcard(n->name), s->ttl,
		true);
	return ST_HIT;
}

static enum state name_not_found(struct res *r, const struct xd_node *enc)
{
	if (enc->flags & XD_NODE_WILDCARD) {
		const struct xd_node *wc = wildcard_child(r->z, enc);
		/* The name's own proof, when it is the query name, depends on
		 * it: the answer engine adds it (answer.c). */
		bool fixed = !r->at_qname;
		uint8_t name[XD_DNAME_MAX];
		memcpy(name, r->name, xd_dname_len(r->name));
		enum state st = name_found(r, wc);
		if (fixed)
			want_proof(r,
				   st == ST_NODATA ? PR_WILD_NODATA :
						     PR_WILD_ANSWER,
				   enc, name);
		if (!visited(r, wc))
			visit(r, wc);
		return st;
	}
	if (!r->at_qname)
		want_proof(r, PR_NXDOMAIN, enc, r->name);
	/* Empty non-terminals and glue lead up to the node that decides. */
	const struct xd_node *n = enc;
	while (n->parent && (n->nsets == 0 || (n->flags & XD_NODE_OCCLUDED)))
		n = n->parent;
	trail_add(r, n);
	if (n->flags & XD_NODE_DELEG) {
		r->deleg = n;
		return ST_DELEG;
	}
	return ST_MISS;
}

static enum state solve_name(struct res *r)
{
	const struct xd_node *enc;
	const struct xd_node *n = find(r->z, r->name, &enc);

	if (n)
		return name_found(r, n);
	if (enc)
		return name_not_found(r, enc);
	return ST_HIT; /* a CNAME target outside the zone ends the chain */
}

static bool needs_additional(uint16_t type)
{
	return type == XD_TYPE_NS || type == XD_TYPE_MX ||
	       type == XD_TYPE_SRV || type == XD_TYPE_SVCB ||
	       type == XD_TYPE_HTTPS;
}

struct glue {
	const uint8_t *target; /* name in the rdata */
	const struct xd_node *node;
	bool mandatory;
};

static void put_glue(struct res *r, const struct pset *ps, const struct glue *g,
		     bool deleg)
{
	uint16_t types[3] = { XD_TYPE_A, XD_TYPE_AAAA, ps->set->type };
	unsigned ntypes = ps->set->type == XD_TYPE_SVCB ||
					  ps->set->type == XD_TYPE_HTTPS ?
				  3 :
				  2;

	for (unsigned k = 0; k < ntypes; k++) {
		const struct xd_rrset *s = xd_node_rrset(g->node, types[k]);
		if (!s || already_written(r, s))
			continue;
		if (r->nsets == MAX_PKT_SETS) {
			r->overflow = true;
			return;
		}
		r->sets[r->nsets++] =
			(struct pset){ .set = s, .node = g->node };
		write_set(r, g->target, g->node, s, s->ttl,
			  deleg && g->mandatory);
	}
}

/* Additional records for the RRsets in answer and authority: mandatory
 * glue first, then the other targets, each in record order. */
static void solve_additional(struct res *r, bool deleg)
{
	unsigned n = r->nsets;

	xd_tw_section(r->w, XD_SEC_ADDITIONAL);
	for (unsigned i = 0; i < n; i++) {
		const struct pset *ps = &r->sets[i];
		if (!needs_additional(ps->set->type))
			continue;
		struct glue *g = calloc(ps->set->count, sizeof(*g));
		unsigned ng = 0;
		if (!g) {
			r->w->failed = true;
			return;
		}
		for (const struct xd_rr *rr = ps->set->rrs; rr; rr = rr->next) {
			struct xd_rdname names[XD_RDATA_MAX_NAMES];
			if (xd_rdata_names(ps->set->type, rr->rdata, rr->rdlen,
					   names) < 1)
				continue;
			const uint8_t *target = rr->rdata + names[0].off;
			uint8_t lower[XD_DNAME_MAX];
			xd_dname_lower(lower, target);
			const struct xd_node *gn =
				find_or_wildcard(r->z, lower);
			if (!gn)
				continue;
			g[ng].target = target;
			g[ng].node = gn;
			g[ng].mandatory = (gn->flags & (XD_NODE_DELEG |
							XD_NODE_OCCLUDED)) &&
					  ps->set->type == XD_TYPE_NS &&
					  xd_dname_in(gn->name, ps->node->name);
			ng++;
		}
		for (int pass = 0; pass < 2; pass++)
			for (unsigned k = 0; k < ng; k++)
				if (g[k].mandatory == (pass == 0))
					put_glue(r, ps, &g[k], deleg);
		free(g);
	}
}

/* ---- proofs of non-existence ------------------------------------- */

/* Write node's NSEC or NSEC3 RRset and its signatures, once. */
static void write_proof_node(struct res *r, const struct xd_node *n)
{
	if (!n)
		return;
	for (unsigned i = 0; i < r->nproven; i++)
		if (r->proven[i] == n)
			return;
	if (r->nproven == MAX_PROOF_NODES) {
		r->overflow = true;
		return;
	}
	r->proven[r->nproven++] = n;
	uint16_t type = r->di->nsec ? XD_TYPE_NSEC : XD_TYPE_NSEC3;
	const struct xd_rrset *s = xd_node_rrset(n, type);
	if (s)
		write_set(r, n->name, n, s, s->ttl, true);
}

/* The wildcard name below ce, in buf (ce itself when too long). */
static const uint8_t *wildcard_of(const uint8_t *ce, uint8_t *buf)
{
	return xd_dname_wildcard(buf, ce, xd_dname_len(ce)) ? buf : ce;
}

/*
 * NSEC3: the closest provable encloser of name (RFC 5155 7.2.1), for a
 * name without an NSEC3 of its own (an insecure delegation under
 * opt-out): the matching NSEC3 of the nearest ancestor that has one, and
 * the covering NSEC3 of the next closer name.
 */
static void nsec3_encloser_proof(struct res *r, const uint8_t *name)
{
	const uint8_t *ce = xd_dname_parent(name);

	while (ce && !xd_denial_find(r->di, ce, false))
		ce = xd_dname_parent(ce);
	if (!ce)
		return;
	write_proof_node(r, xd_denial_find(r->di, ce, false));
	write_proof_node(
		r, xd_denial_find(r->di, xd_dname_next_closer(name, ce), true));
}

static void write_proof(struct res *r, const struct proof_req *p)
{
	const struct xd_denial_index *di = r->di;
	const uint8_t *ce = p->node->name;
	const struct xd_node *match;
	uint8_t wbuf[XD_DNAME_MAX];

	switch (p->kind) {
	case PR_NODATA:
	case PR_NODS:
		if (di->nsec) {
			/* An empty non-terminal has no NSEC: the one before
			 * it covers it. */
			write_proof_node(r, xd_denial_find(di, p->node->name,
							   true));
		} else if ((match = xd_denial_find(di, p->node->name, false))) {
			write_proof_node(r, match);
		} else {
			nsec3_encloser_proof(r, p->node->name);
		}
		break;
	case PR_NXDOMAIN:
		if (di->nsec) {
			write_proof_node(r, xd_denial_find(di, p->name, true));
			write_proof_node(
				r, xd_denial_find(di, wildcard_of(ce, wbuf),
						  true));
		} else {
			write_proof_node(r, xd_denial_find(di, ce, false));
			write_proof_node(r, xd_denial_find(di,
							   xd_dname_next_closer(
								   p->name, ce),
							   true));
			write_proof_node(
				r, xd_denial_find(di, wildcard_of(ce, wbuf),
						  true));
		}
		break;
	case PR_WILD_ANSWER:
	case PR_WILD_NODATA:
		if (di->nsec) {
			write_proof_node(r, xd_denial_find(di, p->name, true));
		} else {
			if (p->kind == PR_WILD_NODATA)
				write_proof_node(r,
						 xd_denial_find(di, ce, false));
			write_proof_node(r, xd_denial_find(di,
							   xd_dname_next_closer(
								   p->name, ce),
							   true));
		}
		break;
	default:
		break;
	}
}

static void write_proofs(struct res *r)
{
	for (unsigned i = 0; i < r->npreq; i++)
		write_proof(r, &r->preq[i]);
}

/*
 * Resolve (base, qtype) in zone z into the template writer w, which the
 * caller initialised for base. Returns the final state.
 */
static enum state resolve(struct res *r, const struct xd_zone *z,
			  const struct xd_denial_index *di, const uint8_t *base,
			  const struct xd_node *start, uint16_t qtype,
			  struct xd_tw *w)
{
	memset(r, 0, offsetof(struct res, tw));
	r->z = z;
	r->di = di;
	r->dnssec = di != NULL;
	r->w = w;
	r->qtype = qtype;
	r->name = base;
	r->at_qname = true;

	xd_tw_section(w, XD_SEC_ANSWER);
	/* The caller usually knows the node already. */
	enum state st = start ? name_found(r, start) : solve_name(r);
	bool aa = st != ST_DELEG;
	while (st == ST_FOLLOW)
		st = solve_name(r);

	xd_tw_section(w, XD_SEC_AUTHORITY);
	const struct xd_rrset *soa = xd_node_rrset(z->apex_node, XD_TYPE_SOA);
	switch (st) {
	case ST_MISS:
		w->rcode = XD_RCODE_NXDOMAIN;
		/* fall through */
	case ST_NODATA:
		/* RFC 2308 3: the SOA's TTL is the lesser of TTL and MINIMUM.
		 * knotd leaves it out, without TC, when it does not fit. */
		write_soa(r, z, soa);
		write_proofs(r);
		break;
	case ST_DELEG: {
		const struct xd_node *d = r->deleg;
		while (!(d->flags & XD_NODE_DELEG))
			d = d->parent;
		r->deleg = d;
		put_set(r, d, d->name, xd_node_rrset(d, XD_TYPE_NS), false,
			xd_node_rrset(d, XD_TYPE_NS)->ttl, true);
		/* RFC 4035 3.1.4: the DS RRset, or the proof there is none. */
		const struct xd_rrset *ds = xd_node_rrset(d, XD_TYPE_DS);
		if (r->dnssec && ds)
			put_set(r, d, d->name, ds, false, ds->ttl, true);
		else if (r->dnssec)
			write_proof(r, &(struct proof_req){ .kind = PR_NODS,
							    .node = d });
		write_proofs(r);
		break;
	}
	default:
		write_proofs(r);
		break;
	}
	solve_additional(r, st == ST_DELEG);

	w->kind = st == ST_MISS	   ? XD_KIND_NXDOMAIN :
		  st == ST_NODATA  ? XD_KIND_NODATA :
		  st == ST_DELEG   ? XD_KIND_REFERRAL :
		  w->count[0] == 0 ? XD_KIND_NODATA :
				     XD_KIND_POSITIVE;
	if (aa)
		w->flags |= XD_TF_AA;
	if (r->nsets && r->sets[0].set->type == XD_TYPE_CNAME &&
	    qtype != XD_TYPE_CNAME)
		w->flags |= XD_TF_CNAME;
	return st;
}

/* ---- the database ------------------------------------------------- */

/* Templates already stored, by content: identical answers are kept once
 * (many names often share an address, every name shares its zone's
 * NODATA). Slots hold the hash's upper half and the offset + 1. */
struct tmpl_index {
	uint64_t *slots;
	size_t size, count;
};

struct cctx {
	struct xd_zoneset *zs;
	struct xd_cdb *db; /* where templates, names and entries go */
	struct xd_diag *d;
	struct res *res;
	struct tmpl_index ti;
	uint8_t *scratch;
	uint16_t t_other; /* a type no zone uses: "any other type" */
	uint32_t zone_idx;
	uint32_t nodata, nxdomain; /* the current zone's shared templates */
	uint32_t nxdomain_do;
	size_t templates;
	struct xd_denial_index *dis; /* per zone */
	const struct xd_denial_index *di; /* the current zone's */
};

static uint64_t tmpl_hash(const void *p, size_t n)
{
	return xd_hash_bytes(p, n, 0x7e3a);
}

static int ti_grow(struct tmpl_index *ti)
{
	size_t nsize = ti->size ? ti->size * 2 : 4096;
	uint64_t *ns = calloc(nsize, sizeof(*ns));

	if (!ns)
		return -1;
	for (size_t i = 0; i < ti->size; i++) {
		uint64_t v = ti->slots[i];
		if (!v)
			continue;
		size_t b = (size_t)(v >> 32) & (nsize - 1);
		while (ns[b])
			b = (b + 1) & (nsize - 1);
		ns[b] = v;
	}
	free(ti->slots);
	ti->slots = ns;
	ti->size = nsize;
	return 0;
}

/* Store the finished template (deduplicated); UINT32_MAX on failure. */
static uint32_t store_tmpl(struct cctx *c, struct xd_tw *w)
{
	if (w->failed || w->len > TMPL_MAX)
		return UINT32_MAX;
	size_t size = xd_tw_finish(w, (struct xd_tmpl *)c->scratch);
	if (!size)
		return UINT32_MAX;
	if (c->ti.count + 1 > c->ti.size / 4 * 3 && ti_grow(&c->ti) < 0)
		return UINT32_MAX;
	uint32_t h = (uint32_t)(tmpl_hash(c->scratch, size) >> 32);
	size_t b = h & (c->ti.size - 1);
	while (c->ti.slots[b]) {
		uint64_t v = c->ti.slots[b];
		if ((uint32_t)(v >> 32) == h) {
			uint32_t off = (uint32_t)v - 1;
			const struct xd_tmpl *t = xd_cdb_tmpl(c->db, off);
			if (xd_tmpl_size(t) == size &&
			    memcmp(t, c->scratch, size) == 0)
				return off;
		}
		b = (b + 1) & (c->ti.size - 1);
	}
	uint32_t off = xd_cdb_add_tmpl_bytes(c->db, c->scratch, size);
	if (off == UINT32_MAX)
		return off;
	c->ti.slots[b] = (uint64_t)h << 32 | (off + 1u);
	c->ti.count++;
	c->templates++;
	return off;
}

static void tmpl_error(struct cctx *c, const struct xd_zone *z,
		       const uint8_t *name, uint16_t type, struct xd_tw *w)
{
	char n[XD_DNAME_STR_MAX], t[16];

	xd_diag_error(c->d, c->zs->files[z->file], 0, NULL,
		      "answer for %s %s %s", xd_dname_str(name, n),
		      xd_type_str(type, t, sizeof(t)),
		      w->failed ? "is larger than a DNS message can carry" :
				  "has too many RRsets");
}

/*
 * Build the template for (name, qtype) in zone z. A plain NODATA for the
 * name itself uses the zone's shared NODATA template. Returns the template
 * offset or UINT32_MAX (error reported).
 */
static uint32_t build(struct cctx *c, const struct xd_zone *z,
		      const uint8_t *name, const struct xd_node *node,
		      bool wild, bool reloc, uint16_t qtype, bool dnssec)
{
	struct xd_tw *wp = &c->res->tw;
#define w (*wp)
	xd_tw_reset(&w, name, wild, reloc || wild);
	enum state st = resolve(c->res, z, dnssec ? c->di : NULL, name, node,
				qtype, &w);
	if (z->is_signed)
		w.flags |= XD_TF_SIGNED;
	uint32_t off;
	if (st == ST_NODATA && c->res->nsets == 0 && !c->res->overflow &&
	    !w.failed && !dnssec) {
		off = c->nodata;
	} else if (c->res->overflow || w.failed) {
		tmpl_error(c, z, name, qtype, &w);
		off = UINT32_MAX;
	} else {
		off = store_tmpl(c, &w);
		if (off == UINT32_MAX)
			tmpl_error(c, z, name, qtype, &w);
	}
	return off;
#undef w
}

/* The zone's NXDOMAIN and NODATA templates: SOA in authority. */
static int build_zone_templates(struct cctx *c, const struct xd_zone *z)
{
	const struct xd_rrset *soa = xd_node_rrset(z->apex_node, XD_TYPE_SOA);

	/* NODATA, NXDOMAIN, and for a signed zone NXDOMAIN with the SOA's
	 * signatures: the answer engine adds the proofs, which depend on
	 * the query name. */
	for (int k = 0; k < 3; k++) {
		if (k == 2 && !z->is_signed) {
			c->nxdomain_do = c->nxdomain;
			break;
		}
		struct xd_tw w;
		struct res *r = c->res;
		xd_tw_init(&w, z->apex, false, true);
		memset(r, 0, offsetof(struct res, tw));
		r->w = &w;
		r->dnssec = k == 2;
		xd_tw_section(&w, XD_SEC_AUTHORITY);
		write_soa(r, z, soa);
		w.kind = k ? XD_KIND_NXDOMAIN : XD_KIND_NODATA;
		w.rcode = k ? 3 : 0;
		w.flags = XD_TF_AA | (z->is_signed ? XD_TF_SIGNED : 0);
		uint32_t off = store_tmpl(c, &w);
		xd_tw_free(&w);
		if (off == UINT32_MAX)
			return -1;
		if (k == 0)
			c->nodata = off;
		else if (k == 1)
			c->nxdomain = off;
		else
			c->nxdomain_do = off;
	}
	return 0;
}

/*
 * A signed zone's proofs for the answer engine and the XDP program: every
 * NSEC or NSEC3 RRset with its signatures as a template of its own, in the
 * chain's order, keyed by owner name or hash.
 */
static int build_proofs(struct cctx *c, const struct xd_zone *z,
			struct xd_cdb_zone *cz)
{
	const struct xd_denial_index *di = c->di;
	size_t n = di->nsec ? di->nnsec : di->nn3;
	struct xd_tw w;
	struct res *r = c->res;

	cz->proofs_first = (uint32_t)c->db->nproofs;
	cz->denial = z->denial;
	if (z->denial == XD_DENIAL_NSEC3) {
		cz->iterations = z->nsec3_iterations;
		cz->salt_len = z->nsec3_salt_len;
		cz->salt = xd_cdb_add_name_bytes(c->db, z->nsec3_salt,
						 z->nsec3_salt_len);
		if (cz->salt == UINT32_MAX)
			return -1;
	}
	uint8_t root = 0;
	xd_tw_init(&w, &root, false, false);
	for (size_t i = 0; i < n; i++) {
		const struct xd_node *nd = di->nsec ? di->nsec[i] :
						      di->n3[i].node;
		xd_tw_reset(&w, &root, false, false);
		w.plain = true;
		memset(r, 0, offsetof(struct res, tw));
		r->w = &w;
		r->dnssec = true;
		r->di = di;
		xd_tw_section(&w, XD_SEC_AUTHORITY);
		write_proof_node(r, nd);
		uint32_t t = store_tmpl(c, &w);
		uint32_t key =
			di->nsec ? xd_cdb_add_name(c->db, nd->name) :
				   xd_cdb_add_name_bytes(c->db, di->n3[i].hash,
							 XD_NSEC3_HASH_LEN);
		if (t == UINT32_MAX || key == UINT32_MAX ||
		    xd_cdb_add_proof(c->db, key, t) < 0) {
			xd_tw_free(&w);
			return -1;
		}
	}
	xd_tw_free(&w);
	cz->proofs_count = (uint32_t)n;
	return 0;
}

static bool type_listed(const uint16_t *v, unsigned n, uint16_t t)
{
	for (unsigned i = 0; i < n; i++)
		if (v[i] == t)
			return true;
	return false;
}

static int emit_node(struct cctx *c, const struct xd_zone *z,
		     const struct xd_node *n, uint32_t name_off)
{
	bool wild = xd_dname_is_wildcard(n->name);
	bool deleg = n->flags & XD_NODE_DELEG;
	uint8_t nflags =
		(uint8_t)(((n->flags & XD_NODE_APEX) ? XD_NFE_APEX : 0) |
			  (deleg ? XD_NFE_DELEG : 0) |
			  ((n->flags & XD_NODE_WILDCARD) ? XD_NFE_WILDCARD :
							   0) |
			  (z->is_signed ? XD_NFE_SIGNED : 0));

	/* The default answer, for every type without an entry of its own.
	 * A referral answers names below the cut too. A name without a
	 * CNAME answers other types with the zone's NODATA; with DO=1 in a
	 * signed zone, with the name's own proof. */
	bool plain = !deleg && !xd_node_rrset(n, XD_TYPE_CNAME);
	bool sig = z->is_signed;
	uint32_t def =
		plain ? c->nodata :
			build(c, z, n->name, n, wild, deleg, c->t_other, false);
	if (def == UINT32_MAX)
		return -1;
	/* What decided the default (the trail) before the DO=1 build. */
	const struct res *r = c->res;
	const struct xd_node *trail[MAX_TRAIL];
	unsigned ntrail = 0;
	if (plain) {
		trail[ntrail++] = n;
	} else if (!deleg) { /* every type but DS gets the referral */
		ntrail = r->ntrail;
		memcpy(trail, r->trail, ntrail * sizeof(*trail));
	}
	uint32_t ddef =
		sig ? build(c, z, n->name, n, wild, deleg, c->t_other, true) :
		      def;
	if (ddef == UINT32_MAX)
		return -1;
	if (xd_cdb_add_entry(c->db, name_off, n->nlen, XD_TYPE_NODE, nflags,
			     def, ddef, c->zone_idx) < 0)
		return -1;

	/* Types whose answer may differ from the default: those at the node,
	 * ANY, DS at a cut, and those of the nodes a CNAME chain reached. */
	uint16_t cand[512];
	unsigned ncand = 0;
	for (unsigned i = 0; i < ntrail; i++) {
		const struct xd_node *tn = trail[i];
		for (unsigned k = 0; k < tn->nsets && ncand < 508; k++)
			if (!type_listed(cand, ncand, tn->sets[k].type))
				cand[ncand++] = tn->sets[k].type;
		if ((tn->flags & XD_NODE_DELEG) &&
		    !type_listed(cand, ncand, XD_TYPE_DS))
			cand[ncand++] = XD_TYPE_DS;
	}
	if (deleg)
		cand[ncand++] = XD_TYPE_DS;
	else if (n->nsets && !type_listed(cand, ncand, XD_TYPE_ANY))
		cand[ncand++] = XD_TYPE_ANY;
	/* A CNAME is not followed for these: their answer is the name's
	 * own, not the default's. */
	if (!plain && !deleg) {
		if (!type_listed(cand, ncand, XD_TYPE_NSEC))
			cand[ncand++] = XD_TYPE_NSEC;
		if (!type_listed(cand, ncand, XD_TYPE_RRSIG))
			cand[ncand++] = XD_TYPE_RRSIG;
	}
	/* RFC 8482: ANY gets the lowest type's RRset, which at a node
	 * without a CNAME is that type's own answer. */
	uint16_t lowest = 0;
	for (unsigned i = 0; i < n->nsets; i++)
		if (!lowest || n->sets[i].type < lowest)
			lowest = n->sets[i].type;
	uint32_t lowest_tmpl = UINT32_MAX, lowest_dtmpl = UINT32_MAX;
	for (unsigned i = 0; i < ncand; i++) {
		uint32_t t, dt;
		if (plain && cand[i] == XD_TYPE_ANY &&
		    lowest_tmpl != UINT32_MAX) {
			t = lowest_tmpl;
			dt = lowest_dtmpl;
		} else {
			t = build(c, z, n->name, n, wild, false, cand[i],
				  false);
			dt = sig && t != UINT32_MAX ?
				     build(c, z, n->name, n, wild, false,
					   cand[i], true) :
				     t;
		}
		if (cand[i] == lowest) {
			lowest_tmpl = t;
			lowest_dtmpl = dt;
		}
		if (t == UINT32_MAX || dt == UINT32_MAX)
			return -1;
		if ((t != def || dt != ddef) &&
		    xd_cdb_add_entry(c->db, name_off, n->nlen, cand[i], 0, t,
				     dt, c->zone_idx) < 0)
			return -1;
	}
	return 0;
}

static uint16_t pick_other_type(const struct xd_zoneset *zs)
{
	uint8_t *used = calloc(65536 / 8, 1);
	uint16_t t = 65534;

	if (!used)
		return t;
	for (const struct xd_zone *z = zs->zones; z; z = z->next)
		for (const struct xd_node *n = z->first; n; n = n->list)
			for (unsigned i = 0; i < n->nsets; i++)
				used[n->sets[i].type / 8] |=
					(uint8_t)(1u << (n->sets[i].type % 8));
	while (t > 256 && (used[t / 8] & (1u << (t % 8))))
		t--;
	free(used);
	return t;
}

/* DS for a zone's apex is answered by its parent zone when it is served
 * (RFC 4035 3.1.4.1; knotd picks the zone of the DS owner's parent). */
static int emit_parent_ds(struct cctx *c, const struct xd_zone *z,
			  uint32_t name_off, const struct xd_zone *p,
			  uint32_t pidx, uint32_t p_nodata)
{
	uint32_t saved_nodata = c->nodata;
	const struct xd_denial_index *saved_di = c->di;

	c->nodata = p_nodata;
	c->di = &c->dis[pidx];
	uint32_t t =
		build(c, p, z->apex, NULL, false, false, XD_TYPE_DS, false);
	uint32_t dt = p->is_signed && t != UINT32_MAX ?
			      build(c, p, z->apex, NULL, false, false,
				    XD_TYPE_DS, true) :
			      t;
	c->nodata = saved_nodata;
	c->di = saved_di;
	if (t == UINT32_MAX || dt == UINT32_MAX)
		return -1;
	return xd_cdb_add_entry(c->db, name_off, z->alen, XD_TYPE_DS, 0, t, dt,
				pidx);
}

/* Pass 2: every node each zone serves, then DS at its apex from a
 * served parent. */
static int emit_zones(struct cctx *c, const uint32_t *nodata_of)
{
	struct xd_zoneset *zs = c->zs;
	struct xd_cdb *db = c->db;

	c->zone_idx = 0;
	for (struct xd_zone *z = zs->zones; z; z = z->next, c->zone_idx++) {
		c->nxdomain = db->zones[c->zone_idx].nxdomain;
		c->nodata = nodata_of[c->zone_idx];
		c->di = &c->dis[c->zone_idx];
		for (const struct xd_node *n = z->first; n; n = n->list) {
			if (n->flags & (XD_NODE_OCCLUDED | XD_NODE_SHADOWED |
					XD_NODE_NSEC3))
				continue;
			uint32_t name_off =
				n == z->apex_node ?
					db->zones[c->zone_idx].apex :
					xd_cdb_add_name(db, n->name);
			if (name_off == UINT32_MAX ||
			    emit_node(c, z, n, name_off) < 0)
				return -1;
		}
		const uint8_t *parent = xd_dname_parent(z->apex);
		struct xd_zone *p = parent ? xd_zoneset_zone_for(zs, parent) :
					     NULL;
		if (!p)
			continue;
		uint32_t pidx = 0;
		for (struct xd_zone *q = zs->zones; q != p; q = q->next)
			pidx++;
		if (emit_parent_ds(c, z, db->zones[c->zone_idx].apex, p, pidx,
				   nodata_of[pidx]) < 0)
			return -1;
	}
	return 0;
}

int xd_compile(struct xd_zoneset *zs, struct xd_cdb *db, struct xd_diag *d,
	       struct xd_compile_stats *stats)
{
	struct cctx c = { .zs = zs, .db = db, .d = d };
	int ret = -1;
	size_t nzones = 0;

	for (struct xd_zone *z = zs->zones; z; z = z->next) {
		if (!z->loaded_ok) {
			xd_diag_error(d, NULL, 0, NULL,
				      "cannot compile zones that failed their "
				      "checks");
			return -1;
		}
		nzones++;
	}
	c.res = malloc(sizeof(*c.res));
	if (c.res) {
		uint8_t root = 0;
		xd_tw_init(&c.res->tw, &root, false, false);
	}
	c.scratch = malloc(65536 + 65536);
	uint32_t *nodata_of = calloc(nzones + 1, sizeof(*nodata_of));
	c.dis = calloc(nzones + 1, sizeof(*c.dis));
	if (!c.res || !c.scratch || !nodata_of || !c.dis) {
		xd_diag_error(d, NULL, 0, NULL, "out of memory");
		goto out;
	}
	c.t_other = pick_other_type(zs);
	db->zones = calloc(nzones ? nzones : 1, sizeof(*db->zones));
	if (!db->zones) {
		xd_diag_error(d, NULL, 0, NULL, "out of memory");
		goto out;
	}
	db->zones_cap = nzones;

	/* Pass 1: per-zone templates, so every zone's exist before any
	 * entry refers to another zone's. */
	c.zone_idx = 0;
	for (struct xd_zone *z = zs->zones; z; z = z->next, c.zone_idx++) {
		c.di = &c.dis[c.zone_idx];
		if (xd_denial_build(&c.dis[c.zone_idx], z) < 0 ||
		    build_zone_templates(&c, z) < 0) {
			xd_diag_error(d, NULL, 0, NULL, "out of memory");
			goto out;
		}
		uint32_t apex = xd_cdb_add_name(db, z->apex);
		if (apex == UINT32_MAX) {
			xd_diag_error(d, NULL, 0, NULL, "out of memory");
			goto out;
		}
		db->zones[c.zone_idx] = (struct xd_cdb_zone){
			.apex = apex,
			.serial = z->serial,
			.nxdomain = c.nxdomain,
			.nodes = (uint32_t)z->nnodes,
			.nxdomain_do = c.nxdomain_do,
			.proofs_first = (uint32_t)db->nproofs,
		};
		if (z->is_signed && z->denial != XD_DENIAL_NONE &&
		    build_proofs(&c, z, &db->zones[c.zone_idx]) < 0) {
			xd_diag_error(d, NULL, 0, NULL, "out of memory");
			goto out;
		}
		nodata_of[c.zone_idx] = c.nodata;
		db->nzones++;
	}

	if (emit_zones(&c, nodata_of) < 0)
		goto fail;
	if (!db->no_index && xd_cdb_index(db) < 0) {
		xd_diag_error(d, NULL, 0, NULL, "out of memory");
		goto out;
	}
	if (stats) {
		stats->zones = db->nzones;
		stats->entries = db->nentries;
		stats->templates = c.templates;
		stats->template_bytes = db->tmpls_len;
		stats->names = 0;
		for (size_t i = 0; i < db->nentries; i++)
			if (db->entries[i].type == XD_TYPE_NODE)
				stats->names++;
	}
	ret = 0;
	goto out;
fail:
	if (!d->errors)
		xd_diag_error(d, NULL, 0, NULL, "out of memory");
out:
	free(nodata_of);
	for (size_t i = 0; c.dis && i < nzones; i++)
		xd_denial_free(&c.dis[i]);
	free(c.dis);
	free(c.ti.slots);
	free(c.scratch);
	if (c.res)
		xd_tw_free(&c.res->tw);
	free(c.res);
	return ret;
}

int xd_compile_files(char *const *specs, int n, struct xd_cdb *db,
		     struct xd_diag *d, struct xd_compile_stats *stats)
{
	struct xd_zoneset zs;
	int ret = 0;

	xd_zoneset_init(&zs);
	for (int i = 0; i < n; i++) {
		const char *spec = specs[i];
		const char *eq = strchr(spec, '=');
		if (eq && eq != spec && eq - spec < XD_DNAME_STR_MAX) {
			char zone[XD_DNAME_STR_MAX];
			memcpy(zone, spec, (size_t)(eq - spec));
			zone[eq - spec] = '\0';
			if (xd_zoneset_load_file(&zs, eq + 1, zone, d) < 0)
				ret = -1;
		} else if (xd_zoneset_load_file(&zs, spec, NULL, d) < 0) {
			ret = -1;
		}
	}
	if (xd_zoneset_check(&zs, d) < 0)
		ret = -1;
	if (ret == 0)
		ret = xd_compile(&zs, db, d, stats);
	xd_zoneset_free(&zs);
	return ret;
}
