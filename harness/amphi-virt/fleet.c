/*
 * The fleet: one connection per URI, one transient domain per boot, all driven from
 * libvirt's event loop. A boot's domain is created with AUTODESTROY (libvirt destroys it
 * when the connection closes, even if this process dies). A tick every 100 ms ends the
 * boots that are done (the domain stopped), timed out or interrupted, judging each by the
 * serial log fetched from its host, and starts waiting ones while their URI has fewer
 * than -j running.
 */
#define _GNU_SOURCE
#include "virt.h"

#include <errno.h>
#include <libvirt/virterror.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define VIRT_TICK_MS 100

/* Where a boot is in its life. */
enum virt_phase { VIRT_WAITING, VIRT_RUNNING, VIRT_DONE };

/* One libvirt URI and its connection. */
struct virt_host {
	const char *uri;
	virConnectPtr conn;
	virStoragePoolPtr log_pool; /* this run's serial logs on the host */
	int lifecycle_id;	    /* -1 when not registered */
	int running;		    /* boots started and not ended */
	bool lost;		    /* the connection closed under us */
	char error[VIRT_WHY_MAX];   /* why the URI cannot run boots, "" when it can */
};

struct virt_fleet;

/* One boot: its domain, console and verdict. */
struct virt_boot {
	struct virt_fleet *fleet;
	struct virt_host *host;
	int index;
	enum virt_arch arch;
	char name[VIRT_NAME_MAX];
	enum virt_phase phase;
	virDomainPtr dom;
	bool launched;	    /* virDomainCreateXML was called: a serial log may exist */
	bool create_failed; /* ... and failed */
	bool stopped, timed_out, interrupted;
	char log_path[PATH_MAX];
	double started;
	char error[VIRT_WHY_MAX];
	struct virt_console out;
};

/* Everything the event callbacks need. */
struct virt_fleet {
	const struct virt_opts *o;
	struct virt_host host[VIRT_MAX_URIS];
	struct virt_boot *boot;
	int ended, passed;
	bool quit, finished;
	int tick_timer;
	double start;
	char log_dir[PATH_MAX];
};

static volatile sig_atomic_t virt_signalled;

/* Seconds on the monotonic clock. */
static double virt_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Records SIGINT/SIGTERM/SIGHUP; the next tick destroys every domain. */
static void virt_on_signal(int sig)
{
	virt_signalled = sig;
}

/* Installs the signal handlers and ignores SIGPIPE (a remote connection may break). */
static void virt_install_signals(void)
{
	struct sigaction sa = {.sa_handler = virt_on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Keeps libvirt from printing its errors: each is reported once, with its boot. */
static void virt_quiet_errors(void *opaque, virErrorPtr err)
{
	(void)opaque;
	(void)err;
}

/* Writes "what: <libvirt's last error>" into buf. */
static void virt_libvirt_error(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "%s: %s", what, virGetLastErrorMessage());
}

/* Finds the running boot of host named name, or NULL. */
static struct virt_boot *virt_find_boot(struct virt_fleet *f, virConnectPtr conn, const char *name)
{
	for (int i = 0; i < f->o->boots; i++) {
		struct virt_boot *b = &f->boot[i];
		if (b->phase == VIRT_RUNNING && b->host->conn == conn && strcmp(b->name, name) == 0)
			return b;
	}
	return NULL;
}

/* Notes that a boot's domain stopped (for whatever reason: power-off, exit device, crash). */
static int virt_on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail,
			     void *opaque)
{
	(void)detail;
	struct virt_boot *b = virt_find_boot(opaque, conn, virDomainGetName(dom));
	if (b && event == VIR_DOMAIN_EVENT_STOPPED)
		b->stopped = true;
	return 0;
}

/* Notes that a host's connection closed under us. */
static void virt_on_close(virConnectPtr conn, int reason, void *opaque)
{
	(void)conn;
	(void)reason;
	struct virt_host *h = opaque;
	h->lost = true;
}

/* Opens host's connection and watches its domains' lifecycle; on failure, host->error says
 * why and its boots fail with it. */
