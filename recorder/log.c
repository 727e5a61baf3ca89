// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "fr_log.h"

int fr_log_level = FR_LOG_INFO;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

static void vlog(int level, const char *mod, const char *fmt, va_list ap)
{
	char line[1024];
	int n;

	n = snprintf(line, sizeof(line), "flightrec %s: %s: ", level_names[level], mod);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	n = strlen(line);
	if (n > 0 && line[n - 1] == '\n')
		line[n - 1] = '\0';
	fprintf(stderr, "%s\n", line);
}

void fr_log_write(int level, const char *mod, const char *fmt, ...)
{
	va_list ap;

	if (level < FR_LOG_ERROR)
		level = FR_LOG_ERROR;
	if (level > FR_LOG_DEBUG)
		level = FR_LOG_DEBUG;
	va_start(ap, fmt);
	vlog(level, mod, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	int level = lvl == LIBBPF_WARN ? FR_LOG_WARN : lvl == LIBBPF_INFO ? FR_LOG_INFO : FR_LOG_DEBUG;

	/* libbpf's INFO is chatty load detail: show it only when debugging. */
	if (lvl == LIBBPF_INFO)
		level = FR_LOG_DEBUG;
	if (level > fr_log_level)
		return 0;
	vlog(level, "libbpf", fmt, ap);
	return 0;
}

void fr_log_route_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}

void fr_log_mhd(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	if (FR_LOG_DEBUG <= fr_log_level)
		vlog(FR_LOG_DEBUG, "libmicrohttpd", fmt, ap);
}
