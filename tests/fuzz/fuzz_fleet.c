// SPDX-License-Identifier: MIT
/* fuzz_fleet.c - what other nodes send over NATS: a capture request that
 * decodes keeps every bound and encodes back to the same request; an
 * answer decodes or is refused, never crashes. */
#include <stdlib.h>
#include <string.h>

#include "fr_fleet.h"

#define NOW 1800000000000000000ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fr_capture_req r, back;
	struct fr_capture_answer a;
	struct fr_buf b = { 0 };
	char err[160];

	fr_capture_answer__decode((const char *)data, len, &a);
	if (fr_capture_req__decode((const char *)data, len, NOW, 8, &r, err, sizeof(err)))
		return 0;
	if (r.hops < 1 || r.hops > r.max_hops || r.max_hops > 8 ||
	    r.deadline_unix_ns + FR_FLEET_LATE_NS <= NOW ||
	    r.end_unix_ns < r.start_unix_ns ||
	    r.end_unix_ns - r.start_unix_ns > FR_FLEET_MAX_WINDOW_NS ||
	    r.nr_visited > FR_FLEET_MAX_VISITED)
		abort();
	if (fr_capture_req__encode(&r, &b) ||
	    fr_capture_req__decode((const char *)b.p, b.len, NOW, 8, &back, err, sizeof(err)) ||
	    memcmp(back.trace_id, r.trace_id, 16) || back.hops != r.hops ||
	    back.nr_visited != r.nr_visited || back.deadline_unix_ns != r.deadline_unix_ns ||
	    (r.local.ss_family ? !fr_sockaddr__same(&back.local, &r.local)
			       : back.local.ss_family != 0))
		abort();
	fr_buf__free(&b);
	return 0;
}
