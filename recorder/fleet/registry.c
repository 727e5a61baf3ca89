// SPDX-License-Identifier: MIT
/*
 * registry.c - the fleet's nodes (fr_fleet.h): this node's entry in the
 * key-value bucket, renewed every heartbeat (the bucket's TTL takes it out
 * a few heartbeats after the node stops), and every node's entry as the
 * watch last delivered it, to resolve an address to its node.
 */
#define FR_LOG_MOD "fleet"
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <json-c/json.h>

#include "fleet_int.h"
#include "fr_clock.h"
#include "fr_log.h"

#define ENTRY_VERSION 1
#define OWN_REFRESH_NS (30ull * 1000000000ull)

static uint64_t ttl_ns(const struct fr_fleet *f)
{
	return 3ull * f->o.heartbeat_s * 1000000000ull;
}

int fr_fleet_registry_start(struct fr_fleet *f)
{
	kvConfig kc;
	natsStatus s;

	if (f->kv)
		return 0;
	if (!f->js) {
		s = natsConnection_JetStream(&f->js, f->nc, NULL);
		if (s != NATS_OK)
			return -EIO;
	}
	kvConfig_Init(&kc);
	kc.Bucket = FR_FLEET_BUCKET;
	kc.History = 1;
	kc.TTL = (int64_t)ttl_ns(f);
	kc.MaxValueSize = 16384;
	s = f->o.viewer ? NATS_ERR : js_CreateKeyValue(&f->kv, f->js, &kc);
	if (s != NATS_OK) /* made by another node with its own TTL (or only read
			   * here, by the fleet view): bind to it */
		s = js_KeyValue(&f->kv, f->js, FR_FLEET_BUCKET);
	if (s != NATS_OK) {
		pr_warn("registry bucket %s: %s", FR_FLEET_BUCKET, fr_fleet_status_text(s));
		f->kv = NULL;
		return -EIO;
	}
	s = kvStore_WatchAll(&f->watch, f->kv, NULL);
	if (s != NATS_OK) {
		pr_warn("cannot watch the registry: %s", fr_fleet_status_text(s));
		f->watch = NULL;
	}
	return 0;
}

static void add_own(struct fr_fleet *f, const struct sockaddr_storage *a)
{
	for (uint32_t i = 0; i < f->nr_own; i++)
		if (!memcmp(&f->own[i], a, sizeof(*a)))
			return;
	if (f->nr_own < FLEET_MAX_ADDRS)
		f->own[f->nr_own++] = *a;
}

static bool usable(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr) >> 24) != 127;
	if (a->ss_family == AF_INET6) {
		const struct in6_addr *x = &((const struct sockaddr_in6 *)a)->sin6_addr;

		return !IN6_IS_ADDR_LOOPBACK(x) && !IN6_IS_ADDR_LINKLOCAL(x);
	}
	return false;
}

/* The IPv4 addresses another network namespace answers on: the LOCAL
 * host routes of its fib_trie (what `ip -4 addr` would list there). */
static void netns_v4(struct fr_fleet *f, const char *pid)
{
	char path[300], line[256], last[64] = "";
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%s/net/fib_trie", pid);
	fp = fopen(path, "r");
	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp)) {
		char *p = strstr(line, "|-- ");
		struct sockaddr_storage a = { 0 };

		if (p) {
			snprintf(last, sizeof(last), "%s", p + 4);
			last[strcspn(last, " \n")] = '\0';
		} else if (strstr(line, "/32 host LOCAL") && last[0] &&
			   inet_pton(AF_INET, last, &((struct sockaddr_in *)&a)->sin_addr) == 1) {
			a.ss_family = AF_INET;
			if (usable(&a))
				add_own(f, &a);
		}
	}
	fclose(fp);
}

/* And IPv6, from if_inet6 (global scope only). */
static void netns_v6(struct fr_fleet *f, const char *pid)
{
	char path[300], hexaddr[40];
	unsigned idx, plen, scope, flags;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%s/net/if_inet6", pid);
	fp = fopen(path, "r");
	if (!fp)
		return;
	while (fscanf(fp, "%32s %x %x %x %x %*s", hexaddr, &idx, &plen, &scope, &flags) == 5) {
		struct sockaddr_storage a = { 0 };
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&a;

		if (scope != 0 || strlen(hexaddr) != 32)
			continue;
		for (int i = 0; i < 16; i++) {
			unsigned v;

			sscanf(hexaddr + 2 * i, "%2x", &v);
			s->sin6_addr.s6_addr[i] = (uint8_t)v;
		}
		a.ss_family = AF_INET6;
		if (usable(&a))
			add_own(f, &a);
	}
	fclose(fp);
}

/*
 * This node's addresses: its own network namespace's, and (unless
 * netns_only) those of every other namespace on the host that a process
 * holds, so that a container's or a pod's address resolves to this node.
 */
