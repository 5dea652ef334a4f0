/*
 * amphi-virt: boots Amphi kernels as transient libvirt domains (QEMU TCG, direct kernel boot)
 * on one or more libvirt URIs, fetches each serial log through libvirt, judges it by its KTAP
 * report and power-off line as amphi-run does, and destroys every domain it started.
 */
#pragma once

#include "ktap.h"

#include <libvirt/libvirt.h>
#include <stdbool.h>
#include <stdio.h>

#define VIRT_MAX_URIS 16
#define VIRT_MAX_BOOTS 1024
#define VIRT_NAME_MAX 96
#define VIRT_LINE_MAX 4096
#define VIRT_WHY_MAX 512

/* The kernels a fleet can boot. */
enum virt_arch { VIRT_X86_64, VIRT_AARCH64, VIRT_ARCH_COUNT };

/* What the command line asked for. */
struct virt_opts {
	const char *uri[VIRT_MAX_URIS];
	int uri_count;
	int boots;			     /* -n: boots in all */
	int jobs;			     /* -j: boots running at once on each URI */
	bool arch[VIRT_ARCH_COUNT];	     /* the arches booted, in turn */
	char *kernel[VIRT_ARCH_COUNT];	     /* absolute image paths on the libvirt hosts */
	const char *cmdline;		     /* kernel command line */
	double timeout_s;		     /* per boot, from its start */
	int mem_mib;			     /* guest RAM */
	const char *host_log_dir;	     /* on the hosts: QEMU's serial logs */
	const char *log_dir;		     /* console logs; NULL: a new directory in /tmp */
	char name_prefix[VIRT_NAME_MAX / 2]; /* domain names are <prefix>-<index>-<arch> */
	bool verbose;			     /* echo every console line */
};

/* What one console said: the KTAP stream, the power-off status and the first panic line. */
struct virt_console {
	struct ktap ktap;
	int poweroff_status; /* -1 until the power-off line */
	char panic_line[256];
	char line[VIRT_LINE_MAX];
	size_t line_len;
};

/* The name of arch as the command line and the reports spell it. */
const char *virt_arch_name(enum virt_arch arch);

/* Parses the command line into o; prints the reason and exits 2 on a usage error. */
void virt_parse_args(int argc, char **argv, struct virt_opts *o);

/* Writes the transient domain's XML for boot name on URI number uri into a malloc'ed
 * string (NULL on ENOMEM). */
char *virt_domain_xml(const struct virt_opts *o, enum virt_arch arch, const char *name, int uri);

/* Writes s into f with XML's five special characters escaped. */
void virt_xml_text(FILE *f, const char *s);

/* Starts the transient storage pool of this run's serial logs on the host of URI number uri
 * (making its directory); NULL with libvirt's error when it cannot. */
virStoragePoolPtr virt_log_pool_open(virConnectPtr conn, const struct virt_opts *o, int uri);

/* Writes the path of boot name's serial log on the host of URI number uri into f, escaped
 * for XML. */
void virt_log_path(const struct virt_opts *o, int uri, FILE *f, const char *name);

/* Downloads boot name's serial log into a malloc'ed buffer of *len bytes and deletes it on
 * the host; NULL when it cannot be fetched. */
char *virt_log_fetch(virStoragePoolPtr pool, const char *name, size_t *len);

/* Stops the pool and removes its directory; frees pool. */
void virt_log_pool_close(virStoragePoolPtr pool);

/* Resets c to an empty console. */
void virt_console_init(struct virt_console *c);

/* Feeds console bytes, judged line by line; each complete line is echoed to echo_to with
 * prefix when echo_to is not NULL. */
void virt_console_feed(struct virt_console *c, const char *buf, size_t n, FILE *echo_to,
		       const char *prefix);

/* Ends the console: judges a last unterminated line and closes the KTAP stream. */
void virt_console_finish(struct virt_console *c);

/* Writes why the console's boot failed into why, or leaves it empty for a pass. */
void virt_console_judge(const struct virt_console *c, char *why, size_t len);

/* Runs the fleet and prints one line per boot and a summary. Returns the exit status:
 * 0 every boot passed, 1 one failed, 128 + signal when interrupted. */
int virt_fleet_run(const struct virt_opts *o);
