// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * xdp-attach: the XDP program with compiled test zones, attached in
 * native mode to an interface, for the end-to-end tests until the loader
 * (issue 4) does this for operators.
 *
 * Usage: xdp-attach IFNAME ZONE=FILE...   (root)
 * Prints "ready" once attached. Then, for each line "stats" on stdin, one
 * line "name=value ..." of the counters summed over CPUs; on end of input
 * (or SIGTERM, SIGINT) it detaches and exits.
 */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "xdpdns.h"
#include "../unit/xdptest.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Field names of struct xd_stats, in order, from the shared header. */
static int stat_names(char names[][48], int max)
{
	FILE *f = fopen("bpf/xdpdns.h", "r");
	char line[256];
	int n = 0, in = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f) && n < max) {
		if (strstr(line, "struct xd_stats {"))
			in = 1;
		else if (in && line[0] == '}')
			break;
		else if (in &&
			 sscanf(line, " __u64 %47[a-z0-9_];", names[n]) == 1)
			n++;
	}
	fclose(f);
	return n == (int)(sizeof(struct xd_stats) / 8) ? n : -1;
}

int main(int argc, char **argv)
{
	static char names[64][48];
	struct xdp_env env;
	const char *why = NULL;

	if (argc < 3) {
		fprintf(stderr, "usage: xdp-attach IFNAME ZONE=FILE...\n");
		return 2;
	}
	int nn = stat_names(names, 64);
	if (nn < 0) {
		fprintf(stderr, "xdp-attach: cannot read bpf/xdpdns.h "
				"(run from the source tree)\n");
		return 1;
	}
	unsigned ifindex = if_nametoindex(argv[1]);
	if (!ifindex) {
		fprintf(stderr, "xdp-attach: %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	if (xdp_env_open(&env, argv + 2, argc - 2, &why) < 0) {
		fprintf(stderr, "xdp-attach: %s\n", why ? why : "cannot load");
		return 1;
	}
	int err = bpf_xdp_attach((int)ifindex, env.prog_fd, XDP_FLAGS_DRV_MODE,
				 NULL);
	if (err) {
		fprintf(stderr, "xdp-attach: attach to %s: %s\n", argv[1],
			strerror(-err));
		xdp_env_close(&env);
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("ready\n");
	fflush(stdout);

	char line[64];
	while (!stop && fgets(line, sizeof(line), stdin)) {
		if (strncmp(line, "stats", 5))
			continue;
		uint64_t v[64];
		if (xdp_stats(&env, v, (size_t)nn) < 0) {
			printf("error\n");
		} else {
			for (int i = 0; i < nn; i++)
				printf("%s%s=%llu", i ? " " : "", names[i],
				       (unsigned long long)v[i]);
			printf("\n");
		}
		fflush(stdout);
	}
	bpf_xdp_detach((int)ifindex, XDP_FLAGS_DRV_MODE, NULL);
	xdp_env_close(&env);
	return 0;
}
