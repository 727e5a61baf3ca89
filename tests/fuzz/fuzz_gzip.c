// SPDX-License-Identifier: MIT
/* fuzz_gzip.c - gzip request bodies, inflated within a limit. */
#include <stdlib.h>

#include "fr_otlp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fr_buf out = { 0 };

	fr_otlp__gunzip(data, len, 1u << 20, &out);
	if (out.len > (1u << 20))
		abort(); /* the limit holds whatever the data says */
	fr_buf__free(&out);
	return 0;
}