static void virt_host_open(struct virt_fleet *f, struct virt_host *h)
{
	h->lifecycle_id = -1;
	h->conn = virConnectOpenAuth(h->uri, virConnectAuthPtrDefault, 0);
	if (!h->conn) {
		virt_libvirt_error(h->error, sizeof(h->error), "cannot connect");
		return;
	}
	h->lifecycle_id =
	    virConnectDomainEventRegisterAny(h->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
					     VIR_DOMAIN_EVENT_CALLBACK(virt_on_lifecycle), f, NULL);
	h->log_pool = virt_log_pool_open(h->conn, f->o, (int)(h - f->host));
	if (!h->log_pool)
		virt_libvirt_error(h->error, sizeof(h->error), "cannot make the serial log pool");
	else if (h->lifecycle_id < 0)
		virt_libvirt_error(h->error, sizeof(h->error), "cannot watch domain events");
	else if (virConnectRegisterCloseCallback(h->conn, virt_on_close, h, NULL) < 0)
		virt_libvirt_error(h->error, sizeof(h->error), "cannot watch the connection");
}

/* Says once, before any boot line, that host cannot run boots and why (its boots then fail
 * with the same reason while the other URIs' boots run). */
static void virt_host_report(const struct virt_host *h)
{
	if (!h->error[0])
		return;
	printf("amphi-virt: URI %s unusable, its boots fail: %s\n", h->uri, h->error);
	fflush(stdout);
}

/* Closes host's connection (libvirt destroys any AUTODESTROY domain still on it). */
static void virt_host_close(struct virt_host *h)
{
	if (!h->conn)
		return;
	if (h->log_pool)
		virt_log_pool_close(h->log_pool);
	if (h->lifecycle_id >= 0)
		virConnectDomainEventDeregisterAny(h->conn, h->lifecycle_id);
	virConnectUnregisterCloseCallback(h->conn, virt_on_close);
	virConnectClose(h->conn);
	h->conn = NULL;
}

/* Sets the path of the boot's console log in the fleet's log directory. */
static void virt_boot_log_path(struct virt_boot *b)
{
	int n = snprintf(b->log_path, sizeof(b->log_path), "%s/%s.log", b->fleet->log_dir, b->name);
	if (n >= (int)sizeof(b->log_path)) {
		snprintf(b->error, sizeof(b->error), "log directory path too long");
		b->log_path[0] = '\0';
	}
}

/* Creates and starts the boot's domain; b->error says what failed. */
static void virt_boot_launch(struct virt_boot *b)
{
	char *xml = virt_domain_xml(b->fleet->o, b->arch, b->name, (int)(b->host - b->fleet->host));
	if (!xml) {
		snprintf(b->error, sizeof(b->error), "out of memory for the domain XML");
		return;
	}
	b->launched = true;
	b->dom = virDomainCreateXML(b->host->conn, xml, VIR_DOMAIN_START_AUTODESTROY);
	free(xml);
	if (!b->dom) {
		b->create_failed = true;
		virt_libvirt_error(b->error, sizeof(b->error), "cannot create the domain");
	}
}

/* Starts a waiting boot on its host. */
static void virt_boot_start(struct virt_boot *b)
{
	b->phase = VIRT_RUNNING;
	b->host->running++;
	b->started = virt_now();
	if (b->host->error[0]) {
		snprintf(b->error, sizeof(b->error), "%s", b->host->error);
		return;
	}
	virt_boot_log_path(b);
	if (!b->error[0])
		virt_boot_launch(b);
}

/* Destroys the boot's domain unless it is gone already; says so when it stays. */
static void virt_boot_destroy(struct virt_boot *b)
{
	if (virDomainDestroy(b->dom) == 0 || virDomainIsActive(b->dom) == 0)
		return;
	if (virGetLastErrorCode() == VIR_ERR_NO_DOMAIN)
		return; /* transient domains vanish once stopped */
	fprintf(stderr, "amphi-virt: cannot destroy %s on %s: %s\n", b->name, b->host->uri,
		virGetLastErrorMessage());
}

/* Destroys the boot's domain (if still there) and frees it. */
static void virt_boot_release(struct virt_boot *b)
{
	if (!b->dom)
		return;
	virt_boot_destroy(b);
	virDomainFree(b->dom);
	b->dom = NULL;
}

/* Fetches the boot's serial log from its host (deleting it there), keeps it in the fleet's
 * log directory and judges it (echoing it with --verbose); also after a failed create, whose
 * QEMU may have run and left a log. */
