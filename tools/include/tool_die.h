/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The tools' one-line errors: "PROGRAM: WHAT (what to do)" on standard
 * error, exit status 1.
 */
#ifndef IOMMUFD_BPF_TOOL_DIE_H
#define IOMMUFD_BPF_TOOL_DIE_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Where the tool is, when that is part of what went wrong ("FILE:LINE"). */
static const char *die_where;

static void __attribute__((format(printf, 1, 2), noreturn))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	if (die_where)
		fprintf(stderr, "%s: ", die_where);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

#endif
