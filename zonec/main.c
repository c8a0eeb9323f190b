// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * xdpdns-zonec: check, compile, dump and query DNS zones for xdpdns.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <libknot/libknot.h>

#include <bpf/bpf.h>

#include "answer.h"
#include "cdb.h"
#include "cli.h"
#include "compile.h"
#include "dump.h"
#include "parse.h"
#include "pidfile.h"
#include "apply.h"
#include "pins.h"
#include "probe.h"
#include "xdpdns.h"
#include "xdpmaps.h"
#include "zone.h"

#define EXIT_BAD_INPUT 1

static const char *prog = "xdpdns-zonec";

static const char usage_main[] =
	"Usage: xdpdns-zonec COMMAND [OPTIONS] ...\n"
	"\n"
	"Check, compile and inspect DNS zones for xdpdns, the XDP fast path of\n"
	"an authoritative DNS node.\n"
	"\n"
	"Commands:\n"
	"  check    ZONE...            check zone files as a server must\n"
	"                              before serving them\n"
	"  compile  -o OUT ZONE...     compile zone files into OUT\n"
	"  dump     SOURCE...          print every compiled entry and the\n"
	"                              response it gives (canonical form)\n"
	"  answer   -n NAME SOURCE...  print the response to one query\n"
	"  apply    --dev IF SOURCE... load zones into the XDP fast path on\n"
	"                              IF, swapped in atomically\n"
	"  help     [COMMAND]          show help for a command\n"
	"\n"
	"ZONE is FILE or NAME=FILE: a master file (RFC 1035) read with Knot\n"
	"DNS's libzscanner. With NAME, NAME is the zone's name, its initial\n"
	"$ORIGIN and the apex it must have. With FILE alone the initial origin\n"
	"is the root and the apex is the owner of the file's first SOA record.\n"
	"$INCLUDE, $ORIGIN, $TTL and RFC 3597 unknown types (\\# syntax) work.\n"
	"Several zones can be given at once; each keeps its own apex.\n"
	"\n"
	"SOURCE is one compiled file (from 'compile') or ZONE arguments.\n"
	"\n"
	"Exit status: 0 success, 1 a zone or file was refused (the reasons,\n"
	"with file and line, are on standard error), 2 usage error.\n"
	"\n"
	"Run 'xdpdns-zonec help COMMAND' for the options of a command.\n";

static const char usage_check[] =
	"Usage: xdpdns-zonec check [-q] ZONE...\n"
	"\n"
	"Read and check every ZONE, then compile them in memory to prove they\n"
	"can be served. Nothing is written. Refused, with file, line and the\n"
	"offending record:\n"
	"  - syntax errors, classes other than IN, records outside the zone;\n"
	"  - no SOA at the apex, or several; SOA records below the apex;\n"
	"  - no NS records at the apex;\n"
	"  - CNAME beside other data (RRSIG and NSEC aside), several CNAMEs\n"
	"    at one name;\n"
	"  - data at or below a zone cut that is not glue (A/AAAA), NS at a\n"
	"    wildcard, DS at the apex, DNAME (not supported yet);\n"
	"  - the same zone given twice; an answer larger than 64 KiB.\n"
	"Signed zones (DNSSEC; xdpdns serves zones signed elsewhere) are\n"
	"refused when a validating resolver would find answers bogus or\n"
	"unprovable (signatures are not verified cryptographically):\n"
	"  - an authoritative RRset (not glue, not the NS of a delegation)\n"
	"    without an RRSIG whose signer is the apex and whose key tag and\n"
	"    algorithm are those of a DNSKEY at the apex (Zone Key flag set);\n"
	"  - a signature already expired or not valid yet (see --now);\n"
	"  - NSEC: a name without its one NSEC, a next name that is not the\n"
	"    next name of the zone in canonical order (the last NSEC naming\n"
	"    the apex), a type list unlike the data at its name;\n"
	"  - NSEC3: a hash algorithm other than SHA-1, iterations or salt\n"
	"    unlike the apex's NSEC3PARAM, a chain not closed in hash order,\n"
	"    a name (empty non-terminals too) without its NSEC3, except\n"
	"    insecure delegations that an opt-out NSEC3 covers, a type list\n"
	"    unlike the data;\n"
	"  - an NSEC3PARAM without NSEC3 records; NSEC and NSEC3 in one zone.\n"
	"Warned about, and served: RRsets whose records have different TTLs\n"
	"(all served with the lowest, RFC 2181 5.2), duplicate records\n"
	"(dropped), signatures that expire within --sig-warn days.\n"
	"\n"
	"Options:\n"
	"      --sig-warn DAYS  warn about signatures that expire within DAYS\n"
	"                       days (1 to 3650, default 7): the time left to\n"
	"                       re-sign and reload the zone before resolvers\n"
	"                       that validate stop accepting its answers\n"
	"      --now EPOCH      check signature dates as at EPOCH (seconds\n"
	"                       since 1970-01-01 UTC) rather than now; meant\n"
	"                       for tests\n"
	"  -q, --quiet          print nothing on success\n"
	"  -h, --help           show this help\n"
	"\n"
	"On success prints one line per zone: name, serial, record count.\n";