static void virt_boot_read_log(struct virt_boot *b)
{
	size_t len;
	char *data = virt_log_fetch(b->host->log_pool, b->name, &len);
	if (!data) {
		if (!b->error[0])
			virt_libvirt_error(b->error, sizeof(b->error),
					   "cannot fetch the serial log");
		return;
	}
	char prefix[VIRT_NAME_MAX + 3];
	snprintf(prefix, sizeof(prefix), "%s: ", b->name);
	virt_console_feed(&b->out, data, len, b->fleet->o->verbose ? stdout : NULL, prefix);
	/* A kernel that powers off fast can make QEMU exit before libvirt is done starting it,
	 * and the create fails; the run itself is whole and is judged by its console. */
	if (b->create_failed && b->out.poweroff_status >= 0)
		b->error[0] = '\0';
	FILE *log = b->log_path[0] ? fopen(b->log_path, "w") : NULL;
	if (log) {
		fwrite(data, 1, len, log);
		fclose(log);
	}
	free(data);
}

/* Writes why the boot failed into why, or leaves it empty for a pass. */
static void virt_boot_judge(const struct virt_boot *b, char *why, size_t len)
{
	if (b->error[0])
		snprintf(why, len, "%s", b->error);
	else if (b->interrupted)
		snprintf(why, len, "interrupted by signal %d", (int)virt_signalled);
	else if (b->timed_out)
		snprintf(why, len, "timeout after %g s", b->fleet->o->timeout_s);
	else
		virt_console_judge(&b->out, why, len);
}

/* Ends a running boot: releases it, judges it and prints its line. */
static void virt_boot_end(struct virt_boot *b)
{
	char why[VIRT_WHY_MAX], what[256] = "";
	virt_boot_release(b);
	if (b->launched)
		virt_boot_read_log(b);
	virt_console_finish(&b->out);
	virt_boot_judge(b, why, sizeof(why));
	const struct ktap_totals *t = &b->out.ktap.totals;
	if (!why[0])
		snprintf(what, sizeof(what), "%u suites, %u cases: %u ok, %u failed, %u skipped",
			 t->suites, t->cases, t->ok, t->failed, t->skipped);
	printf("amphi-virt: %s  %s (%s on %s): %s (%.2f s)\n", why[0] ? "FAIL" : "PASS", b->name,
	       virt_arch_name(b->arch), b->host->uri, why[0] ? why : what, virt_now() - b->started);
	if (why[0] && b->log_path[0])
		printf("amphi-virt:       console: %s\n", b->log_path);
	fflush(stdout);
	b->phase = VIRT_DONE;
	b->host->running--;
	b->fleet->ended++;
	b->fleet->passed += !why[0];
}

/* Notes a stop whose event was missed: a transient domain that stopped is gone. */
static void virt_boot_poll_stopped(struct virt_boot *b)
{
	int active = virDomainIsActive(b->dom);
	if (active == 0 || (active < 0 && virGetLastErrorCode() == VIR_ERR_NO_DOMAIN))
		b->stopped = true;
}

/* True when a running boot is over: failed to start, interrupted, timed out, lost, or
 * stopped. */
static bool virt_boot_over(struct virt_boot *b, double now)
{
	if (b->error[0] || b->interrupted)
		return true;
	if (b->host->lost) {
		snprintf(b->error, sizeof(b->error), "lost the connection to %s", b->host->uri);
		return true;
	}
	if (!b->stopped)
		virt_boot_poll_stopped(b);
	if (b->stopped)
		return true;
	if (now >= b->started + b->fleet->o->timeout_s)
		b->timed_out = true;
	return b->timed_out;
}

/* Marks every running boot interrupted and starts no more. */
static void virt_fleet_interrupt(struct virt_fleet *f)
{
	fprintf(stderr, "amphi-virt: signal %d: destroying every domain\n", (int)virt_signalled);
	f->quit = true;
	for (int i = 0; i < f->o->boots; i++)
		if (f->boot[i].phase == VIRT_RUNNING)
			f->boot[i].interrupted = true;
}

/* Ends the boots that are over and starts waiting ones where their host has room. */
static void virt_tick(int timer, void *opaque)
{
	(void)timer;
	struct virt_fleet *f = opaque;
	if (virt_signalled && !f->quit)
		virt_fleet_interrupt(f);
	double now = virt_now();
	int running = 0;
	for (int i = 0; i < f->o->boots; i++) {
		struct virt_boot *b = &f->boot[i];
		if (b->phase == VIRT_RUNNING && virt_boot_over(b, now))
			virt_boot_end(b);
		if (b->phase == VIRT_WAITING && !f->quit && b->host->running < f->o->jobs)
			virt_boot_start(b);
		running += b->phase == VIRT_RUNNING;
	}
	f->finished = running == 0 && (f->quit || f->ended == f->o->boots);
}

