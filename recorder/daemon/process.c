// SPDX-License-Identifier: MIT
/*
 * process.c - finding a span's process (daemon_int.h): who sent a batch
 * (the socket's owner on this host, in this or another network
 * namespace), whether that sender may bring a process under capture, and
 * the host pid behind each resource (process.pid through PID namespaces,
 * the sender, the service map).
 */
#define FR_LOG_MOD "run"
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon_int.h"
#include "fr_clock.h"
#include "fr_log.h"
#include "fr_peer.h"
#include "fr_procfs.h"

static const char *resource_str(const struct fr_resource *r, const char *key)
{
	for (uint32_t i = 0; i < r->attrs.n; i++)
		if (!strcmp(r->attrs.kv[i].key.p, key) && r->attrs.kv[i].value.type == FR_VAL_STRING)
			return r->attrs.kv[i].value.s.p;
	return NULL;
}

/* What the daemon knows of the sender of one batch. */
struct sender {
	bool trusted;    /* a configured forwarder: may capture any process */
	bool known;      /* uid found: the sender is on this host */
	uid_t uid;
	pid_t pid;       /* the process holding the sender's socket; 0 unknown */
	bool forwarder;  /* it forwards other services' spans (a Collector) */
	char comm[16];
	char what[96];   /* for messages: "uid 1000 at 127.0.0.1:41234" */
};

static const char *const known_forwarders[] = { "otelcol", "otelcol-contrib", "otelcol-k8s" };

/* Is a within the network of b's first bits bits. */
static bool in_network(const struct sockaddr_storage *a, const struct sockaddr_storage *b, int bits)
{
	const uint8_t *x, *y;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		x = (const uint8_t *)&((const struct sockaddr_in *)a)->sin_addr;
		y = (const uint8_t *)&((const struct sockaddr_in *)b)->sin_addr;
	} else if (a->ss_family == AF_INET6) {
		x = (const uint8_t *)&((const struct sockaddr_in6 *)a)->sin6_addr;
		y = (const uint8_t *)&((const struct sockaddr_in6 *)b)->sin6_addr;
	} else {
		return false;
	}
	for (int i = 0; bits > 0; i++, bits -= 8) {
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		if ((x[i] ^ y[i]) & mask)
			return false;
	}
	return true;
}

static bool is_forwarder(const struct fr_config *c, const char *comm)
{
	for (size_t i = 0; i < sizeof(known_forwarders) / sizeof(known_forwarders[0]); i++)
		if (!strcmp(comm, known_forwarders[i]))
			return true;
	for (int i = 0; i < c->nr_forwarders; i++)
		if (!strcmp(comm, c->forwarders[i]))
			return true;
	return false;
}

/*
 * The process holding a sender's socket, by its inode: a scan of /proc,
 * so remembered per socket (an exporter keeps its connection) for a while.
 */
#define SENDER_CACHE 32
#define SENDER_TTL_NS (30ull * 1000000000ull)

static struct {
	uint64_t ino, at;
	pid_t pid;
	char comm[16];
} sender_cache[SENDER_CACHE];
static pthread_mutex_t sender_mu = PTHREAD_MUTEX_INITIALIZER;

/* The process holding socket ino and its command name (0 and "" when none
 * was found), remembered with the socket. */
static pid_t socket_pid_cached(uint64_t ino, char comm[16])
{
	uint64_t now = fr_mono_ns();
	size_t slot = 0;
	pid_t pid;

	pthread_mutex_lock(&sender_mu);
	for (size_t i = 0; i < SENDER_CACHE; i++) {
		if (sender_cache[i].ino == ino && now - sender_cache[i].at < SENDER_TTL_NS) {
			pid = sender_cache[i].pid;
			memcpy(comm, sender_cache[i].comm, 16);
			pthread_mutex_unlock(&sender_mu);
			return pid;
		}
		if (sender_cache[i].at < sender_cache[slot].at)
			slot = i;
	}
	pthread_mutex_unlock(&sender_mu);
	pid = fr_socket_pid(ino);
	if (pid <= 0 || fr_proc_comm(pid, comm, 16)) {
		pid = 0;
		comm[0] = '\0';
	}
	pthread_mutex_lock(&sender_mu);
	sender_cache[slot].ino = ino;
	sender_cache[slot].pid = pid;
	memcpy(sender_cache[slot].comm, comm, 16);
	sender_cache[slot].at = now;
	pthread_mutex_unlock(&sender_mu);
	return pid;
}

/*
 * A sender in another network namespace of this host, by its address and
 * port (a scan of the namespaces' socket tables): remembered per address
 * for a while, found or not (a sender on another host would otherwise cost
 * a scan per request).
 */
