// SPDX-License-Identifier: GPL-3.0-or-later
#include "conf.h"

#include <getopt.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Cut line at its comment and split it into name and value; *name NULL
 * for a blank line. -1 when there is no '='. */
static int split(char *line, char **name, char **value)
{
	*name = *value = NULL;
	line[strcspn(line, "#\r\n")] = 0;
	char *p = line + strspn(line, " \t");
	if (!*p)
		return 0;
	char *eq = strchr(p, '=');
	if (!eq)
		return -1;
	*eq = 0;
	char *val = eq + 1;
	p[strcspn(p, " \t")] = 0;
	val += strspn(val, " \t");
	for (size_t k = strlen(val);
	     k && (val[k - 1] == ' ' || val[k - 1] == '\t');)
		val[--k] = 0;
	*name = p;
	*value = val;
	return 0;
}

int xd_conf_read(const char *path, xd_conf_set_fn set, void *ctx, char *err,
		 size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[1024], why[1200]; /* why: a line and set's words */
	unsigned n = 0;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *name, *value;
		n++;
		why[0] = 0;
		if (!strchr(line, '\n') && !feof(f))
			snprintf(why, sizeof(why), "line too long");
		else if (split(line, &name, &value) < 0)
			snprintf(why, sizeof(why), "expected 'name = value'");
		else if (!name || set(ctx, name, value, why, sizeof(why)) == 0)
			continue;
		snprintf(err, errlen, "%s:%u: %s", path, n, why);
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

int xd_conf_each(int argc, char **argv, const char *shortopts,
		 const struct option *longopts,
		 int (*read)(void *ctx, const char *path), void *ctx)
{
	int saved = opterr, c, r = 0;

	opterr = 0; /* the tool's own pass says what is wrong */
	optind = 0; /* glibc: start afresh */
	while (!r &&
	       (c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1)
		if (c == 'c')
			r = read(ctx, optarg);
	opterr = saved;
	optind = 0;
	return r;
}