void fr_fleet_own_addrs(struct fr_fleet *f)
{
	struct ifaddrs *ifs = NULL;
	uint64_t seen[256];
	size_t nseen = 0;
	struct stat self;
	struct dirent *de;
	DIR *d;

	f->nr_own = 0;
	for (size_t i = 0; i < f->o.nr_extra_addrs && i < FLEET_MAX_ADDRS; i++)
		add_own(f, &f->extra[i]);
	if (!getifaddrs(&ifs)) {
		for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
			struct sockaddr_storage a = { 0 };

			if (!i->ifa_addr || (i->ifa_addr->sa_family != AF_INET &&
					     i->ifa_addr->sa_family != AF_INET6))
				continue;
			memcpy(&a, i->ifa_addr, i->ifa_addr->sa_family == AF_INET
							? sizeof(struct sockaddr_in)
							: sizeof(struct sockaddr_in6));
			if (a.ss_family == AF_INET6) { /* the address alone */
				struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a;

				s6->sin6_scope_id = 0;
				s6->sin6_flowinfo = 0;
			}
			if (usable(&a))
				add_own(f, &a);
		}
		freeifaddrs(ifs);
	}
	f->own_at = fr_mono_ns();
	if (f->o.netns_only || stat("/proc/self/ns/net", &self))
		return;
	seen[nseen++] = self.st_ino;
	d = opendir("/proc");
	if (!d)
		return;
	while ((de = readdir(d)) && nseen < sizeof(seen) / sizeof(seen[0])) {
		char path[300];
		struct stat st;
		size_t k;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", de->d_name);
		if (stat(path, &st))
			continue;
		for (k = 0; k < nseen && seen[k] != st.st_ino; k++)
			;
		if (k < nseen)
			continue;
		seen[nseen++] = st.st_ino;
		netns_v4(f, de->d_name);
		netns_v6(f, de->d_name);
	}
	closedir(d);
}

/* The same address, whatever the ports. */
static bool same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return a->ss_family == AF_INET6 &&
	       !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		       &((const struct sockaddr_in6 *)b)->sin6_addr, 16);
}

bool fr_fleet_is_own(struct fr_fleet *f, const struct sockaddr_storage *a)
{
	bool own = false;

	pthread_mutex_lock(&f->mu);
	for (uint32_t i = 0; i < f->nr_own && !own; i++)
		own = same_ip(&f->own[i], a);
	pthread_mutex_unlock(&f->mu);
	return own;
}

static void entry_json(struct fr_fleet *f, struct fr_buf *b)
{
	char ip[INET6_ADDRSTRLEN];

	fr_buf__printf(b, "{\"v\":%d,\"node\":", ENTRY_VERSION);
	fr_buf__json_str(b, f->node, strlen(f->node));
	fr_buf__put(b, ",\"ui\":", 6);
	fr_buf__json_str(b, f->ui_url ? f->ui_url : "", f->ui_url ? strlen(f->ui_url) : 0);
	fr_buf__put(b, ",\"version\":", 11);
	fr_buf__json_str(b, f->version ? f->version : "", f->version ? strlen(f->version) : 0);
	fr_buf__printf(b, ",\"heartbeat_s\":%u,\"addrs\":[", f->o.heartbeat_s);
	pthread_mutex_lock(&f->mu);
	for (uint32_t i = 0; i < f->nr_own; i++) {
		const struct sockaddr_storage *a = &f->own[i];

		inet_ntop(a->ss_family,
			  a->ss_family == AF_INET ? (const void *)&((const struct sockaddr_in *)a)->sin_addr
						  : (const void *)&((const struct sockaddr_in6 *)a)->sin6_addr,
			  ip, sizeof(ip));
		fr_buf__printf(b, "%s\"%s\"", i ? "," : "", ip);
	}
	pthread_mutex_unlock(&f->mu);
	fr_buf__put(b, "]}", 2);
}

void fr_fleet_registry_heartbeat(struct fr_fleet *f)
{
	struct fr_buf b = { 0 };
	natsStatus s;

	if (!f->kv)
		return;
	if (!f->own_at || fr_mono_ns() - f->own_at > OWN_REFRESH_NS) {
		pthread_mutex_lock(&f->mu);
		fr_fleet_own_addrs(f);
		pthread_mutex_unlock(&f->mu);
	}
	entry_json(f, &b);
	s = b.oom ? NATS_NO_MEMORY : kvStore_Put(NULL, f->kv, f->node, b.p, (int)b.len);
	fr_buf__free(&b);
	if (s == NATS_OK) {
		FLEET_COUNT(f, heartbeats);
		f->beat_failures = 0;
		return;
	}
	FLEET_COUNT(f, heartbeat_failed);
	pr_debug("heartbeat: %s", fr_fleet_status_text(s));
	/* a server that lost its JetStream store (a new one, say) has no bucket
	 * and no stream: after a few failures, make them again */
	if (++f->beat_failures >= 3) {
		pr_warn("the registry does not take this node's entry (%s): making the bucket "
			"and the stream again", fr_fleet_status_text(s));
		if (f->watch) {
			kvWatcher_Stop(f->watch);
			kvWatcher_Destroy(f->watch);
			f->watch = NULL;
		}
		kvStore_Destroy(f->kv);
		f->kv = NULL;
		f->stream_ready = false;
		f->beat_failures = 0;
	}
}

