/* Lock debugging hooks the lock implementations call (kernel/sync only). */
#pragma once

#include <amphi/sync.h>

/* Before waiting for lock: panics on recursion and on an order that inverts one seen
 * before. where is the locking call's return address. */
void lockdep_acquire(struct lock_debug *lock, uintptr_t where);

/* After taking lock: records the owner and pushes it on the thread's held locks. */
void lockdep_acquired(struct lock_debug *lock, uintptr_t where);

/* Before releasing lock: panics when the caller does not hold it; pops it. */
void lockdep_release(struct lock_debug *lock, uintptr_t where);
