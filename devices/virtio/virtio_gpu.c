/*
 * virtio-gpu (virtio 1.2, section 5.7), 2D only: the first enabled scanout gets one
 * resource in B8G8R8X8 format whose backing is a physically contiguous framebuffer of
 * the kernel (GET_DISPLAY_INFO, RESOURCE_CREATE_2D, RESOURCE_ATTACH_BACKING,
 * SET_SCANOUT), registered with fb.h. Showing a rectangle is TRANSFER_TO_HOST_2D then
 * RESOURCE_FLUSH.
 *
 * Commands are synchronous and polled: the console draws with interrupts masked, so the
 * driver waits for the used ring itself (under its lock) instead of sleeping; the queue's
 * interrupt callback has nothing to do. A device that does not answer within a second, or
 * answers with an error, is taken out of service with a console line.
 */
#include <amphi/arch.h>
#include <amphi/errno.h>
#include <amphi/fb.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
#include <amphi/string.h>
#include <amphi/sync.h>
#include <amphi/virtio.h>
#include <amphi/virtio_gpu.h>

#include "virtio_internal.h"

#define VGPU_QUEUE_MAX 16
#define VGPU_RESOURCE_ID 1
#define VGPU_WAIT_NS 1000000000ULL
#define VGPU_MAX_DIM 4096

struct vgpu {
	struct fb fb;
	struct virtio_dev *dev;
	struct virtq *ctrl;
	struct spinlock lock; /* the command buffers and the queue */
	unsigned scanout;
	unsigned fb_order; /* of the framebuffer's pages; valid while fb.pixels is set */
	bool dead;	      /* the device failed a command: nothing more is sent */
	union {		      /* the command being sent */
		struct virtio_gpu_ctrl_hdr hdr;
		struct virtio_gpu_resource_create_2d create;
		struct {
			struct virtio_gpu_resource_attach_backing head;
			struct virtio_gpu_mem_entry entry;
		} attach;
		struct virtio_gpu_set_scanout scanout;
		struct virtio_gpu_transfer_to_host_2d transfer;
		struct virtio_gpu_resource_flush flush;
	} cmd;
	union { /* its response */
		struct virtio_gpu_ctrl_hdr hdr;
		struct virtio_gpu_resp_display_info info;
	} resp;
};

/* Interrupt context: commands are reaped by their sender (vgpu_send). */
static void vgpu_done(struct virtq *q)
{
	(void)q;
}

/* Lock held: sends the cmd_len bytes of vg->cmd and waits for a response of resp_len
 * bytes in vg->resp. Returns the response type, or 0 when the queue refused the command
 * or the device did not answer in time (the device is then dead). */
static uint32_t vgpu_send_locked(struct vgpu *vg, size_t cmd_len, size_t resp_len)
{
	struct virtq_buf bufs[2] = {{&vg->cmd, (uint32_t)cmd_len, false},
				    {&vg->resp, (uint32_t)resp_len, true}};
	uint32_t written;

	memset(&vg->resp, 0, resp_len);
	if (vg->dead || virtq_add(vg->ctrl, bufs, 2, vg)) {
		vg->dead = true;
		return 0;
	}
	virtq_kick(vg->ctrl);
	uint64_t deadline = plat_time_ns() + VGPU_WAIT_NS;
	while (!virtq_get_used(vg->ctrl, &written)) {
		if (virtq_broken(vg->ctrl) || virtio_broken(vg->dev) ||
		    plat_time_ns() > deadline) {
			vg->dead = true;
			return 0;
		}
		arch_cpu_relax();
	}
	return written >= sizeof(vg->resp.hdr) ? vg->resp.hdr.type : 0;
}

/* Reports command type's failure (response got), once for the device. */
static void vgpu_report(struct vgpu *vg, bool was_dead, uint32_t type, uint32_t got)
{
	if (!was_dead) /* called unlocked: the console may draw on us */
		kprintf("%s: virtio-gpu command %#x failed (response %#x); display out of "
			"service\n",
			virtio_name(vg->dev), type, got);
}