void fr_fleet_registry_leave(struct fr_fleet *f)
{
	if (f->kv && kvStore_Delete(f->kv, f->node) != NATS_OK)
		pr_debug("could not take %s out of the registry", f->node);
}

/* A node's entry into the table (f->mu held). */
static void node_put(struct fr_fleet *f, const char *key, const char *json, int len,
		     uint64_t created_unix)
{
	struct json_tokener *tok = json_tokener_new_ex(6);
	json_object *o = tok ? json_tokener_parse_ex(tok, json, len) : NULL, *v, *addrs;
	struct fleet_node *n = NULL;
	uint64_t now_unix = fr_wall_ns(), age;

	if (!o || !json_object_is_type(o, json_type_object) || !fr_fleet__valid_node(key))
		goto out;
	for (size_t i = 0; i < f->nr_nodes; i++)
		if (!strcmp(f->nodes[i].name, key))
			n = &f->nodes[i];
	if (!n) {
		if (f->nr_nodes == FLEET_MAX_NODES)
			goto out;
		n = &f->nodes[f->nr_nodes++];
	}
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", key);
	if (json_object_object_get_ex(o, "ui", &v) && json_object_is_type(v, json_type_string))
		snprintf(n->ui, sizeof(n->ui), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "version", &v) && json_object_is_type(v, json_type_string))
		snprintf(n->version, sizeof(n->version), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "addrs", &addrs) &&
	    json_object_is_type(addrs, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(addrs) && n->nr_addrs < FLEET_MAX_ADDRS;
		     i++) {
			const char *s = json_object_get_string(json_object_array_get_idx(addrs, i));
			struct sockaddr_storage *a = &n->addrs[n->nr_addrs];

			memset(a, 0, sizeof(*a));
			if (s && inet_pton(AF_INET, s, &((struct sockaddr_in *)a)->sin_addr) == 1)
				a->ss_family = AF_INET;
			else if (s && inet_pton(AF_INET6, s, &((struct sockaddr_in6 *)a)->sin6_addr) == 1)
				a->ss_family = AF_INET6;
			else
				continue;
			n->nr_addrs++;
		}
	}
	age = created_unix && now_unix > created_unix ? now_unix - created_unix : 0;
	n->seen = fr_mono_ns() - (age < fr_mono_ns() ? age : 0);
out:
	json_object_put(o);
	if (tok)
		json_tokener_free(tok);
}

static void node_del(struct fr_fleet *f, const char *key)
{
	for (size_t i = 0; i < f->nr_nodes; i++)
		if (!strcmp(f->nodes[i].name, key)) {
			f->nodes[i] = f->nodes[--f->nr_nodes];
			return;
		}
}

void fr_fleet_registry_watch(struct fr_fleet *f, int64_t timeout_ms)
{
	kvEntry *e = NULL;

	if (!f->watch)
		return;
	while (kvWatcher_Next(&e, f->watch, timeout_ms) == NATS_OK) {
		timeout_ms = 1; /* drain what is there, then return */
		if (!e)
			continue; /* the end of the initial values */
		pthread_mutex_lock(&f->mu);
		if (kvEntry_Operation(e) == kvOp_Put)
			node_put(f, kvEntry_Key(e), kvEntry_ValueString(e), kvEntry_ValueLen(e),
				 (uint64_t)kvEntry_Created(e));
		else
			node_del(f, kvEntry_Key(e));
		f->st.nodes = f->nr_nodes;
		pthread_mutex_unlock(&f->mu);
		kvEntry_Destroy(e);
		e = NULL;
	}
	/* entries the bucket's TTL removed are not announced: age them out */
	pthread_mutex_lock(&f->mu);
	for (size_t i = 0; i < f->nr_nodes;) {
		if (fr_mono_ns() - f->nodes[i].seen > ttl_ns(f))
			f->nodes[i] = f->nodes[--f->nr_nodes];
		else
			i++;
	}
	f->st.nodes = f->nr_nodes;
	pthread_mutex_unlock(&f->mu);
}

int fr_fleet__resolve(struct fr_fleet *f, const struct sockaddr_storage *addr,
		      char node[FR_NODE_NAME], char *ui, size_t ui_len)
{
	int rc = -ENOENT;

	pthread_mutex_lock(&f->mu);
	for (size_t i = 0; i < f->nr_nodes && rc; i++) {
		const struct fleet_node *n = &f->nodes[i];

		for (uint32_t k = 0; k < n->nr_addrs && rc; k++) {
			if (!same_ip(&n->addrs[k], addr))
				continue;
			snprintf(node, FR_NODE_NAME, "%s", n->name);
			if (ui)
				snprintf(ui, ui_len, "%s", n->ui);
			rc = 0;
		}
	}
	pthread_mutex_unlock(&f->mu);
	return rc;
}
