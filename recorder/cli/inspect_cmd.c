// SPDX-License-Identifier: MIT
/*
 * inspect_cmd.c - `flightrec inspect`: a snapshot (.frsnap file, or an
 * incident of a store) for a person, as JSON, or as Chrome/Perfetto
 * trace-event JSON.
 */
#define FR_LOG_MOD "inspect"
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fr_frsnap.h"
#include "fr_annotate.h"
#include "fr_commands.h"
#include "fr_log.h"
#include "fr_buf.h"
#include "fr_snapview.h"
#include "fr_store.h"
#include "fr_syscalls.h"


/* ---------------- for a person ---------------- */

static void print_span(FILE *out, const PbSnap *s)
{
	const PbSpan *sp = fr_snapview__span(s);
	char d1[32], hex[33], when[64] = "";
	const char *kinds[] = { "unspecified", "internal", "server", "client", "producer",
				"consumer" };

	fprintf(out, "incident %016" PRIx64 "\n", s->incident_id);
	if (sp) {
		time_t t = (time_t)(sp->end_time_unix_nano / 1000000000ull);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		fr_fmt_duration(sp->end_time_unix_nano - sp->start_time_unix_nano, d1, sizeof(d1));
		fprintf(out, "span      %s  %s (%s)  %s, ended %s\n", fr_snapview__service(s), sp->name,
			(unsigned)sp->kind <= 5 ? kinds[sp->kind] : "?", d1, when);
		if (sp->trace_id.len == 16) {
			fr_hex(sp->trace_id.data, 16, hex);
			fprintf(out, "trace     %s", hex);
		}
		if (sp->span_id.len == 8) {
			fr_hex(sp->span_id.data, 8, hex);
			fprintf(out, "  span %s\n", hex);
		}
	}
}

/* What the incident is: span, trigger, verdict, window. */
static void print_header(FILE *out, const PbSnap *s)
{
	const Flightrec__Snapshot__V1__Window *w = s->window;
	char d1[32], d2[32];

	print_span(out, s);
	fprintf(out, "trigger   %s  [%s]\n", s->trigger_reason, s->rule);
	fprintf(out, "verdict   %s\n", s->verdict);
	if (w && w->kernel_context) {
		fr_fmt_duration(w->end_mono_ns - w->start_mono_ns, d1, sizeof(d1));
		fprintf(out, "window    pid %u, %s around the span, %zu records, %s", w->pid, d1,
			s->records ? s->records->n_type : 0, w->missing_ns ? "" : "complete\n");
		if (w->missing_ns) {
			fr_fmt_duration(w->missing_ns, d2, sizeof(d2));
			fprintf(out, "the first %s missing from the rings\n", d2);
		}
	} else if (w) {
		fprintf(out, "window    no kernel context: %s\n", w->no_context_reason);
	}
	if (w && w->kernel_context && w->syscalls && w->syscalls[0]) {
		if (!strcmp(w->syscalls, "sched"))
			fprintf(out, "syscalls  sched: those that blocked, to their return from their "
				"first block or the time on CPU samples put before it; fast calls "
				"only in samples\n");
		else if (!strcmp(w->syscalls, "slow"))
			fprintf(out, "syscalls  slow: calls of %s or more; the rest summed per thread\n",
				(fr_fmt_duration(w->slow_syscall_ns, d2, sizeof(d2)), d2));
		else
			fprintf(out, "syscalls  %s\n", w->syscalls);
	}
	if (w && w->pid_source && w->pid_source[0])
		fprintf(out, "process   found by %s%s%s\n", w->pid_source,
			w->cgroup && w->cgroup[0] ? ", cgroup " : "", w->cgroup ? w->cgroup : "");
}

