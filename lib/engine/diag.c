// SPDX-License-Identifier: GPL-3.0-or-later
#include "diag.h"

#include <stdarg.h>
#include <string.h>

void xd_diag_init(struct xd_diag *d, FILE *out)
{
	memset(d, 0, sizeof(*d));
	d->out = out;
	d->max_print = 100;
}

__attribute__((format(printf, 6, 0))) static void
emit(struct xd_diag *d, const char *sev, const char *file, uint64_t line,
     const char *record, const char *fmt, va_list ap)
{
	if (!d->out)
		return;
	if (d->max_print && d->printed >= d->max_print) {
		if (d->printed == d->max_print)
			fprintf(d->out, "xdpdns-zonec: too many problems, "
					"further ones are counted only\n");
		d->printed++;
		return;
	}
	d->printed++;
	if (file && line)
		fprintf(d->out, "%s:%llu: %s: ", file, (unsigned long long)line,
			sev);
	else if (file)
		fprintf(d->out, "%s: %s: ", file, sev);
	else
		fprintf(d->out, "%s: ", sev);
	vfprintf(d->out, fmt, ap);
	fputc('\n', d->out);
	if (record && *record) {
		size_t n = strlen(record);
		fprintf(d->out, "    %.*s\n",
			(int)(n && record[n - 1] == '\n' ? n - 1 : n), record);
	}
}

void xd_diag_error(struct xd_diag *d, const char *file, uint64_t line,
		   const char *record, const char *fmt, ...)
{
	va_list ap;

	d->errors++;
	va_start(ap, fmt);
	emit(d, "error", file, line, record, fmt, ap);
	va_end(ap);
}

void xd_diag_warn(struct xd_diag *d, const char *file, uint64_t line,
		  const char *record, const char *fmt, ...)
{
	va_list ap;

	d->warnings++;
	va_start(ap, fmt);
	emit(d, "warning", file, line, record, fmt, ap);
	va_end(ap);
}
