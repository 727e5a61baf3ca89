// SPDX-License-Identifier: MIT
/*
 * problems.c - recurring causes: the Problem records of the "problems"
 * table to and from protobuf, and their reads (fr_store.h). The writer
 * side (counting each stored incident, marks) is in store.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "flightrec/snapshot/v1/snapshot.pb-c.h"
#include "store_int.h"

typedef Flightrec__Snapshot__V1__Problem PbProblem;

int fr_problem__encode(const struct fr_problem *p, struct fr_buf *out)
{
	PbProblem pb = FLIGHTREC__SNAPSHOT__V1__PROBLEM__INIT;
	size_t n;

	pb.signature = p->signature;
	pb.service = (char *)p->service;
	pb.span_name = (char *)p->span_name;
	pb.cause = (char *)p->cause;
	pb.count = p->count;
	pb.first_unix_nano = p->first_unix_nano;
	pb.last_unix_nano = p->last_unix_nano;
	pb.total_ns = p->total_ns;
	pb.muted = p->muted;
	pb.known = p->known;
	n = flightrec__snapshot__v1__problem__get_packed_size(&pb);
	fr_buf__reserve(out, n);
	if (out->oom)
		return -ENOMEM;
	flightrec__snapshot__v1__problem__pack(&pb, out->p + out->len);
	out->len += n;
	return 0;
}

int fr_problem__decode(const void *data, size_t len, struct fr_problem *out)
{
	PbProblem *pb = flightrec__snapshot__v1__problem__unpack(NULL, len, data);

	memset(out, 0, sizeof(*out));
	if (!pb)
		return -EIO;
	out->signature = pb->signature;
	snprintf(out->service, sizeof(out->service), "%s", pb->service ? pb->service : "");
	snprintf(out->span_name, sizeof(out->span_name), "%s", pb->span_name ? pb->span_name : "");
	snprintf(out->cause, sizeof(out->cause), "%s", pb->cause ? pb->cause : "");
	out->count = pb->count;
	out->first_unix_nano = pb->first_unix_nano;
	out->last_unix_nano = pb->last_unix_nano;
	out->total_ns = pb->total_ns;
	out->muted = pb->muted;
	out->known = pb->known;
	flightrec__snapshot__v1__problem__free_unpacked(pb, NULL);
	return 0;
}

int fr_store__problems(struct fr_store *s, struct fr_problem *out, size_t max)
{
	MDB_cursor *c;
	MDB_txn *txn;
	MDB_val k, v;
	int rc, n = 0;

	if (!s->has_problems)
		return 0;
	rc = fr_store_read_cursor(s, s->problems, &txn, &c);
	if (rc)
		return rc;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); !rc;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if ((size_t)n < max && fr_problem__decode(v.mv_data, v.mv_size, &out[n]))
			continue; /* unreadable: skipped */
		n++;
	}
	fr_store_read_done(txn, c);
	return n;
}

int fr_store__problem(struct fr_store *s, uint64_t signature, struct fr_problem *out)
{
	struct fr_buf b = { 0 };
	int rc;

	if (!s->has_problems)
		return -ENOENT;
	rc = fr_store_get_value(s, s->problems, signature, &b);
	if (!rc)
		rc = fr_problem__decode(b.p, b.len, out);
	fr_buf__free(&b);
	return rc;
}

int fr_store__problem_incidents(struct fr_store *s, uint64_t signature, uint64_t before_id,
				uint64_t *ids, size_t max)
{
	uint8_t kb[16];
	MDB_val k = { 16, kb }, v;
	MDB_cursor *c;
	MDB_txn *txn;
	int rc, n = 0;

	if (!s->has_problems)
		return 0;
	rc = fr_store_read_cursor(s, s->by_sig, &txn, &c);
	if (rc)
		return rc;
	/* keys are signature, then id, both big-endian: from just below
	 * (signature, before_id) backwards */
	fr_store_put_be64(kb, signature);
	fr_store_put_be64(kb + 8, before_id ? before_id : UINT64_MAX);
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	rc = rc == MDB_NOTFOUND ? mdb_cursor_get(c, &k, &v, MDB_LAST)
				: mdb_cursor_get(c, &k, &v, MDB_PREV);
	for (; !rc && (size_t)n < max; rc = mdb_cursor_get(c, &k, &v, MDB_PREV)) {
		uint64_t id;

		if (k.mv_size != 16 || fr_store_get_be64(k.mv_data) != signature)
			break;
		id = fr_store_get_be64((uint8_t *)k.mv_data + 8);
		if (before_id && id >= before_id)
			continue;
		ids[n++] = id;
	}
	fr_store_read_done(txn, c);
	return n;
}
