/*
 * The GPU device model (virtio 1.2, section 5.7), 2D commands only, with one scanout of
 * --resolution pixels: resources in host memory, guest backing pages attached to them,
 * TRANSFER_TO_HOST_2D copying from the backing into a resource (rows of the resource's
 * width apart in the backing, as QEMU reads them), and RESOURCE_FLUSH copying the
 * scanout's part of a resource to the display. The display is kept in memory
 * (--display offscreen) and shown in an SDL window (--display sdl, sdl.c); --screenshot
 * writes it as a PNG (libpng) at power-off.
 *
 * A command shorter than its structure, or a response buffer too small for the answer,
 * breaks the device; bad ids, formats and rectangles get the spec's error responses.
 */
#include <png.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <amphi/virtio_gpu.h>

#include "sim.h"

#define VIRTIO_ID_GPU 16
#define VIRTIO_F_VERSION_1 32
#define GPU_RESOURCES 16
#define GPU_BACKING_MAX 1024 /* entries of one ATTACH_BACKING */
#define GPU_BPP 4

struct gpu_resource {
	uint32_t id; /* 0: a free slot */
	uint32_t width, height;
	uint32_t *pixels; /* width * height words */
	struct gpu_backing {
		uint8_t *host;
		uint32_t len;
	} *backing;
	uint32_t nbacking;
};

static struct {
	struct sim_virtio *dev;
	uint32_t width, height;	 /* the scanout's */
	uint32_t *display;	 /* what the scanout shows, width * height words */
	pthread_mutex_t display_lock; /* display and its generation, against the window's copy */
	uint64_t generation;	 /* of the display's contents */
	uint32_t scanout_res;	 /* the resource on the scanout, 0 for none */
	const char *screenshot;	 /* --screenshot, or NULL */
	struct gpu_resource res[GPU_RESOURCES];
} sim_gpu;

/* The resource of id, or NULL. */
static struct gpu_resource *gpu_find(uint32_t id)
{
	for (unsigned i = 0; id && i < GPU_RESOURCES; i++)
		if (sim_gpu.res[i].id == id)
			return &sim_gpu.res[i];
	return NULL;
}

/* True when rect r lies inside a width x height area. */
static bool gpu_rect_inside(const struct virtio_gpu_rect *r, uint32_t width, uint32_t height)
{
	return r->x <= width && r->width <= width - r->x && r->y <= height &&
	       r->height <= height - r->y;
}

/* Config space: no events, one scanout, no capability sets. */
static uint32_t gpu_config_read(struct sim_virtio *v, uint64_t off, unsigned size)
{
	(void)v;
	if (size != 4 || off != VIRTIO_GPU_CONFIG_NUM_SCANOUTS)
		return 0;
	return 1;
}

/* GET_DISPLAY_INFO: the one scanout, enabled. */
static uint32_t gpu_display_info(struct virtio_gpu_resp_display_info *info)
{
	memset(info, 0, sizeof(*info));
	info->pmodes[0].r = (struct virtio_gpu_rect){0, 0, sim_gpu.width, sim_gpu.height};
	info->pmodes[0].enabled = 1;
	return VIRTIO_GPU_RESP_OK_DISPLAY_INFO;
}

/* RESOURCE_CREATE_2D. */
static uint32_t gpu_create(const struct virtio_gpu_resource_create_2d *c)
{
	struct gpu_resource *free_slot = NULL;

	for (unsigned i = 0; !free_slot && i < GPU_RESOURCES; i++)
		if (!sim_gpu.res[i].id)
			free_slot = &sim_gpu.res[i];
	if (!c->resource_id || gpu_find(c->resource_id))
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	if (c->format != VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM || !c->width || !c->height ||
	    c->width > 16384 || c->height > 16384)
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	if (!free_slot)
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	uint32_t *pixels = calloc((size_t)c->width * c->height, GPU_BPP);
	if (!pixels)
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	*free_slot = (struct gpu_resource){c->resource_id, c->width, c->height, pixels, NULL, 0};
	return VIRTIO_GPU_RESP_OK_NODATA;
}

