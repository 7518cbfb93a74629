/* Work ranges for the compute threads' parallel loops (see ckernels.h): each participant owns a
   contiguous range of item numbers, packed as (next << 32) | end in one 64-bit word, and takes
   items from its front; one that has run out takes the back half of another's remaining range
   (the victim's word changed by one compare-and-swap) and goes on from there. */
#include "ckernels.h"

#include <stdint.h>

static inline uint64_t pack(uint32_t next, uint32_t end) { return (uint64_t)next << 32 | end; }

void ck_work_ranges_init(uint64_t *ranges, int parts, int count) {
    for (int p = 0; p < parts; p++) {
        uint32_t lo = (uint32_t)((int64_t)count * p / parts), hi = (uint32_t)((int64_t)count * (p + 1) / parts);
        __atomic_store_n(&ranges[p], pack(lo, hi), __ATOMIC_RELAXED);
    }
}

int ck_work_ranges_claim(uint64_t *ranges, int parts, int self) {
    uint64_t *own = &ranges[self];
    uint64_t word = __atomic_load_n(own, __ATOMIC_RELAXED);
    for (;;) {
        uint32_t next = (uint32_t)(word >> 32), end = (uint32_t)word;
        if (next >= end) break;
        if (__atomic_compare_exchange_n(own, &word, pack(next + 1, end), 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            return (int)next;
    }
    for (int i = 1; i < parts; i++) {
        uint64_t *victim = &ranges[(self + i) % parts];
        word = __atomic_load_n(victim, __ATOMIC_RELAXED);
        for (;;) {
            uint32_t next = (uint32_t)(word >> 32), end = (uint32_t)word;
            if (next >= end) break;
            uint32_t split = next + (end - next) / 2; /* the victim keeps [next, split), at least one item unless only one is left */
            if (__atomic_compare_exchange_n(victim, &word, pack(next, split), 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
                /* Only this participant adds to its own (empty) range; others may take from it from now on. */
                __atomic_store_n(own, pack(split + 1, end), __ATOMIC_RELAXED);
                return (int)split;
            }
        }
    }
    return -1;
}
