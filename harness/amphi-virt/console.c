/* A boot's console, judged line by line: KTAP, the power-off status, a panic line. */
#include "virt.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <amphi/power.h>

void virt_console_init(struct virt_console *c)
{
	memset(c, 0, sizeof(*c));
	ktap_init(&c->ktap);
	c->poweroff_status = -1;
}

/* Judges one complete line (its "\r\n" or "\n" already stripped). */
static void virt_console_line(struct virt_console *c, const char *line, FILE *echo_to,
			      const char *prefix)
{
	if (echo_to)
		fprintf(echo_to, "%s%s\n", prefix, line);
	ktap_feed(&c->ktap, line);
	const char *off = strstr(line, POWEROFF_LINE_PREFIX);
	if (off && isdigit((unsigned char)off[strlen(POWEROFF_LINE_PREFIX)]))
		c->poweroff_status = atoi(off + strlen(POWEROFF_LINE_PREFIX));
	if (strncmp(line, "panic: ", 7) == 0 && !c->panic_line[0])
		snprintf(c->panic_line, sizeof(c->panic_line), "%s", line);
}

/* Judges the line gathered so far and starts the next. */
static void virt_console_end_line(struct virt_console *c, FILE *echo_to, const char *prefix)
{
	while (c->line_len > 0 && c->line[c->line_len - 1] == '\r')
		c->line_len--;
	c->line[c->line_len] = '\0';
	virt_console_line(c, c->line, echo_to, prefix);
	c->line_len = 0;
}

void virt_console_feed(struct virt_console *c, const char *buf, size_t n, FILE *echo_to,
		       const char *prefix)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\0')
			continue;
		if (buf[i] == '\n' || c->line_len == VIRT_LINE_MAX - 1)
			virt_console_end_line(c, echo_to, prefix);
		if (buf[i] != '\n')
			c->line[c->line_len++] = buf[i];
	}
}

void virt_console_finish(struct virt_console *c)
{
	if (c->line_len > 0)
		virt_console_end_line(c, NULL, "");
	ktap_finish(&c->ktap);
}

void virt_console_judge(const struct virt_console *c, char *why, size_t len)
{
	const struct ktap *k = &c->ktap;
	why[0] = '\0';
	if (c->panic_line[0])
		snprintf(why, len, "%s", c->panic_line);
	else if (k->first_failure[0])
		snprintf(why, len, "not ok: %s", k->first_failure);
	else if (!ktap_passed(k))
		snprintf(why, len, "KTAP: %s", k->first_error[0] ? k->first_error : "incomplete");
	else if (c->poweroff_status < 0)
		snprintf(why, len, "no \"%s\" line", POWEROFF_LINE_PREFIX "N");
	else if (c->poweroff_status != POWEROFF_PASS)
		snprintf(why, len, "%s%d", POWEROFF_LINE_PREFIX, c->poweroff_status);
}
