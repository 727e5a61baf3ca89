/* SPDX-License-Identifier: MIT */
/*
 * store_int.h - private to store/: the store's state, shared by the writer
 * side (store.c) and the readers (read.c).
 */
#ifndef FR_STORE_INT_H
#define FR_STORE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <lmdb.h>

#include "fr_store.h"

#define MAX_QUEUE 256
#define BATCH 64

enum item_kind { IT_PUT, IT_DELETE, IT_RULES, IT_MARK, IT_UPDATE };

struct item {
	struct item *next;
	enum item_kind kind;
	struct fr_incident_summary sum;
	struct fr_buf summary_pb;
	void *frsnap;
	size_t frsnap_len;
	fr_store_done_fn done;
	void *ctx;
	/* IT_DELETE / IT_RULES: a waiting caller */
	uint64_t del_id;
	const uint32_t *rule_ids;
	const char *const *rule_texts;
	size_t nr_rules;
	/* IT_UPDATE (del_id: the incident) */
	void (*update)(void *ctx, struct fr_incident_summary *sum);
	void *update_ctx;
	/* IT_MARK */
	uint64_t signature;
	int muted, known;
	int result;
	bool finished;
};

struct fr_store {
	struct fr_store_opts o;
	MDB_env *env;
	MDB_dbi incidents, snapshots, by_trace, by_op, rules, meta, by_sig, problems;
	bool has_dbs;
	bool has_problems;      /* a read-only open of a store from before them: false */
	pthread_t writer;
	bool writer_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;      /* the writer: work or stop */
	pthread_cond_t done_cv; /* callers waiting for their item or for sync */
	struct item *head, *tail;
	size_t queued;
	bool busy, stop;
	uint64_t last_id;
	struct fr_store_stats st;
	uint64_t map_size;
};

/* Big-endian 64-bit keys: LMDB orders them as numbers. */
static inline void fr_store_put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static inline uint64_t fr_store_get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Logs an LMDB error with its text; the -errno it stands for. */
int fr_store_lmdb_err(int rc, const char *what);

/* The bytes the store holds, as its meta database counts them. */
uint64_t fr_store_meta_bytes(MDB_txn *txn, struct fr_store *s);

/* read.c: the value of 8-byte key id in dbi appended to out: 0, -ENOENT,
 * or -errno (logged). */
int fr_store_get_value(struct fr_store *s, MDB_dbi dbi, uint64_t id, struct fr_buf *out);

/* read.c: a read-only transaction with a cursor on dbi (0 or -errno,
 * logged), and its end. */
int fr_store_read_cursor(struct fr_store *s, MDB_dbi dbi, MDB_txn **txn, MDB_cursor **c);
void fr_store_read_done(MDB_txn *txn, MDB_cursor *c);

/* problems.c: a Problem to and from its protobuf form. */
int fr_problem__encode(const struct fr_problem *p, struct fr_buf *out);
int fr_problem__decode(const void *data, size_t len, struct fr_problem *out);

#endif /* FR_STORE_INT_H */
