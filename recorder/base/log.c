// SPDX-License-Identifier: MIT
/*
 * log.c - leveled logging to stderr (fr_log.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fr_log.h"

int fr_log_level = FR_LOG_INFO;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void fr_log_vwrite(int level, const char *mod, const char *fmt, va_list ap)
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
	fr_log_vwrite(level, mod, fmt, ap);
	va_end(ap);
}

void fr_log_mhd(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	if (FR_LOG_DEBUG <= fr_log_level)
		fr_log_vwrite(FR_LOG_DEBUG, "libmicrohttpd", fmt, ap);
}
