/* SPDX-License-Identifier: MIT */
/*
 * fr_log.h - leveled logging to stderr with a module prefix.
 *
 * A file defines FR_LOG_MOD ("capture", "otlp", ...) before including this.
 * Arguments are not evaluated when the level is filtered out. Thread-safe
 * (one fprintf per line).
 */
#ifndef FR_LOG_H
#define FR_LOG_H

#include <stdarg.h>

enum fr_log_level {
	FR_LOG_ERROR = 0,
	FR_LOG_WARN = 1,
	FR_LOG_INFO = 2,
	FR_LOG_DEBUG = 3,
};

/* Current threshold; messages above it are dropped. Default FR_LOG_INFO. */
extern int fr_log_level;

void fr_log_write(int level, const char *mod, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The same with a va_list (for routing libraries' loggers). */
void fr_log_vwrite(int level, const char *mod, const char *fmt, va_list ap);

/* A libmicrohttpd external logger (MHD_OPTION_EXTERNAL_LOGGER): debug level. */
void fr_log_mhd(void *cls, const char *fmt, va_list ap);

#ifndef FR_LOG_MOD
#define FR_LOG_MOD "flightrec"
#endif

#define fr_log(lvl, ...)                                           \
	do {                                                       \
		if ((lvl) <= fr_log_level)                         \
			fr_log_write((lvl), FR_LOG_MOD, __VA_ARGS__); \
	} while (0)
#define pr_err(...) fr_log(FR_LOG_ERROR, __VA_ARGS__)
#define pr_warn(...) fr_log(FR_LOG_WARN, __VA_ARGS__)
#define pr_info(...) fr_log(FR_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) fr_log(FR_LOG_DEBUG, __VA_ARGS__)

#endif /* FR_LOG_H */
