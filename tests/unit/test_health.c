// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * xdpdns-health's hysteresis and settings: when the prefix is announced
 * and withdrawn for sequences of good and failed rounds, and which
 * options and config files are accepted, with the message for each
 * refusal.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <unistd.h>
#include <cmocka.h>

#include <getopt.h>

#include "conf.h"
#include "hstate.h"

/* ---- the hysteresis ---------------------------------------------------- */

struct seq_case {
	const char *name;
	unsigned rise, fall;
	const char *rounds; /* g: good, b: failed */
	const char *states; /* after each round: s starting, A, W */
	const char *changes; /* after each round: 1 when the state changed */
};

static const struct seq_case seq_cases[] = {
	{ "announced after rise good rounds, not before", 3, 2, "ggg", "ssA",
	  "001" },
	{ "failures at start keep it unannounced", 2, 2, "bbbgg", "ssssA",
	  "00001" },
	{ "withdrawn after fall failed rounds in a row", 1, 3, "gbbb", "AAAW",
	  "1001" },
	{ "a good round resets the failures: flapping stays announced", 1, 2,
	  "gbgbgbg", "AAAAAAA", "1000000" },
	{ "a failed round resets the good run while withdrawn", 3, 1,
	  "gggbggbggg", "ssAWWWWWWA", "0011000001" },
	{ "rise and fall of one: every round decides", 1, 1, "gbgb", "AWAW",
	  "1111" },
	{ "long runs do not overflow the counters", 2, 2,
	  "ggggggggggbbbbbbbbbbgg",
	  "sAAAAAAAAA"
	  "AWWWWWWWWW"
	  "WA",
	  "0100000000"
	  "0100000000"
	  "01" },
};

static char state_letter(enum hs_state s)
{
	return s == HS_STARTING ? 's' : s == HS_ANNOUNCED ? 'A' : 'W';
}

static void test_sequences(void **state)
{
	for (size_t i = 0; i < sizeof(seq_cases) / sizeof(seq_cases[0]); i++) {
		const struct seq_case *c = &seq_cases[i];
		struct hs_machine m;
		char got[64] = "", changed[64] = "";
		hs_machine_init(&m, c->rise, c->fall);
		for (size_t k = 0; c->rounds[k]; k++) {
			bool ch = hs_feed(&m, c->rounds[k] == 'g');
			got[k] = state_letter(m.state);
			changed[k] = ch ? '1' : '0';
		}
		if (strcmp(got, c->states) || strcmp(changed, c->changes))
			fail_msg("%s: states %s (want %s), changes %s (want "
				 "%s)",
				 c->name, got, c->states, changed, c->changes);
	}
}

static void test_announced_only_when_announced(void **state)
{
	struct hs_machine m;

	hs_machine_init(&m, 1, 1);
	assert_false(hs_announced(&m));
	assert_string_equal(hs_state_name(m.state), "starting");
	hs_feed(&m, true);
	assert_true(hs_announced(&m));
	assert_string_equal(hs_state_name(m.state), "announced");
	hs_feed(&m, false);
	assert_false(hs_announced(&m));
	assert_string_equal(hs_state_name(m.state), "withdrawn");
}

/* ---- options ----------------------------------------------------------- */

struct opt_case {
	const char *name, *value;
	int rc; /* 0, -1 bad value, -2 unknown */
};

static const struct opt_case opt_cases[] = {
	{ "dev", "eth0", 0 },
	{ "dev", "", -1 },
	{ "dev", "a-name-longer-than-15", -1 },
	{ "dev", "a/b", -1 },
	{ "announce-dev", "xdpdns0", 0 },
	{ "service", "198.18.100.53", 0 },
	{ "service", "198.18.100.53/32", 0 },
	{ "service", "198.18.100.0/24", -1 }, /* only host prefixes */
	{ "service", "2001:db8::53/128", 0 },
	{ "service", "2001:db8::53/64", -1 },
	{ "service", "not-an-address", -1 },
	{ "server", "127.0.0.1", 0 },
	{ "server", "127.0.0.1:5353", 0 },
	{ "server", "[2001:db8::1]:53", 0 },
	{ "server", "2001:db8::1", 0 },
	{ "server", "127.0.0.1:0", -1 },
	{ "server", "127.0.0.1:65536", -1 },
	{ "server", "[2001:db8::1]x", -1 },
	{ "zone", "example.test.", 0 },
	{ "zone", "example.test", 0 },
	{ "zone", "", -1 },
	{ "interval", "0.2", 0 },
	{ "interval", "0.01", -1 },
	{ "interval", "1s", -1 },
	{ "interval", "nan", -1 },
	{ "timeout", "0.5", 0 },
	{ "timeout", "-1", -1 },
	{ "max-latency", "0.1", 0 },
	{ "fall", "3", 0 },
	{ "fall", "0", -1 },
	{ "rise", "1000", 0 },
	{ "rise", "1001", -1 },
	{ "rise", "2x", -1 },
	{ "withdraw-on-exit", "no", 0 },
	{ "withdraw-on-exit", "maybe", -1 },
	{ "state-file", "/run/xdpdns/x.state", 0 },
	{ "bogus", "1", -2 },
};

