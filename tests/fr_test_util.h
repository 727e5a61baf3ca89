/* SPDX-License-Identifier: MIT */
/*
 * fr_test_util.h - helpers shared by the tests that run programs and read
 * what exporters sent.
 */
#ifndef FR_TEST_UTIL_H
#define FR_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

#include "fr_span.h"

/* Runs cmd through the shell; its stdout, NUL-terminated (malloc'd), and
 * its wait status in *status. NULL when it cannot be started. */
static inline char *fr_test_run(const char *cmd, int *status)
{
	struct fr_buf out = { 0 };
	char chunk[4096];
	size_t n;
	FILE *p = popen(cmd, "r");

	if (!p)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		fr_buf__put(&out, chunk, n);
	fr_buf__putc(&out, '\0');
	*status = pclose(p);
	return (char *)out.p;
}

/* Inflates a gzip body into out (at most 64 MiB); 0, or -1 when it is not gzip. */
static inline int fr_test_gunzip(const void *gz, size_t len, struct fr_buf *out)
{
	z_stream z = { 0 };
	int rc;

	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return -1;
	fr_buf__reserve(out, 64u << 20);
	z.next_in = (Bytef *)gz;
	z.avail_in = (uInt)len;
	z.next_out = out->p;
	z.avail_out = (uInt)out->cap;
	rc = inflate(&z, Z_FINISH);
	out->len = out->cap - z.avail_out;
	inflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : -1;
}

#endif /* FR_TEST_UTIL_H */
