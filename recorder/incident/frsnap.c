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

int fr_frsnap__unwrap(const void *p, size_t len, size_t max, struct fr_buf *pb)
{
	ZSTD_DStream *z;
	ZSTD_inBuffer in;
	size_t rc = 1;

	if (len < FR_FRSNAP_MAGIC_LEN || memcmp(p, FR_FRSNAP_MAGIC, FR_FRSNAP_MAGIC_LEN))
		return -EBADMSG;
	in = (ZSTD_inBuffer){ (const char *)p + FR_FRSNAP_MAGIC_LEN, len - FR_FRSNAP_MAGIC_LEN, 0 };
	z = ZSTD_createDStream();
	if (!z)
		return -ENOMEM;
	/* The frame's own claim of its size is not trusted: decompress in
	 * steps, never past max. */
	while (rc) {
		ZSTD_outBuffer out;
		size_t room = max - pb->len < (1u << 20) ? max - pb->len : (1u << 20);

		if (!room) {
			ZSTD_freeDStream(z);
			return -E2BIG;
		}
		fr_buf__reserve(pb, room);
		if (pb->oom) {
			ZSTD_freeDStream(z);
			return -ENOMEM;
		}
		out = (ZSTD_outBuffer){ pb->p + pb->len, room, 0 };
		rc = ZSTD_decompressStream(z, &out, &in);
		pb->len += out.pos;
		if (ZSTD_isError(rc) || (rc && in.pos == in.size && out.pos < room)) {
			/* corrupt, or the input ended inside the frame */
			ZSTD_freeDStream(z);
			return -EBADMSG;
		}
	}
	ZSTD_freeDStream(z);
	return in.pos == in.size ? 0 : -EBADMSG; /* nothing may follow the frame */
}

/* Allocations of one decode, up to a budget: protobuf-c trusts counts. */
struct budget {
	size_t left;
};

static void *budget_alloc(void *data, size_t size)
{
	struct budget *b = data;

	if (!b || size > b->left)
		return NULL;
	b->left -= size;
	return malloc(size);
}

static void plain_free(void *data, void *ptr)
{
	(void)data;
	free(ptr);
}

/* Every Records column as long as the first: readers index them together. */
static bool records_whole(const Flightrec__Snapshot__V1__Records *r)
{
	size_t n = r->n_type;

	return r->n_ts_delta == n && r->n_cpu == n && r->n_tid == n && r->n_pid == n &&
	       r->n_aux == n && r->n_flags == n && r->n_a == n && r->n_b == n && r->n_c == n;
}

int fr_frsnap__decode(const void *frsnap, size_t len, size_t max, PbSnap **out)
{
	struct fr_buf pb = { 0 };
	struct budget b = { max };
	ProtobufCAllocator alloc = { budget_alloc, plain_free, &b };
	int err = fr_frsnap__unwrap(frsnap, len, max, &pb);

	*out = NULL;
	if (!err) {
		*out = flightrec__snapshot__v1__snapshot__unpack(&alloc, pb.len, pb.p);
		if (!*out) {
			err = b.left < (64u << 10) ? -E2BIG : -EBADMSG;
		} else if ((*out)->records && !records_whole((*out)->records)) {
			fr_frsnap__free(*out);
			*out = NULL;
			err = -EBADMSG;
		}
	}
	fr_buf__free(&pb);
	return err;
}

void fr_frsnap__free(PbSnap *s)
{
	ProtobufCAllocator alloc = { budget_alloc, plain_free, NULL };

	if (s)
		flightrec__snapshot__v1__snapshot__free_unpacked(s, &alloc);
}
