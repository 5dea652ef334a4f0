/* The kernel's random bytes: one xorshift64 generator shared by every CPU (random.h). */
#include <amphi/plat.h>
#include <amphi/random.h>
#include <amphi/string.h>
#include <amphi/sync.h>

static struct spinlock random_lock = SPINLOCK_INIT("random");
static uint64_t random_state;

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
