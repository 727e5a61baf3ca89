// SPDX-License-Identifier: MIT
/*
 * store.c - the incident store on LMDB (fr_store.h): open and close, and
 * every change, through one writer thread. Reads are in read.c, the
 * summary codec in summary.c.
 */
#define FR_LOG_MOD "store"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <lmdb.h>

#include "fr_clock.h"
#include "fr_log.h"
#include "store_int.h"

int fr_store_lmdb_err(int rc, const char *what)
{
	pr_err("%s: %s", what, mdb_strerror(rc));
	if (rc == MDB_MAP_FULL)
		return -ENOSPC;
	if (rc == MDB_NOTFOUND)
		return -ENOENT;
	return rc > 0 ? -rc : (rc < 0 ? -EIO : 0);
}

/* The op index key: service \0 name \0 id. */
static size_t op_key(const struct fr_incident_summary *sum, uint8_t *buf, size_t cap)
{
	size_t sl = strlen(sum->service), nl = strlen(sum->span_name);

	if (sl + nl + 10 > cap)
		nl = cap - sl - 10;
	memcpy(buf, sum->service, sl);
	buf[sl] = 0;
	memcpy(buf + sl + 1, sum->span_name, nl);
	buf[sl + 1 + nl] = 0;
	fr_store_put_be64(buf + sl + nl + 2, sum->id);
	return sl + nl + 10;
}

uint64_t fr_store_meta_bytes(MDB_txn *txn, struct fr_store *s)
{
	MDB_val k = { 5, "bytes" }, v;

	if (mdb_get(txn, s->meta, &k, &v) || v.mv_size != 8)
		return 0;
	return fr_store_get_be64(v.mv_data);
}

static int set_meta_bytes(MDB_txn *txn, struct fr_store *s, uint64_t bytes)
{
	uint8_t b[8];
	MDB_val k = { 5, "bytes" }, v = { 8, b };

	fr_store_put_be64(b, bytes);
	return mdb_put(txn, s->meta, &k, &v, 0);
}

/* Incidents evicted by a transaction, counted once it commits. */
struct evictions {
	uint64_t size, age;
};

static void count_evictions(struct fr_store *s, const struct evictions *ev)
{
	s->st.evicted_size += ev->size;
	s->st.evicted_age += ev->age;
}

/*
 * What the store may hold now: max_bytes, but no more than the filesystem
 * can take: three quarters of the space it has, which is its LMDB file
 * (whose free pages LMDB reuses) plus what the filesystem has free; the
 * rest is for LMDB's own pages and for whoever else writes there. A store
 * larger than its disk evicts the oldest instead of failing every commit.
 */
static uint64_t room_limit(struct fr_store *s)
{
	char path[4096];
	struct statvfs fs;
	struct stat st;
	uint64_t cap;

	snprintf(path, sizeof(path), "%s/data.mdb", s->o.dir);
	if (statvfs(s->o.dir, &fs) || stat(path, &st))
		return s->o.max_bytes;
	cap = ((uint64_t)st.st_size + (uint64_t)fs.f_bavail * fs.f_frsize) / 4 * 3;
	return cap < s->o.max_bytes ? cap : s->o.max_bytes;
}

/* Is the filesystem under the store (all but) full? */
static bool disk_full(struct fr_store *s)
{
	struct statvfs fs;

	return !statvfs(s->o.dir, &fs) && (uint64_t)fs.f_bavail * fs.f_frsize < (4u << 20);
}

/* Removes incident id and its index entries; *freed gets its bytes. */
static int delete_in(MDB_txn *txn, struct fr_store *s, uint64_t id, uint64_t *freed)
{
	uint8_t kb[8], tk[24], ok[400];
	MDB_val k = { 8, kb }, v;
	struct fr_incident_summary sum;
	uint64_t size = 0;
	int rc;

	fr_store_put_be64(kb, id);
	rc = mdb_get(txn, s->incidents, &k, &v);
	if (rc)
		return rc;
	size += v.mv_size;
	if (!fr_summary__decode(v.mv_data, v.mv_size, &sum)) {
		MDB_val tkey = { 24, tk }, okey;

		memcpy(tk, sum.trace_id, 16);
		fr_store_put_be64(tk + 16, id);
		mdb_del(txn, s->by_trace, &tkey, NULL);
		sum.id = id;
		okey.mv_size = op_key(&sum, ok, sizeof(ok));
		okey.mv_data = ok;
		mdb_del(txn, s->by_op, &okey, NULL);
		if (sum.signature) {
			MDB_val skey = { 16, tk };

			fr_store_put_be64(tk, sum.signature);
			fr_store_put_be64(tk + 8, id);
			mdb_del(txn, s->by_sig, &skey, NULL);
		}
	}
	if (!mdb_get(txn, s->snapshots, &k, &v))
		size += v.mv_size;
	mdb_del(txn, s->snapshots, &k, NULL);
	rc = mdb_del(txn, s->incidents, &k, NULL);
	if (rc)
		return rc;
	*freed = size;
	return 0;
}

