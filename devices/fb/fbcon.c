/*
 * The framebuffer console: a grid of 8x16 character cells on the first framebuffer,
 * light grey on black, in the font generated from a console font at build time
 * (psf_font.py). Every console byte is mirrored here (console.h's mirror); the screen
 * scrolls up a line when the cursor passes the last row. After each write the touched
 * lines (the whole screen after a scroll) are flushed to the display.
 */
#include <amphi/console.h>
#include <amphi/fb.h>
#include <amphi/string.h>

#define FBCON_CELL_W 8
#define FBCON_CELL_H 16
#define FBCON_FG 0x00aaaaaau
#define FBCON_BG 0x00000000u
#define FBCON_TAB 8
#define FBCON_CSI_PARAMS 64

extern const uint8_t fbcon_font[256][16];

enum fbcon_esc { ESC_NONE, ESC_SEEN, ESC_CSI };

static struct {
	struct fb *fb;
	uint32_t cols, rows;
	uint32_t col, row;
	uint32_t dirty_top, dirty_bottom; /* rows [top, bottom) to flush; top == bottom: none */
	enum fbcon_esc esc;
	char csi[FBCON_CSI_PARAMS]; /* a control sequence's parameter bytes */
	size_t csi_len;
} fbcon;

/* Marks rows [top, bottom) as changed. */
static void fbcon_dirty(uint32_t top, uint32_t bottom)
{
	if (fbcon.dirty_top == fbcon.dirty_bottom) {
		fbcon.dirty_top = top;
		fbcon.dirty_bottom = bottom;
		return;
	}
	fbcon.dirty_top = MIN(fbcon.dirty_top, top);
	fbcon.dirty_bottom = fbcon.dirty_bottom > bottom ? fbcon.dirty_bottom : bottom;
}

/* The first pixel of line y. */
static uint32_t *fbcon_line(uint32_t y)
{
	return (uint32_t *)((uint8_t *)fbcon.fb->pixels + (size_t)y * fbcon.fb->stride);
}

/* Paints glyph c into the cell at (col, row). */
static void fbcon_draw(uint32_t col, uint32_t row, uint8_t c)
{
	for (uint32_t y = 0; y < FBCON_CELL_H; y++) {
		uint32_t *px = fbcon_line(row * FBCON_CELL_H + y) + col * FBCON_CELL_W;
		uint8_t bits = fbcon_font[c][y];
		for (uint32_t x = 0; x < FBCON_CELL_W; x++)
			px[x] = bits & (0x80 >> x) ? FBCON_FG : FBCON_BG;
	}
	fbcon_dirty(row, row + 1);
}

/* Clears cells [from, to) of row. */
static void fbcon_clear_cells(uint32_t row, uint32_t from, uint32_t to)
{
	for (uint32_t y = 0; y < FBCON_CELL_H; y++) {
		uint32_t *px = fbcon_line(row * FBCON_CELL_H + y);
		for (uint32_t x = from * FBCON_CELL_W; x < to * FBCON_CELL_W; x++)
			px[x] = FBCON_BG;
	}
	fbcon_dirty(row, row + 1);
}

/* Clears rows [from, to). */
static void fbcon_clear_rows(uint32_t from, uint32_t to)
{
	for (uint32_t row = from; row < to; row++)
		fbcon_clear_cells(row, 0, fbcon.cols);
}

/* Moves every line up one row and clears the last. */
static void fbcon_scroll(void)
{
	size_t line_bytes = (size_t)fbcon.fb->stride * FBCON_CELL_H;

	memmove(fbcon_line(0), fbcon_line(FBCON_CELL_H), line_bytes * (fbcon.rows - 1));
	fbcon_clear_rows(fbcon.rows - 1, fbcon.rows);
	fbcon_dirty(0, fbcon.rows);
}

/* Moves the cursor to the start of the next line, scrolling at the bottom. */
static void fbcon_newline(void)
{
	fbcon.col = 0;
	if (fbcon.row + 1 < fbcon.rows)
		fbcon.row++;
	else
		fbcon_scroll();
}

