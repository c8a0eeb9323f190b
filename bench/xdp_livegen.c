// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * xdp-livegen: a load generator at kernel speed for make bench. Run in
 * the client's network namespace, it sends query frames with
 * BPF_PROG_TEST_RUN and BPF_F_TEST_XDP_LIVE_FRAMES (livegen.bpf.c's
 * lg_send writes each frame from a template and redirects it out of the
 * client's veth), and checks and counts the replies that come back with
 * lg_sink attached to that veth. Sends in bursts at an offered rate (or
 * as fast as it can), for a time or a number of frames, then prints one
 * JSON line: frames sent, replies correct, wrong, other frames seen.
 *
 * Templates file, one frame a line:
 *   ID_OFFSET CSUM_OFFSET FRAME_HEX REPLY_DNS_HEX
 * (the frame with the DNS ID's low byte 0; the DNS payload of the reply
 * it must get, whose ID's high byte is the frame's).
 *
 * Usage: xdp-livegen --dev IF --templates FILE [--rate PPS] [--seconds S]
 *                    [--count N] [--burst B] [--cpu C]
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "livegen.h"
#include "livegen.skel.h"

struct options {
	const char *dev;
	const char *templates;
	double rate; /* frames a second offered; 0: as fast as it can */
	double seconds; /* at most this long */
	long long count; /* at most this many frames; 0: no limit */
	unsigned int burst; /* frames a test run */
	unsigned int batch; /* frames the kernel sends at once */
	int cpu;
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	stopping = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int unhex(const char *s, __u8 *out, size_t max)
{
	size_t n = strlen(s);

	if (n % 2 || n / 2 > max)
		return -EINVAL;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned int b;

		if (sscanf(s + 2 * i, "%2x", &b) != 1)
			return -EINVAL;
		out[i] = (__u8)b;
	}
	return (int)(n / 2);
}

/* Reads the templates file into the two maps; returns how many, or a
 * negative errno. frame0 gets the first frame (the test run's input). */
static int load_templates(struct livegen_bpf *skel, const char *path,
			  __u8 *frame0)
{
	static char frame_hex[2 * LG_FRAME_MAX + 2], reply_hex[8192];
	FILE *f = fopen(path, "r");
	unsigned int id_off, csum_off;
	__u8 reply[4096];
	__u32 n = 0;

	if (!f)
		return -errno;
	while (n < LG_TEMPLATES &&
	       fscanf(f, "%u %u %513s %8191s", &id_off, &csum_off, frame_hex,
		      reply_hex) == 4) {
		struct lg_template t = { 0 };
		struct lg_expect e = { 0 };
		int len = unhex(frame_hex, t.frame, LG_FRAME_MAX);
		int rlen = unhex(reply_hex, reply, sizeof(reply));

		if (len < 64 || rlen < 12 || id_off + 2 > (unsigned int)len ||
		    csum_off + 2 > (unsigned int)len) {
			fprintf(stderr,
				"xdp-livegen: %s: template %u unusable\n", path,
				n);
			fclose(f);
			return -EINVAL;
		}
		t.len = (__u32)len;
		t.id_off = (__u16)id_off;
		t.csum_off = (__u16)csum_off;
		e.dns_len = (__u32)rlen;
		e.tag = t.frame[id_off];
		/* Bytes past the reply's end are not compared. */
		for (int b = 0; b < LG_CHECK_BYTES && 2 + b < rlen; b++) {
			((__u8 *)e.word)[b] = reply[2 + b];
			((__u8 *)e.mask)[b] = 0xff;
		}
		if (bpf_map__update_elem(skel->maps.templates, &n, sizeof(n),
					 &t, sizeof(t), 0) ||
		    bpf_map__update_elem(skel->maps.expects, &n, sizeof(n), &e,
					 sizeof(e), 0)) {
			fclose(f);
			return -errno;
		}
		if (n == 0)
			memcpy(frame0, t.frame, LG_FRAME_MAX);
		n++;
	}
	fclose(f);
	return n ? (int)n : -ENODATA;
}

static void read_counters(struct livegen_bpf *skel, __u64 *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 vals[1024];

	if (ncpu > 1024)
		ncpu = -1;
	for (__u32 k = 0; k < LG_COUNTERS; k++) {
		sum[k] = 0;
		if (ncpu <= 0 ||
		    bpf_map__lookup_elem(skel->maps.counters, &k, sizeof(k),
					 vals, (size_t)ncpu * sizeof(vals[0]),
					 0))
			continue;
		for (int c = 0; c < ncpu; c++)
			sum[k] += vals[c];
	}
}

/* Sends until the time or the count is reached; returns the seconds it
 * took, or a negative errno. Each test run costs about 16 ms of the
 * CPU's time, idle, whatever its length: the kernel puts the program
 * into its XDP dispatcher and takes it out again, waiting for an RCU
 * grace period each time. Runs of a quarter of a second left the CPU
 * idle a tenth of the time, and the figure that much short of the loop's
 * rate; so runs are long (about a second of frames, the first one
 * 65536 frames to learn the speed, the last one what is left), and the
 * program paces the frames inside a run. */
#define RUN_SETUP_S 0.016 /* what a test run costs besides its frames */

static double send_frames(struct livegen_bpf *skel, const struct options *o,
			  __u8 *frame0)
{
	int fd = bpf_program__fd(skel->progs.lg_send);
	double t0 = now(), t = t0, speed, left;
	long long sent = 0;
	unsigned int burst = o->burst;

	skel->bss->gap_ns = o->rate > 0 ? (__u64)(1e9 / o->rate) : 0;
	skel->bss->next_ns = 0;
	for (;;) {
		double t1;

		if (o->count && sent + burst > o->count)
			burst = (unsigned int)(o->count - sent);
		LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = frame0,
			    .data_size_in = LG_FRAME_MAX, .repeat = burst,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
			    .batch_size = burst < o->batch ? burst : o->batch);
		if (bpf_prog_test_run_opts(fd, &run))
			return -errno;
		sent += burst;
		t1 = now();
		if (stopping || t1 - t0 >= o->seconds ||
		    (o->count && sent >= o->count))
			return t1 - t0;
		/* The next run: a second at this run's speed, as the kernel
		 * timed the run itself (its set-up left out: counted in, it
		 * made the run after a short first one half as long), or
		 * what is left when that is under a second and a third (no
		 * short run at the end, paying the set-up for little); and
		 * no further than the end. */
		speed = run.duration ? 1e9 / run.duration :
				       (double)burst / (t1 - t);
		t = t1;
		left = o->seconds - (t1 - t0) - RUN_SETUP_S;
		speed *= left < 4.0 / 3 ? (left > 0 ? left : 0) : 1;
		if (speed < 64)
			burst = 64;
		else if (speed > (1 << 22))
			burst = 1 << 22;
		else
			burst = (unsigned int)speed;
	}
}