/* RESOURCE_UNREF. */
static uint32_t gpu_unref(uint32_t id)
{
	struct gpu_resource *r = gpu_find(id);

	if (!r)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	if (sim_gpu.scanout_res == id)
		sim_gpu.scanout_res = 0;
	free(r->pixels);
	free(r->backing);
	*r = (struct gpu_resource){0};
	return VIRTIO_GPU_RESP_OK_NODATA;
}

/* RESOURCE_ATTACH_BACKING: the entries follow the command in the readable buffers. */
static uint32_t gpu_attach(const struct sim_vq_chain *c,
			   const struct virtio_gpu_resource_attach_backing *a)
{
	struct gpu_resource *r = gpu_find(a->resource_id);

	if (!r)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	if (r->backing || !a->nr_entries || a->nr_entries > GPU_BACKING_MAX)
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	struct gpu_backing *b = calloc(a->nr_entries, sizeof(*b));
	if (!b)
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	for (uint32_t i = 0; i < a->nr_entries; i++) {
		struct virtio_gpu_mem_entry e;
		if (!sim_vq_copy(c, false, sizeof(*a) + i * sizeof(e), &e, sizeof(e), false) ||
		    !(b[i].host = sim_ram_ptr(e.addr, e.length))) {
			free(b);
			return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
		}
		b[i].len = e.length;
	}
	r->backing = b;
	r->nbacking = a->nr_entries;
	return VIRTIO_GPU_RESP_OK_NODATA;
}

/* RESOURCE_DETACH_BACKING. */
static uint32_t gpu_detach(uint32_t id)
{
	struct gpu_resource *r = gpu_find(id);

	if (!r)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	free(r->backing);
	r->backing = NULL;
	r->nbacking = 0;
	return VIRTIO_GPU_RESP_OK_NODATA;
}

/* SET_SCANOUT: resource 0 turns the scanout off. */
static uint32_t gpu_set_scanout(const struct virtio_gpu_set_scanout *s)
{
	struct gpu_resource *r = gpu_find(s->resource_id);

	if (s->scanout_id != 0)
		return VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID;
	if (s->resource_id && !r)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	if (r && (s->r.x || s->r.y || !gpu_rect_inside(&s->r, r->width, r->height)))
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	sim_gpu.scanout_res = s->resource_id;
	return VIRTIO_GPU_RESP_OK_NODATA;
}

/* Copies len bytes at offset off of r's backing into dst; false when it holds fewer. */
static bool gpu_backing_read(const struct gpu_resource *r, uint64_t off, void *dst, uint64_t len)
{
	uint8_t *out = dst;

	for (uint32_t i = 0; i < r->nbacking && len; i++) {
		if (off >= r->backing[i].len) {
			off -= r->backing[i].len;
			continue;
		}
		uint64_t n = r->backing[i].len - off < len ? r->backing[i].len - off : len;
		memcpy(out, r->backing[i].host + off, n);
		out += n;
		len -= n;
		off = 0;
	}
	return len == 0;
}

/* TRANSFER_TO_HOST_2D: line y of the rectangle comes from offset + y * stride. */
static uint32_t gpu_transfer(const struct virtio_gpu_transfer_to_host_2d *t)
{
	struct gpu_resource *r = gpu_find(t->resource_id);

	if (!r || !r->backing)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	if (!gpu_rect_inside(&t->r, r->width, r->height))
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	uint64_t stride = (uint64_t)r->width * GPU_BPP;
	for (uint32_t y = 0; y < t->r.height; y++) {
		uint32_t *dst = r->pixels + (size_t)(t->r.y + y) * r->width + t->r.x;
		if (!gpu_backing_read(r, t->offset + y * stride, dst, (uint64_t)t->r.width * GPU_BPP))
			return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	}
	return VIRTIO_GPU_RESP_OK_NODATA;
}

