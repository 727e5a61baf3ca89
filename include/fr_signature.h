/* SPDX-License-Identifier: MIT */
/*
 * fr_signature.h - an incident's cause signature: what recurs when the same
 * problem comes back. The operation (service and span name), the kind of
 * root cause, and the resource, with the parts that change from one
 * occurrence to the next normalised away (pids, numbers, temp-file
 * suffixes, ids): "fsync(/var/tmp/fr-diag-bEb3th/wal-12)" and
 * "fsync(/var/tmp/fr-diag-Qx81Zt/wal-3)" are one cause,
 * "fsync(/var/lib/app/wal-#)" and "fsync(/var/lib/app/journal)" two.
 */
#ifndef FR_SIGNATURE_H
#define FR_SIGNATURE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Normalises text into out: runs of digits become '#', but for IPv4
 * addresses and ports below the ephemeral range (after ':'), which name a
 * peer; a token of letters and digits that looks generated (6 characters
 * with a digit or both cases, as mkstemp and mkdtemp make; 8 or more hex
 * digits with a digit, as ids and hashes are) becomes '*'. Everything else
 * is kept.
 */
void fr_signature__normalise(const char *text, char *out, size_t len);

/*
 * The signature of a cause of operation service/span_name: kind ("blocked",
 * "on-cpu", "runqueue", "no-context") and the cause's text; the normalised
 * cause into cause_out, and a 64-bit id of the whole (never 0).
 */
uint64_t fr_signature(const char *service, const char *span_name, const char *kind,
		      const char *cause, char *cause_out, size_t cause_len);

struct fr_evidence;

/*
 * An incident's signature from its evidence (NULL without kernel context,
 * then no_context says why): the root of the wake-up chain when the time
 * went into another task; waiting for CPU, by the name of who held it;
 * else the span's thread's largest cause.
 */
uint64_t fr_signature__of(const char *service, const char *span_name,
			  const struct fr_evidence *ev, const char *no_context, char *cause_out,
			  size_t cause_len);

#endif /* FR_SIGNATURE_H */
