// SPDX-License-Identifier: MIT
/* fuzz_otlp_proto.c - OTLP protobuf request bodies: decode, and encode what
 * decoded back to protobuf and JSON. */
#include "fr_otlp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fr_batch *b = NULL;
	struct fr_buf pb = { 0 }, js = { 0 };
	char err[128];

	if (fr_otlp__decode_proto(data, len, &b, err, sizeof(err)))
		return 0;
	fr_otlp__encode_proto(b->spans, b->nr_spans, &pb);
	fr_otlp__encode_json(b->spans, b->nr_spans, &js);
	fr_buf__free(&pb);
	fr_buf__free(&js);
	fr_batch__put(b);
	return 0;
}
