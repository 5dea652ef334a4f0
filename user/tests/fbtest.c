/*
 * fbtest: draws a test pattern on /dev/fb0 as a Linux program would, with <linux/fb.h>'s
 * own structures: FBIOGET_VSCREENINFO and FBIOGET_FSCREENINFO must describe a 32-bit
 * XRGB8888 screen whose memory holds every line, then the pattern goes through a
 * MAP_SHARED mapping and is shown when the device closes. Pixel (x, y) is red
 * x * 255 / (width - 1), green y * 255 / (height - 1), and blue 255 on the dark squares
 * of an 8x8 checkerboard (devices/fb/screenshot_check.py --pattern draws the same).
 * Prints the screen's description; exits 1 with a line naming a failed check.
 */
#include <fcntl.h>
#include <linux/fb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* Exits 1 with msg when ok is false. */
static void check(int ok, const char *msg)
{
	if (!ok) {
		printf("fbtest: %s\n", msg);
		exit(1);
	}
}

/* The pattern's pixel at (x, y) of a w x h screen. */
static uint32_t pattern(uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	uint32_t red = x * 255 / (w - 1), green = y * 255 / (h - 1);
	uint32_t blue = ((x / 8) ^ (y / 8)) & 1 ? 255 : 0;

	return red << 16 | green << 8 | blue;
}

int main(void)
{
	struct fb_var_screeninfo var;
	struct fb_fix_screeninfo fix;
	int fd = open("/dev/fb0", O_RDWR);

	check(fd >= 0, "cannot open /dev/fb0");
	check(ioctl(fd, FBIOGET_VSCREENINFO, &var) == 0, "FBIOGET_VSCREENINFO failed");
	check(ioctl(fd, FBIOGET_FSCREENINFO, &fix) == 0, "FBIOGET_FSCREENINFO failed");
	check(ioctl(fd, FBIOGET_VSCREENINFO + 0x7f, &var) < 0, "an unknown ioctl succeeded");
	check(var.bits_per_pixel == 32 && var.xres > 1 && var.yres > 1, "not a 32-bit screen");
	check(var.red.offset == 16 && var.green.offset == 8 && var.blue.offset == 0 &&
		  var.red.length == 8 && var.green.length == 8 && var.blue.length == 8,
	      "not XRGB8888");
	check(fix.type == FB_TYPE_PACKED_PIXELS && fix.visual == FB_VISUAL_TRUECOLOR,
	      "not packed true colour");
	check(fix.line_length >= var.xres * 4, "lines shorter than the screen");
	check(fix.smem_len >= (uint64_t)fix.line_length * var.yres, "memory smaller than a screen");
	printf("fb0: %s, %ux%u, %u bits a pixel, %u bytes a line, %u bytes\n", fix.id, var.xres,
	       var.yres, var.bits_per_pixel, fix.line_length, fix.smem_len);
	uint8_t *mem = mmap(NULL, fix.smem_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(mem != MAP_FAILED, "mmap failed");
	for (uint32_t y = 0; y < var.yres; y++) {
		uint32_t *line = (uint32_t *)(mem + (size_t)y * fix.line_length);
		for (uint32_t x = 0; x < var.xres; x++)
			line[x] = pattern(x, y, var.xres, var.yres);
	}
	check(((uint32_t *)mem)[1] == pattern(1, 0, var.xres, var.yres), "the mapping lost a store");
	check(munmap(mem, fix.smem_len) == 0, "munmap failed");
	check(close(fd) == 0, "close failed");
	return 0;
}
