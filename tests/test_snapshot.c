// SPDX-License-Identifier: MIT
/*
 * test_snapshot.c - the snapshot stages one by one, on a ring written in
 * memory with the BPF programs' writer (bpf/ring_writer.bpf.h): plan (the
 * window and every no-context reason), wait (bounded), read, annotate,
 * export (the annotated span and child spans inside it), encode (a .frsnap
 * that decodes to what the stages made, and the summary); and take, which
 * runs them all, with and without kernel context.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fr_frsnap.h"
#include "fr_otlp.h"
#include "fr_snapshot.h"
#include "fr_syscalls.h"
#define FR_WRITER_BARRIER() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#include "ring_writer.bpf.h"

#define MS 1000000ull
#define SLOTS 256

static struct fr_rec recs[SLOTS];
static struct fr_stack_slot stacks[4];
static struct fr_fdname names[8];
static struct fr_cpu_state cpus[1];
static struct fr_ring_view view = { .recs = recs, .stacks = stacks, .names = names, .cpus = cpus,
				    .nr_cpus = 1, .slots = SLOTS, .stack_slots = 4, .name_slots = 8,
				    .start_ts = 1 };

static void put(struct fr_rec r)
{
	uint64_t pos = fr_ring_claim(&cpus[0].head);
	struct fr_rec *slot = &recs[fr_ring_index(pos, &cpus[0].wrap_base, SLOTS)];

	fr_slot_open(&slot->seq);
	r.seq = 0;
	*slot = r;
	fr_slot_publish(&slot->seq, pos);
}

/* A slow syscall record on a file, named as the kernel names it at the
 * call: its path's components, leaf first, in the names ring. */
static void put_on_file(struct fr_rec r, const char *path)
{
	uint64_t pos = fr_ring_claim(&cpus[0].name_head);
	struct fr_fdname *n = &names[fr_ring_index(pos, &cpus[0].name_wrap_base, 8)];
	char copy[128], *slash;
	size_t off = 0;

	fr_slot_open(&n->seq);
	memset(&n->tid, 0, sizeof(*n) - sizeof(n->seq));
	n->tid = r.tid;
	n->ts = r.ts;
	n->fd = (int32_t)r.sys.arg0;
	n->kind = FR_NAME_FILE;
	snprintf(copy, sizeof(copy), "%s", path);
	while ((slash = strrchr(copy, '/'))) {
		size_t l = strlen(slash + 1);

		memcpy(n->data + off, slash + 1, l + 1);
		off += l + 1;
		n->nparts++;
		*slash = '\0';
	}
	fr_slot_publish(&n->seq, pos);
	r.flags |= FR_SYS_NAMED;
	put(r);
}

struct fixture {
	struct fr_batch *batch;
	struct fr_incident_in in;
	uint64_t start_mono;   /* the span, as the test's clock sees it */
	int fd;                /* the file the slow fsync was on */
	char path[64];
};

/* A span of this process from 200 ms ago, 100 ms long, that spent 80 ms
 * blocked in fsync of a file it has open; the records in the ring. */