static const char usage_compile[] =
	"Usage: xdpdns-zonec compile [-q] -o OUT ZONE...\n"
	"\n"
	"Check and compile ZONEs into the compiled file OUT, the input of\n"
	"'xdpdns-zonec apply', xdpdns-server and 'dump'. The file is written\n"
	"to a temporary name and renamed over OUT only when complete: on any\n"
	"error OUT is left as it was. The format is described in\n"
	"docs/compiled-format.md. Zones are checked first and refused as\n"
	"'xdpdns-zonec help check' describes.\n"
	"\n"
	"Options:\n"
	"  -o, --output OUT  the compiled file to write (required)\n"
	"  -s, --sync        fsync OUT before renaming it into place, so it\n"
	"                    survives a power loss (without it, a crash can\n"
	"                    leave a damaged OUT, which every reader refuses\n"
	"                    by its checksum: compile again)\n"
	"      --sig-warn DAYS, --now EPOCH\n"
	"                    as for 'check': warn about signatures that\n"
	"                    expire within DAYS days (default 7); check\n"
	"                    signature dates as at EPOCH (for tests)\n"
	"  -q, --quiet       print nothing on success\n"
	"  -h, --help        show this help\n"
	"\n"
	"On success prints the zones, names, entries, templates and bytes.\n";

static const char usage_dump[] =
	"Usage: xdpdns-zonec dump [-o FILE] SOURCE...\n"
	"\n"
	"Print the canonical text form of a compiled database: per zone its\n"
	"serial and NXDOMAIN answer, then every entry in DNSSEC canonical\n"
	"name order. An entry is a name and a type ('*' is the name's default,\n"
	"for every type without an entry of its own); below it come the\n"
	"answer's kind, RCODE and flags, the sizes at which it can be cut when\n"
	"a client's buffer is small ('tc' marks cuts that set TC), and the\n"
	"response's records, one per line, tagged an/ns/ar by section. Owner\n"
	"names are shown as a query for the entry's own name receives them.\n"
	"\n"
	"Options:\n"
	"  -o, --output FILE  write to FILE instead of standard output\n"
	"  -h, --help         show this help\n";

static const char usage_apply[] =
	"Usage: xdpdns-zonec apply --dev IF [--force] [--hot FILE]\n"
	"                          [--server ADDR --server-pidfile FILE]\n"
	"                          SOURCE...\n"
	"\n"
	"Compile SOURCE (zone files, or one compiled file) and load the result\n"
	"into the XDP program attached to IF by 'xdpdns-loader attach'. The\n"
	"maps hold two generations: the one not served is filled, then one\n"
	"write makes it the served one, so every query sees the old zones or\n"
	"the new ones, never a mix. The zones given replace every zone served\n"
	"on IF (zones left out are removed).\n"
	"\n"
	"Refused, with the served zones left untouched: a zone that does not\n"
	"compile; a zone whose SOA serial is not greater than the one served\n"
	"(RFC 1982 serial arithmetic), unless --force; zones that do not fit\n"
	"the maps (attach with a larger --memory), unless --hot is given.\n"
	"Answers the fast path cannot give byte for byte (over its size\n"
	"limits) are left to xdpdns-server and counted as passed.\n"
	"\n"
	"With --hot FILE, zones that do not fit are loaded in part: the names\n"
	"listed in FILE first (one per line, hottest first, '#' starts a\n"
	"comment), then the others while they fit. Queries for names left\n"
	"out, and negative answers or wildcards that depend on them, go to\n"
	"xdpdns-server (counted as pass_miss and pass_partial): never a wrong\n"
	"answer.\n"
	"\n"
	"Options:\n"
	"  -d, --dev IF     the interface xdpdns is attached to (required)\n"
	"  -f, --force      load even when a serial did not increase\n"
	"  -H, --hot FILE   load these names first when not all fit\n"
	"  -s, --server ADDR, -P, --server-pidfile FILE\n"
	"                   update xdpdns-server too (its process id in\n"
	"                   FILE, ADDR[:PORT] one of its addresses): once the\n"
	"                   maps are filled, the server is told to reload\n"
	"                   (SIGHUP, sent only to the xdpdns-server that\n"
	"                   holds FILE's lock and whose pid FILE holds) and\n"
	"                   asked for each zone's SOA over TCP until it\n"
	"                   serves the new serials; then the XDP path\n"
	"                   switches, so both serve the same serial. If\n"
	"                   the server does not get there within --wait\n"
	"                   seconds (default 60), the XDP path is left on the\n"
	"                   old zones and apply fails. The server must be\n"
	"                   configured with the same zones.\n"
	"      --wait S     seconds to wait for the server (default 60;\n"
	"                   fractions allowed)\n"
	"  -q, --quiet      print nothing on success\n"
	"  -h, --help       this help\n"
	"\n"
	"Applies to one interface are serialised (a lock in its pin\n"
	"directory). Needs root.\n";

