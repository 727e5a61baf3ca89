// SPDX-License-Identifier: MIT
/*
 * summary.c - incident summaries to and from their protobuf form
 * (IncidentSummary of store/proto; fr_store.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "flightrec/snapshot/v1/snapshot.pb-c.h"
#include "fr_store.h"

typedef Flightrec__Snapshot__V1__IncidentSummary PbSummary;
typedef Flightrec__Snapshot__V1__RemotePart PbRemote;
typedef Flightrec__Snapshot__V1__PartOf PbPartOf;

const char *fr_remote_state__name(uint8_t state)
{
	static const char *const names[] = {
		"unknown", "answered", "late", "no answer", "out of the rings", "on no node",
		"merged", "refused", "nothing there", "error",
	};

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "unknown";
}

void fr_remote_part__to_pb(const struct fr_remote_part *r, void *pbv)
{
	PbRemote *pb = pbv;

	flightrec__snapshot__v1__remote_part__init(pb);
	pb->node = (char *)r->node;
	pb->incident_id = r->incident_id;
	pb->state = r->state;
	pb->endpoint = (char *)r->endpoint;
	pb->service = (char *)r->service;
	pb->verdict = (char *)r->verdict;
	pb->note = (char *)r->note;
	pb->via = (char *)r->via;
	pb->ns = r->ns;
	pb->ui = (char *)r->ui;
	pb->answer_ns = r->answer_ns;
}

#define COPY_STR(dst, src) snprintf((dst), sizeof(dst), "%s", (src) ? (src) : "")

void fr_remote_part__from_pb(const void *pbv, struct fr_remote_part *r)
{
	const PbRemote *pb = pbv;

	memset(r, 0, sizeof(*r));
	COPY_STR(r->node, pb->node);
	r->incident_id = pb->incident_id;
	r->state = (uint8_t)(pb->state < 256 ? pb->state : 0);
	COPY_STR(r->endpoint, pb->endpoint);
	COPY_STR(r->service, pb->service);
	COPY_STR(r->verdict, pb->verdict);
	COPY_STR(r->note, pb->note);
	COPY_STR(r->via, pb->via);
	r->ns = pb->ns;
	COPY_STR(r->ui, pb->ui);
	r->answer_ns = pb->answer_ns;
}

int fr_summary__encode(const struct fr_incident_summary *sum, struct fr_buf *out)
{
	PbSummary pb = FLIGHTREC__SNAPSHOT__V1__INCIDENT_SUMMARY__INIT;
	PbRemote rp[FR_MAX_REMOTE], *rpp[FR_MAX_REMOTE];
	PbPartOf po = FLIGHTREC__SNAPSHOT__V1__PART_OF__INIT;
	size_t n;

	pb.id = sum->id;
	pb.time_unix_nano = sum->time_unix_nano;
	pb.service = (char *)sum->service;
	pb.span_name = (char *)sum->span_name;
	pb.trace_id.data = (uint8_t *)sum->trace_id;
	pb.trace_id.len = 16;
	pb.span_id.data = (uint8_t *)sum->span_id;
	pb.span_id.len = 8;
	pb.duration_ns = sum->duration_ns;
	pb.threshold_ns = sum->threshold_ns;
	pb.rule = (char *)sum->rule;
	pb.verdict = (char *)sum->verdict;
	pb.kernel_context = sum->kernel_context;
	pb.complete = sum->complete;
	pb.snapshot_bytes = sum->snapshot_bytes;
	pb.records = sum->records;
	pb.kind = sum->kind;
	pb.pid = sum->pid;
	pb.signature = sum->signature;
	pb.cause = (char *)sum->cause;
	pb.node = (char *)sum->node;
	pb.origin_id = sum->origin_id;
	for (uint32_t i = 0; i < sum->nr_remote && i < FR_MAX_REMOTE; i++) {
		fr_remote_part__to_pb(&sum->remote[i], &rp[i]);
		rpp[i] = &rp[i];
		pb.n_remote_parts = i + 1;
	}
	pb.remote_parts = rpp;
	if (sum->part_of_node[0]) {
		po.node = (char *)sum->part_of_node;
		po.incident_id = sum->part_of_id;
		po.merged = sum->part_of_merged;
		pb.part_of = &po;
	}
	n = flightrec__snapshot__v1__incident_summary__get_packed_size(&pb);
	fr_buf__reserve(out, n);
	if (out->oom)
		return -ENOMEM;
	flightrec__snapshot__v1__incident_summary__pack(&pb, out->p + out->len);
	out->len += n;
	return 0;
}

int fr_summary__decode(const void *p, size_t len, struct fr_incident_summary *out)
{
	PbSummary *pb = flightrec__snapshot__v1__incident_summary__unpack(NULL, len, p);

	memset(out, 0, sizeof(*out));
	if (!pb)
		return -EIO;
	out->id = pb->id;
	out->time_unix_nano = pb->time_unix_nano;
	COPY_STR(out->service, pb->service);
	COPY_STR(out->span_name, pb->span_name);
	if (pb->trace_id.len == 16)
		memcpy(out->trace_id, pb->trace_id.data, 16);
	if (pb->span_id.len == 8)
		memcpy(out->span_id, pb->span_id.data, 8);
	out->duration_ns = pb->duration_ns;
	out->threshold_ns = pb->threshold_ns;
	COPY_STR(out->rule, pb->rule);
	COPY_STR(out->verdict, pb->verdict);
	out->kernel_context = pb->kernel_context;
	out->complete = pb->complete;
	out->snapshot_bytes = pb->snapshot_bytes;
	out->records = pb->records;
	out->kind = pb->kind;
	out->pid = pb->pid;
	out->signature = pb->signature;
	COPY_STR(out->cause, pb->cause);
	COPY_STR(out->node, pb->node);
	out->origin_id = pb->origin_id;
	for (size_t i = 0; i < pb->n_remote_parts && i < FR_MAX_REMOTE; i++)
		fr_remote_part__from_pb(pb->remote_parts[i], &out->remote[out->nr_remote++]);
	if (pb->part_of) {
		COPY_STR(out->part_of_node, pb->part_of->node);
		out->part_of_id = pb->part_of->incident_id;
		out->part_of_merged = pb->part_of->merged;
	}
	flightrec__snapshot__v1__incident_summary__free_unpacked(pb, NULL);
	return 0;
}

