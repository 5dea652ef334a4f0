/*
 * virtio-input (virtio 1.2, section 5.8) as a keyboard: the event queue holds buffers of
 * one event each (type, code, value: Linux's input events); EV_KEY presses and repeats are
 * turned into console input bytes (console.h) on a US layout, with Shift, Caps Lock and
 * Ctrl, and the arrow, Home, End and Delete keys as the escape sequences a VT100 sends.
 * The console's tty (or, without one, the console device) reads them as it reads the
 * serial console's. Other event types (EV_SYN reports, EV_MSC, LEDs) are ignored.
 */
#include <amphi/console.h>
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
#include <amphi/string.h>
#include <amphi/virtio.h>

#include "virtio_internal.h"

#define VINPUT_EVENTQ 0
#define VINPUT_BUFS 64
#define EV_KEY 1
#define KEY_RELEASED 0
#define KEY_PRESSED 1 /* 2: held down, repeating */

/* Key codes of Linux's <linux/input-event-codes.h> with a meaning here besides the
 * characters of vinput_keymap. */
enum {
	KEY_ESC = 1,
	KEY_BACKSPACE = 14,
	KEY_ENTER = 28,
	KEY_LEFTCTRL = 29,
	KEY_LEFTSHIFT = 42,
	KEY_RIGHTSHIFT = 54,
	KEY_CAPSLOCK = 58,
	KEY_RIGHTCTRL = 97,
	KEY_HOME = 102,
	KEY_UP = 103,
	KEY_LEFT = 105,
	KEY_RIGHT = 106,
	KEY_END = 107,
	KEY_DOWN = 108,
	KEY_DELETE = 111,
};

/* Characters of key codes 0-57, without and with Shift (0: none). */
static const char vinput_keymap[2][58] = {
    {0,	  0,   '1', '2', '3', '4', '5', '6', '7',  '8', '9', '0', '-', '=', 0,
     '\t', 'q', 'w', 'e', 'r', 't', 'y', 'u', 'i',  'o', 'p', '[', ']', 0,   0,
     'a', 's', 'd', 'f', 'g', 'h', 'j', 'k', 'l',  ';', '\'', '`', 0,  '\\', 'z',
     'x', 'c', 'v', 'b', 'n', 'm', ',', '.', '/',  0,   '*', 0,   ' '},
    {0,	  0,   '!', '@', '#', '$', '%', '^', '&',  '*', '(', ')', '_', '+', 0,
     '\t', 'Q', 'W', 'E', 'R', 'T', 'Y', 'U', 'I',  'O', 'P', '{', '}', 0,   0,
     'A', 'S', 'D', 'F', 'G', 'H', 'J', 'K', 'L',  ':', '"', '~', 0,   '|', 'Z',
     'X', 'C', 'V', 'B', 'N', 'M', '<', '>', '?',  0,   '*', 0,   ' '},
};

struct virtio_input_event {
	uint16_t type, code;
	uint32_t value;
};

struct vinput {
	struct virtio_dev *dev;
	struct virtq *q;
	bool shift[2], ctrl[2], caps; /* left and right Shift and Ctrl held; Caps Lock on */
	struct virtio_input_event ev[VINPUT_BUFS];
};

/* Queues the bytes of s as console input. */
static void vinput_send(const char *s)
{
	while (*s)
		console_input_push(*s++);
}

/* Tracks a modifier key (value: released, pressed or repeating); true when code is one. */
static bool vinput_modifier(struct vinput *in, uint16_t code, uint32_t value)
{
	bool down = value != KEY_RELEASED;

	if (code == KEY_LEFTSHIFT || code == KEY_RIGHTSHIFT)
		in->shift[code == KEY_RIGHTSHIFT] = down;
	else if (code == KEY_LEFTCTRL || code == KEY_RIGHTCTRL)
		in->ctrl[code == KEY_RIGHTCTRL] = down;
	else if (code == KEY_CAPSLOCK)
		in->caps ^= value == KEY_PRESSED; /* a held key's repeats do not toggle it */
	else
		return false;
	return true;
}

