// SPDX-License-Identifier: MIT
/*
 * read.c - the store's reads (fr_store.h): any thread, concurrently with
 * the writer, each in its own read-only transaction.
 */
#define FR_LOG_MOD "store"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_log.h"
#include "store_int.h"

/* ---------------- reads ---------------- */

int fr_store_get_value(struct fr_store *s, MDB_dbi dbi, uint64_t id, struct fr_buf *out)
{
	uint8_t kb[8];
	MDB_val k = { 8, kb }, v;
	MDB_txn *txn;
	int rc;

	fr_store_put_be64(kb, id);
	rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn);
	if (rc)
		return fr_store_lmdb_err(rc, "read transaction");
	rc = mdb_get(txn, dbi, &k, &v);
	if (!rc)
		fr_buf__put(out, v.mv_data, v.mv_size);
	mdb_txn_abort(txn);
	if (rc == MDB_NOTFOUND)
		return -ENOENT;
	if (rc)
		return fr_store_lmdb_err(rc, "read");
	return out->oom ? -ENOMEM : 0;
}

int fr_store__summary(struct fr_store *s, uint64_t id, struct fr_incident_summary *out)
{
	struct fr_buf b = { 0 };
	int rc = fr_store_get_value(s, s->incidents, id, &b);

	if (!rc)
		rc = fr_summary__decode(b.p, b.len, out);
	fr_buf__free(&b);
	return rc;
}

int fr_store__snapshot(struct fr_store *s, uint64_t id, struct fr_buf *out)
{
	return fr_store_get_value(s, s->snapshots, id, out);
}

static bool matches(const struct fr_store_query *q, const struct fr_incident_summary *sum)
{
	if (q->service && strcmp(q->service, sum->service))
		return false;
	if (q->span_name && strcmp(q->span_name, sum->span_name))
		return false;
	if (q->node && strcmp(q->node, sum->node))
		return false;
	if (q->from_unix_nano && sum->time_unix_nano < q->from_unix_nano)
		return false;
	if (q->to_unix_nano && sum->time_unix_nano > q->to_unix_nano)
		return false;
	return sum->duration_ns >= q->min_duration_ns;
}

int fr_store_read_cursor(struct fr_store *s, MDB_dbi dbi, MDB_txn **txn, MDB_cursor **c)
{
	int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);

	if (rc)
		return fr_store_lmdb_err(rc, "read transaction");
	rc = mdb_cursor_open(*txn, dbi, c);
	if (rc) {
		mdb_txn_abort(*txn);
		return fr_store_lmdb_err(rc, "cursor");
	}
	return 0;
}

void fr_store_read_done(MDB_txn *txn, MDB_cursor *c)
{
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
}

int fr_store__list(struct fr_store *s, const struct fr_store_query *q,
		   struct fr_incident_summary *out, uint64_t *next_cursor)
{
	uint32_t limit = q->limit ? q->limit : 50;
	uint8_t kb[8];
	MDB_val k = { 8, kb }, v;
	MDB_cursor *c;
	MDB_txn *txn;
	int rc, n = 0;

	*next_cursor = 0;
	rc = fr_store_read_cursor(s, s->incidents, &txn, &c);
	if (rc)
		return rc;
	if (q->before_id) {
		fr_store_put_be64(kb, q->before_id);
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		rc = rc == MDB_NOTFOUND ? mdb_cursor_get(c, &k, &v, MDB_LAST)
					: mdb_cursor_get(c, &k, &v, MDB_PREV);
		/* SET_RANGE landed at or after before_id; LAST may be below it */
		while (!rc && fr_store_get_be64(k.mv_data) >= q->before_id)
			rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
	} else {
		rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	}
	for (; !rc; rc = mdb_cursor_get(c, &k, &v, MDB_PREV)) {
		struct fr_incident_summary sum;

		if (fr_summary__decode(v.mv_data, v.mv_size, &sum))
			continue; /* a record we cannot read is skipped, not fatal */
		sum.id = fr_store_get_be64(k.mv_data);
		if (q->from_unix_nano && (sum.id >> 16) * 1000000 + 60000000000ull < q->from_unix_nano)
			break; /* ids are capture times: everything older is out of range */
		if (!matches(q, &sum))
			continue;
		if ((uint32_t)n == limit) {
			*next_cursor = out[n - 1].id;
			break;
		}
		out[n++] = sum;
	}
	fr_store_read_done(txn, c);
	return n;
}

int fr_store__by_trace(struct fr_store *s, const uint8_t trace_id[16], uint64_t *ids, size_t max)
{
	uint8_t kb[24] = { 0 };
	MDB_val k = { 24, kb }, v;
	MDB_cursor *c;
	MDB_txn *txn;
	int rc, n = 0;

	memcpy(kb, trace_id, 16);
	rc = fr_store_read_cursor(s, s->by_trace, &txn, &c);
	if (rc)
		return rc;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	     !rc && k.mv_size == 24 && !memcmp(k.mv_data, trace_id, 16);
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if ((size_t)n < max)
			ids[n] = fr_store_get_be64((uint8_t *)k.mv_data + 16);
		n++;
	}
	fr_store_read_done(txn, c);
	return n;
}

int fr_store__load_rules(struct fr_store *s, void (*fn)(void *ctx, uint32_t id, const char *text),
			 void *ctx)
{
	MDB_val k, v;
	MDB_cursor *c;
	MDB_txn *txn;
	int rc, n = 0;

	rc = fr_store_read_cursor(s, s->rules, &txn, &c);
	if (rc)
		return rc;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); !rc;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		char text[1024];

		snprintf(text, sizeof(text), "%.*s", (int)v.mv_size, (char *)v.mv_data);
		if (k.mv_size == 8)
			fn(ctx, (uint32_t)fr_store_get_be64(k.mv_data), text);
		n++;
	}
	fr_store_read_done(txn, c);
	return n;
}

void fr_store__stats(struct fr_store *s, struct fr_store_stats *out)
{
	MDB_txn *txn;
	MDB_stat ms;

	pthread_mutex_lock(&s->mu);
	*out = s->st;
	out->queued = s->queued;
	pthread_mutex_unlock(&s->mu);
	if (!mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) {
		if (!mdb_stat(txn, s->incidents, &ms))
			out->incidents = ms.ms_entries;
		out->bytes = fr_store_meta_bytes(txn, s);
		mdb_txn_abort(txn);
	}
}
