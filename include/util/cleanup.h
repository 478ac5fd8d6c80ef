/* cleanup.h — scope-bound ownership with the GCC cleanup attribute.
 *
 * A variable declared _cleanup_free_ is free()d when it leaves scope;
 * _cleanup_close_ closes a file descriptor (>= 0); _cleanup_fclose_ an
 * stdio stream. Hand ownership away with TAKE_PTR()/TAKE_FD(), which return
 * the value and reset the variable so the cleanup does nothing. Also the
 * small shared helpers: ELEMENTSOF, the USEC_PER_* units, monotonic_usec(),
 * usec_add(). */
#ifndef MEMGUARD_CLEANUP_H
#define MEMGUARD_CLEANUP_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static inline void cleanup_freep(void *p) { free(*(void **)p); }
static inline void cleanup_closep(int *fd)
{
        if (*fd >= 0)
                (void)close(*fd);
}
static inline void cleanup_fclosep(FILE **f)
{
        if (*f)
                (void)fclose(*f);
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(cleanup_freep)
#define _cleanup_close_ _cleanup_(cleanup_closep)
#define _cleanup_fclose_ _cleanup_(cleanup_fclosep)

#define TAKE_PTR(p)                                                            \
        ({                                                                     \
                __typeof__(p) _p_ = (p);                                       \
                (p) = NULL;                                                    \
                _p_;                                                           \
        })
#define TAKE_FD(fd)                                                            \
        ({                                                                     \
                int _fd_ = (fd);                                               \
                (fd) = -1;                                                     \
                _fd_;                                                          \
        })

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
#define USEC_PER_SEC UINT64_C(1000000)
#define USEC_PER_MSEC UINT64_C(1000)

/* CLOCK_MONOTONIC now, in µs: the clock of sd-event's CLOCK_MONOTONIC
 * timers, read afresh (sd_event_now() is the loop's last wake-up). */
static inline uint64_t monotonic_usec(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

/* CLOCK_REALTIME now, in µs: for times shown to people (memguard status),
 * never for deadlines. */
static inline uint64_t realtime_usec(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

/* A time plus a duration, saturating at UINT64_MAX ("never"): every
 * deadline is computed with this, so that no duration, however long, can
 * wrap a deadline into the past (an immediate SIGKILL, a busy loop). */
static inline uint64_t usec_add(uint64_t t, uint64_t d)
{
        return t > UINT64_MAX - d ? UINT64_MAX : t + d;
}

#endif
