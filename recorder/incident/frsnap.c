// SPDX-License-Identifier: MIT
/*
 * frsnap.c - the .frsnap container (fr_frsnap.h).
 */
#define FR_LOG_MOD "frsnap"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "fr_frsnap.h"
#include "fr_log.h"

int fr_frsnap__wrap(const PbSnap *snap, int level, void **out, size_t *out_len, size_t *raw_len)
{
	size_t plen = flightrec__snapshot__v1__snapshot__get_packed_size(snap), bound, z;
	uint8_t *packed = malloc(plen ? plen : 1), *f;

	*out = NULL;
	*out_len = 0;
	if (!packed)
		return -ENOMEM;
	flightrec__snapshot__v1__snapshot__pack(snap, packed);
	bound = ZSTD_compressBound(plen);
	f = malloc(FR_FRSNAP_MAGIC_LEN + bound);
	if (!f) {
		free(packed);
		return -ENOMEM;
	}
	memcpy(f, FR_FRSNAP_MAGIC, FR_FRSNAP_MAGIC_LEN);
	z = ZSTD_compress(f + FR_FRSNAP_MAGIC_LEN, bound, packed, plen, level);
	free(packed);
	if (ZSTD_isError(z)) {
		pr_err("zstd: %s", ZSTD_getErrorName(z));
		free(f);
		return -EIO;
	}
	*out = f;
	*out_len = FR_FRSNAP_MAGIC_LEN + z;
	if (raw_len)
		*raw_len = plen;
	return 0;
}

int fr_frsnap__unwrap(const void *p, size_t len, struct fr_buf *pb)
{
	unsigned long long size;

	if (len < FR_FRSNAP_MAGIC_LEN || memcmp(p, FR_FRSNAP_MAGIC, FR_FRSNAP_MAGIC_LEN))
		return -EBADMSG;
	p = (const char *)p + FR_FRSNAP_MAGIC_LEN;
	len -= FR_FRSNAP_MAGIC_LEN;
	size = ZSTD_getFrameContentSize(p, len);
	if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > (1ull << 31))
		return -EBADMSG;
	fr_buf__reserve(pb, size);
	if (pb->oom)
		return -ENOMEM;
	size = ZSTD_decompress(pb->p, size, p, len);
	if (ZSTD_isError(size))
		return -EBADMSG;
	pb->len = size;
	return 0;
}

int fr_frsnap__decode(const void *frsnap, size_t len, PbSnap **out)
{
	struct fr_buf pb = { 0 };
	int err = fr_frsnap__unwrap(frsnap, len, &pb);

	*out = NULL;
	if (!err) {
		*out = flightrec__snapshot__v1__snapshot__unpack(NULL, pb.len, pb.p);
		if (!*out)
			err = -EBADMSG;
	}
	fr_buf__free(&pb);
	return err;
}

void fr_frsnap__free(PbSnap *s)
{
	if (s)
		flightrec__snapshot__v1__snapshot__free_unpacked(s, NULL);
}
