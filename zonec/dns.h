/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DNS protocol numbers used across xdpdns (RFC 1035 and successors). */
#ifndef XDPDNS_DNS_H
#define XDPDNS_DNS_H

#define XD_CLASS_IN 1

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
	XD_TYPE_DNAME = 39,
	XD_TYPE_OPT = 41,
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

#endif
