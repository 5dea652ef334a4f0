/*
 * Incremental KTAP version 1 parser (the format of Linux KUnit and of Amphi's ktest).
 * Feed it the console one line at a time; lines before the version line and lines that
 * are not KTAP (boot messages, interleaved logs) are ignored. Nesting follows the
 * indentation of "KTAP version", "# Subtest:", plan and result lines.
 *
 *   struct ktap k;
 *   ktap_init(&k);
 *   while (read a line) ktap_feed(&k, line);
 *   ktap_finish(&k);
 *   if (!ktap_passed(&k)) puts(k.first_failure[0] ? k.first_failure : k.first_error);
 */
#pragma once

#include <stdbool.h>

#define KTAP_MAX_DEPTH 16
#define KTAP_NAME_MAX 128
#define KTAP_MSG_MAX 320

/* One open level of nesting: the top-level stream or a subtest. */
struct ktap_level {
	int indent;		  /* columns before this level's lines */
	long plan;		  /* planned tests, -1 until a plan line */
	long count;		  /* result lines seen at this level */
	unsigned failed;	  /* "not ok" results at this level and below */
	char name[KTAP_NAME_MAX]; /* from "# Subtest: name", "" when none */
};

/* Totals over the whole stream. A case is a result with no subtests; a suite is a result
 * that closes a subtest. */
struct ktap_totals {
	unsigned suites, cases;
	unsigned ok, failed, skipped; /* cases only */
	unsigned suites_failed;
};

struct ktap {
	bool started;  /* a top-level version line was seen */
	bool done;     /* the top-level plan is fulfilled */
	bool finished; /* ktap_finish was called */
	bool bailed_out;
	int depth;	   /* index of the innermost open level */
	bool child_closed; /* a subtest just closed: the next result at this level is its suite */
	struct ktap_level level[KTAP_MAX_DEPTH];
	struct ktap_totals totals;
	unsigned errors; /* malformed stream: see first_error */
	unsigned lineno;
	char first_failure[KTAP_MSG_MAX]; /* "suite.case" of the first not-ok case, or "" */
	char first_error[KTAP_MSG_MAX];	  /* first structural error, or "" */
};

/* Resets k to the start of a stream. */
void ktap_init(struct ktap *k);

/* Parses one line (a trailing "\n" or "\r\n" is ignored). */
void ktap_feed(struct ktap *k, const char *line);

/* Ends the stream: an absent stream, unclosed subtests and unfulfilled plans become errors. */
void ktap_finish(struct ktap *k);

/* True when the stream is complete and well formed and every test passed or was skipped. */
bool ktap_passed(const struct ktap *k);
