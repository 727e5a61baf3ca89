// SPDX-License-Identifier: MIT
/*
 * web.c - the web UI and JSON API on libmicrohttpd (fr_web.h): the server,
 * the checks every request passes (guard.c), and the router that hands
 * each resource to its handler file (api_*.c); the pages are static
 * assets, a script module per page (assets/).
 */
#define FR_LOG_MOD "web"
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_assets.h"
#include "fr_clock.h"
#include "fr_log.h"
#include "fr_net.h"
#include "fr_syscalls.h"
#include "web_int.h"

/* Resources by path prefix (the prefix itself, or it and "/..."). */
static const struct {
	const char *prefix;
	fr_web_handler_fn *fn;
} routes[] = {
	{ "/api/incidents", fr_web_api_incidents },
	{ "/api/problems", fr_web_api_problems },
	{ "/api/rules", fr_web_api_rules },
	{ "/api/operations", fr_web_api_operations },
	{ "/api/baselines", fr_web_api_baselines },
	{ "/api/status", fr_web_api_status },
	{ "/api/fleet", fr_web_api_fleet },
	{ "/metrics", fr_web_api_metrics },
};

/* const SYSCALLS = [...]: names by number, for the pages. */
/* What a page opened without the UI's token shows: where the token is, and
 * a form that sends it to the same page (PAGE?token=T sets the cookie and
 * goes on). Static text: nothing of the request is echoed. */
static const char token_page[] =
	"<!doctype html><html><head><meta charset=\"utf-8\"><title>flightrec: token needed</title>"
	"<style>body{font:15px system-ui,sans-serif;max-width:40em;margin:3em auto;color:#1e293b}"
	"code{background:#f1f5f9;padding:0 .3em}input{font:inherit;width:24em}</style></head><body>"
	"<h1>This flightrec UI needs its token</h1>"
	"<p>The link you followed points into a flightrec UI that asks for a token. The token is "
	"in the address flightrec printed when it started (<code>UI on http://HOST:8080/?token=...</code>), "
	"and in the file <code>ui-token</code> of its data directory "
	"(<code>/var/lib/flightrec/ui-token</code> for the service).</p>"
	"<form method=\"get\"><label>Token: <input name=\"token\" type=\"password\" "
	"autocomplete=\"off\" autofocus></label> <button type=\"submit\">Open</button></form>"
	"<p>Once given, this browser keeps it (a cookie for this UI only) and goes on to the page "
	"the link was for.</p></body></html>\n";

static enum MHD_Result syscalls_js(struct MHD_Connection *c)
{
	struct fr_buf b = { 0 };
	enum MHD_Result ret;

	fr_buf__put(&b, "'use strict';\nconst SYSCALLS = [", 32);
	for (unsigned i = 0; i < 512; i++) {
		const char *n = fr_syscall_name(i);

		if (i)
			fr_buf__putc(&b, ',');
		if (n)
			fr_buf__json_str(&b, n, strlen(n));
		else
			fr_buf__put(&b, "null", 4);
	}
	fr_buf__put(&b, "];\n", 3);
	ret = fr_web_respond(c, 200, b.p, b.len, "text/javascript; charset=utf-8", NULL, true);
	fr_buf__free(&b);
	return ret;
}

static enum MHD_Result asset(struct MHD_Connection *c, const char *url)
{
	const char *path = url;

	if (!strcmp(url, "/syscalls.js"))
		return syscalls_js(c);

	/* the pages are one document; it routes by its own path */
	if (!strcmp(url, "/") || !strcmp(url, "/triggers") || !strcmp(url, "/status") ||
	    !strcmp(url, "/incidents") || !strncmp(url, "/incidents/", 11) ||
	    !strcmp(url, "/problems") || !strncmp(url, "/problems/", 10) ||
	    !strcmp(url, "/operation") || !strcmp(url, "/fleet"))
		path = "/index.html";
	for (size_t i = 0; i < fr_nr_assets; i++)
		if (!strcmp(fr_assets[i].path, path))
			return fr_web_respond(c, 200, fr_assets[i].data, fr_assets[i].len, fr_assets[i].mime, NULL,
				    strcmp(path, "/index.html") != 0);
	return fr_web_respond(c, 404, "not found\n", 10, "text/plain", NULL, false);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *data,
			       size_t *size, void **req_cls)
{
	struct fr_web *w = cls;
	struct fr_web_req *r = *req_cls;
	bool changing;

	(void)version;
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		*req_cls = r;
		return MHD_YES;
	}
	if (*size) {
		if (r->body.len + *size > w->o.max_body)
			r->too_large = true;
		else
			fr_buf__put(&r->body, data, *size);
		*size = 0;
		return MHD_YES;
	}
	if (!fr_web_host_ok(w, c))
		return fr_web_error(c, 403, "unknown Host: this UI answers to its own address only "
					  "(--web-allow-host adds names)");
	changing = !strcmp(method, "POST") || !strcmp(method, "DELETE") || !strcmp(method, "PUT");
	if (changing) {
		const char *why = fr_web_change_refused(w, c, method);

		if (why)
			return fr_web_error(c, 403, why);
	}
	/* PAGE?token=... sets the cookie the pages then use, and goes on to
	 * the page (an exported span's link, opened with the token given) */
	if (w->o.token && !strcmp(method, "GET") && strncmp(url, "/api/", 5)) {
		const char *t = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");

		if (t && fr_secret_eq(t, w->o.token)) {
			struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"",
										    MHD_RESPMEM_PERSISTENT);
			char cookie[512];
			enum MHD_Result ret;

			snprintf(cookie, sizeof(cookie), "fr_token=%s; Path=/; HttpOnly; SameSite=Strict%s",
				 w->o.token, w->o.tls_cert ? "; Secure" : "");
			MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, cookie);
			/* this server's own path only: "//host" would leave it */
			MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION,
						url[0] == '/' && url[1] != '/' && url[1] != '\\' &&
						!strpbrk(url, "\r\n") ? url : "/");
			ret = MHD_queue_response(c, 303, resp);
			MHD_destroy_response(resp);
			return ret;
		}
	}
	if (!fr_web_token_ok(w, c)) {
		/* a page opened without the token (a link from a trace): a page
		 * that asks for it and then goes on to where the link pointed */
		if (!changing && strncmp(url, "/api/", 5) && strcmp(url, "/api") &&
		    !strcmp(method, "GET"))
			return fr_web_respond(c, 401, token_page, strlen(token_page), "text/html",
					      NULL, false);
		return fr_web_error(c, 401, changing ? "this change needs the token"
						   : "a token is needed (Authorization: Bearer TOKEN)");
	}
	if (r->too_large)
		return fr_web_error(c, 413, "request body too large");
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		size_t n = strlen(routes[i].prefix);

		if (!strncmp(url, routes[i].prefix, n) && (url[n] == '\0' || url[n] == '/'))
			return routes[i].fn(w, c, url + n, method, r);
	}
	if (!strncmp(url, "/api/", 5) || !strcmp(url, "/api"))
		return fr_web_error(c, 404, "no such API");
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return fr_web_respond(c, 405, "method not allowed\n", 19, "text/plain", NULL, false);
	return asset(c, url);
}