/* The first numeric parameter of the control sequence, or 0. */
static uint32_t fbcon_csi_param(void)
{
	uint32_t v = 0;

	for (size_t i = 0; i < fbcon.csi_len && fbcon.csi[i] >= '0' && fbcon.csi[i] <= '9'; i++)
		v = v * 10 + (uint32_t)(fbcon.csi[i] - '0');
	return v;
}

/* Acts on the control sequence ending in final: cursor home, erase display, erase line. */
static void fbcon_csi(char final)
{
	uint32_t p = fbcon_csi_param();

	if (final == 'H' && fbcon.csi_len == 0) {
		fbcon.row = fbcon.col = 0;
	} else if (final == 'J' && (p == 2 || p == 3)) {
		fbcon_clear_rows(0, fbcon.rows);
	} else if (final == 'J' && p == 0) {
		fbcon_clear_cells(fbcon.row, fbcon.col, fbcon.cols);
		fbcon_clear_rows(fbcon.row + 1, fbcon.rows);
	} else if (final == 'K' && p == 0) {
		fbcon_clear_cells(fbcon.row, fbcon.col, fbcon.cols);
	}
}

/* Takes byte c as part of an escape sequence. */
static void fbcon_escape(char c)
{
	if (fbcon.esc == ESC_SEEN) {
		fbcon.esc = c == '[' ? ESC_CSI : ESC_NONE;
		fbcon.csi_len = 0;
		return;
	}
	if (c >= 0x40 && c <= 0x7e) { /* the final byte */
		fbcon_csi(c);
		fbcon.esc = ESC_NONE;
	} else if (fbcon.csi_len < sizeof(fbcon.csi)) {
		fbcon.csi[fbcon.csi_len++] = c;
	}
}

/* Shows one printable byte at the cursor and advances it. */
static void fbcon_put(uint8_t c)
{
	if (fbcon.col == fbcon.cols)
		fbcon_newline();
	fbcon_draw(fbcon.col++, fbcon.row, c);
}

/* Takes one console byte. */
static void fbcon_byte(char c)
{
	if (fbcon.esc != ESC_NONE)
		fbcon_escape(c);
	else if (c == '\033')
		fbcon.esc = ESC_SEEN;
	else if (c == '\n')
		fbcon_newline();
	else if (c == '\r')
		fbcon.col = 0;
	else if (c == '\b')
		fbcon.col -= fbcon.col > 0;
	else if (c == '\t')
		fbcon.col = MIN(fbcon.cols, (fbcon.col / FBCON_TAB + 1) * FBCON_TAB);
	else if ((uint8_t)c >= ' ' && c != 0x7f)
		fbcon_put((uint8_t)c);
}

/* Shows the changed rows. */
static void fbcon_flush(void)
{
	struct fb *fb = fbcon.fb;

	if (fbcon.dirty_top == fbcon.dirty_bottom)
		return;
	fb->ops->flush(fb, 0, fbcon.dirty_top * FBCON_CELL_H, fbcon.cols * FBCON_CELL_W,
		       (fbcon.dirty_bottom - fbcon.dirty_top) * FBCON_CELL_H);
	fbcon.dirty_top = fbcon.dirty_bottom = 0;
}

void fbcon_write(const char *buf, size_t n)
{
	if (!fbcon.fb)
		return;
	for (size_t i = 0; i < n; i++)
		fbcon_byte(buf[i]);
	fbcon_flush();
}

void fbcon_attach(struct fb *fb)
{
	if (fb->width < FBCON_CELL_W || fb->height < FBCON_CELL_H)
		return;
	irqflags_t flags = console_lock();
	fbcon.cols = fb->width / FBCON_CELL_W;
	fbcon.rows = fb->height / FBCON_CELL_H;
	fbcon.col = fbcon.row = 0;
	fbcon.fb = fb;
	console_set_mirror(fbcon_write);
	console_unlock(flags);
}