/* Evicts oldest first while bytes > target or ids are older than cutoff;
 * counts into ev, which the caller adds to the stats once it committed. */
static int evict(MDB_txn *txn, struct fr_store *s, uint64_t *bytes, uint64_t target,
		 uint64_t cutoff_id, int min_count, struct evictions *ev)
{
	MDB_cursor *c;
	MDB_val k, v;
	int rc, n = 0;

	rc = mdb_cursor_open(txn, s->incidents, &c);
	if (rc)
		return rc;
	while (!mdb_cursor_get(c, &k, &v, MDB_FIRST)) {
		uint64_t id = fr_store_get_be64(k.mv_data), freed = 0;
		bool by_age = id < cutoff_id, by_size = *bytes > target;

		if (!by_age && !by_size && n >= min_count)
			break;
		mdb_cursor_close(c);
		rc = delete_in(txn, s, id, &freed);
		if (rc)
			return rc;
		*bytes = *bytes > freed ? *bytes - freed : 0;
		if (by_age)
			ev->age++;
		else
			ev->size++;
		n++;
		rc = mdb_cursor_open(txn, s->incidents, &c);
		if (rc)
			return rc;
	}
	mdb_cursor_close(c);
	return 0;
}

static int count_problem(MDB_txn *txn, struct fr_store *s, const struct fr_incident_summary *sum);

static int put_in(MDB_txn *txn, struct fr_store *s, struct item *it, uint64_t *bytes,
		  uint64_t limit, struct evictions *ev)
{
	uint8_t kb[8], tk[24], ok[400];
	MDB_val k = { 8, kb }, v, empty = { 0, NULL };
	uint64_t size = it->summary_pb.len + it->frsnap_len;
	int rc;

	if (*bytes + size > limit) {
		rc = evict(txn, s, bytes, limit > size ? limit - size : 0, 0, 0, ev);
		if (rc)
			return rc;
	}
	fr_store_put_be64(kb, it->sum.id);
	v.mv_size = it->summary_pb.len;
	v.mv_data = it->summary_pb.p;
	rc = mdb_put(txn, s->incidents, &k, &v, 0);
	if (rc)
		return rc;
	v.mv_size = it->frsnap_len;
	v.mv_data = it->frsnap;
	rc = mdb_put(txn, s->snapshots, &k, &v, 0);
	if (rc)
		return rc;
	memcpy(tk, it->sum.trace_id, 16);
	fr_store_put_be64(tk + 16, it->sum.id);
	k.mv_size = 24;
	k.mv_data = tk;
	rc = mdb_put(txn, s->by_trace, &k, &empty, 0);
	if (rc)
		return rc;
	k.mv_size = op_key(&it->sum, ok, sizeof(ok));
	k.mv_data = ok;
	rc = mdb_put(txn, s->by_op, &k, &empty, 0);
	if (rc)
		return rc;
	if (it->sum.signature) {
		rc = count_problem(txn, s, &it->sum);
		if (rc)
			return rc;
	}
	*bytes += size;
	return 0;
}

/* Reads problem signature into *p (zeroed when new); 0, MDB_NOTFOUND, or an error. */
static int get_problem(MDB_txn *txn, struct fr_store *s, uint64_t signature, struct fr_problem *p)
{
	uint8_t kb[8];
	MDB_val k = { 8, kb }, v;
	int rc;

	memset(p, 0, sizeof(*p));
	fr_store_put_be64(kb, signature);
	rc = mdb_get(txn, s->problems, &k, &v);
	if (!rc && fr_problem__decode(v.mv_data, v.mv_size, p))
		memset(p, 0, sizeof(*p)); /* unreadable: counted again from here */
	return rc;
}