static void completed(void *cls, struct MHD_Connection *c, void **req_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct fr_web_req *r = *req_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (r) {
		fr_buf__free(&r->body);
		free(r);
		*req_cls = NULL;
	}
}

struct fr_web *fr_web__start(const struct fr_web_opts *opts)
{
	struct sockaddr_storage addr;
	const union MHD_DaemonInfo *info;
	struct MHD_OptionItem tls[3] = { { MHD_OPTION_END, 0, NULL }, { MHD_OPTION_END, 0, NULL },
					 { MHD_OPTION_END, 0, NULL } };
	struct fr_web *w;
	socklen_t alen;
	bool loopback;

	if (!opts || !opts->store) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	fr_opts_copy(&w->o, opts);
	if (!w->o.listen)
		w->o.listen = FR_WEB_DEFAULT_LISTEN;
	if (!w->o.max_body)
		w->o.max_body = 64 * 1024;
	if (!w->o.max_connections)
		w->o.max_connections = 1024;
	if (w->o.token && !*w->o.token)
		w->o.token = NULL;
	if (fr_parse_listen(w->o.listen, &addr, &alen)) {
		pr_err("bad web listen address '%s' (want ADDR:PORT)", w->o.listen);
		free(w);
		errno = EINVAL;
		return NULL;
	}
	if (!fr_is_loopback(&addr) && !w->o.token) {
		pr_err("the UI on %s would be reachable beyond this host: give --auth-token "
		       "(or --auth-token-file)", w->o.listen);
		free(w);
		errno = EINVAL;
		return NULL;
	}
	/* Every local user is 127.0.0.1: a per-address limit there would let one
	 * of them lock all out. Idle connections are closed after 10 s. */
	loopback = fr_is_loopback(&addr);
	{
		const char *colon = strrchr(w->o.listen, ':');
		size_t n = colon ? (size_t)(colon - w->o.listen) : strlen(w->o.listen);

		snprintf(w->listen_host, sizeof(w->listen_host), "%.*s", (int)n, w->o.listen);
	}
	w->started = fr_mono_ns();
	if (!w->o.tls_cert != !w->o.tls_key) {
		pr_err("TLS needs both a certificate and a key");
		free(w);
		errno = EINVAL;
		return NULL;
	}
	if (w->o.tls_cert) {
		tls[0] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)w->o.tls_key };
		tls[1] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)w->o.tls_cert };
	}
	w->d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			(addr.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0) |
			(w->o.tls_cert ? MHD_USE_TLS : 0),
		0, NULL, NULL, handler, w, MHD_OPTION_ARRAY, tls, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&addr,
		MHD_OPTION_CONNECTION_LIMIT, w->o.max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)10, MHD_OPTION_PER_IP_CONNECTION_LIMIT, loopback ? 0u : 32u,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_NOTIFY_COMPLETED,
		completed, w, MHD_OPTION_EXTERNAL_LOGGER, fr_log_mhd, w, MHD_OPTION_END);
	if (!w->d) {
		pr_err("cannot serve the UI on %s (address in use, or not allowed)", w->o.listen);
		free(w);
		errno = EADDRINUSE;
		return NULL;
	}
	info = MHD_get_daemon_info(w->d, MHD_DAEMON_INFO_BIND_PORT);
	w->port = info ? info->port : 0;
	return w;
}

uint16_t fr_web__port(const struct fr_web *w)
{
	return w->port;
}

void fr_web__stop(struct fr_web *w)
{
	if (!w)
		return;
	MHD_stop_daemon(w->d);
	free(w);
}
