/* KTAP version 1 parser; see ktap.h. */
#include "ktap.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What a line is, once its indentation is stripped. */
enum ktap_kind { KTAP_OTHER, KTAP_VERSION, KTAP_SUBTEST, KTAP_PLAN, KTAP_RESULT, KTAP_BAIL };

/* A decoded result line. */
struct ktap_result {
	bool ok;
	long number;
	char desc[KTAP_NAME_MAX];
	bool skip, todo;
};

void ktap_init(struct ktap *k)
{
	memset(k, 0, sizeof(*k));
	k->level[0].plan = -1;
}

/* Records a structural error; only the first message is kept. */
static __attribute__((format(printf, 2, 3))) void ktap_error(struct ktap *k, const char *fmt, ...)
{
	va_list ap;
	k->errors++;
	if (k->first_error[0])
		return;
	int n = k->finished
		    ? snprintf(k->first_error, sizeof(k->first_error), "at the end: ")
		    : snprintf(k->first_error, sizeof(k->first_error), "line %u: ", k->lineno);
	va_start(ap, fmt);
	vsnprintf(k->first_error + n, sizeof(k->first_error) - (size_t)n, fmt, ap);
	va_end(ap);
}

/* Columns of leading whitespace (a tab advances to the next multiple of 8). */
static int ktap_indent(const char *line, const char **rest)
{
	int col = 0;
	for (; *line == ' ' || *line == '\t'; line++)
		col = *line == '\t' ? (col / 8 + 1) * 8 : col + 1;
	*rest = line;
	return col;
}

/* Parses a plan "1..N" into *plan. */
static bool ktap_parse_plan(const char *s, long *plan)
{
	char *end;
	if (strncmp(s, "1..", 3) != 0 || !isdigit((unsigned char)s[3]))
		return false;
	*plan = strtol(s + 3, &end, 10);
	while (*end == ' ')
		end++;
	return *end == '\0' || *end == '#';
}

