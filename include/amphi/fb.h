/*
 * fb.h: framebuffers and the framebuffer console. A display driver (virtio-gpu) registers
 * a linear XRGB8888 framebuffer in kernel memory and a flush operation that shows a
 * rectangle of it; the first one registered gets the framebuffer console, which mirrors
 * every console byte (kernel messages and the console tty) as text in a built-in bitmap
 * font.
 */
#pragma once

#include <amphi/types.h>

struct fb;

struct fb_ops {
	/* Shows the pixels of [x, x + w) x [y, y + h) (inside the framebuffer). Any context,
	 * interrupts masked included; it never sleeps. */
	void (*flush)(struct fb *fb, uint32_t x, uint32_t y, uint32_t w, uint32_t h);
};

struct fb {
	uint32_t width, height; /* pixels */
	uint32_t stride;	/* bytes from one line to the next */
	uint32_t *pixels;	/* 0x00RRGGBB words, line after line, in kernel memory */
	paddr_t phys;		/* its physical address, for mmap */
	size_t size;		/* bytes: a page_alloc block of 2^n pages, never freed */
	const struct fb_ops *ops;
	void *priv; /* the driver's */
};

/* Registers fb (filled in, pixels cleared); the first framebuffer also gets the console.
 * Returns 0 or -ENOMEM. */
int fb_register(struct fb *fb);

/* The framebuffer registered n-th (0 first), or NULL. */
struct fb *fb_get(unsigned n);

/* --- /dev/fbN (devices/fb/fbdev.c) --- */

/* Makes fb /dev/fb<minor> (a console line when out of memory). */
void fbdev_add(struct fb *fb, unsigned minor);

/* --- the framebuffer console (devices/fb/fbcon.c) --- */

/* Starts mirroring the console onto fb: text from here on, cursor at the top left. */
void fbcon_attach(struct fb *fb);

/* Console lock held: renders n console bytes (UTF-8 is shown byte by byte as Latin-1;
 * \n, \r, \b, \t and the ANSI sequences ESC[H, ESC[2J, ESC[J and ESC[K act; other escape
 * sequences are skipped). */
void fbcon_write(const char *buf, size_t n);
