/* uapi/common/fb.h: Linux's framebuffer device ABI (<linux/fb.h>), the part /dev/fb0
 * serves: the screen info structures and their ioctls. The same layout on x86_64 and
 * aarch64 (LP64). */
#pragma once

#include <stdint.h>

#define FBIOGET_VSCREENINFO 0x4600
#define FBIOPUT_VSCREENINFO 0x4601
#define FBIOGET_FSCREENINFO 0x4602
#define FBIOPAN_DISPLAY 0x4606

#define FB_TYPE_PACKED_PIXELS 0
#define FB_VISUAL_TRUECOLOR 2
#define FB_ACTIVATE_NOW 0

struct user_fb_bitfield {
	uint32_t offset, length, msb_right;
};

struct user_fb_var_screeninfo {
	uint32_t xres, yres, xres_virtual, yres_virtual, xoffset, yoffset;
	uint32_t bits_per_pixel, grayscale;
	struct user_fb_bitfield red, green, blue, transp;
	uint32_t nonstd, activate, height, width, accel_flags;
	uint32_t pixclock, left_margin, right_margin, upper_margin, lower_margin;
	uint32_t hsync_len, vsync_len, sync, vmode, rotate, colorspace;
	uint32_t reserved[4];
};

struct user_fb_fix_screeninfo {
	char id[16];
	uint64_t smem_start;
	uint32_t smem_len, type, type_aux, visual;
	uint16_t xpanstep, ypanstep, ywrapstep;
	uint32_t line_length;
	uint64_t mmio_start;
	uint32_t mmio_len, accel;
	uint16_t capabilities;
	uint16_t reserved[2];
};

_Static_assert(sizeof(struct user_fb_var_screeninfo) == 160, "Linux's size");
_Static_assert(sizeof(struct user_fb_fix_screeninfo) == 80, "Linux's size");