/* Threads, causes, syscalls, child spans. */
static void print_tables(FILE *out, const PbSnap *s)
{
	const Flightrec__Snapshot__V1__Window *w = s->window;
	char d1[32], d2[32], d3[32];

	if (s->n_threads) {
		fprintf(out, "\nthreads (within the span; the one that mattered first)\n");
		fprintf(out, "  %8s %-16s %10s %10s %10s %8s\n", "tid", "name", "on-cpu", "runnable",
			"blocked", "syscalls");
		for (size_t i = 0; i < s->n_threads && i < 20; i++) {
			const Flightrec__Snapshot__V1__Thread *t = s->threads[i];

			fr_fmt_duration(t->on_cpu_ns, d1, sizeof(d1));
			fr_fmt_duration(t->runnable_ns, d2, sizeof(d2));
			fr_fmt_duration(t->blocked_ns, d3, sizeof(d3));
			fprintf(out, "  %8u %-16s %10s %10s %10s %8u\n", t->tid, t->name, d1, d2, d3,
				t->syscalls);
		}
	}
	if (s->n_causes) {
		fprintf(out, "\nwhere the time went (thread %u: %s)\n", w ? w->focus_tid : 0,
			w && w->focus_reason[0] ? w->focus_reason : "the busiest");
		for (size_t i = 0; i < s->n_causes; i++) {
			fr_fmt_duration(s->causes[i]->ns, d1, sizeof(d1));
			fprintf(out, "  %10s  %s\n", d1, s->causes[i]->what);
		}
	}
	if (s->disk && s->disk->n_users) {
		fprintf(out, "\nwho else used the disk (%s) in the span\n", s->disk->device);
		for (size_t i = 0; i < s->disk->n_users; i++) {
			const Flightrec__Snapshot__V1__DiskUser *u = s->disk->users[i];
			char wr[32], rd[32];

			fr_fmt_bytes(u->written_bytes, wr, sizeof(wr));
			fr_fmt_bytes(u->read_bytes, rd, sizeof(rd));
			fprintf(out, "  %10s written %10s read %6u requests  %s\n", wr, rd, u->requests,
				u->who);
		}
	}
	if (s->n_chain) {
		fprintf(out, "\nwake-up chain (the span's thread; each wait replaced by what ended it)\n");
		for (size_t i = 0; i < s->n_chain; i++) {
			const Flightrec__Snapshot__V1__ChainSegment *g = s->chain[i];

			fr_fmt_duration(g->end_mono_ns - g->start_mono_ns, d1, sizeof(d1));
			if (g->handoff)
				fprintf(out, "  %10s  %*s%u (%s) waits in %s for %u:\n", "->",
					(int)(2 * (g->depth < 8 ? g->depth : 8)), "", g->tid,
					g->thread_name, g->what, g->waker_tid);
			else
				fprintf(out, "  %10s  %*s%u (%s) %s\n", d1,
					(int)(2 * (g->depth < 8 ? g->depth : 8)), "", g->tid,
					g->thread_name, g->what);
		}
	}
	if (s->n_syscalls) {
		fprintf(out, "\ntop syscalls (process, within the span)\n  %-20s %8s %10s %10s\n",
			"syscall", "count", "total", "max");
		for (size_t i = 0; i < s->n_syscalls && i < 10; i++) {
			fr_fmt_duration(s->syscalls[i]->total_ns, d1, sizeof(d1));
			fr_fmt_duration(s->syscalls[i]->max_ns, d2, sizeof(d2));
			fprintf(out, "  %-20s %8" PRIu64 " %10s %10s\n", s->syscalls[i]->name,
				s->syscalls[i]->count, d1, d2);
		}
	}
	if (s->n_child_spans) {
		fprintf(out, "\nchild spans exported\n");
		for (size_t i = 0; i < s->n_child_spans; i++) {
			fr_fmt_duration(s->child_spans[i]->end_time_unix_nano - s->child_spans[i]->start_time_unix_nano,
			    d1, sizeof(d1));
			fprintf(out, "  %10s  %s\n", d1, s->child_spans[i]->name);
		}
	}
}

/* The blocking stacks of the thread that mattered, inside the span. */
static void print_stacks(FILE *out, const PbSnap *s)
{
	const Flightrec__Snapshot__V1__Window *w = s->window;

	if (s->records && s->n_stacks && w) {
		const Flightrec__Snapshot__V1__Records *r = s->records;
		uint64_t ts = w->start_mono_ns;
		int shown = 0;

		for (size_t i = 0; i < r->n_type && shown < 3; i++) {
			ts += r->ts_delta[i];
			if (r->type[i] != FR_REC_SWITCH || r->tid[i] != w->focus_tid || !r->c[i] ||
			    r->c[i] > s->n_stacks || ts < w->span_start_mono_ns || ts > w->span_end_mono_ns)
				continue;
			{
				const Flightrec__Snapshot__V1__Stack *st = s->stacks[r->c[i] - 1];

				fprintf(out, "\nblocking stack of %u (%s) at +%.3f ms\n", r->tid[i],
					fr_snapview__thread_name(s, r->tid[i]), (ts - w->span_start_mono_ns) / 1e6);
				for (size_t k = 0; k < st->n_frames; k++) {
					const Flightrec__Snapshot__V1__Frame *f = st->frames[k];

					if (f->symbol[0])
						fprintf(out, "    %s+0x%" PRIx64 " [%s]\n", f->symbol, f->offset,
							f->module);
					else if (f->module[0] && !f->kernel)
						fprintf(out, "    %s+0x%" PRIx64 " (no symbol)\n",
							f->module, f->offset);
					else
						fprintf(out, "    0x%" PRIx64 " [%s]\n", f->addr,
							f->module[0] ? f->module : "?");
				}
				shown++;
			}
		}
	}
}

static void print_text(FILE *out, const PbSnap *s)
{
	print_header(out, s);
	print_tables(out, s);
	print_stacks(out, s);
}

/* ---------------- the command ---------------- */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: flightrec inspect [--json | --perfetto] [-o OUT] FILE.frsnap\n"
		"       flightrec inspect [--json | --perfetto | --save FILE] --data-dir DIR ID\n"
		"       flightrec inspect --data-dir DIR --list\n"
		"Prints a snapshot for a person (default), whole as JSON (--json), or as\n"
		"Chrome/Perfetto trace-event JSON (--perfetto) for ui.perfetto.dev.\n");
}

