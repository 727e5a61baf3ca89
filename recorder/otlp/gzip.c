// SPDX-License-Identifier: MIT
/*
 * gzip.c - request bodies in gzip (fr_otlp.h), inflated within a limit;
 * bodies to send (exports, downloads), deflated.
 */
#include <errno.h>
#include <zlib.h>

#include "fr_otlp.h"

int fr_otlp__gunzip(const uint8_t *in, size_t len, size_t max, struct fr_buf *out)
{
	z_stream z = { 0 };
	int rc;

	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return -ENOMEM;
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	do {
		size_t room;

		if (out->len >= max) {
			inflateEnd(&z);
			return -E2BIG;
		}
		room = max - out->len < 65536 ? max - out->len : 65536;
		fr_buf__reserve(out, room);
		if (out->oom) {
			inflateEnd(&z);
			return -ENOMEM;
		}
		z.next_out = out->p + out->len;
		z.avail_out = (uInt)room;
		rc = inflate(&z, Z_NO_FLUSH);
		out->len += room - z.avail_out;
		if (rc == Z_STREAM_END && z.avail_in > 0) {
			/* concatenated gzip members */
			if (inflateReset(&z) != Z_OK)
				break;
			rc = Z_OK;
		}
	} while (rc == Z_OK);
	inflateEnd(&z);
	if (rc == Z_STREAM_END)
		return 0;
	if (out->len >= max)
		return -E2BIG;
	return -EBADMSG;
}

int fr_otlp__gzip(const uint8_t *in, size_t len, int level, struct fr_buf *out)
{
	z_stream z = { 0 };
	int rc;

	if (deflateInit2(&z, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	fr_buf__reserve(out, deflateBound(&z, len));
	if (out->oom) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = out->p;
	z.avail_out = (uInt)out->cap;
	rc = deflate(&z, Z_FINISH);
	out->len = out->cap - z.avail_out;
	deflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : -EIO;
}
