/*
 * The keyboard model (virtio 1.2, section 5.8): a virtio-input device whose event queue
 * carries the key presses of a --keys script, typed on a US layout (Linux's key codes from
 * the host's <linux/input-event-codes.h>): a shifted character is Shift down, the key down
 * and up, Shift up; ^X is Ctrl with X. Each event is one 8-byte buffer (type, code,
 * value), each press or release followed by an EV_SYN report. The script is typed as fast
 * as the driver offers buffers, so the kernel sees it as typed-ahead input at boot, and a
 * run repeats exactly. A buffer offered when the script is done waits (SIM_VQ_HOLD) for
 * the keys of the SDL window (sim_input_key), if there is one.
 */
#include <linux/input-event-codes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define VIRTIO_ID_INPUT 18
#define VIRTIO_F_VERSION_1 32
#define INPUT_EVENTQ 0

struct input_event_le {
	uint16_t type, code;
	uint32_t value;
};

static struct { /* under the machine lock once the machine runs */
	struct sim_virtio *dev;
	struct input_event_le *events; /* [next, count) are still to be sent */
	size_t count, next, cap;
} sim_input;

/* Keys of the printable ASCII characters from ' ' (0x20) to '~': code, and whether Shift
 * is held. */
static const struct {
	uint16_t code;
	bool shift;
} input_ascii[95] = {
    {KEY_SPACE, 0},	 {KEY_1, 1},	     {KEY_APOSTROPHE, 1}, {KEY_3, 1},
    {KEY_4, 1},		 {KEY_5, 1},	     {KEY_7, 1},	  {KEY_APOSTROPHE, 0},
    {KEY_9, 1},		 {KEY_0, 1},	     {KEY_8, 1},	  {KEY_EQUAL, 1},
    {KEY_COMMA, 0},	 {KEY_MINUS, 0},     {KEY_DOT, 0},	  {KEY_SLASH, 0},
    {KEY_0, 0},		 {KEY_1, 0},	     {KEY_2, 0},	  {KEY_3, 0},
    {KEY_4, 0},		 {KEY_5, 0},	     {KEY_6, 0},	  {KEY_7, 0},
    {KEY_8, 0},		 {KEY_9, 0},	     {KEY_SEMICOLON, 1},  {KEY_SEMICOLON, 0},
    {KEY_COMMA, 1},	 {KEY_EQUAL, 0},     {KEY_DOT, 1},	  {KEY_SLASH, 1},
    {KEY_2, 1},		 {KEY_A, 1},	     {KEY_B, 1},	  {KEY_C, 1},
    {KEY_D, 1},		 {KEY_E, 1},	     {KEY_F, 1},	  {KEY_G, 1},
    {KEY_H, 1},		 {KEY_I, 1},	     {KEY_J, 1},	  {KEY_K, 1},
    {KEY_L, 1},		 {KEY_M, 1},	     {KEY_N, 1},	  {KEY_O, 1},
    {KEY_P, 1},		 {KEY_Q, 1},	     {KEY_R, 1},	  {KEY_S, 1},
    {KEY_T, 1},		 {KEY_U, 1},	     {KEY_V, 1},	  {KEY_W, 1},
    {KEY_X, 1},		 {KEY_Y, 1},	     {KEY_Z, 1},	  {KEY_LEFTBRACE, 0},
    {KEY_BACKSLASH, 0},	 {KEY_RIGHTBRACE, 0}, {KEY_6, 1},	  {KEY_MINUS, 1},
    {KEY_GRAVE, 0},	 {KEY_A, 0},	     {KEY_B, 0},	  {KEY_C, 0},
    {KEY_D, 0},		 {KEY_E, 0},	     {KEY_F, 0},	  {KEY_G, 0},
    {KEY_H, 0},		 {KEY_I, 0},	     {KEY_J, 0},	  {KEY_K, 0},
    {KEY_L, 0},		 {KEY_M, 0},	     {KEY_N, 0},	  {KEY_O, 0},
    {KEY_P, 0},		 {KEY_Q, 0},	     {KEY_R, 0},	  {KEY_S, 0},
    {KEY_T, 0},		 {KEY_U, 0},	     {KEY_V, 0},	  {KEY_W, 0},
    {KEY_X, 0},		 {KEY_Y, 0},	     {KEY_Z, 0},	  {KEY_LEFTBRACE, 1},
    {KEY_BACKSLASH, 1},	 {KEY_RIGHTBRACE, 1}, {KEY_GRAVE, 1},
};