static struct {
	struct sockaddr_storage peer;
	uint64_t at;
	bool found;
	uid_t uid;
	pid_t pid;
	char comm[16];
} remote_cache[SENDER_CACHE];
static uint64_t last_scan;

static bool same_peer(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return !memcmp(a, b, sizeof(struct sockaddr_in));
	return a->ss_family == AF_INET6 && !memcmp(a, b, sizeof(struct sockaddr_in6));
}

static bool other_ns_sender(const struct sockaddr_storage *peer, uid_t *uid, pid_t *pid,
			    char comm[16])
{
	uint64_t now = fr_mono_ns(), ino;
	size_t slot = 0;
	bool found;

	pthread_mutex_lock(&sender_mu);
	for (size_t i = 0; i < SENDER_CACHE; i++) {
		if (remote_cache[i].at && now - remote_cache[i].at < SENDER_TTL_NS &&
		    same_peer(&remote_cache[i].peer, peer)) {
			found = remote_cache[i].found;
			*uid = remote_cache[i].uid;
			*pid = remote_cache[i].pid;
			memcpy(comm, remote_cache[i].comm, 16);
			pthread_mutex_unlock(&sender_mu);
			return found;
		}
		if (remote_cache[i].at < remote_cache[slot].at)
			slot = i;
	}
	/* a scan reads every process's namespace: at most one a second, so
	 * that senders on many other hosts cannot keep the receiver scanning
	 * (one not looked up now is looked up with a later batch) */
	if (last_scan && now - last_scan < 1000000000ull) {
		pthread_mutex_unlock(&sender_mu);
		return false;
	}
	last_scan = now;
	pthread_mutex_unlock(&sender_mu);
	found = !fr_peer_socket_any_ns(peer, uid, &ino, pid);
	if (found && fr_proc_comm(*pid, comm, 16))
		*pid = 0; /* gone since */
	if (!found || !*pid)
		comm[0] = '\0';
	pthread_mutex_lock(&sender_mu);
	remote_cache[slot].peer = *peer;
	remote_cache[slot].at = now;
	remote_cache[slot].found = found;
	remote_cache[slot].uid = found ? *uid : 0;
	remote_cache[slot].pid = found ? *pid : 0;
	memcpy(remote_cache[slot].comm, comm, 16);
	pthread_mutex_unlock(&sender_mu);
	return found;
}

static void identify_sender(struct fr_daemon *d, const struct fr_batch *b, struct sender *s)
{
	const struct fr_config *c = d->c;
	char addr[64] = "?";
	uint64_t ino = 0;

	memset(s, 0, sizeof(*s));
	if (b->peer.ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&b->peer)->sin_addr, addr,
			  sizeof(addr));
	else if (b->peer.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&b->peer)->sin6_addr, addr,
			  sizeof(addr));
	s->known = !fr_peer_socket(&b->peer, &b->local, &s->uid, &ino);
	if (s->known)
		s->pid = socket_pid_cached(ino, s->comm);
	else /* a container's or a pod's network namespace on this host? */
		s->known = other_ns_sender(&b->peer, &s->uid, &s->pid, s->comm);
	if (s->known) {
		snprintf(s->what, sizeof(s->what), "uid %u at %s", (unsigned)s->uid, addr);
		s->forwarder = s->pid > 0 && is_forwarder(c, s->comm);
	} else {
		snprintf(s->what, sizeof(s->what), "%s, not a process of this host", addr);
	}
	for (int i = 0; i < c->nr_trusted_addrs; i++)
		s->trusted |= in_network(&b->peer, &c->trusted_addrs[i], c->trusted_prefix[i]);
	for (int i = 0; s->known && i < c->nr_trusted_uids; i++)
		s->trusted |= s->uid == c->trusted_uids[i];
}

/*
 * May this sender bring process pid under capture: a forwarder named in
 * the configuration, root, or a process of the same user (who could read
 * its /proc anyway). Otherwise why not, in denied.
 */
static bool sender_may_see(const struct sender *s, pid_t pid, char *denied, size_t len)
{
	uid_t owner;

	if (s->trusted || (s->known && s->uid == 0))
		return true;
	if (!s->known) {
		snprintf(denied, len, "the sender (%s) may not bring processes under capture "
			 "(not a --trusted-sender)", s->what);
		return false;
	}
	if (fr_proc_uid(pid, &owner)) {
		snprintf(denied, len, "pid %d is not running", (int)pid);
		return false;
	}
	if (owner == s->uid)
		return true;
	snprintf(denied, len, "the sender (%s) may not see pid %d (uid %u)", s->what, (int)pid,
		 (unsigned)owner);
	return false;
}