static void test_options(void **state)
{
	for (size_t i = 0; i < sizeof(opt_cases) / sizeof(opt_cases[0]); i++) {
		const struct opt_case *c = &opt_cases[i];
		struct hs_config cfg;
		const char *why = NULL;
		hs_config_defaults(&cfg);
		int rc = hs_set_option(&cfg, c->name, c->value, &why);
		if (rc != c->rc)
			fail_msg("%s = '%s': %d, want %d", c->name, c->value,
				 rc, c->rc);
		if (rc == -1 && !why)
			fail_msg("%s = '%s': refused without saying why",
				 c->name, c->value);
	}
}

/* A zone's apex is kept as given and in lowercase wire form, converted
 * once when the option is set (the checks compare and send the latter). */
static void test_zone_kept_in_wire_form(void **state)
{
	static const char *given[] = { "Example.TEST.", "example.test" };
	static const uint8_t wire[] = "\7example\4test";
	struct hs_config c;
	const char *why;

	hs_config_defaults(&c);
	for (int i = 0; i < 2; i++)
		assert_int_equal(hs_set_option(&c, "zone", given[i], &why), 0);
	assert_int_equal(c.nzones, 2);
	for (int i = 0; i < 2; i++) {
		assert_string_equal(c.zones[i], given[i]);
		assert_memory_equal(c.zone_apex[i], wire, sizeof(wire));
	}
}

static void test_defaults(void **state)
{
	struct hs_config c;
	const struct sockaddr_in *s4 = (const void *)&c.server;

	hs_config_defaults(&c);
	assert_true(c.interval_s == 1.0 && c.timeout_s == 0.5 &&
		    c.max_latency_s == 0.25);
	assert_int_equal(c.fall, 3);
	assert_int_equal(c.rise, 5);
	assert_true(c.withdraw_on_exit);
	assert_int_equal(s4->sin_family, AF_INET);
	assert_int_equal(ntohs(s4->sin_port), 53);
	assert_int_equal(ntohl(s4->sin_addr.s_addr), INADDR_LOOPBACK);
}

static void config_from(const char *text, struct hs_config *c, int *rc,
			char *err, size_t errlen, char *path)
{
	strcpy(path, "/tmp/xdpdns-health-test-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	hs_config_defaults(c);
	*rc = hs_read_config(c, path, err, errlen);
	unlink(path);
}

static void test_config_file(void **state)
{
	struct hs_config c;
	char err[512], path[64];
	int rc;

	config_from("# a node\n"
		    "dev = eth0\n"
		    "announce-dev=xdpdns0   # the dummy\n"
		    "service = 198.18.100.53\n"
		    "service = 2001:db8:100::53/128\n"
		    "\n"
		    "  interval = 0.5 \n"
		    "fall = 2\n"
		    "rise = 4\n"
		    "server = [::1]:5353\n",
		    &c, &rc, err, sizeof(err), path);
	assert_int_equal(rc, 0);
	assert_string_equal(c.dev, "eth0");
	assert_string_equal(c.announce_dev, "xdpdns0");
	assert_int_equal(c.nservice, 2);
	assert_int_equal(c.service[0].family, AF_INET);
	assert_int_equal(c.service[1].family, AF_INET6);
	assert_true(c.interval_s == 0.5);
	assert_int_equal(c.fall, 2);
	assert_int_equal(c.rise, 4);
	assert_int_equal(c.server.ss_family, AF_INET6);
	const char *why;
	assert_int_equal(hs_config_check(&c, &why), 0);
}

struct bad_file {
	const char *text, *message; /* message after "PATH:" */
};

static const struct bad_file bad_files[] = {
	{ "dev = eth0\nnonsense\n", ":2: expected 'name = value'" },
	{ "colour = blue\n", ":1: unknown option 'colour'" },
	{ "\n\nfall = 0\n", ":3: bad fall '0': expected a count, 1 to 1000" },
	{ "service = 198.18.0.0/15\n",
	  ":1: bad service '198.18.0.0/15': expected an IPv4 or IPv6 address, "
	  "optionally /32 or /128 (at most 16)" },
};

static void test_config_file_refused(void **state)
{
	for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		struct hs_config c;
		char err[512], path[64], want[600];
		int rc;
		config_from(bad_files[i].text, &c, &rc, err, sizeof(err), path);
		assert_int_equal(rc, -1);
		snprintf(want, sizeof(want), "%s%s", path,
			 bad_files[i].message);
		assert_string_equal(err, want);
	}
	struct hs_config c;
	char err[512];
	hs_config_defaults(&c);
	assert_int_equal(hs_read_config(&c, "/nonexistent/health.conf", err,
					sizeof(err)),
			 -1);
	assert_string_equal(
		err, "/nonexistent/health.conf: No such file or directory");
}

struct check_case {
	const char *options[8][2];
	const char *why; /* NULL: accepted */
};

