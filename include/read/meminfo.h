/* meminfo.h — /proc/meminfo, the system tier's main input.
 *
 * Parsed from a caller-provided buffer: the fast tier calls this every
 * fast-interval and must not allocate. libproc2's meminfo API is not used:
 * it refreshes at most once per wall-clock second (DESIGN §6), too stale for
 * a 200 MB/s burst. */
#ifndef MEMGUARD_MEMINFO_H
#define MEMGUARD_MEMINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct MemInfo {
        uint64_t total_kb;
        uint64_t free_kb;
        uint64_t available_kb;
        uint64_t swap_total_kb;
        uint64_t swap_free_kb;
} MemInfo;

/* Parses the text of /proc/meminfo (BUF need not be NUL-terminated).
 * MemTotal, MemFree and MemAvailable are required (MemAvailable: kernel
 * >= 3.14); SwapTotal and SwapFree default to 0 when absent. A value must be
 * the kernel's "N kB", so a line cut by a short buffer is malformed, not 0.
 * Returns 0, or -EBADMSG when a required field is missing or malformed;
 * RET is written only on success. */
int meminfo_parse(const char *buf, size_t len, MemInfo *ret);

/* Where the five keys' lines began in the last text that held them all.
 * The kernel pads every meminfo value to a fixed width, so a line moves
 * only when a value outgrows it (or the kernel's lines change): the next
 * text is read at those places first, five comparisons where a scan would
 * cross the ~16 lines up to SwapFree (issue 20), and scanned whole when
 * any key is not where it was. Zeroed: nothing known yet. */
typedef struct MemInfoLayout {
        uint32_t line[5]; /* MemTotal, MemFree, MemAvailable, SwapTotal, SwapFree */
        bool known;
} MemInfoLayout;

/* pread()s the open /proc/meminfo FD into BUF (SIZE bytes, 4096 is ample)
 * and parses it, at LAYOUT's places when it holds there (LAYOUT: NULL, or
 * kept by the caller across reads and updated here). A text read at those
 * places has each key checked at the start of its line and each value
 * parsed as meminfo_parse() does; a second copy of a key elsewhere, which
 * the kernel never writes, goes unseen. Returns 0 or -errno. No
 * allocation. */
int meminfo_read_fd(int fd, char *buf, size_t size, MemInfoLayout *layout, MemInfo *ret);

/* What meminfo_whole() keeps of a text it found whole: its parse, so that
 * meminfo_read_fd() does not parse the same text again; LAYOUT (NULL or
 * the caller's) is where it looks first and what it learns. */
typedef struct MemInfoWhole {
        MemInfoLayout *layout;
        MemInfo info;
        bool whole;
} MemInfoWhole;

/* Whether LEN bytes from the start of /proc/meminfo (ending in '\n') hold
 * all five keys meminfo_parse() reads: the fast tier then skips the read()
 * that would only find EOF (procroot.h's ProcrootWhole). USERDATA: NULL,
 * or a MemInfoWhole that receives the parse when the text is whole (what
 * meminfo_parse() would return for it). */
bool meminfo_whole(const char *buf, size_t len, void *userdata);

#endif