static int put_problem(MDB_txn *txn, struct fr_store *s, const struct fr_problem *p)
{
	struct fr_buf b = { 0 };
	uint8_t kb[8];
	MDB_val k = { 8, kb }, v;
	int rc;

	if (fr_problem__encode(p, &b)) {
		fr_buf__free(&b);
		return ENOMEM;
	}
	fr_store_put_be64(kb, p->signature);
	v.mv_size = b.len;
	v.mv_data = b.p;
	rc = mdb_put(txn, s->problems, &k, &v, 0);
	fr_buf__free(&b);
	return rc;
}

/* An incident of signature sum->signature: indexed, and counted. */
static int count_problem(MDB_txn *txn, struct fr_store *s, const struct fr_incident_summary *sum)
{
	uint8_t sk[16];
	MDB_val k = { 16, sk }, empty = { 0, NULL };
	struct fr_problem p;
	int rc;

	fr_store_put_be64(sk, sum->signature);
	fr_store_put_be64(sk + 8, sum->id);
	rc = mdb_put(txn, s->by_sig, &k, &empty, 0);
	if (rc)
		return rc;
	rc = get_problem(txn, s, sum->signature, &p);
	if (rc && rc != MDB_NOTFOUND)
		return rc;
	if (!p.count) {
		p.signature = sum->signature;
		snprintf(p.service, sizeof(p.service), "%s", sum->service);
		snprintf(p.span_name, sizeof(p.span_name), "%s", sum->span_name);
		snprintf(p.cause, sizeof(p.cause), "%s", sum->cause);
		p.first_unix_nano = sum->time_unix_nano;
	}
	p.count++;
	if (sum->time_unix_nano > p.last_unix_nano)
		p.last_unix_nano = sum->time_unix_nano;
	if (sum->time_unix_nano < p.first_unix_nano)
		p.first_unix_nano = sum->time_unix_nano;
	p.total_ns += sum->duration_ns;
	return put_problem(txn, s, &p);
}

static int mark_in(MDB_txn *txn, struct fr_store *s, struct item *it)
{
	struct fr_problem p;
	int rc = get_problem(txn, s, it->signature, &p);

	if (rc)
		return rc;
	if (it->muted >= 0)
		p.muted = it->muted;
	if (it->known >= 0)
		p.known = it->known;
	return put_problem(txn, s, &p);
}

/* A stored summary changed by it->update, in place: *bytes follows its
 * new size. 0, MDB_NOTFOUND, or an error. */
static int update_in(MDB_txn *txn, struct fr_store *s, struct item *it, uint64_t *bytes)
{
	struct fr_incident_summary *sum = malloc(sizeof(*sum));
	struct fr_buf b = { 0 };
	uint8_t kb[8];
	MDB_val k = { 8, kb }, v;
	int rc;

	if (!sum)
		return ENOMEM;
	fr_store_put_be64(kb, it->del_id);
	rc = mdb_get(txn, s->incidents, &k, &v);
	if (rc)
		goto out;
	if (fr_summary__decode(v.mv_data, v.mv_size, sum)) {
		rc = MDB_NOTFOUND; /* unreadable: as if gone */
		goto out;
	}
	*bytes = *bytes > v.mv_size ? *bytes - v.mv_size : 0;
	it->update(it->update_ctx, sum);
	sum->id = it->del_id; /* the key stays the key */
	if (fr_summary__encode(sum, &b)) {
		rc = ENOMEM;
		goto out;
	}
	v.mv_size = b.len;
	v.mv_data = b.p;
	rc = mdb_put(txn, s->incidents, &k, &v, 0);
	if (!rc)
		*bytes += b.len;
out:
	fr_buf__free(&b);
	free(sum);
	return rc;
}

static int rules_in(MDB_txn *txn, struct fr_store *s, struct item *it)
{
	int rc = mdb_drop(txn, s->rules, 0);

	for (size_t i = 0; !rc && i < it->nr_rules; i++) {
		uint8_t kb[8];
		MDB_val k = { 8, kb }, v = { strlen(it->rule_texts[i]), (void *)it->rule_texts[i] };

		fr_store_put_be64(kb, it->rule_ids[i]);
		rc = mdb_put(txn, s->rules, &k, &v, 0);
	}
	return rc;
}

/*
 * Ends a write transaction that went as rc says: on success records the
 * bytes the store now holds and commits, and only a commit that succeeded
 * has its evictions counted; otherwise aborts. 0 or an LMDB error.
 */