/* Appends one event and its EV_SYN report (dropped when the host has no memory). */
static void input_push(uint16_t code, uint32_t value)
{
	if (sim_input.next == sim_input.count)
		sim_input.next = sim_input.count = 0; /* all sent: start over */
	if (sim_input.count + 2 > sim_input.cap) {
		size_t cap = sim_input.cap ? 2 * sim_input.cap : 64;
		struct input_event_le *e = realloc(sim_input.events, cap * sizeof(*e));
		if (!e)
			return;
		sim_input.events = e;
		sim_input.cap = cap;
	}
	sim_input.events[sim_input.count++] = (struct input_event_le){EV_KEY, code, value};
	sim_input.events[sim_input.count++] = (struct input_event_le){EV_SYN, SYN_REPORT, 0};
}

/* Appends a press and release of code with modifier mod held (0: none). */
static void input_type(uint16_t code, uint16_t mod)
{
	if (mod)
		input_push(mod, 1);
	input_push(code, 1);
	input_push(code, 0);
	if (mod)
		input_push(mod, 0);
}

/* Appends the key presses of one character of the script; false when no key types it. */
static bool input_type_char(unsigned char c, bool ctrl)
{
	if (ctrl) {
		if (c < 'A' || c > 'Z')
			return false;
		input_type(input_ascii[c + 0x20 - ' '].code, KEY_LEFTCTRL);
		return true;
	}
	if (c == '\n' || c == '\t' || c == 0x1b) {
		input_type(c == '\n' ? KEY_ENTER : c == '\t' ? KEY_TAB : KEY_ESC, 0);
		return true;
	}
	if (c < ' ' || c > '~')
		return false;
	input_type(input_ascii[c - ' '].code, input_ascii[c - ' '].shift ? KEY_LEFTSHIFT : 0);
	return true;
}

/* Parses a --keys script (\n \t \e \\ \^ escapes, ^X for Ctrl-X with a letter X) into events; exits with a
 * line naming the problem when it cannot be typed. */
static void input_parse(const char *keys)
{
	size_t len = strlen(keys);

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)keys[i];
		bool ctrl = c == '^' && i + 1 < len;
		if (c == '\\' && i + 1 < len) {
			c = (unsigned char)keys[++i];
			c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'e' ? 0x1b : c;
		} else if (ctrl) {
			c = (unsigned char)keys[++i];
			c = c >= 'a' && c <= 'z' ? (unsigned char)(c - 0x20) : c;
		}
		if (!input_type_char(c, ctrl)) {
			fprintf(stderr, "amphi: --keys: no key types '%s%c' (at byte %zu)\n",
				ctrl ? "^" : "", c, i);
			exit(SIM_EXIT_USAGE);
		}
	}
}

/* Serves one event buffer: the next event of the script, or held until there is one. */
static long input_serve(struct sim_virtio *v, unsigned q, const struct sim_vq_chain *c)
{
	if (q != INPUT_EVENTQ)
		return (long)c->writable; /* the status queue: LED changes, ignored */
	if (c->readable || c->writable < sizeof(struct input_event_le)) {
		sim_virtio_break(v, "an event buffer shorter than an event");
		return -1;
	}
	if (sim_input.next == sim_input.count)
		return SIM_VQ_HOLD;
	sim_vq_copy(c, true, 0, &sim_input.events[sim_input.next++], sizeof(struct input_event_le),
		    true);
	return sizeof(struct input_event_le);
}

static const struct sim_virtio_type input_type_kbd = {
    .name = "virtio-input",
    .device_id = VIRTIO_ID_INPUT,
    .features = 1ULL << VIRTIO_F_VERSION_1,
    .queues = 2,
    .serve = input_serve,
};

void sim_input_init(const struct sim_options *opts)
{
	if (!opts->keys && opts->display != SIM_DISPLAY_SDL)
		return;
	if (opts->keys)
		input_parse(opts->keys);
	sim_input.dev = sim_virtio_add(&input_type_kbd, &sim_input);
}

void sim_input_key(uint16_t code, uint32_t value)
{
	sim_lock();
	if (sim_input.dev) {
		input_push(code, value);
		sim_virtio_serve(sim_input.dev, INPUT_EVENTQ);
	}
	sim_unlock();
}