/* Copies [s, s + n) into dst without surrounding blanks. */
static void ktap_copy_trimmed(char *dst, size_t size, const char *s, size_t n)
{
	while (n > 0 && isspace((unsigned char)*s))
		s++, n--;
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* Parses "ok N [- ]desc [# SKIP|TODO ...]" or its "not ok" form. */
static bool ktap_parse_result(const char *s, struct ktap_result *r)
{
	char *end;
	memset(r, 0, sizeof(*r));
	if (strncmp(s, "ok", 2) == 0 && (s[2] == ' ' || s[2] == '\0')) {
		r->ok = true;
		s += 2;
	} else if (strncmp(s, "not ok", 6) == 0 && (s[6] == ' ' || s[6] == '\0')) {
		s += 6;
	} else {
		return false;
	}
	while (*s == ' ')
		s++;
	if (!isdigit((unsigned char)*s))
		return false;
	r->number = strtol(s, &end, 10);
	s = end;
	while (*s == ' ')
		s++;
	if (s[0] == '-' && s[1] == ' ')
		s += 2;
	const char *hash = strchr(s, '#');
	ktap_copy_trimmed(r->desc, sizeof(r->desc), s, hash ? (size_t)(hash - s) : strlen(s));
	if (hash) {
		hash++;
		while (*hash == ' ')
			hash++;
		r->skip = strncasecmp(hash, "skip", 4) == 0;
		r->todo = strncasecmp(hash, "todo", 4) == 0;
	}
	return true;
}

/* Classifies the indentation-free text of a line. */
static enum ktap_kind ktap_classify(const char *s)
{
	if (strncmp(s, "KTAP version ", 13) == 0 || strncmp(s, "TAP version ", 12) == 0)
		return KTAP_VERSION;
	if (strncmp(s, "# Subtest:", 10) == 0)
		return KTAP_SUBTEST;
	if (strncmp(s, "Bail out!", 9) == 0)
		return KTAP_BAIL;
	long plan;
	if (ktap_parse_plan(s, &plan))
		return KTAP_PLAN;
	struct ktap_result r;
	if (ktap_parse_result(s, &r))
		return KTAP_RESULT;
	return KTAP_OTHER;
}

/* Opens a subtest level at indent. */
static void ktap_push(struct ktap *k, int indent)
{
	if (k->depth + 1 >= KTAP_MAX_DEPTH) {
		ktap_error(k, "subtests nested deeper than %d levels", KTAP_MAX_DEPTH);
		return;
	}
	k->depth++;
	memset(&k->level[k->depth], 0, sizeof(k->level[0]));
	k->level[k->depth].indent = indent;
	k->level[k->depth].plan = -1;
	k->child_closed = false;
}

/* Display name of a level: its "# Subtest:" name, or "(unnamed)". */
static const char *ktap_level_name(const struct ktap_level *l)
{
	return l->name[0] ? l->name : "(unnamed)";
}

/* Checks the plan of the innermost level as it closes. */
static void ktap_check_plan(struct ktap *k, const struct ktap_level *l)
{
	const char *what = l == &k->level[0] ? "the stream" : ktap_level_name(l);
	if (l->plan < 0)
		ktap_error(k, "%s has no plan", what);
	else if (l->plan != l->count)
		ktap_error(k, "%s planned %ld tests but ran %ld", what, l->plan, l->count);
}

/* Closes the innermost subtest; its result line follows at the parent's level. */
static void ktap_pop(struct ktap *k)
{
	struct ktap_level *l = &k->level[k->depth];
	ktap_check_plan(k, l);
	k->depth--;
	k->level[k->depth].failed += l->failed;
	k->child_closed = true;
}

/* A fresh level is one just opened by a header that has no plan or results yet. */
static bool ktap_level_fresh(const struct ktap *k)
{
	const struct ktap_level *l = &k->level[k->depth];
	return k->depth > 0 && l->plan < 0 && l->count == 0;
}

/* Makes the innermost open level the one at indent, opening a subtest when indent is
 * deeper (header lines) and closing abandoned subtests when it is shallower. */
static void ktap_enter_header(struct ktap *k, int indent)
{
	if (indent > k->level[k->depth].indent) {
		ktap_push(k, indent);
		return;
	}
	if (indent == k->level[k->depth].indent && ktap_level_fresh(k))
		return;
	while (k->depth > 0 && k->level[k->depth].indent >= indent) {
		ktap_error(k, "subtest %s has no result line",
			   ktap_level_name(&k->level[k->depth]));
		ktap_pop(k);
	}
	ktap_push(k, indent);
}

/* Builds "outer.inner.desc" for a failed result at the innermost level. */
static void ktap_failure_name(struct ktap *k, const char *desc)
{
	char *p = k->first_failure;
	size_t left = sizeof(k->first_failure);
	for (int i = 1; i <= k->depth && left > 1; i++) {
		int n = snprintf(p, left, "%s.", ktap_level_name(&k->level[i]));
		if (n < 0 || (size_t)n >= left)
			return;
		p += n, left -= (size_t)n;
	}
	snprintf(p, left, "%s", desc[0] ? desc : "(unnamed)");
}

/* Counts a result as a case or, right after a subtest closed, as that subtest's suite. */
static void ktap_count_result(struct ktap *k, const struct ktap_result *r)
{
	struct ktap_level *l = &k->level[k->depth];
	bool failed = !r->ok && !r->skip && !r->todo;
	if (k->child_closed) {
		k->totals.suites++;
		if (failed) {
			k->totals.suites_failed++;
			if (!k->first_failure[0])
				ktap_failure_name(k, r->desc);
		}
		k->child_closed = false;
		return;
	}
	k->totals.cases++;
	if (r->skip)
		k->totals.skipped++;
	else if (failed)
		k->totals.failed++;
	else
		k->totals.ok++;
	if (failed) {
		l->failed++;
		if (!k->first_failure[0])
			ktap_failure_name(k, r->desc);
	}
}

/* Handles a result line at indent. */
static void ktap_on_result(struct ktap *k, int indent, const char *s)
{
	struct ktap_result r;
	ktap_parse_result(s, &r);
	if (indent > k->level[k->depth].indent)
		ktap_push(k, indent); /* results without a header: an implicit subtest */
	while (k->depth > 0 && k->level[k->depth].indent > indent)
		ktap_pop(k);
	struct ktap_level *l = &k->level[k->depth];
	if (l->indent != indent)
		ktap_error(k, "result at column %d matches no open level", indent);
	if (r.number != l->count + 1)
		ktap_error(k, "test number %ld out of order (expected %ld)", r.number,
			   l->count + 1);
	l->count++;
	ktap_count_result(k, &r);
	if (k->depth == 0 && l->plan >= 0 && l->count >= l->plan)
		k->done = true;
}

/* Handles a plan line at indent. */
static void ktap_on_plan(struct ktap *k, int indent, const char *s)
{
	long plan;
	ktap_parse_plan(s, &plan);
	if (indent > k->level[k->depth].indent)
		ktap_push(k, indent);
	struct ktap_level *l = &k->level[k->depth];
	if (l->indent != indent) {
		ktap_error(k, "plan at column %d matches no open level", indent);
		return;
	}
	if (l->plan >= 0) {
		ktap_error(k, "second plan in %s", k->depth ? ktap_level_name(l) : "the stream");
		return;
	}
	l->plan = plan;
	if (k->depth == 0 && l->count >= plan)
		k->done = true;
}

/* Handles "# Subtest: name". */
static void ktap_on_subtest(struct ktap *k, int indent, const char *s)
{
	ktap_enter_header(k, indent);
	struct ktap_level *l = &k->level[k->depth];
	ktap_copy_trimmed(l->name, sizeof(l->name), s + 10, strlen(s + 10));
}

/* Handles the first version line, which starts the stream. */
static void ktap_start(struct ktap *k, int indent)
{
	k->started = true;
	k->level[0].indent = indent;
}

void ktap_feed(struct ktap *k, const char *line)
{
	char buf[1024];
	const char *s;
	k->lineno++;
	if (k->finished || k->done || k->bailed_out)
		return;
	ktap_copy_trimmed(buf, sizeof(buf), line, strlen(line));
	int indent = ktap_indent(line, &s);
	s = buf; /* the trimmed text; indent came from the raw line */
	enum ktap_kind kind = ktap_classify(s);
	if (!k->started) {
		if (kind == KTAP_VERSION)
			ktap_start(k, indent);
		return;
	}
	switch (kind) {
	case KTAP_VERSION:
		ktap_enter_header(k, indent);
		break;
	case KTAP_SUBTEST:
		ktap_on_subtest(k, indent, s);
		break;
	case KTAP_PLAN:
		ktap_on_plan(k, indent, s);
		break;
	case KTAP_RESULT:
		ktap_on_result(k, indent, s);
		break;
	case KTAP_BAIL:
		k->bailed_out = true;
		ktap_error(k, "%s", s);
		break;
	case KTAP_OTHER:
		break;
	}
}

void ktap_finish(struct ktap *k)
{
	if (k->finished)
		return;
	k->finished = true;
	if (!k->started) {
		ktap_error(k, "no KTAP output (no \"KTAP version\" line)");
		return;
	}
	if (k->bailed_out || k->done)
		return;
	if (k->depth > 0)
		ktap_error(k, "output ends inside subtest %s",
			   ktap_level_name(&k->level[k->depth]));
	else
		ktap_check_plan(k, &k->level[0]);
}

bool ktap_passed(const struct ktap *k)
{
	return k->started && k->done && !k->bailed_out && k->errors == 0 && k->totals.failed == 0 &&
	       k->totals.suites_failed == 0;
}
