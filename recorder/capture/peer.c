// SPDX-License-Identifier: MIT
/*
 * peer.c - the owner of the other end of a local TCP connection, from the
 * kernel's socket table (NETLINK_SOCK_DIAG), and the owner of a process
 * (fr_peer.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fr_peer.h"
#include "fr_procfs.h"

int fr_peer_uid(const struct sockaddr_storage *peer, const struct sockaddr_storage *local,
		uid_t *uid)
{
	uint64_t ino;

	return fr_peer_socket(peer, local, uid, &ino);
}

int fr_peer_socket(const struct sockaddr_storage *peer, const struct sockaddr_storage *local,
		   uid_t *uid, uint64_t *ino)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req = { 0 };
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char buf[8192];
	ssize_t n;
	int fd, err = -ENOENT;

	if (peer->ss_family != local->ss_family ||
	    (peer->ss_family != AF_INET && peer->ss_family != AF_INET6))
		return -ENOENT;
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.r.sdiag_family = (__u8)peer->ss_family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = ~0u;
	req.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	/* the sender's socket: its source is the peer, its destination us */
	if (peer->ss_family == AF_INET) {
		const struct sockaddr_in *p = (const void *)peer, *l = (const void *)local;

		req.r.id.idiag_sport = p->sin_port;
		req.r.id.idiag_dport = l->sin_port;
		memcpy(req.r.id.idiag_src, &p->sin_addr, 4);
		memcpy(req.r.id.idiag_dst, &l->sin_addr, 4);
	} else {
		const struct sockaddr_in6 *p = (const void *)peer, *l = (const void *)local;

		req.r.id.idiag_sport = p->sin6_port;
		req.r.id.idiag_dport = l->sin6_port;
		memcpy(req.r.id.idiag_src, &p->sin6_addr, 16);
		memcpy(req.r.id.idiag_dst, &l->sin6_addr, 16);
	}
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		err = -errno;
	for (struct nlmsghdr *h = (struct nlmsghdr *)buf; n > 0 && NLMSG_OK(h, (size_t)n);
	     h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
			const struct inet_diag_msg *m = NLMSG_DATA(h);

			*uid = m->idiag_uid;
			*ino = m->idiag_inode;
			err = 0;
			break;
		}
		if (h->nlmsg_type == NLMSG_ERROR || h->nlmsg_type == NLMSG_DONE)
			break; /* ENOENT: not a socket of this host */
	}
	close(fd);
	return err;
}

int fr_proc_uid(pid_t pid, uid_t *uid)
{
	char v[128];
	int err = fr_proc_status_field(pid, "Uid", v, sizeof(v));

	if (!err)
		*uid = (uid_t)strtoul(v, NULL, 10); /* the real uid comes first */
	return err;
}

/* peer as /proc/net/tcp{,6} print a local address ("0100007F:1F90"). */
static bool proc_net_addr(const struct sockaddr_storage *peer, char *out, size_t len)
{
	if (peer->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)peer;

		snprintf(out, len, "%08X:%04X", a->sin_addr.s_addr, ntohs(a->sin_port));
		return true;
	}
	if (peer->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)peer;
		uint32_t w[4];

		memcpy(w, &a->sin6_addr, 16);
		snprintf(out, len, "%08X%08X%08X%08X:%04X", w[0], w[1], w[2], w[3], ntohs(a->sin6_port));
		return true;
	}
	return false;
}

/* The socket with local address want in table path: 0 with uid and inode. */
static int find_in_table(const char *path, const char *want, uid_t *uid, uint64_t *ino)
{
	char line[512];
	int err = -ENOENT;
	FILE *f = fopen(path, "r");

	if (!f)
		return -errno;
	while (err && fgets(line, sizeof(line), f)) {
		char local[64];
		unsigned long u;
		unsigned long long inode;

		if (sscanf(line, " %*u: %63s %*s %*x %*s %*s %*s %lu %*u %llu", local, &u, &inode) == 3 &&
		    !strcmp(local, want) && inode) {
			*uid = (uid_t)u;
			*ino = inode;
			err = 0;
		}
	}
	fclose(f);
	return err;
}

static uint64_t netns_of(pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	return stat(path, &st) ? 0 : (uint64_t)st.st_ino;
}

#define MAX_NETNS 1024

int fr_peer_socket_any_ns(const struct sockaddr_storage *peer, uid_t *uid, uint64_t *ino,
			  pid_t *pid)
{
	uint64_t nss[MAX_NETNS], own = netns_of(getpid()), found_ns = 0;
	const char *table = peer->ss_family == AF_INET6 ? "tcp6" : "tcp";
	char want[64];
	struct dirent *de;
	size_t nseen = 0;
	int err = -ENOENT;
	DIR *d;

	if (!proc_net_addr(peer, want, sizeof(want)))
		return -ENOENT;
	d = opendir("/proc");
	if (!d)
		return -errno;
	/* one process per namespace: its tables */
	while (err && (de = readdir(d))) {
		pid_t p = atoi(de->d_name);
		uint64_t ns;
		char path[64];
		bool dup = false;

		if (p <= 0 || !(ns = netns_of(p)) || ns == own)
			continue;
		for (size_t i = 0; i < nseen && !dup; i++)
			dup = nss[i] == ns;
		if (dup || nseen == MAX_NETNS)
			continue;
		nss[nseen++] = ns;
		snprintf(path, sizeof(path), "/proc/%d/net/%s", p, table);
		if (!find_in_table(path, want, uid, ino)) {
			err = 0;
			found_ns = ns;
		}
	}
	if (err) {
		closedir(d);
		return err;
	}
	/* the process of that namespace holding the socket */
	rewinddir(d);
	err = -ENOENT;
	while (err && (de = readdir(d))) {
		pid_t p = atoi(de->d_name);

		if (p > 0 && netns_of(p) == found_ns && fr_proc_has_socket(p, *ino)) {
			*pid = p;
			err = 0;
		}
	}
	closedir(d);
	return err;
}

int fr_peer_listener(const struct sockaddr_storage *local, uid_t *uid, uint64_t *ino)
{
	bool v6 = local->ss_family == AF_INET6;
	const char *path = v6 ? "/proc/self/net/tcp6" : "/proc/self/net/tcp";
	unsigned port, st;
	char line[512], addr[64];
	unsigned long long inode;
	unsigned long u;
	FILE *f;
	int err = -ENOENT;

	if (local->ss_family != AF_INET && !v6)
		return -ENOENT;
	port = ntohs(v6 ? ((const struct sockaddr_in6 *)local)->sin6_port
			: ((const struct sockaddr_in *)local)->sin_port);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (err && fgets(line, sizeof(line), f)) {
		unsigned p;
		char *colon;

		/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
		if (sscanf(line, " %*s %63s %*s %x %*s %*s %*s %lu %*s %llu", addr, &st, &u,
			   &inode) != 4 || st != 0x0A)
			continue;
		colon = strchr(addr, ':');
		if (!colon || sscanf(colon + 1, "%x", &p) != 1 || p != port)
			continue;
		*colon = '\0';
		if (strspn(addr, "0") != strlen(addr)) { /* not the wildcard: the address too */
			char want[64];

			if (!proc_net_addr(local, want, sizeof(want)))
				continue;
			want[strcspn(want, ":")] = '\0';
			if (strcmp(addr, want))
				continue;
		}
		*uid = (uid_t)u;
		*ino = inode;
		err = 0;
	}
	fclose(f);
	return err;
}