/* RESOURCE_FLUSH: the scanout's resource shows the rectangle on the display. */
static uint32_t gpu_flush(const struct virtio_gpu_resource_flush *f)
{
	struct gpu_resource *r = gpu_find(f->resource_id);

	if (!r)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	if (!gpu_rect_inside(&f->r, r->width, r->height))
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	if (sim_gpu.scanout_res != f->resource_id)
		return VIRTIO_GPU_RESP_OK_NODATA;
	pthread_mutex_lock(&sim_gpu.display_lock);
	for (uint32_t y = f->r.y; y < f->r.y + f->r.height && y < sim_gpu.height; y++) {
		uint32_t w = f->r.x < sim_gpu.width ? sim_gpu.width - f->r.x : 0;
		w = f->r.width < w ? f->r.width : w;
		memcpy(sim_gpu.display + (size_t)y * sim_gpu.width + f->r.x,
		       r->pixels + (size_t)y * r->width + f->r.x, (size_t)w * GPU_BPP);
	}
	sim_gpu.generation++;
	pthread_mutex_unlock(&sim_gpu.display_lock);
	return VIRTIO_GPU_RESP_OK_NODATA;
}

/* Reads the command of type's structure (len bytes) into cmd; false when it is short. */
static bool gpu_read_cmd(const struct sim_vq_chain *c, void *cmd, size_t len)
{
	return c->readable >= len && sim_vq_copy(c, false, 0, cmd, len, false);
}

/* Runs the command in c; its response type, 0 when the command is too short. */
static uint32_t gpu_run(const struct sim_vq_chain *c, uint32_t type,
			struct virtio_gpu_resp_display_info *info)
{
	union {
		struct virtio_gpu_ctrl_hdr hdr;
		struct virtio_gpu_resource_create_2d create;
		struct virtio_gpu_resource_attach_backing attach;
		struct virtio_gpu_set_scanout scanout;
		struct virtio_gpu_transfer_to_host_2d transfer;
		struct virtio_gpu_resource_flush flush;
		struct {
			struct virtio_gpu_ctrl_hdr hdr;
			uint32_t resource_id, padding;
		} unref;
	} u;

#define GPU_CMD(field, call) (gpu_read_cmd(c, &u.field, sizeof(u.field)) ? (call) : 0)
	switch (type) {
	case VIRTIO_GPU_CMD_GET_DISPLAY_INFO:
		return gpu_display_info(info);
	case VIRTIO_GPU_CMD_RESOURCE_CREATE_2D:
		return GPU_CMD(create, gpu_create(&u.create));
	case VIRTIO_GPU_CMD_RESOURCE_UNREF:
		return GPU_CMD(unref, gpu_unref(u.unref.resource_id));
	case VIRTIO_GPU_CMD_SET_SCANOUT:
		return GPU_CMD(scanout, gpu_set_scanout(&u.scanout));
	case VIRTIO_GPU_CMD_RESOURCE_FLUSH:
		return GPU_CMD(flush, gpu_flush(&u.flush));
	case VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D:
		return GPU_CMD(transfer, gpu_transfer(&u.transfer));
	case VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING:
		return GPU_CMD(attach, gpu_attach(c, &u.attach));
	case VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING:
		return GPU_CMD(unref, gpu_detach(u.unref.resource_id));
	default:
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	}
#undef GPU_CMD
}

/* Serves one control (or cursor) command; returns the response's length. */
static long gpu_serve(struct sim_virtio *v, unsigned q, const struct sim_vq_chain *c)
{
	struct virtio_gpu_ctrl_hdr hdr;
	static struct virtio_gpu_resp_display_info resp; /* under the machine lock */

	if (!gpu_read_cmd(c, &hdr, sizeof(hdr)) || c->writable < sizeof(hdr)) {
		sim_virtio_break(v, "a GPU command without a header or room for a response");
		return -1;
	}
	uint32_t type = q == VIRTIO_GPU_CONTROLQ ? gpu_run(c, hdr.type, &resp)
						 : VIRTIO_GPU_RESP_OK_NODATA; /* no cursor */
	size_t len = type == VIRTIO_GPU_RESP_OK_DISPLAY_INFO ? sizeof(resp) : sizeof(hdr);
	if (!type || c->writable < len) {
		sim_virtio_break(v, "a GPU command shorter than its structure, or its response "
				    "buffer too small");
		return -1;
	}
	resp.hdr = (struct virtio_gpu_ctrl_hdr){.type = type,
						.flags = hdr.flags & 1, /* VIRTIO_GPU_FLAG_FENCE */
						.fence_id = hdr.fence_id,
						.ctx_id = hdr.ctx_id};
	sim_vq_copy(c, true, 0, &resp, len, true);
	return (long)len;
}

