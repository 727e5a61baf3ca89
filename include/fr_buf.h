/* SPDX-License-Identifier: MIT */
/*
 * fr_buf.h - bytes and text: bump arenas freed all at once, growable
 * buffers (with JSON string escaping), hex, human durations.
 * Base layer: depends on nothing of flightrec's.
 */
#ifndef FR_BUF_H
#define FR_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- arena: bump allocation, freed all at once ---- */

struct fr_arena;

/* NULL with errno = ENOMEM. */
struct fr_arena *fr_arena__new(size_t first_chunk);
/* 16-byte aligned; NULL when out of memory. */
void *fr_arena__alloc(struct fr_arena *a, size_t size);
void *fr_arena__zalloc(struct fr_arena *a, size_t size);
/* A NUL-terminated copy of s[0..len). */
char *fr_arena__strndup(struct fr_arena *a, const char *s, size_t len);
/* Bytes reserved from the system. */
size_t fr_arena__bytes(const struct fr_arena *a);
/* Allocations that would take the arena past limit bytes fail (0 = none). */
void fr_arena__set_limit(struct fr_arena *a, size_t limit);
void fr_arena__free(struct fr_arena *a);

/* ---- options structs ---- */

/*
 * Copies a caller's _opts struct into dst: as many bytes as the caller's
 * struct has (its sz field) and dst can hold, so that a caller built with
 * an older, smaller struct leaves the newer fields zero (their defaults).
 * dst must be zeroed first.
 */
#define fr_opts_copy(dst, src)                                                       \
	memcpy((dst), (src), (src)->sz < sizeof(*(dst)) ? (src)->sz : sizeof(*(dst)))

/* ---- secrets ---- */

/* given == secret, in time that does not depend on where they differ. */
bool fr_secret_eq(const char *given, const char *secret);

/* ---- hex and durations ---- */

/* Lowercase hex of n bytes into out (2n + 1 bytes). */
void fr_hex(const uint8_t *in, size_t n, char *out);
/* Parses exactly 2n hex digits into out; false on any other input. */
bool fr_unhex(const char *in, size_t len, uint8_t *out, size_t n);
/* True when every one of the n bytes is zero. */
bool fr_all_zero(const uint8_t *p, size_t n);

/* A growable byte buffer. */
struct fr_buf {
	uint8_t *p;
	size_t len, cap;
	bool oom; /* an append failed; contents are incomplete */
};

void fr_buf__reserve(struct fr_buf *b, size_t more);
void fr_buf__put(struct fr_buf *b, const void *data, size_t len);
void fr_buf__putc(struct fr_buf *b, char c);
void fr_buf__printf(struct fr_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included. */
void fr_buf__json_str(struct fr_buf *b, const char *s, size_t len);
void fr_buf__free(struct fr_buf *b);

/* Human duration: "412 ms", "1.24 s", "850 us". */
void fr_fmt_duration(uint64_t ns, char *buf, size_t len);
/* Bytes for people: "512 MiB", "1.9 GiB", "300 B". */
void fr_fmt_bytes(uint64_t n, char *buf, size_t len);

/* The longest duration flightrec takes anywhere: INT64_MAX ns, 292 years. */
#define FR_DURATION_MAX_NS ((uint64_t)INT64_MAX)

/*
 * "250ms", "1.5s", "5m", "800us", "20ns"; a bare number is milliseconds.
 * Whole numbers are exact; fractions round to the nearest ns. 0 with *ns
 * set; -EINVAL for anything else (signs, spaces, "inf", "nan", unknown
 * units); -ERANGE beyond FR_DURATION_MAX_NS.
 */
int fr_parse_duration(const char *s, uint64_t *ns);

#endif /* FR_BUF_H */
