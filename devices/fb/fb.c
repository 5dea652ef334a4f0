/* The framebuffers the display drivers registered; the first gets the console. */
#include <amphi/errno.h>
#include <amphi/fb.h>

#define FB_MAX 4

static struct fb *fbs[FB_MAX];
static unsigned nfbs;

int fb_register(struct fb *fb)
{
	if (nfbs == FB_MAX)
		return -ENOMEM;
	fbs[nfbs++] = fb;
	fbdev_add(fb, nfbs - 1);
	if (nfbs == 1)
		fbcon_attach(fb);
	return 0;
}

struct fb *fb_get(unsigned n)
{
	return n < nfbs ? fbs[n] : NULL;
}