static int usage(void)
{
	fprintf(stderr,
		"usage: xdp-livegen --dev IF --templates FILE [--rate PPS]\n"
		"                   [--seconds S] [--count N] [--burst B] "
		"[--cpu C]\n");
	return 2;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longs[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "templates", required_argument, NULL, 't' },
		{ "rate", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ "burst", required_argument, NULL, 'b' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "batch", required_argument, NULL, 'B' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct options){
		.seconds = 2, .burst = 65536, .batch = 64, .cpu = -1
	};
	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->dev = optarg;
			break;
		case 't':
			o->templates = optarg;
			break;
		case 'r':
			o->rate = atof(optarg);
			break;
		case 's':
			o->seconds = atof(optarg);
			break;
		case 'n':
			o->count = atoll(optarg);
			break;
		case 'b':
			o->burst = (unsigned int)atoi(optarg);
			break;
		case 'c':
			o->cpu = atoi(optarg);
			break;
		case 'B':
			o->batch = (unsigned int)atoi(optarg);
			break;
		default:
			return -EINVAL;
		}
	}
	if (!o->dev || !o->templates || o->burst == 0 || o->burst > (1 << 22) ||
	    o->batch == 0 || o->batch > 256 || o->seconds <= 0 ||
	    o->seconds > 600)
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	static __u8 frame0[LG_FRAME_MAX];
	struct livegen_bpf *skel = NULL;
	__u64 before[LG_COUNTERS], after[LG_COUNTERS];
	struct options o;
	int ifindex, n, err = 1;
	int attached = 0;
	double took;

	if (parse_options(argc, argv, &o))
		return usage();
	ifindex = (int)if_nametoindex(o.dev);
	if (!ifindex) {
		fprintf(stderr, "xdp-livegen: no interface %s here\n", o.dev);
		return 1;
	}
	if (o.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			perror("xdp-livegen: sched_setaffinity");
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	skel = livegen_bpf__open();
	if (!skel) {
		perror("xdp-livegen: open");
		return 1;
	}
	skel->rodata->out_ifindex = (__u32)ifindex;
	/* The count is known only after reading the file; the maps exist
	 * only after load: count the lines first. */
	{
		FILE *f = fopen(o.templates, "r");
		int ch, lines = 0;

		if (!f) {
			perror(o.templates);
			goto out;
		}
		while ((ch = fgetc(f)) != EOF)
			lines += ch == '\n';
		fclose(f);
		skel->rodata->n_templates =
			(__u32)(lines > LG_TEMPLATES ? LG_TEMPLATES : lines);
	}
	if (livegen_bpf__load(skel)) {
		perror("xdp-livegen: load");
		goto out;
	}
	n = load_templates(skel, o.templates, frame0);
	if (n < 0 || (__u32)n != skel->rodata->n_templates) {
		fprintf(stderr, "xdp-livegen: %s: %s\n", o.templates,
			n < 0 ? strerror(-n) : "a line is not a template");
		goto out;
	}
	if (bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.lg_sink),
			   XDP_FLAGS_DRV_MODE, NULL)) {
		perror("xdp-livegen: attach the sink");
		goto out;
	}
	attached = 1;
	read_counters(skel, before);
	took = send_frames(skel, &o, frame0);
	if (took < 0) {
		fprintf(stderr, "xdp-livegen: test run: %s\n",
			strerror((int)-took));
		goto out;
	}
	usleep(200 * 1000); /* replies still in flight */
	read_counters(skel, after);
	printf("{\"rate\": %.0f, \"seconds\": %.4f, \"sent\": %llu, "
	       "\"ok\": %llu, \"bad\": %llu, \"other\": %llu, "
	       "\"templates\": %d}\n",
	       o.rate, took,
	       (unsigned long long)(after[LG_SENT] - before[LG_SENT]),
	       (unsigned long long)(after[LG_OK] - before[LG_OK]),
	       (unsigned long long)(after[LG_BAD] - before[LG_BAD]),
	       (unsigned long long)(after[LG_OTHER] - before[LG_OTHER]), n);
	err = 0;
out:
	if (attached)
		bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	livegen_bpf__destroy(skel);
	return err;
}