/* At probe, before the framebuffer is shared: sends vg->cmd (cmd_len bytes, filled by the
 * caller but for the header's type); true when the device answered with expect. */
static bool vgpu_command(struct vgpu *vg, uint32_t type, size_t cmd_len, size_t resp_len,
			 uint32_t expect)
{
	irqflags_t flags = spin_lock_irqsave(&vg->lock);
	bool was_dead = vg->dead;

	vg->cmd.hdr = (struct virtio_gpu_ctrl_hdr){.type = type};
	uint32_t got = vgpu_send_locked(vg, cmd_len, resp_len);
	if (got != expect)
		vg->dead = true;
	spin_unlock_irqrestore(&vg->lock, flags);
	if (got != expect)
		vgpu_report(vg, was_dead, type, got);
	return got == expect;
}

/* The first enabled scanout's size from GET_DISPLAY_INFO; 0 or -ENODEV. */
static int vgpu_display_info(struct vgpu *vg, uint32_t *width, uint32_t *height)
{
	if (!vgpu_command(vg, VIRTIO_GPU_CMD_GET_DISPLAY_INFO, sizeof(vg->cmd.hdr),
			  sizeof(vg->resp.info), VIRTIO_GPU_RESP_OK_DISPLAY_INFO))
		return -ENODEV;
	for (unsigned i = 0; i < VIRTIO_GPU_MAX_SCANOUTS; i++) {
		const struct virtio_gpu_display_one *m = &vg->resp.info.pmodes[i];
		if (!m->enabled)
			continue;
		if (!m->r.width || !m->r.height || m->r.width > VGPU_MAX_DIM ||
		    m->r.height > VGPU_MAX_DIM) {
			kprintf("%s: scanout %u has an unusable size %ux%u\n",
				virtio_name(vg->dev), i, m->r.width, m->r.height);
			return -ENODEV;
		}
		vg->scanout = i;
		*width = m->r.width;
		*height = m->r.height;
		return 0;
	}
	kprintf("%s: virtio-gpu has no enabled scanout\n", virtio_name(vg->dev));
	return -ENODEV;
}

/* Allocates the framebuffer for a width x height scanout; 0 or -ENOMEM/-EFAULT. */
static int vgpu_alloc_fb(struct vgpu *vg, uint32_t width, uint32_t height)
{
	struct fb *fb = &vg->fb;
	size_t bytes = (size_t)width * height * 4;
	unsigned order = 0;

	while ((PAGE_SIZE << order) < bytes)
		order++;
	fb->pixels = page_alloc(order);
	if (!fb->pixels)
		return -ENOMEM;
	vg->fb_order = order;
	fb->width = width;
	fb->height = height;
	fb->stride = width * 4;
	fb->size = PAGE_SIZE << order;
	memset(fb->pixels, 0, fb->size);
	return plat_dma_map(fb->pixels, fb->size, &fb->phys) ? -EFAULT : 0;
}

/* Creates the resource, backs it with the framebuffer and shows it on the scanout. */
static int vgpu_setup_scanout(struct vgpu *vg)
{
	const struct fb *fb = &vg->fb;
	struct virtio_gpu_rect all = {0, 0, fb->width, fb->height};
	size_t r = sizeof(vg->resp.hdr);

	vg->cmd.create = (struct virtio_gpu_resource_create_2d){
	    .resource_id = VGPU_RESOURCE_ID, .format = VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM,
	    .width = fb->width, .height = fb->height};
	if (!vgpu_command(vg, VIRTIO_GPU_CMD_RESOURCE_CREATE_2D, sizeof(vg->cmd.create), r,
			  VIRTIO_GPU_RESP_OK_NODATA))
		return -EIO;
	vg->cmd.attach.head = (struct virtio_gpu_resource_attach_backing){
	    .resource_id = VGPU_RESOURCE_ID, .nr_entries = 1};
	vg->cmd.attach.entry = (struct virtio_gpu_mem_entry){
	    .addr = fb->phys, .length = fb->stride * fb->height};
	if (!vgpu_command(vg, VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING, sizeof(vg->cmd.attach), r,
			  VIRTIO_GPU_RESP_OK_NODATA))
		return -EIO;
	vg->cmd.scanout = (struct virtio_gpu_set_scanout){
	    .r = all, .scanout_id = vg->scanout, .resource_id = VGPU_RESOURCE_ID};
	if (!vgpu_command(vg, VIRTIO_GPU_CMD_SET_SCANOUT, sizeof(vg->cmd.scanout), r,
			  VIRTIO_GPU_RESP_OK_NODATA))
		return -EIO;
	return 0;
}