static const struct sim_virtio_type gpu_type = {
    .name = "virtio-gpu",
    .device_id = VIRTIO_ID_GPU,
    .features = 1ULL << VIRTIO_F_VERSION_1,
    .queues = 2,
    .config_read = gpu_config_read,
    .serve = gpu_serve,
};

void sim_gpu_init(const struct sim_options *opts)
{
	if (opts->display == SIM_DISPLAY_NONE)
		return;
	sim_gpu.width = opts->display_width;
	sim_gpu.height = opts->display_height;
	sim_gpu.screenshot = opts->screenshot;
	sim_gpu.display = calloc((size_t)sim_gpu.width * sim_gpu.height, GPU_BPP);
	if (!sim_gpu.display) {
		fprintf(stderr, "amphi: no memory for a %ux%u display\n", sim_gpu.width,
			sim_gpu.height);
		exit(SIM_EXIT_HOST);
	}
	pthread_mutex_init(&sim_gpu.display_lock, NULL);
	sim_gpu.dev = sim_virtio_add(&gpu_type, &sim_gpu);
}

bool sim_gpu_display_copy(uint32_t *dst, uint64_t *seen)
{
	bool changed;

	pthread_mutex_lock(&sim_gpu.display_lock);
	changed = sim_gpu.generation != *seen;
	if (changed) {
		memcpy(dst, sim_gpu.display, (size_t)sim_gpu.width * sim_gpu.height * GPU_BPP);
		*seen = sim_gpu.generation;
	}
	pthread_mutex_unlock(&sim_gpu.display_lock);
	return changed;
}

/* Writes the display's rows as 8-bit RGB through png (errors longjmp out). */
static void gpu_png_rows(png_structp png, png_infop info, FILE *f, uint8_t *row)
{
	png_init_io(png, f);
	png_set_IHDR(png, info, sim_gpu.width, sim_gpu.height, 8, PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (uint32_t y = 0; y < sim_gpu.height; y++) {
		for (uint32_t x = 0; x < sim_gpu.width; x++) {
			uint32_t px = sim_gpu.display[(size_t)y * sim_gpu.width + x];
			row[3 * x] = (uint8_t)(px >> 16);
			row[3 * x + 1] = (uint8_t)(px >> 8);
			row[3 * x + 2] = (uint8_t)px;
		}
		png_write_row(png, row);
	}
	png_write_end(png, NULL);
}

/* Writes the display as a PNG to f; false on a libpng error. */
static bool gpu_write_png(FILE *f)
{
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	uint8_t *row = malloc((size_t)sim_gpu.width * 3);
	volatile bool ok = false;

	if (png && info && row) {
		pthread_mutex_lock(&sim_gpu.display_lock);
		if (setjmp(png_jmpbuf(png)) == 0) {
			gpu_png_rows(png, info, f, row);
			ok = true;
		}
		pthread_mutex_unlock(&sim_gpu.display_lock);
	}
	png_destroy_write_struct(&png, &info);
	free(row);
	return ok;
}

bool sim_gpu_screenshot(const char *path)
{
	FILE *f = sim_gpu.display ? fopen(path, "wb") : NULL;

	if (!f)
		return false;
	bool ok = gpu_write_png(f);
	return fclose(f) == 0 && ok;
}

void sim_gpu_poweroff(void)
{
	if (sim_gpu.screenshot && !sim_gpu_screenshot(sim_gpu.screenshot))
		fprintf(stderr, "amphi: cannot write the screenshot to %s\n", sim_gpu.screenshot);
}