static struct fixture *setup_fixture(void)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct fr_clock clk;
	uint64_t start_wall, S;
	uint32_t pid = (uint32_t)getpid();
	char body[2048], err[128];
	int fsync_nr = fr_syscall_nr("fsync"), read_nr = fr_syscall_nr("read");

	assert_non_null(f);
	memset(recs, 0, sizeof(recs));
	memset(names, 0, sizeof(names));
	memset(cpus, 0, sizeof(cpus));
	snprintf(f->path, sizeof(f->path), "/tmp/fr-test-snapshot-%d", getpid());
	f->fd = open(f->path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	assert_true(f->fd >= 0);
	fr_clock__sample(&clk, 16);
	start_wall = fr_wall_ns() - 200 * MS;
	S = fr_clock__to_mono(&clk, start_wall);
	f->start_mono = S;
	snprintf(body, sizeof(body),
		 "{\"resourceSpans\":[{\"resource\":{\"attributes\":["
		 "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"svc\"}},"
		 "{\"key\":\"process.pid\",\"value\":{\"intValue\":\"%u\"}}]},"
		 "\"scopeSpans\":[{\"scope\":{\"name\":\"test\"},\"spans\":[{"
		 "\"traceId\":\"0102030405060708090a0b0c0d0e0f10\",\"spanId\":\"1112131415161718\","
		 "\"name\":\"POST /save\",\"kind\":2,\"startTimeUnixNano\":\"%" PRIu64 "\","
		 "\"endTimeUnixNano\":\"%" PRIu64 "\"}]}]}]}",
		 pid, start_wall, (uint64_t)(start_wall + 100 * MS));
	assert_int_equal(fr_otlp__decode_json(body, strlen(body), &f->batch, err, sizeof(err)), 0);
	assert_int_equal(f->batch->nr_spans, 1);
	f->in = (struct fr_incident_in){ .batch = f->batch, .span = &f->batch->spans[0],
					 .id = 0x1234, .host_pid = (pid_t)pid, .followed = true };
	snprintf(f->in.rule, sizeof(f->in.rule), "threshold=50ms");
	snprintf(f->in.decision.reason, sizeof(f->in.decision.reason), "100 ms > 50 ms");
	f->in.decision.threshold_ns = 50 * MS;

	put((struct fr_rec){ .type = FR_REC_SYSCALL, .aux = (uint16_t)read_nr, .ts = S + 5 * MS,
			     .tid = pid, .pid = pid,
			     .sys = { .dur = 10000, .ret = 4, .arg0 = (uint64_t)f->fd } });
	put((struct fr_rec){ .type = FR_REC_SWITCH, .aux = 2, .ts = S + 11 * MS, .tid = pid,
			     .pid = pid, .sw = { .next_tid = 0, .next_pid = 0 } });
	put((struct fr_rec){ .type = FR_REC_SWITCH, .ts = S + 89 * MS, .tid = 0, .pid = 0,
			     .sw = { .next_tid = pid, .next_pid = pid } });
	put_on_file((struct fr_rec){ .type = FR_REC_SYSCALL, .aux = (uint16_t)fsync_nr,
				     .ts = S + 90 * MS, .tid = pid, .pid = pid,
				     .sys = { .dur = (uint32_t)(80 * MS), .ret = 0,
					      .arg0 = (uint64_t)f->fd } },
		    f->path);
	return f;
}

static void free_fixture(struct fixture *f)
{
	close(f->fd);
	unlink(f->path);
	fr_batch__put(f->batch);
	free(f);
}

static struct fr_snapshotter *snapshotter(bool with_view)
{
	struct fr_snapshot_opts o = { .sz = sizeof(o), .view = with_view ? &view : NULL,
				      .ui_base = "http://ui.test" };
	struct fr_snapshotter *s = fr_snapshotter__new(&o, NULL, NULL);

	assert_non_null(s);
	return s;
}

/* What a test made, freed. */
static void finish(struct fixture *f, struct fr_snapshotter *s, struct fr_incident_out *out)
{
	if (out)
		fr_incident_out__free(out);
	fr_snapshotter__free(s);
	free_fixture(f);
}

static const struct fr_kv *attr(const struct fr_span *sp, const char *key)
{
	for (uint32_t i = 0; i < sp->attrs.n; i++)
		if (!strcmp(sp->attrs.kv[i].key.p, key))
			return &sp->attrs.kv[i];
	return NULL;
}

static void test_plan(void **state)
{
	struct fixture *f = setup_fixture();
	struct fr_snapshotter *off = snapshotter(false), *on = snapshotter(true);
	struct fr_incident_work wk = { 0 };
	struct fr_incident_in in = f->in;
	int64_t d;

	(void)state;
	fr_snapshotter__plan(off, &in, &wk);
	assert_non_null(strstr(wk.no_context, "kernel capture is off"));
	in.host_pid = 0;
	fr_snapshotter__plan(on, &in, &wk);
	assert_non_null(strstr(wk.no_context, "no process.pid"));
	in = f->in;
	in.followed = false;
	fr_snapshotter__plan(on, &in, &wk);
	assert_non_null(strstr(wk.no_context, "not followed"));
	fr_snapshotter__plan(on, &f->in, &wk);
	assert_null(wk.no_context);
	/* the default window: 50 ms before the span, 20 ms after */
	assert_int_equal(wk.span_start - wk.t0, 50 * MS);
	assert_int_equal(wk.t1 - wk.span_end, 20 * MS);
	assert_int_equal(wk.span_end - wk.span_start, 100 * MS);
	/* the same instant as the test's clock, within clock-sampling error */
	d = (int64_t)(wk.span_start - f->start_mono);
	assert_true(d > -(int64_t)MS && d < (int64_t)MS);
	fr_snapshotter__free(off);
	finish(f, on, NULL);
}