static const char usage_answer[] =
	"Usage: xdpdns-zonec answer [OPTIONS] -n NAME SOURCE...\n"
	"\n"
	"Build the query NAME/TYPE, answer it with the answer engine from\n"
	"SOURCE, and print the response as xdpdns-server and the XDP path\n"
	"send it: header, then records by section.\n"
	"\n"
	"Options:\n"
	"  -n, --name NAME    query name (case is kept, as a client sends it)\n"
	"  -t, --type TYPE    query type, mnemonic or number (default A)\n"
	"  -e, --edns SIZE    add an OPT record with this UDP size\n"
	"  -d, --do           set the DO bit (implies --edns 1232)\n"
	"      --tcp          answer as over TCP (no size limit)\n"
	"  -x, --hex          also print the response bytes in hex\n"
	"  -h, --help         show this help\n";

/* Load SOURCE arguments: one compiled file, or zone specs compiled now. */
static int load_source(char **args, int n, struct xd_cdb *db,
		       struct xd_compile_stats *stats)
{
	struct xd_diag d;

	xd_cdb_init(db);
	if (n == 1 && xd_cdb_is_compiled(args[0])) {
		const char *why = NULL;
		int r = xd_cdb_load(db, args[0], &why);
		if (r < 0) {
			fprintf(stderr, "%s: %s: %s\n", prog, args[0],
				why ? why : strerror(-r));
			return -1;
		}
		return 0;
	}
	xd_diag_init(&d, stderr);
	if (xd_compile_files(args, n, db, &d, stats) < 0) {
		xd_cdb_free(db);
		fprintf(stderr, "%s: refused: %u error(s), %u warning(s)\n",
			prog, d.errors, d.warnings);
		return -1;
	}
	return 0;
}

/* The options of check and compile about signed zones. */
enum { OPT_SIG_WARN = 0x100, OPT_NOW };

/* Take --sig-warn or --now into zs; false when c is neither. */
static bool sig_option(int c, struct xd_zoneset *zs, const char *usage)
{
	unsigned long v;

	switch (c) {
	case OPT_SIG_WARN:
		if (xd_parse_number(optarg, 1, 3650, &v) < 0)
			xd_usage_error(prog, usage,
				       "--sig-warn wants days from 1 to "
				       "3650, not '%s'",
				       optarg);
		zs->sig_warn_days = (unsigned)v;
		return true;
	case OPT_NOW:
		if (xd_parse_number(optarg, 1, (1ul << 40), &v) < 0)
			xd_usage_error(prog, usage,
				       "--now wants seconds since the epoch, "
				       "not '%s'",
				       optarg);
		zs->now = (int64_t)v;
		return true;
	}
	return false;
}

/* Read ZONE arguments (FILE or NAME=FILE) into zs. Returns 0, or -1 when
 * one was refused. */
static int load_zones(struct xd_zoneset *zs, char **specs, int n,
		      struct xd_diag *d)
{
	int bad = 0;

	for (int i = 0; i < n; i++) {
		char *eq = strchr(specs[i], '=');
		if (eq && eq != specs[i]) {
			*eq = '\0';
			bad |= xd_zoneset_load_file(zs, eq + 1, specs[i], d);
			*eq = '=';
		} else {
			bad |= xd_zoneset_load_file(zs, specs[i], NULL, d);
		}
	}
	return bad ? -1 : 0;
}

