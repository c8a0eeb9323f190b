/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The answer engine: from a query's bytes and the compiled database to the
 * response's bytes. xdpdns-server answers with it; the XDP program answers
 * the same queries from the same templates with the same lookup, so both
 * paths give byte-identical responses (docs/design.md, invariant 1).
 */
#ifndef XDPDNS_ANSWER_H
#define XDPDNS_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cdb.h"
#include "dname.h"
#include "dns.h"

#define XD_EDNS_MAX_UDP 1232 /* our UDP payload size (DNS flag day 2020) */
#define XD_UDP_MIN 512 /* RFC 1035 without EDNS */

/* A parsed query. Offsets are into the query's bytes. */
struct xd_query {
	uint16_t id;
	uint8_t opcode;
	bool rd, cd;
	uint16_t qdcount;
	bool has_question; /* exactly one question, well formed */
	size_t question_len; /* qname + type + class */
	uint8_t qname_len;
	uint8_t lname[XD_DNAME_MAX]; /* qname lowercased */
	uint16_t qtype, qclass;
	bool edns; /* one valid OPT record */
	uint16_t edns_size; /* requestor's UDP payload size */
	uint8_t edns_version;
	bool edns_do;
	bool tsig; /* a TSIG record is present */
	/* Options the server answers (the first of each): where their
	 * data starts in the query, and its length. */
	bool cookie, nsid;
	size_t cookie_at;
	uint16_t cookie_len;
};

enum xd_parse {
	XD_PARSE_OK, /* a query to answer */
	XD_PARSE_DROP, /* send nothing: not a query, or too short */
	XD_PARSE_FORMERR, /* malformed: answer FORMERR */
};

/* Parse pkt (len bytes) into q. */
enum xd_parse xd_query_parse(const uint8_t *pkt, size_t len,
			     struct xd_query *q);

/* What a DO=1 answer found through an ancestor must prove about the
 * query name itself (the template holds every other proof). */
enum xd_proof {
	XD_PROOF_NONE,
	XD_PROOF_NXDOMAIN, /* the name and the wildcard do not exist */
	XD_PROOF_WILDCARD, /* a wildcard answered: no closer match */
	XD_PROOF_WILDCARD_NODATA, /* same, the wildcard lacks the type */
};

/* Result of the lookup shared with the XDP program. */
struct xd_found {
	const struct xd_tmpl *tmpl; /* NULL: not in any zone (REFUSED) */
	uint32_t tmpl_off; /* its offset in the database */
	int delta; /* pointer relocation, bytes */
	bool via_walk; /* found through an ancestor */
	uint8_t proof; /* enum xd_proof: DO=1 lookups in signed zones */
	uint8_t ce_len; /* length of the closest encloser (via_walk) */
	uint32_t zone; /* index of the zone (via_walk) */
};

/*
 * Find the template answering (lowercase name, qtype): the entry for the
 * type, else the name's node entry, else the closest existing ancestor's
 * referral, wildcard or its zone's NXDOMAIN. dnssec: the query has DO=1,
 * take the DO templates. Returns false when the name is in no zone.
 */
bool xd_lookup(const struct xd_cdb *db, const uint8_t *lname, size_t nlen,
	       uint16_t qtype, bool dnssec, struct xd_found *out);

/*
 * The proof templates (offsets, at most 3) a DO=1 answer found through an
 * ancestor needs for the query name (f->proof), in the order they are
 * added to the authority section. Returns how many, or -1 when the zone's
 * chain has no record to prove it with.
 */
int xd_proofs(const struct xd_cdb *db, const struct xd_found *f,
	      const uint8_t *lname, size_t nlen, uint32_t out[3]);

/*
 * What a server adds to its responses besides the zones' data: NSID
 * (RFC 5001) for queries that ask for it, and DNS cookies (RFC 7873;
 * server cookies made and checked as RFC 9018 says): a query with a
 * client cookie gets it back with a server cookie (its own while valid
 * with the current secret and under half an hour old, a fresh one
 * otherwise); a malformed COOKIE option gets FORMERR.
 */
struct xd_server_edns {
	const char *nsid; /* NULL: none */
	size_t nsid_len;
	const uint8_t *secret; /* 16 bytes; NULL: cookies are ignored */
	const uint8_t *previous; /* still accepted; NULL: none */
	const uint8_t *client_ip; /* 4 or 16 bytes; NULL: no cookie given */
	size_t client_ip_len;
	uint32_t now; /* seconds since the epoch */
};

struct xd_answer_opts {
	bool tcp; /* no UDP size limit */
	uint16_t max_udp; /* our EDNS UDP size; 0 means XD_EDNS_MAX_UDP */
	const struct xd_server_edns *server; /* NULL: the zones' data only */
};

/* What was answered, for counters and tests. */
struct xd_answer_info {
	uint8_t rcode; /* full RCODE, extended included */
	uint8_t kind; /* enum xd_kind, 0 for errors */
	bool truncated;
	/* What response rate limiting counts this response under, with
	 * its kind: the name and type of an answer or NODATA, or the
	 * template of a wildcard's answer, a zone's NXDOMAIN or a
	 * delegation's referral (random names under one are one bucket,
	 * as BIND counts them); 0 for errors (counted per client). */
	uint64_t rrl_key;
	bool cookie; /* the query carried a COOKIE option */
	bool cookie_valid; /* with a server cookie of ours, in its lifetime */
	/* Where the response's question ends and its OPT record starts
	 * (0: none, always the last record): a caller cuts a response to a
	 * slip with them, without reading it again. */
	size_t question_end, opt_at;
};

/*
 * Answer the query in pkt into out (cap bytes, at least 65535 for TCP or
 * 4096 for UDP). Returns the response length, or 0 when nothing is sent.
 */
size_t xd_answer(const struct xd_cdb *db, const uint8_t *pkt, size_t len,
		 uint8_t *out, size_t cap, const struct xd_answer_opts *opts,
		 struct xd_answer_info *info);

/*
 * Render a response from a template (the splice the XDP program does):
 * header from the query, its question bytes, the longest cut of the
 * template that fits in limit, the OPT when the query had one.
 */
size_t xd_render(const struct xd_query *q, const uint8_t *question,
		 const struct xd_tmpl *t, int delta, size_t limit,
		 uint16_t our_udp, uint8_t *out, size_t cap,
		 struct xd_answer_info *info);

#endif
