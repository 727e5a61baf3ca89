// SPDX-License-Identifier: MIT
/* fuzz_store.c - stored incident summaries: decode, and what decodes
 * encodes and decodes to the same. */
#include <stdlib.h>
#include <string.h>

#include "fr_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fr_incident_summary s, again;
	struct fr_buf b = { 0 };

	if (fr_summary__decode(data, len, &s))
		return 0;
	if (fr_summary__encode(&s, &b) || fr_summary__decode(b.p, b.len, &again) ||
	    again.duration_ns != s.duration_ns || strcmp(again.verdict, s.verdict) ||
	    strcmp(again.service, s.service))
		abort();
	fr_buf__free(&b);
	return 0;
}