/* fb_ops.flush: copies the rectangle to the device's resource and shows it. The commands
 * are built under the lock: the console and /dev/fb0 users flush concurrently. */
static void vgpu_flush(struct fb *fb, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	struct vgpu *vg = fb->priv;
	struct virtio_gpu_rect r = {x, y, w, h};
	size_t resp = sizeof(vg->resp.hdr);
	irqflags_t flags = spin_lock_irqsave(&vg->lock);
	bool was_dead = vg->dead;
	uint32_t type = VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D;

	vg->cmd.transfer = (struct virtio_gpu_transfer_to_host_2d){
	    .hdr.type = type, .r = r, .offset = (uint64_t)y * fb->stride + x * 4,
	    .resource_id = VGPU_RESOURCE_ID};
	uint32_t got = vgpu_send_locked(vg, sizeof(vg->cmd.transfer), resp);
	if (got == VIRTIO_GPU_RESP_OK_NODATA) {
		type = VIRTIO_GPU_CMD_RESOURCE_FLUSH;
		vg->cmd.flush = (struct virtio_gpu_resource_flush){
		    .hdr.type = type, .r = r, .resource_id = VGPU_RESOURCE_ID};
		got = vgpu_send_locked(vg, sizeof(vg->cmd.flush), resp);
	}
	if (got != VIRTIO_GPU_RESP_OK_NODATA)
		vg->dead = true;
	spin_unlock_irqrestore(&vg->lock, flags);
	if (got != VIRTIO_GPU_RESP_OK_NODATA)
		vgpu_report(vg, was_dead, type, got);
}

static const struct fb_ops vgpu_fb_ops = {.flush = vgpu_flush};

/* Sets the device up once its queue is live; 0 or a negative errno. */
static int vgpu_start(struct vgpu *vg)
{
	uint32_t width, height;
	int err = vgpu_display_info(vg, &width, &height);

	if (!err)
		err = vgpu_alloc_fb(vg, width, height);
	if (!err)
		err = vgpu_setup_scanout(vg);
	if (err)
		return err;
	vg->fb.ops = &vgpu_fb_ops;
	vg->fb.priv = vg;
	vgpu_flush(&vg->fb, 0, 0, width, height);
	kprintf("%s: virtio-gpu, scanout %u: %ux%u\n", virtio_name(vg->dev), vg->scanout, width,
		height);
	return fb_register(&vg->fb);
}

int virtio_gpu_probe(struct virtio_dev *dev)
{
	struct vgpu *vg = kzalloc(sizeof(*vg));

	if (!vg)
		return -ENOMEM;
	vg->dev = dev;
	spin_lock_init(&vg->lock, "virtio-gpu");
	vg->ctrl = virtio_queue_setup(dev, VIRTIO_GPU_CONTROLQ, VGPU_QUEUE_MAX, vgpu_done, vg);
	int err = vg->ctrl ? virtio_ready(dev, NULL) : -ENODEV;
	if (!err)
		err = vgpu_start(vg);
	if (err) {
		if (vg->fb.pixels)
			page_free(vg->fb.pixels, vg->fb_order);
		kfree(vg); /* the transport resets the device first: it forgets the buffers */
		return err;
	}
	virtio_set_priv(dev, vg);
	return 0;
}
