/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * DNS protocol numbers (RFC 1035 and its successors), one header for the
 * XDP program and userspace alike.
 */
#ifndef XDPDNS_DNS_H
#define XDPDNS_DNS_H

#define XD_CLASS_IN 1
#define XD_CLASS_ANY 255

enum {
	XD_TYPE_A = 1,
	XD_TYPE_NS = 2,
	XD_TYPE_CNAME = 5,
	XD_TYPE_SOA = 6,
	XD_TYPE_PTR = 12,
	XD_TYPE_HINFO = 13,
	XD_TYPE_MX = 15,
	XD_TYPE_TXT = 16,
	XD_TYPE_AAAA = 28,
	XD_TYPE_SRV = 33,
	XD_TYPE_SVCB = 64,
	XD_TYPE_HTTPS = 65,
	XD_TYPE_DNAME = 39,
	XD_TYPE_OPT = 41,
	XD_TYPE_TSIG = 250,
	XD_TYPE_DS = 43,
	XD_TYPE_RRSIG = 46,
	XD_TYPE_NSEC = 47,
	XD_TYPE_DNSKEY = 48,
	XD_TYPE_NSEC3 = 50,
	XD_TYPE_NSEC3PARAM = 51,
	XD_TYPE_CAA = 257,
	XD_TYPE_IXFR = 251,
	XD_TYPE_AXFR = 252,
	XD_TYPE_ANY = 255,
};

/* RCODEs; over 15, the upper bits go in the OPT record (RFC 6891). */
enum xd_rcode {
	XD_RCODE_NOERROR = 0,
	XD_RCODE_FORMERR = 1,
	XD_RCODE_SERVFAIL = 2,
	XD_RCODE_NXDOMAIN = 3,
	XD_RCODE_NOTIMP = 4,
	XD_RCODE_REFUSED = 5,
	XD_RCODE_NOTAUTH = 9,
	XD_RCODE_BADVERS = 16, /* extended: 1 in the OPT, 0 in the header */
	XD_RCODE_BADCOOKIE = 23, /* extended: RFC 7873 */
};

#define XD_OPCODE_QUERY 0

/* The header's flags, in its third byte (flags1) and fourth (flags2). */
#define XD_FLAGS1_QR 0x80
#define XD_FLAGS1_OPCODE 0x78 /* the opcode, shifted 3 bits */
#define XD_FLAGS1_AA 0x04
#define XD_FLAGS1_TC 0x02
#define XD_FLAGS1_RD 0x01
#define XD_FLAGS2_CD 0x10
#define XD_FLAGS2_RCODE 0x0f

#define XD_DNS_HEADER 12 /* bytes */
#define XD_OPT_RR_LEN 11 /* an OPT record without options */
#define XD_EDNS_DO 0x8000 /* in the OPT's TTL field, low half */

/* EDNS options. */
#define XD_OPT_NSID 3 /* RFC 5001 */
#define XD_OPT_COOKIE 10 /* RFC 7873 */
#define XD_OPT_EDE 15 /* RFC 8914 */

#endif
