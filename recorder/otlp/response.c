// SPDX-License-Identifier: MIT
/*
 * response.c - the bodies of OTLP/HTTP answers: ExportTraceServiceResponse
 * and google.rpc.Status, in protobuf or JSON.
 */
#include <inttypes.h>

#include "codec.h"

/* Appends m's wire form to out. */
static void pack(const ProtobufCMessage *m, struct fr_buf *out)
{
	size_t n = protobuf_c_message_get_packed_size(m);

	fr_buf__reserve(out, n);
	if (out->oom)
		return;
	protobuf_c_message_pack(m, out->p + out->len);
	out->len += n;
}

void fr_otlp__response(bool json, uint64_t rejected, const char *message, struct fr_buf *out)
{
	struct fr_str msg = fr_otlp_mkstr(message);
	PbResponse resp = OPENTELEMETRY__PROTO__COLLECTOR__TRACE__V1__EXPORT_TRACE_SERVICE_RESPONSE__INIT;
	Opentelemetry__Proto__Collector__Trace__V1__ExportTracePartialSuccess ps =
		OPENTELEMETRY__PROTO__COLLECTOR__TRACE__V1__EXPORT_TRACE_PARTIAL_SUCCESS__INIT;

	if (json) {
		if (!rejected && !msg.len) {
			fr_buf__put(out, "{}", 2);
			return;
		}
		fr_buf__printf(out, "{\"partialSuccess\":{\"rejectedSpans\":\"%" PRIu64
				    "\",\"errorMessage\":", rejected);
		fr_buf__json_str(out, msg.p, msg.len);
		fr_buf__put(out, "}}", 2);
		return;
	}
	if (!rejected && !msg.len)
		return; /* an empty ExportTraceServiceResponse */
	ps.rejected_spans = (int64_t)rejected;
	ps.error_message = (char *)msg.p;
	resp.partial_success = &ps;
	pack(&resp.base, out);
}

void fr_otlp__status(bool json, int code, const char *message, struct fr_buf *out)
{
	Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;

	if (json) {
		fr_buf__printf(out, "{\"code\":%d,\"message\":", code);
		fr_buf__json_str(out, message, strlen(message));
		fr_buf__putc(out, '}');
		return;
	}
	st.code = code;
	st.message = (char *)message;
	pack(&st.base, out);
}
