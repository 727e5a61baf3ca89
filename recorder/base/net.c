// SPDX-License-Identifier: MIT
/*
 * net.c - listen addresses and listeners' TLS files (fr_net.h).
 */
#define FR_LOG_MOD "net"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_log.h"
#include "fr_net.h"

int fr_parse_listen(const char *s, struct sockaddr_storage *out, socklen_t *len)
{
	char host[128];
	const char *colon, *h = s;
	size_t hlen;
	char *end;
	long port;

	if (!s)
		return -EINVAL;
	if (*s == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return -EINVAL;
		h = s + 1;
		hlen = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		hlen = (size_t)(colon - s);
	}
	if (hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || *end || colon[1] == '\0' || port < 0 || port > 65535)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!hlen || strchr(host, ':') == NULL) {
		struct sockaddr_in *in = (struct sockaddr_in *)out;

		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		if (!hlen)
			in->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (!strcmp(host, "localhost"))
			in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		else if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			return -EINVAL;
		*len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return -EINVAL;
		*len = sizeof(*in6);
	}
	return 0;
}

bool fr_is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ss)->sin6_addr);
	return false;
}

/* A whole small file as a string; NULL with errno. */
static char *read_pem(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n = 0;

	if (!f)
		return NULL;
	buf = malloc(1u << 20);
	if (buf)
		n = fread(buf, 1, (1u << 20) - 1, f);
	if (buf && (ferror(f) || !n || !feof(f))) {
		free(buf);
		buf = NULL;
		errno = n ? EFBIG : EINVAL;
	}
	fclose(f);
	if (buf)
		buf[n] = '\0';
	return buf;
}

int fr_tls__load(const char *cert_path, const char *key_path, struct fr_tls *out)
{
	memset(out, 0, sizeof(*out));
	out->cert = read_pem(cert_path);
	if (!out->cert) {
		int err = errno;

		pr_err("cannot read the TLS certificate %s: %s", cert_path, strerror(err));
		return -err;
	}
	out->key = read_pem(key_path);
	if (!out->key) {
		int err = errno;

		pr_err("cannot read the TLS key %s: %s", key_path, strerror(err));
		fr_tls__free(out);
		return -err;
	}
	return 0;
}

void fr_tls__free(struct fr_tls *t)
{
	if (!t)
		return;
	free(t->cert);
	if (t->key) /* the key is a secret: not left in freed memory */
		explicit_bzero(t->key, strlen(t->key));
	free(t->key);
	t->cert = t->key = NULL;
}