static void test_wait(void **state)
{
	uint64_t now = fr_mono_ns(), t;

	(void)state;
	fr_snapshot__wait(now - 1); /* passed already */
	t = fr_mono_ns() + 30 * MS;
	fr_snapshot__wait(t);
	assert_true(fr_mono_ns() >= t);
	/* beyond the 2 s bound: read as it is, no wait */
	t = fr_mono_ns() + 10000 * MS;
	fr_snapshot__wait(t);
	assert_true(fr_mono_ns() < t);
}

static void test_stages(void **state)
{
	struct fixture *f = setup_fixture();
	struct fr_snapshotter *s = snapshotter(true);
	struct fr_incident_work wk = { 0 };
	struct fr_incident_out out = { 0 };
	const struct fr_span *sp = f->in.span;
	const struct fr_kv *kv;
	PbSnap *snap;
	char hex[17];

	(void)state;
	fr_snapshotter__plan(s, &f->in, &wk);
	/* read: the four records of this process */
	assert_int_equal(fr_snapshotter__read(s, &f->in, &wk), 0);
	assert_non_null(wk.window);
	assert_int_equal(wk.window->nr_events, 4);
	assert_int_equal(wk.missing_ns, 0);
	/* annotate: the fsync, with the file it was on */
	assert_int_equal(fr_snapshotter__annotate(s, &f->in, &wk), 0);
	assert_int_equal(wk.ev.focus_tid, (uint32_t)getpid());
	assert_non_null(strstr(wk.ev.verdict, "fsync"));
	assert_non_null(strstr(wk.ev.verdict, f->path));
	/* across hosts (what the fleet's hook fills): a part on another node */
	wk.nr_remote = 1;
	snprintf(wk.remote[0].node, sizeof(wk.remote[0].node), "node-b");
	snprintf(wk.remote[0].endpoint, sizeof(wk.remote[0].endpoint), "10.1.0.2:8080");
	snprintf(wk.remote[0].verdict, sizeof(wk.remote[0].verdict), "blocked in fsync(/b)");
	wk.remote[0].incident_id = 0x77;
	wk.remote[0].state = FR_REMOTE_ANSWERED;
	snprintf(wk.chain_continues, sizeof(wk.chain_continues), "10.1.0.2:8080 (svc-b on node-b)");
	/* export: the annotated span, then the fsync as a child inside it */
	out.export = fr_snapshotter__build_export(s, &f->in, &wk);
	assert_non_null(out.export);
	assert_int_equal(out.export->nr_spans, 2);
	kv = attr(&out.export->spans[0], "flightrec.incident.id");
	assert_non_null(kv);
	assert_string_equal(kv->value.s.p, "0000000000001234");
	kv = attr(&out.export->spans[0], "flightrec.incident.url");
	assert_string_equal(kv->value.s.p, "http://ui.test/incidents/0000000000001234");
	kv = attr(&out.export->spans[0], "flightrec.verdict");
	assert_string_equal(kv->value.s.p, wk.ev.verdict);
	kv = attr(&out.export->spans[0], "flightrec.remote.nodes");
	assert_non_null(kv);
	assert_string_equal(kv->value.s.p, "node-b");
	kv = attr(&out.export->spans[0], "flightrec.remote.incident.ids");
	assert_string_equal(kv->value.s.p, "0000000000000077");
	kv = attr(&out.export->spans[0], "flightrec.remote.states");
	assert_string_equal(kv->value.s.p, "answered");
	kv = attr(&out.export->spans[0], "flightrec.chain.continues");
	assert_string_equal(kv->value.s.p, "10.1.0.2:8080 (svc-b on node-b)");
	assert_string_equal(out.export->spans[1].name.p, "fsync");
	assert_memory_equal(out.export->spans[1].parent_span_id, sp->span_id, 8);
	assert_memory_equal(out.export->spans[1].trace_id, sp->trace_id, 16);
	assert_true(out.export->spans[1].start_ns >= sp->start_ns);
	assert_true(out.export->spans[1].end_ns <= sp->end_ns);
	kv = attr(&out.export->spans[1], "file.path");
	assert_non_null(kv);
	assert_string_equal(kv->value.s.p, f->path);
	/* encode: a .frsnap that holds what the stages made */
	assert_int_equal(fr_snapshotter__encode(s, &f->in, &wk, &out), 0);
	assert_non_null(out.frsnap);
	assert_true(out.raw_bytes > 0);
	assert_int_equal(fr_frsnap__decode(out.frsnap, out.frsnap_len, FR_FRSNAP_MAX_BYTES, &snap), 0);
	assert_int_equal(snap->incident_id, 0x1234);
	assert_string_equal(snap->verdict, wk.ev.verdict);
	assert_string_equal(snap->rule, "threshold=50ms");
	assert_int_equal(snap->span->n_scope_spans, 1);
	assert_string_equal(snap->span->scope_spans[0]->scope->name, "test");
	assert_string_equal(snap->span->scope_spans[0]->spans[0]->name, "POST /save");
	assert_int_equal(snap->span->scope_spans[0]->spans[0]->n_attributes,
			 out.export->spans[0].attrs.n);
	assert_int_equal(snap->n_child_spans, 1);
	/* the wake-up chain, covering the span */
	assert_int_equal(snap->schema_version, 9);
	/* the fsync's file, as the kernel named it at the call */
	assert_int_equal(snap->n_fd_names, 1);
	assert_string_equal(snap->fd_names[0]->name, f->path);
	assert_int_equal(snap->fd_names[0]->fd, f->fd);
	assert_int_equal(snap->records->aux[snap->fd_names[0]->record], fr_syscall_nr("fsync"));
	assert_int_equal(snap->n_chain, wk.ev.chain.n);
	assert_true(snap->n_chain > 0);
	assert_int_equal(snap->chain[0]->start_mono_ns, wk.span_start);
	assert_int_equal(snap->chain[snap->n_chain - 1]->end_mono_ns, wk.span_end);
	assert_string_equal(snap->child_spans[0]->name, "fsync");
	assert_int_equal(snap->n_remote_parts, 1);
	assert_string_equal(snap->remote_parts[0]->node, "node-b");
	assert_string_equal(snap->remote_parts[0]->verdict, "blocked in fsync(/b)");
	assert_int_equal(snap->remote_parts[0]->incident_id, 0x77);
	assert_true(snap->window->kernel_context);
	assert_int_equal(snap->records->n_type, 4);
	/* the fds of the window's syscalls, named */
	assert_int_equal(snap->n_fds, 1);
	assert_int_equal(snap->fds[0]->fd, f->fd);
	assert_string_equal(snap->fds[0]->path, f->path);
	fr_frsnap__free(snap);
	/* the summary */
	assert_int_equal(out.summary.id, 0x1234);
	assert_string_equal(out.summary.service, "svc");
	assert_string_equal(out.summary.span_name, "POST /save");
	assert_int_equal(out.summary.duration_ns, 100 * MS);
	assert_true(out.summary.kernel_context);
	assert_true(out.summary.complete);
	assert_int_equal(out.summary.records, 4);
	assert_int_equal(out.summary.snapshot_bytes, out.frsnap_len);
	assert_int_equal(out.summary.nr_remote, 1);
	assert_string_equal(out.summary.remote[0].endpoint, "10.1.0.2:8080");
	fr_hex(out.summary.span_id, 8, hex);
	assert_string_equal(hex, "1112131415161718");
	fr_incident_work__free(&wk);
	finish(f, s, &out);
}

