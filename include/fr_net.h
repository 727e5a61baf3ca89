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

/* A listener's TLS certificate (chain) and key, PEM, read from files. */
struct fr_tls {
	char *cert;
	char *key;
};

/* Reads both files (at most 1 MiB each): 0, or -errno with a message
 * logged naming the file. Free with fr_tls__free. */
int fr_tls__load(const char *cert_path, const char *key_path, struct fr_tls *out);
void fr_tls__free(struct fr_tls *t);

#endif /* FR_NET_H */
