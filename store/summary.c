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

int fr_summary__encode(const struct fr_incident_summary *sum, struct fr_buf *out)
{
	PbSummary pb = FLIGHTREC__SNAPSHOT__V1__INCIDENT_SUMMARY__INIT;
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
	n = flightrec__snapshot__v1__incident_summary__get_packed_size(&pb);
	fr_buf__reserve(out, n);
	if (out->oom)
		return -ENOMEM;
	flightrec__snapshot__v1__incident_summary__pack(&pb, out->p + out->len);
	out->len += n;
	return 0;
}

#define COPY_STR(dst, src) snprintf((dst), sizeof(dst), "%s", (src) ? (src) : "")

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
	flightrec__snapshot__v1__incident_summary__free_unpacked(pb, NULL);
	return 0;
}

