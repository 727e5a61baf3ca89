// SPDX-License-Identifier: MIT
/*
 * buf.c - arenas, growable buffers, hex and durations (fr_buf.h).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_buf.h"

struct chunk {
	struct chunk *next;
	size_t size, used;
	unsigned char data[] __attribute__((aligned(16)));
};

struct fr_arena {
	struct chunk *head;
	size_t next_size;
	size_t bytes;
	size_t limit;
};

struct fr_arena *fr_arena__new(size_t first_chunk)
{
	struct fr_arena *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->next_size = first_chunk < 4096 ? 4096 : first_chunk;
	return a;
}

void *fr_arena__alloc(struct fr_arena *a, size_t size)
{
	struct chunk *c = a->head;
	void *p;

	size = (size + 15) & ~(size_t)15;
	if (!c || c->size - c->used < size) {
		size_t csize = a->next_size;

		while (csize < size)
			csize *= 2;
		if (a->limit && a->bytes + csize > a->limit) {
			csize = size > 65536 ? size : 65536; /* a last, smaller chunk */
			if (a->bytes + csize > a->limit)
				return NULL;
		}
		c = malloc(sizeof(*c) + csize);
		if (!c)
			return NULL;
		c->size = csize;
		c->used = 0;
		c->next = a->head;
		a->head = c;
		a->bytes += csize;
		if (a->next_size < (64u << 20))
			a->next_size *= 2;
	}
	p = c->data + c->used;
	c->used += size;
	return p;
}

void *fr_arena__zalloc(struct fr_arena *a, size_t size)
{
	void *p = fr_arena__alloc(a, size);

	if (p)
		memset(p, 0, size);
	return p;
}

char *fr_arena__strndup(struct fr_arena *a, const char *s, size_t len)
{
	char *p = fr_arena__alloc(a, len + 1);

	if (!p)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

size_t fr_arena__bytes(const struct fr_arena *a)
{
	return a ? a->bytes : 0;
}

void fr_arena__set_limit(struct fr_arena *a, size_t limit)
{
	a->limit = limit;
}

void fr_arena__free(struct fr_arena *a)
{
	struct chunk *c, *next;

	if (!a)
		return;
	for (c = a->head; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

void fr_hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool fr_unhex(const char *in, size_t len, uint8_t *out, size_t n)
{
	if (len != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(in[2 * i]), lo = hexval(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

bool fr_all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

void fr_buf__reserve(struct fr_buf *b, size_t more)
{
	size_t ncap;
	uint8_t *np;

	if (b->oom || b->len + more <= b->cap)
		return;
	ncap = b->cap ? b->cap : 256;
	while (ncap < b->len + more)
		ncap *= 2;
	np = realloc(b->p, ncap);
	if (!np) {
		b->oom = true;
		return;
	}
	b->p = np;
	b->cap = ncap;
}

void fr_buf__put(struct fr_buf *b, const void *data, size_t len)
{
	if (!len)
		return; /* data may be NULL then */
	fr_buf__reserve(b, len);
	if (b->oom)
		return;
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

void fr_buf__putc(struct fr_buf *b, char c)
{
	fr_buf__put(b, &c, 1);
}

void fr_buf__printf(struct fr_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	fr_buf__reserve(b, (size_t)n + 1);
	if (b->oom)
		return;
	va_start(ap, fmt);
	vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at s (at most len bytes), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	size_t n;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond Unicode */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

void fr_buf__json_str(struct fr_buf *b, const char *s, size_t len)
{
	static const char digits[] = "0123456789abcdef";

	fr_buf__reserve(b, len + 2);
	fr_buf__putc(b, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			fr_buf__putc(b, '\\');
			fr_buf__putc(b, (char)c);
		} else if (c == '\n') {
			fr_buf__put(b, "\\n", 2);
		} else if (c == '\r') {
			fr_buf__put(b, "\\r", 2);
		} else if (c == '\t') {
			fr_buf__put(b, "\\t", 2);
		} else if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&') {
			/* control characters, and HTML-significant ones so that
			 * JSON embedded in a page cannot close a script tag */
			char esc[6] = { '\\', 'u', '0', '0', digits[c >> 4], digits[c & 15] };

			fr_buf__put(b, esc, 6);
		} else if (c < 0x80) {
			fr_buf__putc(b, (char)c);
		} else {
			size_t n = utf8_seq((const unsigned char *)s + i, len - i);

			if (n) {
				fr_buf__put(b, s + i, n);
				i += n - 1;
			} else {
				fr_buf__put(b, "\\ufffd", 6); /* invalid UTF-8 */
			}
		}
	}
	fr_buf__putc(b, '"');
}

void fr_buf__free(struct fr_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void fr_fmt_duration(uint64_t ns, char *buf, size_t len)
{
	if (ns >= 10000000000ull)
		snprintf(buf, len, "%.1f s", ns / 1e9);
	else if (ns >= 1000000000ull)
		snprintf(buf, len, "%.2f s", ns / 1e9);
	else if (ns >= 10000000ull)
		snprintf(buf, len, "%.0f ms", ns / 1e6);
	else if (ns >= 1000000ull)
		snprintf(buf, len, "%.1f ms", ns / 1e6);
	else
		snprintf(buf, len, "%.0f us", ns / 1e3);
}

void fr_fmt_bytes(uint64_t n, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u && v < 10 && v != (double)(uint64_t)v)
		snprintf(buf, len, "%.1f %s", v, units[u]);
	else
		snprintf(buf, len, "%.0f %s", v, units[u]);
}

/* The unit a duration ends with, in ns; 0 when unknown. */
static uint64_t duration_unit(const char *u)
{
	static const struct {
		const char *name;
		uint64_t ns;
	} units[] = { { "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "", 1000000 },
		      { "s", 1000000000 }, { "m", 60000000000 } };

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(u, units[i].name))
			return units[i].ns;
	return 0;
}

int fr_parse_duration(const char *s, uint64_t *out)
{
	const char *p = s;
	uint64_t unit, v = 0;
	char *end;
	double d;

	if (!s || !((*s >= '0' && *s <= '9') || *s == '.'))
		return -EINVAL; /* no sign, no space, no "inf" or "nan" */
	/* Whole numbers exactly, so that every duration formats and parses
	 * back to itself; fractions through a double. */
	while (*p >= '0' && *p <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p++ - '0');
	}
	if (*p != '.' && *p != 'e' && *p != 'E') {
		unit = duration_unit(p);
		if (!unit || p == s)
			return -EINVAL;
		if (v > FR_DURATION_MAX_NS / unit)
			return -ERANGE;
		*out = v * unit;
		return 0;
	}
	d = strtod(s, &end);
	unit = duration_unit(end);
	if (end == s || !unit || !isfinite(d) || d < 0)
		return -EINVAL;
	if (d * (double)unit >= (double)FR_DURATION_MAX_NS)
		return -ERANGE;
	*out = (uint64_t)(d * (double)unit + 0.5);
	return 0;
}

bool fr_secret_eq(const char *given, const char *secret)
{
	size_t gl = strlen(given), sl = strlen(secret);
	unsigned char diff = gl != sl;

	/* always the secret's length: the time says nothing of the contents */
	for (size_t i = 0; i < sl; i++)
		diff |= (unsigned char)secret[i] ^ (unsigned char)(i < gl ? given[i] : 0);
	return !diff;
}