/* Makes the directory for the console logs: the one asked for, or a new one in /tmp. */
static int virt_make_log_dir(struct virt_fleet *f)
{
	if (f->o->log_dir) {
		snprintf(f->log_dir, sizeof(f->log_dir), "%s", f->o->log_dir);
		if (mkdir(f->log_dir, 0755) == 0 || errno == EEXIST)
			return 0;
	} else {
		snprintf(f->log_dir, sizeof(f->log_dir), "/tmp/amphi-virt.XXXXXX");
		if (mkdtemp(f->log_dir))
			return 0;
	}
	fprintf(stderr, "amphi-virt: cannot make the log directory %s: %s\n", f->log_dir,
		strerror(errno));
	return -1;
}

/* Lays out the boots: URI in turn, and each round over the URIs one arch, the next round the
 * next, so that every URI boots every arch once -n reaches (URIs) x (arches). */
static void virt_fleet_plan(struct virt_fleet *f)
{
	const struct virt_opts *o = f->o;
	enum virt_arch arches[VIRT_ARCH_COUNT];
	int narch = 0;
	for (int a = 0; a < VIRT_ARCH_COUNT; a++)
		if (o->arch[a])
			arches[narch++] = (enum virt_arch)a;
	for (int i = 0; i < o->boots; i++) {
		struct virt_boot *b = &f->boot[i];
		b->fleet = f;
		b->index = i;
		b->host = &f->host[i % o->uri_count];
		b->arch = arches[(i / o->uri_count) % narch];
		snprintf(b->name, sizeof(b->name), "%s-%d-%s", o->name_prefix, i,
			 virt_arch_name(b->arch));
		virt_console_init(&b->out);
	}
}

/* Runs libvirt's event loop until every boot ended or an interrupt ended them. */
static void virt_fleet_loop(struct virt_fleet *f)
{
	f->tick_timer = virEventAddTimeout(VIRT_TICK_MS, virt_tick, f, NULL);
	if (f->tick_timer < 0) {
		fprintf(stderr, "amphi-virt: cannot add a timer: %s\n", virGetLastErrorMessage());
		return;
	}
	virt_tick(f->tick_timer, f);
	while (!f->finished)
		if (virEventRunDefaultImpl() < 0) {
			fprintf(stderr, "amphi-virt: event loop: %s\n", virGetLastErrorMessage());
			break;
		}
	virEventRemoveTimeout(f->tick_timer);
}

/* Ends whatever still runs (after a broken event loop) and closes every connection. */
static void virt_fleet_close(struct virt_fleet *f)
{
	for (int i = 0; i < f->o->boots; i++)
		if (f->boot[i].phase == VIRT_RUNNING) {
			f->boot[i].interrupted = f->boot[i].error[0] == '\0';
			virt_boot_end(&f->boot[i]);
		}
	for (int u = 0; u < f->o->uri_count; u++)
		virt_host_close(&f->host[u]);
}

/* Prints the fleet's summary line. */
static void virt_fleet_summary(const struct virt_fleet *f)
{
	const struct virt_opts *o = f->o;
	printf("amphi-virt: %d boots on %d URI%s: %d passed, %d failed", o->boots, o->uri_count,
	       o->uri_count == 1 ? "" : "s", f->passed, f->ended - f->passed);
	if (f->ended < o->boots)
		printf(", %d not started", o->boots - f->ended);
	printf(" (%.2f s); console logs in %s\n", virt_now() - f->start, f->log_dir);
	fflush(stdout);
}

int virt_fleet_run(const struct virt_opts *o)
{
	static struct virt_fleet f;
	f = (struct virt_fleet){.o = o, .start = virt_now()};
	f.boot = calloc((size_t)o->boots, sizeof(*f.boot));
	if (!f.boot || virt_make_log_dir(&f) < 0)
		return 1;
	virt_install_signals();
	virSetErrorFunc(NULL, virt_quiet_errors);
	if (virInitialize() < 0 || virEventRegisterDefaultImpl() < 0) {
		fprintf(stderr, "amphi-virt: cannot start libvirt's event loop\n");
		return 1;
	}
	for (int u = 0; u < o->uri_count; u++) {
		f.host[u].uri = o->uri[u];
		virt_host_open(&f, &f.host[u]);
		virt_host_report(&f.host[u]);
	}
	virt_fleet_plan(&f);
	virt_fleet_loop(&f);
	virt_fleet_close(&f);
	virt_fleet_summary(&f);
	free(f.boot);
	if (virt_signalled)
		return 128 + virt_signalled;
	return f.passed == o->boots ? 0 : 1;
}
