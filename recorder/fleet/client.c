// SPDX-License-Identifier: MIT
/*
 * client.c - the fleet's NATS connection (fr_fleet.h): options, the
 * background reconnects and their counts, and one thread that keeps the
 * registry (heartbeat, watch) and lets late answers expire.
 */
#define FR_LOG_MOD "fleet"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

#include "fleet_int.h"
#include "fr_clock.h"
#include "fr_log.h"

#define TRACE_INDEX_SPANS 65536

const char *fr_fleet_status_text(natsStatus s)
{
	const char *t = natsStatus_GetText(s);

	return t ? t : "unknown NATS error";
}

static void on_disconnected(natsConnection *nc, void *closure)
{
	struct fr_fleet *f = closure;

	(void)nc;
	pthread_mutex_lock(&f->mu);
	f->st.disconnects++;
	f->st.connected = false;
	pthread_mutex_unlock(&f->mu);
	pr_warn("NATS disconnected; local capture goes on, reconnecting");
}

static void on_reconnected(natsConnection *nc, void *closure)
{
	struct fr_fleet *f = closure;
	char url[128] = "";

	natsConnection_GetConnectedUrl(nc, url, sizeof(url));
	pthread_mutex_lock(&f->mu);
	f->st.reconnects++;
	f->st.connected = true;
	snprintf(f->st.server, sizeof(f->st.server), "%s", url);
	pthread_mutex_unlock(&f->mu);
	pr_info("NATS reconnected to %s", url);
}

/* The first connection, made in the background (the server was down at start). */
static void on_connected(natsConnection *nc, void *closure)
{
	struct fr_fleet *f = closure;
	char url[128] = "";

	natsConnection_GetConnectedUrl(nc, url, sizeof(url));
	pthread_mutex_lock(&f->mu);
	f->st.connected = true;
	snprintf(f->st.server, sizeof(f->st.server), "%s", url);
	pthread_mutex_unlock(&f->mu);
	pr_info("NATS connected to %s", url);
}

/* The connection is closed for good: its last callbacks have run. */
static void on_closed(natsConnection *nc, void *closure)
{
	struct fr_fleet *f = closure;

	(void)nc;
	pthread_mutex_lock(&f->stop_mu);
	f->closed = true;
	pthread_cond_broadcast(&f->stop_cv);
	pthread_mutex_unlock(&f->stop_mu);
}

static void on_error(natsConnection *nc, natsSubscription *sub, natsStatus err, void *closure)
{
	(void)nc;
	(void)sub;
	(void)closure;
	pr_warn("NATS: %s", fr_fleet_status_text(err));
}

int fr_fleet_publish(struct fr_fleet *f, const char *subj, const void *data, size_t len)
{
	natsStatus s = natsConnection_Publish(f->nc, subj, data, (int)len);

	if (s != NATS_OK) {
		FLEET_COUNT(f, send_failed);
		pr_debug("publish %s: %s", subj, fr_fleet_status_text(s));
		return -EIO;
	}
	return 0;
}

static bool connected(struct fr_fleet *f)
{
	return natsConnection_Status(f->nc) == NATS_CONN_STATUS_CONNECTED;
}

static void *fleet_thread(void *arg)
{
	struct fr_fleet *f = arg;
	uint64_t next_beat = 0, next_try = 0;

	for (;;) {
		uint64_t now;

		pthread_mutex_lock(&f->stop_mu);
		if (f->stop) {
			pthread_mutex_unlock(&f->stop_mu);
			break;
		}
		pthread_mutex_unlock(&f->stop_mu);
		now = fr_mono_ns();
		if ((!f->kv || (f->o.viewer && !f->sub_stream)) && connected(f) && now >= next_try) {
			next_try = now + 2000000000ull;
			if (!fr_fleet_registry_start(f))
				next_beat = 0;
			if (f->o.viewer)
				fr_fleet_viewer_start(f);
			else
				fr_fleet_stream_start(f);
		}
		if (f->kv && !f->o.viewer && connected(f) && now >= next_beat) {
			next_beat = now + (uint64_t)f->o.heartbeat_s * 1000000000ull;
			fr_fleet_registry_heartbeat(f);
		}
		if (f->watch)
			fr_fleet_registry_watch(f, 100);
		else
			usleep(100 * 1000);
		fr_fleet_requests_expire(f, fr_mono_ns());
	}
	return NULL;
}