static int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "sig-warn", required_argument, NULL, OPT_SIG_WARN },
		{ "now", required_argument, NULL, OPT_NOW },
		{ 0 },
	};
	struct xd_zoneset zs;
	bool quiet = false;
	int c;

	xd_zoneset_init(&zs);
	while ((c = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
		if (sig_option(c, &zs, usage_check))
			continue;
		switch (c) {
		case 'q':
			quiet = true;
			break;
		case 'h':
			fputs(usage_check, stdout);
			return 0;
		default:
			fprintf(stderr, "\n%s", usage_check);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		xd_usage_error(prog, usage_check, "%s", "no zone file given");

	struct xd_diag d;
	int bad = 0;
	xd_diag_init(&d, stderr);
	bad |= load_zones(&zs, argv + optind, argc - optind, &d);
	bad |= xd_zoneset_check(&zs, &d);
	if (!bad) {
		struct xd_cdb db;
		xd_cdb_init(&db);
		db.no_index = true;
		bad |= xd_compile(&zs, &db, &d, NULL);
		xd_cdb_free(&db);
	}
	if (bad) {
		fprintf(stderr, "%s: refused: %u error(s), %u warning(s)\n",
			prog, d.errors, d.warnings);
	} else if (!quiet) {
		char name[XD_DNAME_STR_MAX];
		for (struct xd_zone *z = zs.zones; z; z = z->next)
			printf("%s serial %u, %zu records: ok\n",
			       xd_dname_str(z->apex, name), z->serial,
			       z->nrecords);
		if (d.warnings)
			printf("%u warning(s)\n", d.warnings);
	}
	xd_zoneset_free(&zs);
	return bad ? EXIT_BAD_INPUT : 0;
}

static int cmd_compile(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "sync", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "sig-warn", required_argument, NULL, OPT_SIG_WARN },
		{ "now", required_argument, NULL, OPT_NOW },
		{ 0 },
	};
	struct xd_zoneset zs;
	const char *out = NULL;
	bool quiet = false, sync = false;
	int c;

	xd_zoneset_init(&zs);
	while ((c = getopt_long(argc, argv, "o:qsh", opts, NULL)) != -1) {
		if (sig_option(c, &zs, usage_compile))
			continue;
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 's':
			sync = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			fputs(usage_compile, stdout);
			return 0;
		default:
			fprintf(stderr, "\n%s", usage_compile);
			return EXIT_USAGE;
		}
	}
	if (!out)
		xd_usage_error(prog, usage_compile, "%s", "-o OUT is required");
	if (optind >= argc)
		xd_usage_error(prog, usage_compile, "%s", "no zone file given");

	struct xd_cdb db;
	struct xd_compile_stats st = { 0 };
	struct xd_diag d;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	xd_cdb_init(&db);
	db.no_index = true; /* written out, not queried */
	xd_diag_init(&d, stderr);
	int bad = load_zones(&zs, argv + optind, argc - optind, &d);
	if (xd_zoneset_check(&zs, &d) < 0)
		bad = -1;
	if (!bad)
		bad = xd_compile(&zs, &db, &d, &st);
	xd_zoneset_free(&zs);
	if (bad < 0) {
		fprintf(stderr,
			"%s: refused: %u error(s), %u warning(s); %s "
			"not written\n",
			prog, d.errors, d.warnings, out);
		xd_cdb_free(&db);
		return EXIT_BAD_INPUT;
	}
	int r = xd_cdb_write(&db, out, sync);
	xd_cdb_free(&db);
	if (r < 0) {
		fprintf(stderr, "%s: cannot write %s: %s\n", prog, out,
			strerror(-r));
		return EXIT_BAD_INPUT;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!quiet) {
		struct rusage ru;
		getrusage(RUSAGE_SELF, &ru);
		printf("%s: %zu zone(s), %zu names, %zu entries, %zu "
		       "templates (%zu bytes) in %.3f s, peak RSS %ld KiB\n",
		       out, st.zones, st.names, st.entries, st.templates,
		       st.template_bytes,
		       (double)(t1.tv_sec - t0.tv_sec) +
			       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		       ru.ru_maxrss);
		if (d.warnings)
			printf("%u warning(s)\n", d.warnings);
	}
	return 0;
}

static int cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *out = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'h':
			fputs(usage_dump, stdout);
			return 0;
		default:
			fprintf(stderr, "\n%s", usage_dump);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		xd_usage_error(prog, usage_dump, "%s", "no source given");
	struct xd_cdb db;
	if (load_source(argv + optind, argc - optind, &db, NULL) < 0)
		return EXIT_BAD_INPUT;
	FILE *f = out ? fopen(out, "w") : stdout;
	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", prog, out, strerror(errno));
		xd_cdb_free(&db);
		return EXIT_BAD_INPUT;
	}
	int r = xd_dump(&db, f);
	if (out && fclose(f) != 0)
		r = -1;
	xd_cdb_free(&db);
	if (r < 0) {
		fprintf(stderr, "%s: dump failed\n", prog);
		return EXIT_BAD_INPUT;
	}
	return 0;
}