static void test_take(void **state)
{
	struct fixture *f = setup_fixture();
	struct fr_snapshotter *s = snapshotter(true);
	struct fr_incident_out out;
	struct fr_incident_in in;
	PbSnap *snap;

	(void)state;
	assert_int_equal(fr_snapshotter__take(s, &f->in, &out), 0);
	assert_true(out.summary.kernel_context);
	assert_non_null(strstr(out.summary.verdict, "fsync"));
	assert_int_equal(out.export->nr_spans, 2);
	fr_incident_out__free(&out);
	/* no context: an incident all the same, saying why */
	in = f->in;
	in.host_pid = 0;
	assert_int_equal(fr_snapshotter__take(s, &in, &out), 0);
	assert_false(out.summary.kernel_context);
	assert_false(out.summary.complete);
	assert_string_equal(out.summary.verdict,
			    "no kernel context: the span's resource has no process.pid");
	assert_int_equal(out.export->nr_spans, 1);
	assert_int_equal(fr_frsnap__decode(out.frsnap, out.frsnap_len, FR_FRSNAP_MAX_BYTES, &snap), 0);
	assert_false(snap->window->kernel_context);
	assert_null(snap->records);
	assert_string_equal(snap->window->no_context_reason, "the span's resource has no process.pid");
	fr_frsnap__free(snap);
	finish(f, s, &out);
}