/*
 * The host pid of resource r's process, and how it was found: its
 * process.pid (through its container's or its sender's PID namespace when
 * it is in one), else the process that sent it, else, for spans a
 * forwarder sent, the service map. 0 when none, with why in out->source.
 */
static pid_t find_process(const struct fr_config *c, const struct fr_resource *r,
			  const struct sender *s, struct resource_pid *out)
{
	const char *container = resource_str(r, "container.id");
	pid_t pid;

	if (r->pid > 0 && container && *container) {
		pid = fr_host_pid(r->pid, container);
		snprintf(out->source, sizeof(out->source),
			 pid != (pid_t)r->pid ? "process.pid %" PRId64 " in container %.12s"
					      : "process.pid %" PRId64,
			 r->pid, container);
		return pid;
	}
	if (r->pid > 0) {
		/* in the sender's PID namespace, when that is not ours */
		if (s->pid > 0 && !s->forwarder && fr_proc_other_pidns(s->pid)) {
			pid = fr_pid_in_ns_of(s->pid, r->pid);
			if (pid > 0) {
				snprintf(out->source, sizeof(out->source),
					 "process.pid %" PRId64 " in the PID namespace of the "
					 "sender (pid %d)", r->pid, (int)s->pid);
				return pid;
			}
		}
		snprintf(out->source, sizeof(out->source), "process.pid");
		return (pid_t)r->pid > 0 ? (pid_t)r->pid : 0;
	}
	for (int i = 0; i < c->nr_service_map; i++) {
		const struct fr_service_map *m = &c->service_map[i];

		if (r->service_name.len != strlen(m->service) ||
		    memcmp(r->service_name.p, m->service, r->service_name.len))
			continue;
		pid = fr_find_process(m->kind, m->value);
		snprintf(out->source, sizeof(out->source),
			 pid ? "the service map (%s:%s)" : "the service map (%s:%s): no such process",
			 m->kind, m->value);
		return pid;
	}
	if (s->pid > 0 && !s->forwarder) {
		snprintf(out->source, sizeof(out->source),
			 "the sender of its spans (pid %d, %s), as it has no process.pid", (int)s->pid,
			 s->comm);
		return s->pid;
	}
	if (s->pid > 0)
		snprintf(out->source, sizeof(out->source),
			 "none: its spans came through forwarder %s (pid %d) without process.pid, "
			 "and no --service-map names the service", s->comm, (int)s->pid);
	else
		snprintf(out->source, sizeof(out->source),
			 "none: no process.pid, and the sender (%s) is not a process of this host "
			 "that flightrec can see", s->what);
	return 0;
}

bool fr_daemon__in_scope(const struct fr_daemon *d, pid_t pid)
{
	char path[64];
	struct stat st;

	if (!d->c->scope_netns)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	return !stat(path, &st) && st.st_ino == d->netns_ino;
}

/* fr_daemon__in_scope, and why not in denied. */
static bool in_scope(struct fr_daemon *d, pid_t pid, char *denied, size_t len)
{
	if (fr_daemon__in_scope(d, pid))
		return true;
	snprintf(denied, len, "pid %d is outside this recorder's network namespace "
		 "(--follow-scope netns)", (int)pid);
	return false;
}

/* The processes behind the resources: followed from their first span on,
 * when their sender may see them. */
void fr_daemon__follow_senders(struct fr_daemon *d, const struct fr_batch *b,
			       struct resource_pid *rp)
{
	struct sender s;

	if (!d->cap || !b->nr_resources)
		return;
	pthread_rwlock_rdlock(&d->cfg_lock); /* a reload may change senders and maps */
	identify_sender(d, b, &s);
	for (size_t i = 0; i < b->nr_resources && i < FOLLOW_MAX_RESOURCES; i++) {
		struct resource_pid *o = &rp[i];

		o->host = find_process(d->c, &b->resources[i], &s, o);
		if (o->host <= 0 || o->host >= (pid_t)FR_PID_LIMIT) {
			o->host = 0;
			continue;
		}
		if (!sender_may_see(&s, o->host, o->denied, sizeof(o->denied)) ||
		    !in_scope(d, o->host, o->denied, sizeof(o->denied))) {
			pr_debug("not following pid %d: %s", (int)o->host, o->denied);
			continue;
		}
		o->followed = fr_capture__is_followed(d->cap, o->host);
		if (!o->followed && !fr_capture__follow_pid(d->cap, o->host, true))
			fr_daemon__prepare(d, o->host);
	}
	pthread_rwlock_unlock(&d->cfg_lock);
}