static int read_file(const char *path, struct fr_buf *out)
{
	char chunk[65536];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f)
		return -errno;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fr_buf__put(out, chunk, n);
	fclose(f);
	return out->oom ? -ENOMEM : 0;
}

static int list_store(struct fr_store *st, FILE *out)
{
	struct fr_incident_summary sums[50];
	struct fr_store_query q = { .limit = 50 };
	uint64_t cursor = 0;
	int n;

	do {
		n = fr_store__list(st, &q, sums, &cursor);
		for (int i = 0; i < n; i++) {
			char d[32];

			fr_fmt_duration(sums[i].duration_ns, d, sizeof(d));
			fprintf(out, "%016" PRIx64 "  %-16s %-32s %9s  %s\n", sums[i].id, sums[i].service,
				sums[i].span_name, d, sums[i].verdict);
		}
		q.before_id = cursor;
	} while (n > 0 && cursor);
	return n < 0 ? 1 : 0;
}

/* The .frsnap bytes of an incident id of the store st, or of a file when
 * st is NULL. 0, or the exit status (the reason printed). */
static int load(struct fr_store *st, const char *what, struct fr_buf *file)
{
	int rc;

	if (st) {
		char *end;
		uint64_t id = strtoull(what, &end, 16);

		if (*end || !id) {
			fprintf(stderr, "flightrec inspect: bad incident id '%s'\n", what);
			return 2;
		}
		rc = fr_store__snapshot(st, id, file);
		if (rc) {
			fprintf(stderr, "flightrec inspect: incident %s: %s\n", what,
				rc == -ENOENT ? "not found" : strerror(-rc));
			return 1;
		}
		return 0;
	}
	rc = read_file(what, file);
	if (rc) {
		fprintf(stderr, "flightrec inspect: cannot read %s: %s\n", what, strerror(-rc));
		return 1;
	}
	return 0;
}

int fr_cmd_inspect(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "perfetto", no_argument, NULL, 'P' },
		{ "output", required_argument, NULL, 'o' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "list", no_argument, NULL, 'l' },
		{ "save", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *output = NULL, *data_dir = NULL, *save = NULL;
	struct fr_buf file = { 0 };
	bool json = false, perfetto = false, list = false;
	struct fr_store *st = NULL;
	PbSnap *snap = NULL;
	FILE *out = stdout;
	int opt, ret = 1, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j': json = true; break;
		case 'P': perfetto = true; break;
		case 'o': output = optarg; break;
		case 'd': data_dir = optarg; break;
		case 'l': list = true; break;
		case 's': save = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if ((json && perfetto) || (!list && optind != argc - 1) || (list && !data_dir)) {
		usage(stderr);
		return 2;
	}
	if (data_dir) {
		struct fr_store_opts so = { .sz = sizeof(so), .dir = data_dir, .read_only = true };

		st = fr_store__open(&so);
		if (!st) {
			fprintf(stderr, "flightrec inspect: cannot open the store in %s\n", data_dir);
			return 1;
		}
		if (list) {
			ret = list_store(st, stdout);
			goto done;
		}
	}
	rc = load(st, argv[optind], &file);
	if (rc) {
		ret = rc;
		goto done;
	}
	if (save) {
		FILE *f = fopen(save, "wb");

		if (!f || fwrite(file.p, 1, file.len, f) != file.len) {
			fprintf(stderr, "flightrec inspect: cannot write %s\n", save);
			if (f)
				fclose(f);
			goto done;
		}
		fclose(f);
		ret = 0;
		goto done;
	}
	rc = fr_frsnap__decode(file.p, file.len, FR_FRSNAP_MAX_BYTES, &snap);
	if (rc) {
		fprintf(stderr, "flightrec inspect: %s\n",
			rc == -E2BIG ? "the snapshot is larger than a snapshot can be"
				     : "not a flightrec snapshot (bad magic, or data that does not decode)");
		goto done;
	}
	if (output) {
		out = fopen(output, "w");
		if (!out) {
			fprintf(stderr, "flightrec inspect: cannot write %s: %s\n", output,
				strerror(errno));
			out = stdout;
			goto done;
		}
	}
	if (json) {
		struct fr_buf o = { 0 };

		fr_snapview__json(&o, &snap->base);
		fr_buf__putc(&o, '\n');
		fwrite(o.p, 1, o.len, out);
		fr_buf__free(&o);
	} else if (perfetto) {
		struct fr_buf o = { 0 };

		fr_snapview__perfetto(snap, &o);
		fwrite(o.p, 1, o.len, out);
		fr_buf__free(&o);
	} else {
		print_text(out, snap);
	}
	ret = 0;
done:
	fr_frsnap__free(snap);
	if (out != stdout)
		fclose(out);
	fr_buf__free(&file);
	fr_store__close(st);
	return ret;
}
