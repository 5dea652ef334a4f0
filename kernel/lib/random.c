/* The kernel's random bytes: one xorshift64 generator shared by every CPU (random.h),
 * its state stirred by what entropy sources feed in. */
#include <amphi/plat.h>
#include <amphi/random.h>
#include <amphi/string.h>
#include <amphi/sync.h>

static struct spinlock random_lock = SPINLOCK_INIT("random");
static uint64_t random_state;

/* splitmix64's finalizer: spreads every input bit over the whole word. */
static uint64_t random_mix(uint64_t x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The next word of the generator (lock held). */
static uint64_t random_next(void)
{
	if (!random_state)
		random_state = plat_time_ns() * 0x9e3779b97f4a7c15ULL | 1;
	random_state ^= random_state << 13;
	random_state ^= random_state >> 7;
	random_state ^= random_state << 17;
	return random_state;
}

void random_bytes(void *buf, size_t len)
{
	uint8_t *out = buf;
	irqflags_t flags = spin_lock_irqsave(&random_lock);

	for (size_t done = 0; done < len; done += 8) {
		uint64_t word = random_next();
		memcpy(out + done, &word, MIN(sizeof(word), len - done));
	}
	spin_unlock_irqrestore(&random_lock, flags);
}

void random_add_entropy(const void *buf, size_t len)
{
	const uint8_t *in = buf;
	irqflags_t flags = spin_lock_irqsave(&random_lock);

	for (size_t done = 0; done < len; done += 8) {
		uint64_t word = 0;
		memcpy(&word, in + done, MIN(sizeof(word), len - done));
		random_state = random_mix(random_state ^ word ^ done);
	}
	random_state |= random_state ? 0 : 1; /* xorshift's one stuck state */
	spin_unlock_irqrestore(&random_lock, flags);
}
