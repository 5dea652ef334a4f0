/* image.h: what the host tools share: an ext2 image mounted in a libamphi machine, and
 * walking its directories. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#define IMAGE_ROOT "/mnt" /* where the image is mounted inside the machine */

/* The tool's name, for messages. */
extern const char *image_tool;

/* Prints "TOOL: " and the formatted message on stderr. */
void image_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* image_warn, then exits with status 1. */
_Noreturn void image_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Boots a machine of mem_mib MiB with image as its disk and mounts it on IMAGE_ROOT
 * (read-only when readonly); exits with a message naming the image when it cannot. */
void image_open(const char *image, bool readonly, unsigned mem_mib);

/* Unmounts the image (its changes written back) and stops the machine. Returns 0, or 1 with
 * a message. */
int image_close(const char *image);

/* The names in directory path of the image (without . and ..), sorted, as a malloc'ed
 * NULL-terminated array of malloc'ed strings in *names. Returns 0 or a negative errno. */
int image_list_dir(const char *path, char ***names);

/* Frees what image_list_dir returned. */
void image_free_names(char **names);

/* path joined to name with one slash (malloc'ed; exits when out of memory). */
char *image_join(const char *dir, const char *name);

/* The memory size option -m: MiB from arg, or exits with a message. */
unsigned image_parse_mem(const char *arg);
