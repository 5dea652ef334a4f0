/*
 * The entropy device model (virtio 1.2, section 5.4): fills every device-writable buffer
 * the driver offers. In deterministic mode (deterministic schedule, virtual time) the bytes
 * come from a generator seeded by --seed, so a run repeats exactly; otherwise from the
 * host's getrandom.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "sim.h"

#define VIRTIO_ID_RNG 4
#define VIRTIO_F_VERSION_1 32

static struct {
	bool seeded;	/* deterministic: the generator below, else getrandom */
	uint64_t state; /* splitmix64 */
} sim_rng;

/* The next word of the seeded generator (splitmix64). */
static uint64_t rng_next(void)
{
	uint64_t x = (sim_rng.state += 0x9e3779b97f4a7c15ULL);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Fills one piece of a buffer with random bytes. */
static bool rng_fill(uint8_t *host, uint32_t n, uint64_t at, void *arg)
{
	(void)at;
	(void)arg;
	if (!sim_rng.seeded) {
		for (uint32_t done = 0; done < n;) {
			ssize_t got = getrandom(host + done, n - done, 0);
			if (got < 0)
				return false;
			done += (uint32_t)got;
		}
		return true;
	}
	for (uint32_t done = 0; done < n; done += 8) {
		uint64_t word = rng_next();
		memcpy(host + done, &word, n - done < 8 ? n - done : 8);
	}
	return true;
}

/* Serves one request: every writable byte of the chain gets random bytes. */
static long rng_serve(struct sim_virtio *v, unsigned q, const struct sim_vq_chain *c)
{
	(void)q;
	if (c->readable) {
		sim_virtio_break(v, "a request with device-readable buffers");
		return -1;
	}
	if (!sim_vq_each(c, true, 0, c->writable, rng_fill, NULL))
		return 0; /* the host refused: nothing written */
	return (long)c->writable;
}

static const struct sim_virtio_type rng_type = {
    .name = "virtio-rng",
    .device_id = VIRTIO_ID_RNG,
    .features = 1ULL << VIRTIO_F_VERSION_1,
    .queues = 1,
    .serve = rng_serve,
};

void sim_rng_init(const struct sim_options *opts)
{
	sim_rng.seeded = opts->sched == SIM_SCHED_DETERMINISTIC && opts->time == SIM_TIME_VIRTUAL;
	sim_rng.state = opts->seed ^ 0x616d706869726e67ULL; /* "amphirng" */
	sim_virtio_add(&rng_type, &sim_rng);
}
