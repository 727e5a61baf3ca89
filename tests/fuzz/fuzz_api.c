// SPDX-License-Identifier: MIT
/*
 * fuzz_api.c - the web API's query strings and JSON bodies, through a real
 * fr_web on loopback: the input up to its first newline is the query of
 * GET /api/incidents, the rest the body of POST /api/rules.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fr_log.h"
#include "fr_store.h"
#include "fr_trigger.h"
#include "fr_web.h"

static struct fr_web *web;
static uint16_t port;
static int fd = -1;

static void start(void)
{
	static char dir[] = "/tmp/fr-fuzz-api-XXXXXX";
	struct fr_store_opts so = { .sz = sizeof(so), .dir = mkdtemp(dir) };
	struct fr_trigger_opts to = { .sz = sizeof(to) };
	struct fr_web_opts wo = { .sz = sizeof(wo), .listen = "127.0.0.1:0" };

	fr_log_level = -1;
	wo.store = fr_store__open(&so);
	wo.trig = fr_trigger__new(&to);
	if (!wo.store || !wo.trig)
		abort();
	web = fr_web__start(&wo);
	if (!web)
		abort();
	port = fr_web__port(web);
}

static int connect_web(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(s, (struct sockaddr *)&a, sizeof(a)))
		abort(); /* the server must still be there */
	return s;
}

/* Sends one request and reads its whole answer; reconnects when the server
 * closed the connection. */
static void exchange(const char *req, size_t len)
{
	char buf[65536];
	size_t got = 0;

	for (int attempt = 0; attempt < 2; attempt++) {
		if (fd < 0)
			fd = connect_web();
		if (write(fd, req, len) == (ssize_t)len)
			break;
		close(fd);
		fd = -1;
	}
	for (;;) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);
		char *end, *cl;

		if (n <= 0) {
			close(fd);
			fd = -1;
			return;
		}
		got += (size_t)n;
		buf[got] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (!end)
			continue;
		cl = strcasestr(buf, "Content-Length:");
		if (cl && cl < end && got >= (size_t)(end + 4 - buf) + strtoul(cl + 15, NULL, 10))
			return;
		if (!cl || got == sizeof(buf) - 1) {
			close(fd); /* no length: read to the close */
			fd = -1;
			return;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const uint8_t *nl = memchr(data, '\n', len);
	size_t qlen = nl ? (size_t)(nl - data) : len;
	char *req = malloc(len + 512);
	int n;

	if (!web)
		start();
	if (!req)
		return 0;
	n = snprintf(req, 512, "GET /api/incidents?");
	memcpy(req + n, data, qlen);
	n += (int)qlen;
	n += snprintf(req + n, 64, " HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", port);
	exchange(req, (size_t)n);
	if (nl) {
		size_t blen = len - qlen - 1;

		n = snprintf(req, 512, "POST /api/rules HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
				       "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
			     port, blen);
		memcpy(req + n, nl + 1, blen);
		exchange(req, (size_t)n + blen);
	}
	free(req);
	return 0;
}
