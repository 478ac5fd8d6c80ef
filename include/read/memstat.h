/* memstat.h — a cgroup v2 memory.stat: where a unit's memory is; and
 * memory.current, how much it is.
 *
 * memory.stat is "KEY VALUE\n" lines, values in bytes (some are counts
 * of events: not read here). memguard takes the breakdown an operator
 * needs to tell a leak's kind apart: anonymous memory (heaps), page
 * cache, the kernel's own memory for the unit (slab, stacks, page tables,
 * per-CPU), shared memory and socket buffers. */
#ifndef MEMGUARD_MEMSTAT_H
#define MEMGUARD_MEMSTAT_H

#include <stddef.h>
#include <stdint.h>

typedef struct MemStat {
        uint64_t anon_bytes;
        uint64_t file_bytes;
        /* "kernel" where the kernel prints it; on older kernels, which
         * lack that line, the sum of kernel_stack, pagetables,
         * sec_pagetables, percpu, vmalloc and slab as far as printed */
        uint64_t kernel_bytes;
        uint64_t shmem_bytes;
        uint64_t sock_bytes;
} MemStat;

/* Parses memory.stat (LEN bytes of BUF, no NUL needed). anon and file are
 * required; the others are 0 when absent; unknown keys are skipped. A
 * line of a key read here whose value is not digits (or does not fit in
 * 64 bits), or that the buffer cut (no '\n' at the end of the last line),
 * is malformed. Returns 0 (RET written), or -EBADMSG (malformed, or no
 * anon/file line: a cgroup v1 memory.stat, an empty file). Pure: no
 * allocation, no I/O. */
int memstat_parse(const char *buf, size_t len, MemStat *ret);

/* Parses a cgroup v2 memory.current (LEN bytes of BUF, no NUL needed):
 * the kernel's "N\n", bytes in decimal digits, the '\n' optional.
 * Returns 0 and writes *RET_KB (the bytes / 1024), or -EBADMSG (anything
 * else: a sign, blanks, more text, no digits, a number over 64 bits).
 * Pure. */
int memory_current_parse(const char *buf, size_t len, uint64_t *ret_kb);

/* Reads CGROUP's memory.stat ("/system.slice/api.service", relative to
 * CGROUP_FD, the cgroup v2 root) into BUF (SIZE bytes; 4 KiB holds a 6.x
 * file) and parses it. Returns 0, -ENOENT (the cgroup is gone), or
 * another -errno. */
int memstat_read(int cgroup_fd, const char *cgroup, char *buf, size_t size, MemStat *ret);

#endif
