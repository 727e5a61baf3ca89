/* SPDX-License-Identifier: MIT */
/*
 * fr_frsnap.h - the .frsnap container: 8 bytes of magic ("FRSNAP01", the
 * container version), then one zstd frame holding a serialized Snapshot
 * (store/proto/flightrec/snapshot/v1/snapshot.proto). What the store keeps
 * and what downloads are. Pure functions; thread-safe.
 */
#ifndef FR_FRSNAP_H
#define FR_FRSNAP_H

#include <stddef.h>
#include <stdint.h>

#include "flightrec/snapshot/v1/snapshot.pb-c.h"
#include "fr_buf.h"

#define FR_FRSNAP_MAGIC "FRSNAP01"
#define FR_FRSNAP_MAGIC_LEN 8

typedef Flightrec__Snapshot__V1__Snapshot PbSnap;

/*
 * Packs snap, compresses it at zstd level `level` and prefixes the magic.
 * 0 with a malloc'd buffer in *out (the caller frees it) and its length in
 * *out_len; *raw_len (may be NULL) gets the size before compression.
 * -ENOMEM, or -EIO when zstd fails (logged).
 */
int fr_frsnap__wrap(const PbSnap *snap, int level, void **out, size_t *out_len, size_t *raw_len);

/* What readers allow a snapshot by default: decompressed, and decoded. */
#define FR_FRSNAP_MAX_BYTES (256u << 20)

/*
 * Checks the magic and decompresses into protobuf, at most max bytes
 * whatever the frame claims. 0, -EBADMSG (not a .frsnap, corrupt,
 * truncated or trailing bytes), -E2BIG (over max), -ENOMEM.
 */
int fr_frsnap__unwrap(const void *p, size_t len, size_t max, struct fr_buf *protobuf);

/*
 * Unwraps and decodes, with at most max bytes decompressed and at most max
 * allocated for the message, and checks what readers index (the Records
 * columns all of one length). 0, -EBADMSG, -E2BIG. Free *out with
 * fr_frsnap__free.
 */
int fr_frsnap__decode(const void *frsnap, size_t len, size_t max, PbSnap **out);
void fr_frsnap__free(PbSnap *s);

#endif /* FR_FRSNAP_H */