static int end_txn(struct fr_store *s, MDB_txn *txn, int rc, uint64_t bytes,
		   const struct evictions *ev)
{
	if (!rc)
		rc = set_meta_bytes(txn, s, bytes);
	if (rc) {
		mdb_txn_abort(txn);
		return rc;
	}
	rc = mdb_txn_commit(txn);
	if (!rc) {
		s->st.bytes = bytes;
		count_evictions(s, ev);
	}
	return rc;
}

/*
 * A change a caller waits for went as LMDB says (r): the caller gets 0,
 * -ENOENT for what is not there (the transaction goes on) or -EIO; the
 * transaction's own result is returned (an error other than not-found
 * aborts it).
 */
static int caller_result(struct item *it, int r)
{
	it->result = r == MDB_NOTFOUND ? -ENOENT : r ? -EIO : 0;
	return r == MDB_NOTFOUND ? 0 : r;
}

/* One transaction for a batch of items: 0 or an LMDB error. */
static int commit_batch(struct fr_store *s, struct item **items, int n)
{
	uint64_t now_ms = s->o.now_wall() / 1000000, bytes, cutoff = 0, limit;
	struct evictions ev = { 0 };
	MDB_txn *txn;
	int rc;

	rc = mdb_txn_begin(s->env, NULL, 0, &txn);
	if (rc)
		return rc;
	bytes = fr_store_meta_bytes(txn, s);
	limit = room_limit(s);
	if (now_ms > s->o.max_age_s * 1000)
		cutoff = (now_ms - s->o.max_age_s * 1000) << 16;
	rc = evict(txn, s, &bytes, limit, cutoff, 0, &ev);
	for (int i = 0; !rc && i < n; i++) {
		struct item *it = items[i];
		uint64_t freed = 0;

		switch (it->kind) {
		case IT_PUT:
			rc = put_in(txn, s, it, &bytes, limit, &ev);
			break;
		case IT_DELETE:
			it->result = delete_in(txn, s, it->del_id, &freed);
			if (it->result == MDB_NOTFOUND)
				it->result = -ENOENT;
			else if (it->result)
				rc = it->result;
			bytes = bytes > freed ? bytes - freed : 0;
			break;
		case IT_RULES:
			rc = rules_in(txn, s, it);
			break;
		case IT_UPDATE:
			rc = caller_result(it, update_in(txn, s, it, &bytes));
			break;
		case IT_MARK:
			rc = caller_result(it, mark_in(txn, s, it));
			break;
		}
	}
	return end_txn(s, txn, rc, bytes, &ev);
}

/* The map or the disk is full: evict a quarter of the bytes (at least one
 * incident). */
static int make_room(struct fr_store *s)
{
	struct evictions ev = { 0 };
	MDB_txn *txn;
	uint64_t bytes;
	int rc = mdb_txn_begin(s->env, NULL, 0, &txn);

	if (rc)
		return rc;
	bytes = fr_store_meta_bytes(txn, s);
	rc = evict(txn, s, &bytes, bytes / 4 * 3, 0, 1, &ev);
	return end_txn(s, txn, rc, bytes, &ev);
}

/* Out of room: the map is full, or the filesystem under it (LMDB says EIO
 * for a write the full filesystem cut short). */
static bool out_of_room(struct fr_store *s, int rc)
{
	return rc == MDB_MAP_FULL || rc == ENOSPC || rc == EDQUOT || (rc == EIO && disk_full(s));
}

static void finish_item(struct fr_store *s, struct item *it, int err)
{
	if (it->kind == IT_PUT) {
		if (err)
			s->st.put_errors++;
		else
			s->st.puts++;
		if (it->done)
			it->done(it->ctx, it->sum.id, err);
		free(it->frsnap);
		fr_buf__free(&it->summary_pb);
		free(it);
		return;
	}
	/* a caller waits for this one */
	if (err && !it->result)
		it->result = err;
	it->finished = true;
}