/* A span that waited on a lock another thread held while it fsynced: the
 * verdict follows the chain, and the export carries what the holder did as
 * a child span. */
static void test_chain_exported(void **state)
{
	struct fixture *f = setup_fixture();
	struct fr_snapshotter *s = snapshotter(true);
	struct fr_incident_out out;
	uint32_t pid = (uint32_t)getpid(), holder = pid + 100000;
	uint64_t S = f->start_mono;
	bool child = false;

	(void)state;
	((struct fr_span *)f->in.span)->thread_id = pid; /* as SDKs that set thread.id say */
	/* the span's thread: in futex from +5 ms until the holder wakes it */
	memset(recs, 0, sizeof(recs));
	memset(names, 0, sizeof(names));
	memset(cpus, 0, sizeof(cpus));
	put((struct fr_rec){ .type = FR_REC_SWITCH, .aux = 1, .ts = S + 5 * MS, .tid = pid,
			     .pid = pid });
	/* the holder: blocked in fsync from +3 ms to +85 ms, then unlocks */
	put((struct fr_rec){ .type = FR_REC_SWITCH, .aux = 2, .ts = S + 3 * MS, .tid = holder,
			     .pid = pid });
	put((struct fr_rec){ .type = FR_REC_SWITCH, .ts = S + 85 * MS, .tid = 0, .pid = 0,
			     .sw = { .next_tid = holder, .next_pid = pid } });
	put_on_file((struct fr_rec){ .type = FR_REC_SYSCALL, .aux = (uint16_t)fr_syscall_nr("fsync"),
				     .ts = S + 85 * MS, .tid = holder, .pid = pid,
				     .sys = { .dur = (uint32_t)(83 * MS), .arg0 = (uint64_t)f->fd } },
		    f->path);
	put((struct fr_rec){ .type = FR_REC_SYSCALL, .aux = (uint16_t)fr_syscall_nr("futex"),
			     .ts = S + 91 * MS, .tid = holder, .pid = pid,
			     .sys = { .dur = (uint32_t)(2 * MS) } });
	put((struct fr_rec){ .type = FR_REC_WAKEUP, .ts = S + 90 * MS, .tid = pid, .pid = pid,
			     .wk = { .waker_tid = holder, .waker_pid = pid,
				     .waker_sys = (uint32_t)fr_syscall_nr("futex") } });
	put((struct fr_rec){ .type = FR_REC_SYSCALL, .aux = (uint16_t)fr_syscall_nr("futex"),
			     .ts = S + 91 * MS, .tid = pid, .pid = pid,
			     .sys = { .dur = (uint32_t)(86 * MS) } });
	put((struct fr_rec){ .type = FR_REC_SWITCH, .ts = S + 91 * MS, .tid = 0, .pid = 0,
			     .sw = { .next_tid = pid, .next_pid = pid } });
	assert_int_equal(fr_snapshotter__take(s, &f->in, &out), 0);
	print_message("verdict: %s\n", out.summary.verdict);
	assert_non_null(strstr(out.summary.verdict, "blocked in futex"));
	assert_non_null(strstr(out.summary.verdict, "woke it, which spent 94% of it (80 ms) in fsync"));
	assert_non_null(strstr(out.summary.verdict, f->path));
	for (size_t i = 1; i < out.export->nr_spans; i++) {
		const struct fr_kv *kv = attr(&out.export->spans[i], "flightrec.chain.depth");

		if (kv && kv->value.i == 1 && strstr(out.export->spans[i].name.p, "fsync")) {
			child = true;
			assert_memory_equal(out.export->spans[i].parent_span_id, f->in.span->span_id, 8);
		}
	}
	assert_true(child);
	/* the exported span carries the chain's first link and root */
	{
		const struct fr_kv *first = attr(&out.export->spans[0], "flightrec.chain.first_link");
		const struct fr_kv *root = attr(&out.export->spans[0], "flightrec.chain.root");
		char want[64];

		assert_non_null(first);
		assert_non_null(root);
		snprintf(want, sizeof(want), "thread %u", holder);
		assert_non_null(strstr(first->value.s.p, want));
		assert_non_null(strstr(root->value.s.p, "in fsync("));
		assert_non_null(attr(&out.export->spans[0], "flightrec.thread.chosen_by"));
	}
	finish(f, s, &out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_wait),
		cmocka_unit_test(test_stages),
		cmocka_unit_test(test_take),
		cmocka_unit_test(test_chain_exported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
