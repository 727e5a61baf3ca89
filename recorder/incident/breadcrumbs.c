// SPDX-License-Identifier: MIT
/*
 * breadcrumbs.c - the remote endpoints a span's process waited on
 * (fr_breadcrumbs.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_breadcrumbs.h"

void fr_sockaddr__format(const struct sockaddr_storage *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)a;

		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(s->sin_port));
	} else if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)a;

		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(s->sin6_port));
	} else {
		snprintf(buf, len, "?");
	}
}

int fr_sockaddr__parse(const char *text, struct sockaddr_storage *out)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(text, ':');
	unsigned long port;
	char *end;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!colon || colon == text)
		return -EINVAL;
	n = (size_t)(colon - text);
	if (text[0] == '[') {
		if (n < 3 || text[n - 1] != ']')
			return -EINVAL;
		text++;
		n -= 2;
	}
	if (n >= sizeof(host))
		return -EINVAL;
	memcpy(host, text, n);
	host[n] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || !colon[1] || port > 65535)
		return -EINVAL;
	return fr_sockaddr__from(host, (int64_t)port, out);
}

int fr_sockaddr__from(const char *host, int64_t port, struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	if (!host || port < 0 || port > 65535)
		return -EINVAL;
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)out)->sin_addr) == 1) {
		out->ss_family = AF_INET;
		((struct sockaddr_in *)out)->sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)out)->sin6_addr) == 1) {
		out->ss_family = AF_INET6;
		((struct sockaddr_in6 *)out)->sin6_port = htons((uint16_t)port);
		return 0;
	}
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}

int fr_sockaddr__same(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr));
	}
	return 0;
}

/* One end of a named inet socket as an address. */
static void end_of(const struct fr_fdname *n, const uint8_t *addr, uint16_t port,
		   struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	if (n->kind == FR_NAME_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)out;

		s->sin_family = AF_INET;
		memcpy(&s->sin_addr, addr, 4);
		s->sin_port = htons(port);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)out;

		s->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, addr, 16);
		s->sin6_port = htons(port);
	}
}

static int loopback(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr) >> 24) == 127;
	if (a->ss_family == AF_INET6) {
		const struct in6_addr *x = &((const struct sockaddr_in6 *)a)->sin6_addr;

		if (IN6_IS_ADDR_LOOPBACK(x))
			return 1;
		return IN6_IS_ADDR_V4MAPPED(x) && x->s6_addr[12] == 127;
	}
	return 1;
}

static int by_time(const void *a, const void *b)
{
	const struct fr_crumb *x = a, *y = b;

	return x->ns > y->ns ? -1 : x->ns < y->ns;
}

/* Peers kept while scanning, before the longest are chosen. */
#define SCAN_MAX 64

size_t fr_breadcrumbs__from_window(const struct fr_window *w, uint32_t pid, uint64_t t0,
				   uint64_t t1, struct fr_crumb *res, size_t max)
{
	struct fr_crumb out[SCAN_MAX];
	size_t n = 0;

	if (!w || !max)
		return 0;
	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_rec *r = &w->events[i].rec;
		const struct fr_fdname *nm;
		uint64_t dur, begin;

		if (r->type != FR_REC_SYSCALL || r->pid != pid || r->ts < t0)
			continue;
		dur = fr_rec__sys_dur(r);
		begin = dur < r->ts ? r->ts - dur : 0;
		if (begin > t1)
			break;
		for (size_t k = 0; (nm = fr_window__name_at(w, r, k)); k++) {
			struct sockaddr_storage local, remote;
			size_t j;

			if ((nm->kind != FR_NAME_INET && nm->kind != FR_NAME_INET6) ||
			    (nm->proto != IPPROTO_TCP && nm->proto != IPPROTO_UDP) || !nm->dport)
				continue;
			end_of(nm, nm->saddr, nm->sport, &local);
			end_of(nm, nm->daddr, nm->dport, &remote);
			if (loopback(&remote))
				continue;
			for (j = 0; j < n; j++)
				if (fr_sockaddr__same(&out[j].remote, &remote) &&
				    fr_sockaddr__same(&out[j].local, &local))
					break;
			if (j == n) {
				if (n == SCAN_MAX)
					continue;
				memset(&out[n], 0, sizeof(out[n]));
				out[n].local = local;
				out[n].remote = remote;
				out[n].source = FR_CRUMB_KERNEL;
				n++;
			}
			out[j].ns += dur;
			out[j].calls++;
		}
	}
	qsort(out, n, sizeof(*out), by_time);
	if (n > max)
		n = max;
	memcpy(res, out, n * sizeof(*out));
	return n;
}
