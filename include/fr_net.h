/* SPDX-License-Identifier: MIT */
/* fr_net.h - listen addresses ("127.0.0.1:4318", "[::1]:8080", ":4318"). */
#ifndef FR_NET_H
#define FR_NET_H

#include <stdbool.h>
#include <sys/socket.h>

/* Parses ADDR:PORT (ADDR empty = all IPv4 interfaces). 0 or -EINVAL. */
int fr_parse_listen(const char *s, struct sockaddr_storage *out, socklen_t *len);

/* True for 127.0.0.0/8 and ::1. */
bool fr_is_loopback(const struct sockaddr_storage *ss);

#endif /* FR_NET_H */
