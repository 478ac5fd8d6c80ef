/* memstat.c — a cgroup v2 memory.stat; see memstat.h. */
#include "read/memstat.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/procroot.h"

enum { K_ANON, K_FILE, K_KERNEL, K_SHMEM, K_SOCK, K_STACK, K_PGTABLES, K_SECPGTABLES, K_PERCPU,
       K_VMALLOC, K_SLAB, _K_MAX };

static const char *const keys[_K_MAX] = {
        [K_ANON] = "anon",
        [K_FILE] = "file",
        [K_KERNEL] = "kernel",
        [K_SHMEM] = "shmem",
        [K_SOCK] = "sock",
        [K_STACK] = "kernel_stack",
        [K_PGTABLES] = "pagetables",
        [K_SECPGTABLES] = "sec_pagetables",
        [K_PERCPU] = "percpu",
        [K_VMALLOC] = "vmalloc",
        [K_SLAB] = "slab",
};

static int key_index(const char *p, size_t n)
{
        for (int i = 0; i < _K_MAX; i++)
                if (strlen(keys[i]) == n && memcmp(keys[i], p, n) == 0)
                        return i;
        return -1;
}

int memstat_parse(const char *buf, size_t len, MemStat *ret)
{
        uint64_t v[_K_MAX] = { 0 };
        bool seen[_K_MAX] = { false };
        const char *p = buf, *end = buf + len;

        while (p < end) {
                const char *eol = memchr(p, '\n', (size_t)(end - p));
                const char *sp = memchr(p, ' ', (size_t)((eol ? eol : end) - p));
                int k = sp ? key_index(p, (size_t)(sp - p)) : -1;
                if (k >= 0) {
                        if (!eol)
                                return -EBADMSG; /* cut by the buffer */
                        const char *s = sp + 1;
                        uint64_t x = 0;
                        if (s == eol)
                                return -EBADMSG;
                        for (; s < eol; s++) {
                                if (*s < '0' || *s > '9')
                                        return -EBADMSG;
                                unsigned d = (unsigned)(*s - '0');
                                if (x > (UINT64_MAX - d) / 10)
                                        return -EBADMSG;
                                x = x * 10 + d;
                        }
                        v[k] = x;
                        seen[k] = true;
                }
                if (!eol)
                        break;
                p = eol + 1;
        }
        if (!seen[K_ANON] || !seen[K_FILE])
                return -EBADMSG;
        uint64_t kernel = v[K_KERNEL];
        if (!seen[K_KERNEL])
                kernel = v[K_STACK] + v[K_PGTABLES] + v[K_SECPGTABLES] + v[K_PERCPU] +
                         v[K_VMALLOC] + v[K_SLAB];
        *ret = (MemStat){
                .anon_bytes = v[K_ANON],
                .file_bytes = v[K_FILE],
                .kernel_bytes = kernel,
                .shmem_bytes = v[K_SHMEM],
                .sock_bytes = v[K_SOCK],
        };
        return 0;
}

int memory_current_parse(const char *buf, size_t len, uint64_t *ret_kb)
{
        uint64_t v = 0;

        if (len > 0 && buf[len - 1] == '\n')
                len--;
        if (len == 0)
                return -EBADMSG;
        for (size_t i = 0; i < len; i++) {
                if (buf[i] < '0' || buf[i] > '9')
                        return -EBADMSG;
                unsigned d = (unsigned)(buf[i] - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -EBADMSG;
                v = v * 10 + d;
        }
        *ret_kb = v / 1024;
        return 0;
}

int memstat_read(int cgroup_fd, const char *cgroup, char *buf, size_t size, MemStat *ret)
{
        char rel[600];
        while (*cgroup == '/')
                cgroup++;
        int n = snprintf(rel, sizeof rel, "%s%smemory.stat", cgroup, *cgroup ? "/" : "");
        if (n < 0 || (size_t)n >= sizeof rel)
                return -ENAMETOOLONG;
        ssize_t k = procroot_read_file(cgroup_fd, rel, buf, size);
        if (k < 0)
                return (int)k;
        return memstat_parse(buf, (size_t)k, ret);
}
