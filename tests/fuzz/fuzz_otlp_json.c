// SPDX-License-Identifier: MIT
/* fuzz_otlp_json.c - OTLP JSON request bodies: decode, and encode what
 * decoded to protobuf, which must decode again (JSON encoding has its own
 * coverage in the protobuf target). */
#include <stdlib.h>

#include "fr_otlp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fr_batch *b = NULL, *again = NULL;
	struct fr_buf pb = { 0 };
	char err[128];

	if (fr_otlp__decode_json((const char *)data, len, &b, err, sizeof(err)))
		return 0;
	fr_otlp__encode_proto(b->spans, b->nr_spans, &pb);
	/* what we encode, we decode */
	if (!pb.oom && fr_otlp__decode_proto(pb.p, pb.len, &again, err, sizeof(err)))
		abort();
	fr_batch__put(again);
	fr_buf__free(&pb);
	fr_batch__put(b);
	return 0;
}