static int copy_opts(struct fr_fleet *f, const struct fr_fleet_opts *o)
{
	char host[FR_NODE_NAME] = "";

	memcpy(&f->o, o, o->sz < sizeof(f->o) ? o->sz : sizeof(f->o));
	if (!f->o.heartbeat_s)
		f->o.heartbeat_s = 5;
	if (!f->o.wait_ms)
		f->o.wait_ms = FR_FLEET_DEFAULT_WAIT_MS;
	if (!f->o.max_hops)
		f->o.max_hops = FR_FLEET_DEFAULT_MAX_HOPS;
	if (!f->o.requests_per_s)
		f->o.requests_per_s = 20;
	if (o->node) {
		snprintf(f->node, sizeof(f->node), "%s", o->node);
	} else {
		gethostname(host, sizeof(host) - 1);
		/* a host name's dots are not a subject token's */
		for (char *p = host; *p; p++)
			if (!fr_fleet__valid_node((char[]){ *p, 0 }))
				*p = '-';
		snprintf(f->node, sizeof(f->node), "%s", host);
	}
	if (!fr_fleet__valid_node(f->node)) {
		pr_err("bad node name '%s': letters, digits, '-' and '_' only", f->node);
		return -EINVAL;
	}
	if (!o->nr_servers || o->nr_servers > FR_FLEET_MAX_SERVERS) {
		pr_err("--nats: 1 to %d servers", FR_FLEET_MAX_SERVERS);
		return -EINVAL;
	}
	for (int i = 0; i < o->nr_servers; i++)
		if (!(f->servers[i] = strdup(o->servers[i])))
			return -ENOMEM;
	f->o.servers = (const char *const *)f->servers;
	if (o->nr_extra_addrs > FLEET_MAX_ADDRS) {
		pr_err("at most %d extra addresses", FLEET_MAX_ADDRS);
		return -EINVAL;
	}
	for (size_t i = 0; i < o->nr_extra_addrs; i++) {
		f->extra[i] = o->extra_addrs[i];
		if (f->extra[i].ss_family == AF_INET)
			((struct sockaddr_in *)&f->extra[i])->sin_port = 0;
		else if (f->extra[i].ss_family == AF_INET6)
			((struct sockaddr_in6 *)&f->extra[i])->sin6_port = 0;
	}
	f->o.extra_addrs = f->extra;
	f->creds = o->creds ? strdup(o->creds) : NULL;
	f->ui_url = o->ui_url ? strdup(o->ui_url) : NULL;
	f->version = strdup(o->version ? o->version : "");
	if ((o->creds && !f->creds) || (o->ui_url && !f->ui_url) || !f->version)
		return -ENOMEM;
	return 0;
}

static natsOptions *nats_options(struct fr_fleet *f)
{
	natsOptions *no = NULL;
	natsStatus s = natsOptions_Create(&no);
	bool tls = false;

	for (int i = 0; i < f->o.nr_servers; i++)
		tls |= !strncmp(f->servers[i], "tls://", 6);
	if (s == NATS_OK)
		s = natsOptions_SetServers(no, (const char **)f->servers, f->o.nr_servers);
	if (s == NATS_OK)
		s = natsOptions_SetName(no, f->node);
	if (s == NATS_OK && f->creds)
		s = natsOptions_SetUserCredentialsFromFiles(no, f->creds, NULL);
	if (s == NATS_OK && tls)
		s = natsOptions_SetSecure(no, true);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(no, 2000);
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(no, -1); /* for ever */
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(no, 500);
	if (s == NATS_OK)
		s = natsOptions_SetPingInterval(no, 5000);
	if (s == NATS_OK) /* what would queue while disconnected is dropped instead */
		s = natsOptions_SetReconnectBufSize(no, 1 << 20);
	if (s == NATS_OK)
		s = natsOptions_SetRetryOnFailedConnect(no, true, on_connected, f);
	if (s == NATS_OK)
		s = natsOptions_SetDisconnectedCB(no, on_disconnected, f);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectedCB(no, on_reconnected, f);
	if (s == NATS_OK)
		s = natsOptions_SetErrorHandler(no, on_error, f);
	if (s == NATS_OK)
		s = natsOptions_SetClosedCB(no, on_closed, f);
	if (s != NATS_OK) {
		pr_err("NATS options: %s", fr_fleet_status_text(s));
		natsOptions_Destroy(no);
		return NULL;
	}
	return no;
}

