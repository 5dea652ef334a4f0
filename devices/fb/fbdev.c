/*
 * /dev/fbN: Linux's framebuffer device over a registered framebuffer (character major 29).
 * FBIOGET_VSCREENINFO and FBIOGET_FSCREENINFO describe it (32 bits a pixel, XRGB8888),
 * FBIOPAN_DISPLAY (offsets 0 only) and fsync show it; mmap maps its pages, which a memory
 * object holds, so MAP_SHARED stores land in the framebuffer itself. What a program drew
 * is shown at FBIOPAN_DISPLAY, fsync and when its last descriptor of the device closes.
 */
#include <amphi/errno.h>
#include <amphi/fb.h>
#include <amphi/fs.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
#include <amphi/panic.h>
#include <amphi/proc.h>
#include <amphi/string.h>
#include <amphi/vm.h>
#include <uapi/common/fb.h>

#define FB_MAJOR 29
#define FB_PIXEL_BITS 32

/* The memory object of each framebuffer, by minor. */
static struct vm_object *fbdev_objects[4];

/* The framebuffer of an open device file. */
static struct fb *fbdev_fb(struct file *f)
{
	return fb_get((unsigned)(f->path.inode->rdev & 0xff));
}

/* file_ops.open: the device's framebuffer must exist. */
static int fbdev_open(struct inode *inode, struct file *f)
{
	(void)f;
	return fb_get((unsigned)(inode->rdev & 0xff)) ? 0 : -ENODEV;
}

/* Shows the whole framebuffer. */
static void fbdev_show(struct fb *fb)
{
	fb->ops->flush(fb, 0, 0, fb->width, fb->height);
}

/* The variable screen info of fb: its size, XRGB8888. */
static void fbdev_var(const struct fb *fb, struct user_fb_var_screeninfo *v)
{
	memset(v, 0, sizeof(*v));
	v->xres = v->xres_virtual = fb->width;
	v->yres = v->yres_virtual = fb->height;
	v->bits_per_pixel = FB_PIXEL_BITS;
	v->red = (struct user_fb_bitfield){16, 8, 0};
	v->green = (struct user_fb_bitfield){8, 8, 0};
	v->blue = (struct user_fb_bitfield){0, 8, 0};
	v->height = v->width = UINT32_MAX; /* size in millimetres unknown, as Linux says */
	v->activate = FB_ACTIVATE_NOW;
}

/* The fixed screen info of fb. */
static void fbdev_fix(const struct fb *fb, struct user_fb_fix_screeninfo *x)
{
	memset(x, 0, sizeof(*x));
	memcpy(x->id, "virtio-gpu", sizeof("virtio-gpu"));
	x->smem_start = fb->phys;
	x->smem_len = (uint32_t)fb->size;
	x->type = FB_TYPE_PACKED_PIXELS;
	x->visual = FB_VISUAL_TRUECOLOR;
	x->line_length = fb->stride;
}

/* Copies n bytes to the caller's arg; 0 or -EFAULT. */
static long fbdev_out(uintptr_t arg, const void *val, size_t n)
{
	struct process *p = process_current();

	return p && vm_copy_to_user(p->vm, arg, val, n) == 0 ? 0 : -EFAULT;
}

/* FBIOPAN_DISPLAY: only the one screen there is (offsets 0); shows it. */
static long fbdev_pan(struct fb *fb, uintptr_t arg)
{
	struct user_fb_var_screeninfo v;
	struct process *p = process_current();

	if (!p || vm_copy_from_user(p->vm, &v, arg, sizeof(v)))
		return -EFAULT;
	if (v.xoffset || v.yoffset)
		return -EINVAL;
	fbdev_show(fb);
	return 0;
}

static long fbdev_ioctl(struct file *f, unsigned cmd, uintptr_t arg)
{
	struct fb *fb = fbdev_fb(f);
	struct user_fb_var_screeninfo v;
	struct user_fb_fix_screeninfo x;

	switch (cmd) {
	case FBIOGET_VSCREENINFO:
		fbdev_var(fb, &v);
		return fbdev_out(arg, &v, sizeof(v));
	case FBIOGET_FSCREENINFO:
		fbdev_fix(fb, &x);
		return fbdev_out(arg, &x, sizeof(x));
	case FBIOPAN_DISPLAY:
		return fbdev_pan(fb, arg);
	default:
		return -ENOTTY;
	}
}

/* file_ops.mmap_object: the framebuffer's pages. */
static struct vm_object *fbdev_mmap_object(struct file *f)
{
	struct vm_object *o = fbdev_objects[f->path.inode->rdev & 0xff];

	if (o)
		vm_object_get(o);
	return o;
}

/* file_ops.fsync and release: what was drawn is shown. */
static int fbdev_fsync(struct file *f, bool datasync)
{
	(void)datasync;
	fbdev_show(fbdev_fb(f));
	return 0;
}

static void fbdev_release(struct file *f)
{
	fbdev_show(fbdev_fb(f));
}

static const struct file_ops fbdev_ops = {
    .open = fbdev_open,
    .ioctl = fbdev_ioctl,
    .mmap_object = fbdev_mmap_object,
    .fsync = fbdev_fsync,
    .release = fbdev_release,
};

/* A memory object holding fb's pages (which become counted user pages, one reference
 * kept here for good); NULL when out of memory. */
static struct vm_object *fbdev_object(struct fb *fb)
{
	size_t pages = fb->size / PAGE_SIZE;
	unsigned order = 0;
	struct vm_object *o = vm_object_create();

	while (((size_t)1 << order) < pages)
		order++;
	if (!o || ((size_t)1 << order) != pages)
		return o ? (vm_object_put(o), NULL) : NULL;
	page_user_pin_block(fb->pixels, order, 2); /* ours, and the one the object takes */
	for (size_t i = 0; i < pages; i++)
		if (vm_object_adopt(o, i, fb->phys + i * PAGE_SIZE, fb->size))
			panic("fbdev: framebuffer page %zu refused by a new object", i);
	return o;
}

void fbdev_add(struct fb *fb, unsigned minor)
{
	static const char *const names[] = {"fb0", "fb1", "fb2", "fb3"};

	if (minor >= ARRAY_SIZE(names))
		return;
	fbdev_objects[minor] = fbdev_object(fb);
	if (!fbdev_objects[minor] || chrdev_register(FB_MAJOR, minor, names[minor], &fbdev_ops))
		kprintf("amphi: no memory for /dev/%s\n", names[minor]);
}