static const struct check_case check_cases[] = {
	{ { { "announce-dev", "d0" }, { "service", "198.18.0.1" } },
	  "--dev IF is required (the interface xdpdns is attached to)" },
	{ { { "dev", "eth0" }, { "service", "198.18.0.1" } },
	  "--announce-dev IF is required (the dummy interface BIRD exports)" },
	{ { { "dev", "eth0" }, { "announce-dev", "d0" } },
	  "at least one --service ADDR is required" },
	{ { { "dev", "eth0" },
	    { "announce-dev", "d0" },
	    { "service", "198.18.0.1" },
	    { "interval", "0.5" },
	    { "timeout", "0.6" } },
	  "--timeout must not exceed --interval" },
	{ { { "dev", "eth0" },
	    { "announce-dev", "d0" },
	    { "service", "198.18.0.1" },
	    { "timeout", "0.2" },
	    { "max-latency", "0.3" } },
	  "--max-latency must not exceed --timeout" },
	{ { { "dev", "eth0" },
	    { "announce-dev", "eth0" },
	    { "service", "198.18.0.1" } },
	  "--announce-dev must be a dummy interface, not --dev" },
	{ { { "dev", "eth0" },
	    { "announce-dev", "lo" },
	    { "service", "198.18.0.1" } },
	  NULL },
};

static void test_config_check(void **state)
{
	for (size_t i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]);
	     i++) {
		const struct check_case *k = &check_cases[i];
		struct hs_config c;
		const char *why = NULL;
		hs_config_defaults(&c);
		for (int o = 0; o < 8 && k->options[o][0]; o++)
			assert_int_equal(hs_set_option(&c, k->options[o][0],
						       k->options[o][1], &why),
					 0);
		int rc = hs_config_check(&c, &why);
		if (!k->why) {
			assert_int_equal(rc, 0);
			continue;
		}
		assert_int_equal(rc, -1);
		assert_string_equal(why, k->why);
	}
}

/* xd_conf_each()'s reader for the test: keeps the paths; fails (-7) at
 * the one named "stop". */
struct seen {
	const char *p[8];
	int n;
};

static int keep_path(void *ctx, const char *path)
{
	struct seen *s = ctx;

	if (s->n < 8)
		s->p[s->n] = path;
	s->n++;
	return strcmp(path, "stop") ? 0 : -7;
}

/* The config files of a command line: every form getopt takes, in
 * order, not an option's argument that looks like one nor an operand
 * after --; and the tool's own pass afterwards sees the whole line from
 * the start, its operands in order. */
static void test_conf_paths(void **state)
{
	(void)state;
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "dev", required_argument, NULL, 'd' },
		{ "check", no_argument, NULL, 3 },
		{ 0 },
	};
	char *argv[] = { "prog",
			 "-ca.conf",
			 "--conf",
			 "b.conf",
			 "-d",
			 "-c",
			 "--con=c.conf",
			 "zone",
			 "--config",
			 "d.conf",
			 "--bogus",
			 "--check",
			 "--config=e.conf",
			 "zone2",
			 "--",
			 "-c",
			 "x.conf",
			 NULL };
	int argc = (int)(sizeof(argv) / sizeof(argv[0])) - 1;
	struct seen seen = { 0 };

	assert_int_equal(
		xd_conf_each(argc, argv, "c:d:", opts, keep_path, &seen), 0);
	assert_int_equal(seen.n, 5);
	assert_string_equal(seen.p[0], "a.conf");
	assert_string_equal(seen.p[1], "b.conf");
	assert_string_equal(seen.p[2], "c.conf");
	assert_string_equal(seen.p[3], "d.conf");
	assert_string_equal(seen.p[4], "e.conf");

	int c, devs = 0, configs = 0, checks = 0, bad = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "c:d:", opts, NULL)) != -1) {
		if (c == 'd') {
			assert_string_equal(optarg, "-c");
			devs++;
		}
		configs += c == 'c';
		checks += c == 3;
		bad += c == '?';
	}
	opterr = 1;
	assert_int_equal(devs, 1);
	assert_int_equal(configs, 5);
	assert_int_equal(checks, 1);
	assert_int_equal(bad, 1);
	/* The operands, in their order, those after -- among them. */
	assert_int_equal(argc - optind, 4);
	assert_string_equal(argv[optind], "zone");
	assert_string_equal(argv[optind + 1], "zone2");
	assert_string_equal(argv[optind + 2], "-c");
	assert_string_equal(argv[optind + 3], "x.conf");

	/* A file that cannot be read stops the pass: the ones after it are
	 * not read, and the reader's failure is returned. */
	char *stop_argv[] = { "prog", "-c", "a.conf", "-c",
			      "stop", "-c", "b.conf", NULL };
	seen = (struct seen){ 0 };
	assert_int_equal(
		xd_conf_each(7, stop_argv, "c:d:", opts, keep_path, &seen), -7);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.p[1], "stop");
	optind = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sequences),
		cmocka_unit_test(test_announced_only_when_announced),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_zone_kept_in_wire_form),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_config_file),
		cmocka_unit_test(test_config_file_refused),
		cmocka_unit_test(test_config_check),
		cmocka_unit_test(test_conf_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
