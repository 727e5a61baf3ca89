/* SPDX-License-Identifier: MIT */
/*
 * fr_breadcrumbs.h - the remote endpoints a span's process waited on,
 * from the connections the kernel named at the call (a slow syscall's fd,
 * the fds an epoll wait returned ready): where the explanation of a slow
 * span goes on when it leaves this host (after Hindsight's breadcrumbs).
 * Pure: reads a window.
 */
#ifndef FR_BREADCRUMBS_H
#define FR_BREADCRUMBS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "fr_ring.h"

#define FR_MAX_CRUMBS 8

enum fr_crumb_source {
	FR_CRUMB_KERNEL = 1, /* a connection named by the kernel at the call */
	FR_CRUMB_SPAN = 2,   /* a client span's peer address (server.address, ...) */
};

struct fr_crumb {
	struct sockaddr_storage local;  /* this end, as this host sees it */
	struct sockaddr_storage remote; /* the other end */
	uint64_t ns;                    /* time the process waited on it */
	uint32_t calls;                 /* syscalls on it */
	uint8_t source;                 /* enum fr_crumb_source */
};

/*
 * The TCP and UDP peers of process pid in [t0, t1] (CLOCK_MONOTONIC ns),
 * loopback left out (this host's own), the longest waited on first: at
 * most max into out; how many.
 */
size_t fr_breadcrumbs__from_window(const struct fr_window *w, uint32_t pid, uint64_t t0,
				   uint64_t t1, struct fr_crumb *out, size_t max);

/* "10.1.0.2:8080", "[fd00::2]:8080" for an AF_INET/AF_INET6 address. */
void fr_sockaddr__format(const struct sockaddr_storage *a, char *buf, size_t len);

/* The other way: 0, or -EINVAL (an address with a port is needed). */
int fr_sockaddr__parse(const char *text, struct sockaddr_storage *out);

/* A numeric IPv4 or IPv6 address (no brackets) and a port 0..65535: 0, or
 * -EINVAL (out zeroed). */
int fr_sockaddr__from(const char *host, int64_t port, struct sockaddr_storage *out);

/* Same address and port. */
int fr_sockaddr__same(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

#endif /* FR_BREADCRUMBS_H */