static int cmd_answer(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "type", required_argument, NULL, 't' },
		{ "edns", required_argument, NULL, 'e' },
		{ "do", no_argument, NULL, 'd' },
		{ "tcp", no_argument, NULL, 'T' },
		{ "hex", no_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *name = NULL, *type = "A";
	long edns = -1;
	bool do_bit = false, tcp = false, hex = false;
	int c;

	while ((c = getopt_long(argc, argv, "n:t:e:dxh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 't':
			type = optarg;
			break;
		case 'e': {
			unsigned long v;
			if (xd_parse_number(optarg, 0, 65535, &v) < 0)
				xd_usage_error(prog, usage_answer,
					       "bad EDNS size '%s'", optarg);
			edns = (long)v;
			break;
		}
		case 'd':
			do_bit = true;
			break;
		case 'T':
			tcp = true;
			break;
		case 'x':
			hex = true;
			break;
		case 'h':
			fputs(usage_answer, stdout);
			return 0;
		default:
			fprintf(stderr, "\n%s", usage_answer);
			return EXIT_USAGE;
		}
	}
	if (!name)
		xd_usage_error(prog, usage_answer, "%s", "-n NAME is required");
	if (optind >= argc)
		xd_usage_error(prog, usage_answer, "%s", "no source given");
	uint16_t qtype;
	if (knot_rrtype_from_string(type, &qtype) != 0) {
		unsigned long v;
		if (xd_parse_number(type, 0, 65535, &v) < 0)
			xd_usage_error(prog, usage_answer, "unknown type '%s'",
				       type);
		qtype = (uint16_t)v;
	}
	uint8_t wire[XD_DNAME_MAX];
	if (!knot_dname_from_str(wire, name, sizeof(wire)))
		xd_usage_error(prog, usage_answer, "bad name '%s'", name);
	if (do_bit && edns < 0)
		edns = XD_EDNS_MAX_UDP;

	uint8_t q[512], out[65536];
	size_t nlen = xd_dname_len(wire), len = 12;
	memset(q, 0, 12);
	q[0] = 0x12;
	q[1] = 0x34;
	q[5] = 1; /* QDCOUNT */
	memcpy(q + len, wire, nlen);
	len += nlen;
	q[len++] = (uint8_t)(qtype >> 8);
	q[len++] = (uint8_t)qtype;
	q[len++] = 0;
	q[len++] = 1;
	if (edns >= 0) {
		const uint8_t opt[11] = { 0,
					  0,
					  41,
					  (uint8_t)(edns >> 8),
					  (uint8_t)edns,
					  0,
					  0,
					  do_bit ? 0x80 : 0,
					  0,
					  0,
					  0 };
		memcpy(q + len, opt, sizeof(opt));
		len += sizeof(opt);
		q[11] = 1; /* ARCOUNT */
	}

	struct xd_cdb db;
	if (load_source(argv + optind, argc - optind, &db, NULL) < 0)
		return EXIT_BAD_INPUT;
	struct xd_answer_opts ao = { .tcp = tcp };
	struct xd_answer_info info = { 0 };
	size_t n = xd_answer(&db, q, len, out, sizeof(out), &ao, &info);
	if (!n) {
		printf("no response\n");
	} else {
		printf(";; %s, %s, %zu bytes, flags:%s%s%s%s, "
		       "an %u ns %u ar %u\n",
		       xd_rcode_str(info.rcode),
		       info.kind ? xd_kind_str(info.kind) : "error", n,
		       (out[2] & XD_FLAGS1_AA) ? " aa" : "",
		       (out[2] & XD_FLAGS1_TC) ? " tc" : "",
		       (out[2] & XD_FLAGS1_RD) ? " rd" : "",
		       (out[3] & XD_FLAGS2_CD) ? " cd" : "",
		       out[6] << 8 | out[7], out[8] << 8 | out[9],
		       out[10] << 8 | out[11]);
		xd_print_response(out, n, "", stdout);
		if (hex) {
			for (size_t i = 0; i < n; i++)
				printf("%02x%s", out[i],
				       (i % 16 == 15 || i == n - 1) ? "\n" :
								      " ");
		}
	}
	xd_cdb_free(&db);
	return 0;
}

/* The names of a hot list file, lowercase wire form. */
struct hot_list {
	uint8_t **names;
	size_t n, cap;
};

static void hot_free(struct hot_list *h)
{
	for (size_t i = 0; i < h->n; i++)
		free(h->names[i]);
	free(h->names);
	memset(h, 0, sizeof(*h));
}

static int read_hot(const char *path, struct hot_list *h)
{
	FILE *f = fopen(path, "r");
	char line[1100];
	unsigned lineno = 0;

	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		char *p = line + strspn(line, " \t\r\n");
		p[strcspn(p, " \t\r\n")] = 0;
		if (!*p)
			continue;
		uint8_t wire[XD_DNAME_MAX];
		if (!knot_dname_from_str(wire, p, sizeof(wire))) {
			fprintf(stderr, "%s: %s:%u: not a domain name: %s\n",
				prog, path, lineno, p);
			fclose(f);
			hot_free(h);
			return -1;
		}
		knot_dname_to_lower(wire);
		if (h->n == h->cap) {
			size_t nc = h->cap ? 2 * h->cap : 256;
			uint8_t **nn = realloc(h->names, nc * sizeof(*nn));
			if (!nn)
				goto oom;
			h->names = nn;
			h->cap = nc;
		}
		size_t len = knot_dname_size(wire);
		if (!(h->names[h->n] = malloc(len)))
			goto oom;
		memcpy(h->names[h->n++], wire, len);
	}
	fclose(f);
	return 0;
oom:
	fprintf(stderr, "%s: %s: out of memory\n", prog, path);
	fclose(f);
	hot_free(h);
	return -1;
}