static void free_fleet(struct fr_fleet *f)
{
	for (int i = 0; i < FR_FLEET_MAX_SERVERS; i++)
		free(f->servers[i]);
	free(f->creds);
	free(f->ui_url);
	free(f->version);
	free(f->nodes);
	fr_fleet_traces_free(f->traces);
	pthread_mutex_destroy(&f->mu);
	pthread_mutex_destroy(&f->stop_mu);
	pthread_cond_destroy(&f->answered);
	pthread_cond_destroy(&f->stop_cv);
	free(f);
}

struct fr_fleet *fr_fleet__open(const struct fr_fleet_opts *o)
{
	struct fr_fleet *f = calloc(1, sizeof(*f));
	natsOptions *no = NULL;
	natsStatus s;
	int err;

	if (!f)
		return NULL;
	pthread_mutex_init(&f->mu, NULL);
	pthread_mutex_init(&f->stop_mu, NULL);
	pthread_cond_init(&f->answered, NULL);
	pthread_cond_init(&f->stop_cv, NULL);
	err = copy_opts(f, o);
	if (!err) {
		f->nodes = calloc(FLEET_MAX_NODES, sizeof(*f->nodes));
		f->traces = fr_fleet_traces_new(TRACE_INDEX_SPANS);
		if (!f->nodes || !f->traces)
			err = -ENOMEM;
	}
	if (!err && !(no = nats_options(f)))
		err = -EINVAL;
	if (err) {
		free_fleet(f);
		errno = -err;
		return NULL;
	}
	fr_fleet_own_addrs(f);
	s = natsConnection_Connect(&f->nc, no);
	natsOptions_Destroy(no);
	if (s == NATS_OK) {
		on_connected(f->nc, f);
	} else if (s == NATS_NOT_YET_CONNECTED) {
		pr_warn("NATS (%s) not reachable yet: local capture goes on, connecting in the "
			"background", f->servers[0]);
	} else {
		pr_err("NATS %s: %s", f->servers[0], fr_fleet_status_text(s));
		free_fleet(f);
		errno = EINVAL;
		return NULL;
	}
	if (!f->o.viewer && fr_fleet_requests_start(f)) {
		natsConnection_Destroy(f->nc);
		free_fleet(f);
		errno = EIO;
		return NULL;
	}
	if (pthread_create(&f->thread, NULL, fleet_thread, f)) {
		fr_fleet__close(f);
		errno = EAGAIN;
		return NULL;
	}
	f->thread_started = true;
	pr_info("%s %s in the fleet at %s", f->o.viewer ? "fleet view" : "node", f->node,
		f->servers[0]);
	return f;
}

const char *fr_fleet__node(const struct fr_fleet *f)
{
	return f->node;
}

void fr_fleet__close(struct fr_fleet *f)
{
	struct timespec until;

	if (!f)
		return;
	if (f->thread_started) {
		pthread_mutex_lock(&f->stop_mu);
		f->stop = true;
		pthread_mutex_unlock(&f->stop_mu);
		pthread_join(f->thread, NULL);
	}
	if (f->nc && connected(f) && !f->o.viewer)
		fr_fleet_registry_leave(f);
	if (f->watch)
		kvWatcher_Stop(f->watch);
	if (f->nc) {
		/* the library calls back (disconnected, closed) from its own
		 * thread: f must outlive the last of those calls */
		natsConnection_FlushTimeout(f->nc, 500);
		natsConnection_Close(f->nc);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 3;
		pthread_mutex_lock(&f->stop_mu);
		while (!f->closed)
			if (pthread_cond_timedwait(&f->stop_cv, &f->stop_mu, &until))
				break;
		pthread_mutex_unlock(&f->stop_mu);
	}
	kvWatcher_Destroy(f->watch);
	kvStore_Destroy(f->kv);
	jsCtx_Destroy(f->js);
	natsSubscription_Destroy(f->sub_capture);
	natsSubscription_Destroy(f->sub_broadcast);
	natsSubscription_Destroy(f->sub_replies);
	natsSubscription_Destroy(f->sub_snapshot);
	natsSubscription_Destroy(f->sub_stream);
	natsConnection_Destroy(f->nc);
	free_fleet(f);
}

void fr_fleet__stats(struct fr_fleet *f, struct fr_fleet_stats *out)
{
	pthread_mutex_lock(&f->mu);
	*out = f->st;
	pthread_mutex_unlock(&f->mu);
}

void fr_fleet__count_refused(struct fr_fleet *f)
{
	FLEET_COUNT(f, refused_other);
}