/* The escape sequence of a cursor or editing key, or NULL. */
static const char *vinput_sequence(uint16_t code)
{
	switch (code) {
	case KEY_UP:
		return "\033[A";
	case KEY_DOWN:
		return "\033[B";
	case KEY_RIGHT:
		return "\033[C";
	case KEY_LEFT:
		return "\033[D";
	case KEY_HOME:
		return "\033[H";
	case KEY_END:
		return "\033[F";
	case KEY_DELETE:
		return "\033[3~";
	default:
		return NULL;
	}
}

/* The byte a character key gives with the modifiers held, or 0. */
static char vinput_char(const struct vinput *in, uint16_t code)
{
	bool shift = in->shift[0] || in->shift[1];
	char c = code < sizeof(vinput_keymap[0]) ? vinput_keymap[shift][code] : 0;

	if (in->caps && c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	else if (in->caps && c >= 'A' && c <= 'Z')
		c = (char)(c - 'A' + 'a');
	if ((in->ctrl[0] || in->ctrl[1]) && c >= '@' && c <= '~' && c != '`')
		c = (char)(c & 0x1f); /* ^A is 1 ... ^_ is 31, as terminals send them */
	return c;
}

/* A key went down (or repeats): its bytes become console input. */
static void vinput_key(struct vinput *in, uint16_t code)
{
	const char *seq = vinput_sequence(code);
	char s[2] = {0, 0};

	if (seq) {
		vinput_send(seq);
		return;
	}
	if (code == KEY_ENTER) /* a terminal's tty turns \r into \n (ICRNL); a pipe wants \n */
		s[0] = plat_console_is_terminal() ? '\r' : '\n';
	else if (code == KEY_BACKSPACE)
		s[0] = 0x7f;
	else if (code == KEY_ESC)
		s[0] = 0x1b;
	else
		s[0] = vinput_char(in, code);
	vinput_send(s);
}

/* Acts on one event. */
static void vinput_event(struct vinput *in, const struct virtio_input_event *e)
{
	if (e->type != EV_KEY)
		return;
	if (!vinput_modifier(in, e->code, e->value) && e->value != KEY_RELEASED)
		vinput_key(in, e->code);
}

/* Offers event buffer e to the device; 0 or virtq_add's error. */
static int vinput_offer(struct vinput *in, struct virtio_input_event *e)
{
	struct virtq_buf buf = {e, sizeof(*e), true};

	return virtq_add(in->q, &buf, 1, e);
}

/* Interrupt context: handles the events the device wrote and offers their buffers again. */
static void vinput_done(struct virtq *q)
{
	struct vinput *in = virtq_arg(q);
	struct virtio_input_event *e;
	uint32_t written;

	while ((e = virtq_get_used(q, &written)) != NULL) {
		if (written >= sizeof(*e))
			vinput_event(in, e);
		vinput_offer(in, e);
	}
	virtq_kick(q);
}

int virtio_input_probe(struct virtio_dev *dev)
{
	struct vinput *in = kzalloc(sizeof(*in));

	if (!in)
		return -ENOMEM;
	in->dev = dev;
	in->q = virtio_queue_setup(dev, VINPUT_EVENTQ, VINPUT_BUFS, vinput_done, in);
	int err = in->q ? 0 : -ENODEV;
	for (unsigned i = 0; !err && i < virtq_size(in->q); i++)
		err = vinput_offer(in, &in->ev[i]);
	if (!err)
		err = virtio_ready(dev, NULL);
	if (err) {
		kfree(in); /* the transport resets the device first: it forgets the buffers */
		return err;
	}
	virtio_set_priv(dev, in);
	kprintf("%s: virtio-input keyboard\n", virtio_name(dev));
	virtq_kick(in->q);
	return 0;
}