/* Whether pid runs an xdpdns-server (its executable's name, also when
 * the file was replaced by an upgrade since it started); what it runs in
 * exe. */
static bool runs_server(pid_t pid, char *exe, size_t len)
{
	static const char deleted[] = " (deleted)";
	char path[64];

	snprintf(path, sizeof(path), "/proc/%ld/exe", (long)pid);
	ssize_t n = readlink(path, exe, len - 1);
	if (n < 0) {
		snprintf(exe, len, "%s unreadable: %s", path, strerror(errno));
		return false;
	}
	exe[n] = 0;
	size_t k = (size_t)n, d = sizeof(deleted) - 1;
	char name[PATH_MAX];
	snprintf(name, sizeof(name), "%.*s",
		 (int)(k > d && !strcmp(exe + k - d, deleted) ? k - d : k),
		 exe);
	const char *base = strrchr(name, '/');
	return !strcmp(base ? base + 1 : name, "xdpdns-server");
}

/*
 * The xdpdns-server that pidfile names, held by a pidfd: the file is
 * root's (or the caller's), the process holding its write lock (only one
 * that may write the file can take it) is the one its content names, and
 * that process's executable is xdpdns-server. Whoever else rewrites or
 * replaces the file cannot redirect the signal. Returns the pidfd, or -1
 * with the reason in why.
 */