static void *writer(void *arg)
{
	struct fr_store *s = arg;
	struct item *batch[BATCH];

	pthread_mutex_lock(&s->mu);
	for (;;) {
		int n = 0, rc;

		while (!s->head && !s->stop)
			pthread_cond_wait(&s->cv, &s->mu);
		if (!s->head && s->stop)
			break;
		while (s->head && n < BATCH) {
			batch[n++] = s->head;
			s->head = s->head->next;
			s->queued--;
		}
		if (!s->head)
			s->tail = NULL;
		s->busy = true;
		pthread_mutex_unlock(&s->mu);

		rc = commit_batch(s, batch, n);
		for (int tries = 0; out_of_room(s, rc) && tries < 8; tries++) {
			if (rc == MDB_MAP_FULL)
				s->st.map_full++;
			else
				s->st.disk_full++;
			pr_warn("store %s: evicting the oldest incidents and retrying",
				rc == MDB_MAP_FULL ? "map full" : "filesystem full");
			if (make_room(s))
				break;
			rc = commit_batch(s, batch, n);
		}
		if (rc)
			fr_store_lmdb_err(rc, "store commit failed");
		pthread_mutex_lock(&s->mu);
		for (int i = 0; i < n; i++)
			finish_item(s, batch[i], rc ? (out_of_room(s, rc) ? -ENOSPC : -EIO) : 0);
		s->busy = false;
		pthread_cond_broadcast(&s->done_cv);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static void enqueue(struct fr_store *s, struct item *it)
{
	if (s->tail)
		s->tail->next = it;
	else
		s->head = it;
	s->tail = it;
	s->queued++;
	pthread_cond_signal(&s->cv);
}

/* Queues an item and waits for the writer to finish it. */
static int run_and_wait(struct fr_store *s, struct item *it)
{
	pthread_mutex_lock(&s->mu);
	enqueue(s, it);
	while (!it->finished)
		pthread_cond_wait(&s->done_cv, &s->mu);
	pthread_mutex_unlock(&s->mu);
	return it->result;
}

/* ---------------- open / close ---------------- */

static int open_dbs(struct fr_store *s)
{
	unsigned flags = s->o.read_only ? 0 : MDB_CREATE;
	MDB_txn *txn;
	int rc;

	rc = mdb_txn_begin(s->env, NULL, s->o.read_only ? MDB_RDONLY : 0, &txn);
	if (rc)
		return rc;
	if ((rc = mdb_dbi_open(txn, "incidents", flags, &s->incidents)) ||
	    (rc = mdb_dbi_open(txn, "snapshots", flags, &s->snapshots)) ||
	    (rc = mdb_dbi_open(txn, "by_trace", flags, &s->by_trace)) ||
	    (rc = mdb_dbi_open(txn, "by_op", flags, &s->by_op)) ||
	    (rc = mdb_dbi_open(txn, "rules", flags, &s->rules)) ||
	    (rc = mdb_dbi_open(txn, "meta", flags, &s->meta))) {
		mdb_txn_abort(txn);
		return rc;
	}
	/* tables added later: absent from an older store opened read-only */
	rc = mdb_dbi_open(txn, "by_sig", flags, &s->by_sig);
	if (!rc)
		rc = mdb_dbi_open(txn, "problems", flags, &s->problems);
	if (rc && !(rc == MDB_NOTFOUND && s->o.read_only)) {
		mdb_txn_abort(txn);
		return rc;
	}
	s->has_problems = !rc;
	s->st.bytes = fr_store_meta_bytes(txn, s);
	{
		MDB_cursor *c;
		MDB_val k, v;

		if (!mdb_cursor_open(txn, s->incidents, &c)) {
			if (!mdb_cursor_get(c, &k, &v, MDB_LAST))
				s->last_id = fr_store_get_be64(k.mv_data);
			mdb_cursor_close(c);
		}
	}
	s->has_dbs = true;
	return mdb_txn_commit(txn);
}

struct fr_store *fr_store__open(const struct fr_store_opts *opts)
{
	struct fr_store *s;
	int rc, err;

	if (!opts || !opts->dir) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	fr_opts_copy(&s->o, opts);
	if (!s->o.max_bytes)
		s->o.max_bytes = 1ull << 30;
	if (!s->o.max_age_s)
		s->o.max_age_s = 7 * 24 * 3600;
	if (!s->o.now_wall)
		s->o.now_wall = fr_wall_ns;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	pthread_cond_init(&s->done_cv, NULL);
	if (!s->o.read_only && mkdir(opts->dir, 0755) && errno != EEXIST) {
		err = -errno;
		pr_err("cannot create the data directory %s: %s", opts->dir, strerror(errno));
		goto fail;
	}
	/* Room for the retained bytes and LMDB's own pages; the file is sparse. */
	s->map_size = s->o.max_bytes + s->o.max_bytes / 2 + (64ull << 20);
	s->st.map_bytes = s->map_size;
	if ((rc = mdb_env_create(&s->env)) || (rc = mdb_env_set_maxdbs(s->env, 10)) ||
	    (rc = mdb_env_set_mapsize(s->env, s->map_size)) ||
	    (rc = mdb_env_open(s->env, opts->dir,
			       MDB_NOTLS | (s->o.read_only ? MDB_RDONLY : 0), 0644))) {
		err = fr_store_lmdb_err(rc, "cannot open the store");
		pr_err("store directory: %s", opts->dir);
		goto fail;
	}
	rc = open_dbs(s);
	if (rc) {
		err = fr_store_lmdb_err(rc, "cannot open the store's databases");
		goto fail;
	}
	if (!s->o.read_only) {
		if (pthread_create(&s->writer, NULL, writer, s)) {
			err = -EAGAIN;
			goto fail;
		}
		s->writer_started = true;
	}
	return s;
fail:
	if (s->env)
		mdb_env_close(s->env);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	pthread_cond_destroy(&s->done_cv);
	free(s);
	errno = -err;
	return NULL;
}

void fr_store__close(struct fr_store *s)
{
	if (!s)
		return;
	if (s->writer_started) {
		pthread_mutex_lock(&s->mu);
		s->stop = true;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->writer, NULL);
	}
	mdb_env_close(s->env);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	pthread_cond_destroy(&s->done_cv);
	free(s);
}

uint64_t fr_store__new_id(struct fr_store *s)
{
	uint64_t id = (s->o.now_wall() / 1000000) << 16;

	pthread_mutex_lock(&s->mu);
	if (id <= s->last_id)
		id = s->last_id + 1;
	s->last_id = id;
	pthread_mutex_unlock(&s->mu);
	return id;
}

int fr_store__put(struct fr_store *s, const struct fr_incident_summary *sum, void *frsnap,
		  size_t frsnap_len, fr_store_done_fn done, void *ctx)
{
	struct item *it;

	if (s->o.read_only) {
		free(frsnap);
		return -EROFS;
	}
	it = calloc(1, sizeof(*it));
	if (!it) {
		free(frsnap);
		return -ENOMEM;
	}
	it->kind = IT_PUT;
	it->sum = *sum;
	it->sum.snapshot_bytes = frsnap_len;
	it->frsnap = frsnap;
	it->frsnap_len = frsnap_len;
	it->done = done;
	it->ctx = ctx;
	if (fr_summary__encode(&it->sum, &it->summary_pb)) {
		free(frsnap);
		free(it);
		return -ENOMEM;
	}
	pthread_mutex_lock(&s->mu);
	if (s->queued >= MAX_QUEUE || s->stop) {
		pthread_mutex_unlock(&s->mu);
		fr_buf__free(&it->summary_pb);
		free(frsnap);
		free(it);
		return -EAGAIN;
	}
	enqueue(s, it);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

void fr_store__sync(struct fr_store *s)
{
	if (s->o.read_only)
		return;
	pthread_mutex_lock(&s->mu);
	while (s->head || s->busy)
		pthread_cond_wait(&s->done_cv, &s->mu);
	pthread_mutex_unlock(&s->mu);
}

int fr_store__delete(struct fr_store *s, uint64_t id)
{
	struct item it = { .kind = IT_DELETE, .del_id = id };

	if (s->o.read_only)
		return -EROFS;
	return run_and_wait(s, &it);
}

int fr_store__mark_problem(struct fr_store *s, uint64_t signature, int muted, int known)
{
	struct item it = { .kind = IT_MARK, .signature = signature, .muted = muted, .known = known };

	if (s->o.read_only)
		return -EROFS;
	return run_and_wait(s, &it);
}

int fr_store__update(struct fr_store *s, uint64_t id,
		     void (*fn)(void *ctx, struct fr_incident_summary *sum), void *ctx)
{
	struct item it = { .kind = IT_UPDATE, .del_id = id, .update = fn, .update_ctx = ctx };

	if (s->o.read_only)
		return -EROFS;
	return run_and_wait(s, &it);
}

int fr_store__save_rules(struct fr_store *s, const uint32_t *ids, const char *const *texts,
			 size_t n)
{
	struct item it = { .kind = IT_RULES, .rule_ids = ids, .rule_texts = texts, .nr_rules = n };

	if (s->o.read_only)
		return -EROFS;
	return run_and_wait(s, &it);
}