static int server_pidfd(const char *pidfile, char *why, size_t len)
{
	int fd = open(pidfile, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	char text[32] = "", exe[PATH_MAX + 64];
	pid_t holder;
	int pfd = -1;

	if (fd < 0 && errno != ENOENT) {
		snprintf(why, len, "cannot open %s: %s", pidfile,
			 strerror(errno));
		return -1;
	}
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_uid != 0 &&
	    st.st_uid != geteuid()) {
		snprintf(why, len,
			 "%s belongs to uid %u, not root: a pid file another "
			 "user could write is not trusted (the server writes "
			 "it as root)",
			 pidfile, (unsigned)st.st_uid);
		goto out;
	}
	holder = fd < 0 ? 0 : xd_pidfile_holder(fd);
	if (holder <= 0) {
		if (holder < 0)
			snprintf(why, len, "cannot test the lock on %s: %s",
				 pidfile, strerror(-holder));
		else
			snprintf(why, len,
				 "no xdpdns-server holds %s: is it running?",
				 pidfile);
		goto out;
	}
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
	char *end;
	long named = n > 0 ? strtol(text, &end, 10) : 0;
	if (n <= 0 || end == text || (*end && *end != '\n') ||
	    named != (long)holder) {
		snprintf(why, len,
			 "%s does not name pid %ld, which holds its lock: "
			 "refusing to signal anything",
			 pidfile, (long)holder);
		goto out;
	}
	/* The process held from here on; still the lock's holder, so not
	 * another process given the same pid meanwhile. */
	pfd = pidfd_open(holder, 0);
	if (pfd < 0 && errno != ESRCH) {
		snprintf(why, len,
			 "cannot open process %ld (pidfd_open needs Linux "
			 "5.3): %s",
			 (long)holder, strerror(errno));
		goto out;
	}
	if (pfd < 0 || xd_pidfile_holder(fd) != holder) {
		snprintf(why, len, "no xdpdns-server holds %s: is it running?",
			 pidfile);
		goto out;
	}
	if (!runs_server(holder, exe, sizeof(exe))) {
		snprintf(why, len,
			 "the process holding %s (pid %ld) is not an "
			 "xdpdns-server (%s)",
			 pidfile, (long)holder, exe);
		goto out;
	}
	close(fd);
	return pfd;
out:
	if (pfd >= 0)
		close(pfd);
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Tell the server to reload and wait until it serves db's serials. */
static int server_reload(const char *pidfile, const struct sockaddr_storage *ss,
			 socklen_t len, const struct xd_cdb *db, double wait_s,
			 const char **why)
{
	static char reason[PATH_MAX + 256];
	int pfd = server_pidfd(pidfile, reason, sizeof(reason));

	*why = reason;
	if (pfd < 0)
		return -1;
	if (pidfd_send_signal(pfd, SIGHUP, NULL, 0) < 0) {
		close(pfd);
		*why = errno == ESRCH ? "it stopped before it was signalled" :
					"cannot signal it";
		return -1;
	}
	close(pfd);
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	size_t done = 0;
	while (done < db->nzones) {
		uint32_t serial;
		const uint8_t *apex = xd_cdb_name(db, db->zones[done].apex);
		char no[128];
		double rtt;
		if (hp_tcp_soa(ss, len, apex, 2.0, &serial, &rtt, no,
			       sizeof(no)) == 0 &&
		    serial == db->zones[done].serial) {
			done++;
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((double)(now.tv_sec - t0.tv_sec) +
			    (double)(now.tv_nsec - t0.tv_nsec) / 1e9 >
		    wait_s) {
			*why = "it did not serve the new serials in time (are "
			       "its zones the same?)";
			return -1;
		}
		usleep(50000);
	}
	return 0;
}

/* What the server's reload needs, for xd_apply()'s step before the
 * switch. */
struct reload {
	const char *pidfile;
	struct sockaddr_storage ss;
	socklen_t len;
	const struct xd_cdb *db;
	double wait_s;
};

static int reload_step(void *arg, const char **why)
{
	struct reload *r = arg;

	return server_reload(r->pidfile, &r->ss, r->len, r->db, r->wait_s, why);
}

/* What apply did, zone by zone (not with --quiet). */
static void print_zones(const struct xd_apply_report *rep)
{
	for (size_t i = 0; i < rep->nzones; i++) {
		const struct xd_apply_zone *z = &rep->zones[i];
		char name[XD_DNAME_STR_MAX];
		xd_dname_str(z->name, name);
		switch (z->state) {
		case XD_APPLY_REMOVED:
			printf("  zone %s removed\n", name);
			break;
		case XD_APPLY_NEW:
			printf("  zone %s serial %u (new)\n", name, z->serial);
			break;
		case XD_APPLY_UNCHANGED:
			printf("  zone %s serial %u (unchanged)\n", name,
			       z->serial);
			break;
		default:
			printf("  zone %s serial %u (was %u)\n", name,
			       z->serial, z->served);
			break;
		}
	}
}

static int cmd_apply(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "force", no_argument, NULL, 'f' },
		{ "hot", required_argument, NULL, 'H' },
		{ "server", required_argument, NULL, 's' },
		{ "server-pidfile", required_argument, NULL, 'P' },
		{ "wait", required_argument, NULL, 'W' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dev = NULL, *hot = NULL, *server = NULL, *pidfile = NULL;
	bool force = false, quiet = false;
	double wait_s = 60;
	int c;

	while ((c = getopt_long(argc, argv, "d:fH:s:P:qh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			server = optarg;
			break;
		case 'P':
			pidfile = optarg;
			break;
		case 'W':
			if (xd_parse_seconds(optarg, 0.001, 3600, &wait_s) < 0)
				xd_usage_error(prog, usage_apply,
					       "--wait wants seconds, not '%s'",
					       optarg);
			break;
		case 'H':
			hot = optarg;
			break;
		case 'd':
			dev = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			fputs(usage_apply, stdout);
			return 0;
		default:
			fprintf(stderr, "\n%s", usage_apply);
			return EXIT_USAGE;
		}
	}
	if (!dev)
		xd_usage_error(prog, usage_apply, "%s", "--dev IF is required");
	if (optind >= argc)
		xd_usage_error(prog, usage_apply, "%s", "no source given");
	if (!server != !pidfile)
		xd_usage_error(prog, usage_apply, "%s",
			       "--server and --server-pidfile go together");
	struct sockaddr_storage srv = { 0 };
	socklen_t srvlen = 0;
	if (server && xd_parse_sockaddr(server, &srv, &srvlen) < 0)
		xd_usage_error(prog, usage_apply, "bad server address '%s'",
			       server);

	/* The hot list and the zones first: bad input never touches the
	 * maps. */
	struct hot_list hl = { 0 };
	if (hot && read_hot(hot, &hl) < 0) {
		fprintf(stderr, "%s: nothing applied to %s\n", prog, dev);
		return EXIT_BAD_INPUT;
	}
	struct xd_cdb db;
	if (load_source(argv + optind, argc - optind, &db, NULL) < 0) {
		fprintf(stderr, "%s: nothing applied to %s\n", prog, dev);
		hot_free(&hl);
		return EXIT_BAD_INPUT;
	}
	struct xd_pins p;
	const char *why = NULL;
	int r = xd_pins_open(&p, dev, true, &why);
	if (r < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, dev, why);
		xd_cdb_free(&db);
		hot_free(&hl);
		return EXIT_BAD_INPUT;
	}

	struct reload rl = { pidfile, srv, srvlen, &db, wait_s };
	struct xd_apply_opts ao = {
		.force = force,
		.hot = hot ? (const uint8_t *const *)hl.names : NULL,
		.nhot = hl.n,
		.before_switch = pidfile ? reload_step : NULL,
		.arg = &rl,
	};
	struct xd_apply_report rep;
	r = xd_apply(&p, &db, &ao, &rep, &why);
	int status = r < 0 ? EXIT_BAD_INPUT : 0;
	if ((rep.refused_serial || force) && rep.zones) {
		/* Each serial that does not move forward, named. */
		for (size_t i = 0; i < rep.nzones; i++) {
			const struct xd_apply_zone *z = &rep.zones[i];
			char name[XD_DNAME_STR_MAX];
			if (z->state != XD_APPLY_OLD_SERIAL &&
			    z->state != XD_APPLY_FORCED)
				continue;
			xd_dname_str(z->name, name);
			fprintf(stderr,
				"%s: %s: zone %s: serial %u is not greater "
				"than the %u served (RFC 1982)%s\n",
				prog, dev, name, z->serial, z->served,
				force ? "; loaded anyway (--force)" :
					"; use --force to load it anyway");
		}
	}
	if (rep.refused_serial)
		fprintf(stderr, "%s: nothing applied to %s\n", prog, dev);
	else if (r < 0 && rep.step && !strcmp(rep.step, "fill"))
		fprintf(stderr,
			"%s: %s: %s%s; nothing changed in what is served\n",
			prog, dev, why ? why : strerror(-r),
			r == -ENOSPC ? " (xdpdns-loader attach --memory sets "
				       "the size)" :
				       "");
	else if (r < 0 && rep.step && !strcmp(rep.step, "server"))
		fprintf(stderr,
			"%s: %s: xdpdns-server: %s; the XDP path keeps the "
			"zones it served\n",
			prog, dev, why);
	else if (r < 0)
		fprintf(stderr, "%s: %s: %s: %s\n", prog, dev,
			why ? why : "cannot apply", strerror(-r));
	if (r == 0 && !quiet) {
		print_zones(&rep);
		if (hot)
			printf("  hot list: %zu name(s) found, %zu not in these "
			       "zones\n",
			       rep.fill.hot_found, rep.fill.hot_unknown);
		if (rep.fill.skipped)
			printf("  over capacity: %zu name(s) not loaded "
			       "(answered by xdpdns-server), %zu loaded "
			       "name(s) pass what is below them\n",
			       rep.fill.skipped, rep.fill.partial);
		printf("%s: applied to %s: %zu zone(s), %zu names, %zu "
		       "templates (%zu answers left to the server), "
		       "generation %u now served\n",
		       prog, dev, db.nzones, rep.fill.names, rep.fill.templates,
		       rep.fill.passed, rep.gen);
		if (pidfile)
			printf("%s: xdpdns-server at %s serves the same "
			       "serials\n",
			       prog, server);
	}
	xd_apply_report_free(&rep);
	xd_pins_close(&p);
	xd_cdb_free(&db);
	hot_free(&hl);
	return status;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_main, stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") ||
	    (!strcmp(cmd, "help") && argc == 2)) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version")) {
		printf("xdpdns-zonec (xdpdns) compiled-format %u\n",
		       XD_CDB_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "help")) {
		const char *t = argv[2];
		const char *u = !strcmp(t, "check")   ? usage_check :
				!strcmp(t, "compile") ? usage_compile :
				!strcmp(t, "dump")    ? usage_dump :
				!strcmp(t, "answer")  ? usage_answer :
				!strcmp(t, "apply")   ? usage_apply :
							NULL;
		if (!u)
			xd_usage_error(prog, usage_main, "no command '%s'", t);
		fputs(u, stdout);
		return 0;
	}
	int sub_argc = argc - 1;
	char **sub_argv = argv + 1;
	if (!strcmp(cmd, "check"))
		return cmd_check(sub_argc, sub_argv);
	if (!strcmp(cmd, "compile"))
		return cmd_compile(sub_argc, sub_argv);
	if (!strcmp(cmd, "dump"))
		return cmd_dump(sub_argc, sub_argv);
	if (!strcmp(cmd, "answer"))
		return cmd_answer(sub_argc, sub_argv);
	if (!strcmp(cmd, "apply"))
		return cmd_apply(sub_argc, sub_argv);
	xd_usage_error(prog, usage_main, "unknown command '%s'", cmd);
}
