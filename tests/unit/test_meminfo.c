/* test_meminfo.c — meminfo_parse() on literal text, meminfo_read_fd() live. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "read/meminfo.h"

/* The head of this host's /proc/meminfo (kernel 6.18, no swap). */
#define HOST_HEAD                                                                                  \
        "MemTotal:       24683620 kB\n"                                                            \
        "MemFree:        24351656 kB\n"                                                            \
        "MemAvailable:   24358060 kB\n"                                                            \
        "Buffers:            1652 kB\n"                                                            \
        "Cached:           192344 kB\n"                                                            \
        "SwapCached:            0 kB\n"                                                            \
        "Active:            35276 kB\n"                                                            \
        "Inactive:         156256 kB\n"                                                            \
        "Active(anon):       1528 kB\n"                                                            \
        "Inactive(anon):     4892 kB\n"                                                            \
        "Active(file):      33748 kB\n"                                                            \
        "Inactive(file):   151364 kB\n"                                                            \
        "Unevictable:       13400 kB\n"                                                            \
        "Mlocked:           12376 kB\n"

/* A sentinel that must survive every failed parse. */
static const MemInfo SENTINEL = {1, 2, 3, 4, 5};

static void assert_untouched(const MemInfo *m)
{
        assert_memory_equal(m, &SENTINEL, sizeof(*m));
}

static void test_host(void **state)
{
        (void)state;
        MemInfo m = SENTINEL;

        assert_int_equal(meminfo_parse(LIT(HOST_HEAD "SwapTotal:             0 kB\n"
                                                     "SwapFree:              0 kB\n"
                                                     "Zswap:                 0 kB\n"
                                                     "HugePages_Total:       0\n"
                                                     "Hugepagesize:       2048 kB\n"),
                                       &m),
                         0);
        assert_int_equal(m.total_kb, 24683620);
        assert_int_equal(m.free_kb, 24351656);
        assert_int_equal(m.available_kb, 24358060);
        assert_int_equal(m.swap_total_kb, 0);
        assert_int_equal(m.swap_free_kb, 0);
}

static void test_swap(void **state)
{
        (void)state;
        MemInfo m = SENTINEL;

        assert_int_equal(meminfo_parse(LIT("MemTotal:        2014256 kB\n"
                                           "MemFree:           80000 kB\n"
                                           "MemAvailable:     150000 kB\n"
                                           "SwapCached:         1234 kB\n"
                                           "SwapTotal:       1048572 kB\n"
                                           "SwapFree:         524288 kB\n"),
                                       &m),
                         0);
        assert_int_equal(m.swap_total_kb, 1048572);
        assert_int_equal(m.swap_free_kb, 524288);
}

static void test_no_swap_lines(void **state)
{
        (void)state;
        MemInfo m = SENTINEL;

        assert_int_equal(
                meminfo_parse(LIT("MemTotal: 100 kB\nMemFree: 10 kB\nMemAvailable: 50 kB\n"), &m),
                0);
        assert_int_equal(m.total_kb, 100);
        assert_int_equal(m.free_kb, 10);
        assert_int_equal(m.available_kb, 50);
        assert_int_equal(m.swap_total_kb, 0);
        assert_int_equal(m.swap_free_kb, 0);
}

static void test_missing_available(void **state)
{
        (void)state;
        MemInfo m = SENTINEL;

        /* What a pre-3.14 kernel prints. */
        assert_int_equal(meminfo_parse(LIT("MemTotal:        2014256 kB\n"
                                           "MemFree:           80000 kB\n"
                                           "Buffers:            1652 kB\n"
                                           "SwapTotal:             0 kB\n"
                                           "SwapFree:              0 kB\n"),
                                       &m),
                         -EBADMSG);
        assert_untouched(&m);
}

static void test_missing_total_or_free(void **state)
{
        (void)state;
        MemInfo m = SENTINEL;

        assert_int_equal(meminfo_parse(LIT("MemFree: 1 kB\nMemAvailable: 2 kB\n"), &m), -EBADMSG);
        assert_int_equal(meminfo_parse(LIT("MemTotal: 1 kB\nMemAvailable: 2 kB\n"), &m), -EBADMSG);
        assert_untouched(&m);
}

static void test_empty(void **state)
{
        (void)state;
        MemInfo m = SENTINEL;

        assert_int_equal(meminfo_parse("", 0, &m), -EBADMSG);
        assert_int_equal(meminfo_parse(LIT("\n\n\n"), &m), -EBADMSG);
        assert_untouched(&m);
}

static void test_truncated(void **state)
{
        (void)state;
        static const char text[] = HOST_HEAD;
        MemInfo m = SENTINEL;
        /* "MemAvailable:   24358060 kB": cut at every byte of that line. */
        const char *line = strstr(text, "MemAvailable");
        size_t start = (size_t)(line - text);

        for (size_t len = 0; len < start + 27; len++) {
                /* An exact-size heap copy: ASan catches any read past LEN. */
                char *cut = malloc(len ? len : 1);

                assert_non_null(cut);
                memcpy(cut, text, len);
                assert_int_equal(meminfo_parse(cut, len, &m), -EBADMSG);
                free(cut);
        }
        assert_untouched(&m);
        /* The whole line without its '\n' is complete. */
        assert_int_equal(meminfo_parse(text, start + 27, &m), 0);
        assert_int_equal(m.available_kb, 24358060);
}

static void test_not_nul_terminated(void **state)
{
        (void)state;
        /* LEN ends mid-buffer: digits past it must not be read. */
        static const char text[] =
                "MemTotal: 100 kB\nMemFree: 10 kB\nMemAvailable: 50 kB\nSwapFree: 1234 kB\n";
        MemInfo m = SENTINEL;

        assert_int_equal(meminfo_parse(text, sizeof(text) - 1 - 6, &m), -EBADMSG);
        assert_int_equal(meminfo_parse(text, sizeof(text) - 1 - 18, &m), 0);
        assert_int_equal(m.swap_free_kb, 0);
}

static void test_overflow(void **state)
{
        (void)state;
        MemInfo m = SENTINEL;

        assert_int_equal(meminfo_parse(LIT("MemTotal: 18446744073709551616 kB\nMemFree: 1 "
                                           "kB\nMemAvailable: 1 kB\n"),
                                       &m),
                         -EBADMSG);
        assert_int_equal(meminfo_parse(LIT("MemTotal: 99999999999999999999999 kB\nMemFree: 1 "
                                           "kB\nMemAvailable: 1 kB\n"),
                                       &m),
                         -EBADMSG);
        assert_untouched(&m);
        assert_int_equal(meminfo_parse(LIT("MemTotal: 18446744073709551615 kB\nMemFree: 1 "
                                           "kB\nMemAvailable: 1 kB\n"),
                                       &m),
                         0);
        assert_true(m.total_kb == UINT64_MAX);
        /* past 19 digits each one is checked, leading zeros included */
        assert_int_equal(meminfo_parse(LIT("MemTotal: 000000000000000000000000042 kB\nMemFree: 1 "
                                           "kB\nMemAvailable: 1 kB\n"),
                                       &m),
                         0);
        assert_int_equal(m.total_kb, 42);
        assert_int_equal(meminfo_parse(LIT("MemTotal: 0184467440737095516150 kB\nMemFree: 1 "
                                           "kB\nMemAvailable: 1 kB\n"),
                                       &m),
                         -EBADMSG);
}

static void test_malformed_values(void **state)
{
        (void)state;
        MemInfo m = SENTINEL;

        assert_int_equal(
                meminfo_parse(LIT("MemTotal: 100\nMemFree: 1 kB\nMemAvailable: 1 kB\n"), &m),
                -EBADMSG);
        assert_int_equal(
                meminfo_parse(LIT("MemTotal: 100 MB\nMemFree: 1 kB\nMemAvailable: 1 kB\n"), &m),
                -EBADMSG);
        assert_int_equal(
                meminfo_parse(LIT("MemTotal: -100 kB\nMemFree: 1 kB\nMemAvailable: 1 kB\n"), &m),
                -EBADMSG);
        assert_int_equal(
                meminfo_parse(LIT("MemTotal:  kB\nMemFree: 1 kB\nMemAvailable: 1 kB\n"), &m),
                -EBADMSG);
        assert_int_equal(
                meminfo_parse(LIT("MemTotal: 1 kB junk\nMemFree: 1 kB\nMemAvailable: 1 kB\n"), &m),
                -EBADMSG);
        assert_int_equal(
                meminfo_parse(LIT("MemTotal: 1 kB\nMemFree: 1 kB\nMemAvailable: 0x10 kB\n"), &m),
                -EBADMSG);
        /* A repeated key is not the kernel's text. */
        assert_int_equal(
                meminfo_parse(
                        LIT("MemTotal: 1 kB\nMemTotal: 2 kB\nMemFree: 1 kB\nMemAvailable: 1 kB\n"),
                        &m),
                -EBADMSG);
        assert_untouched(&m);
}

static void test_similar_keys(void **state)
{
        (void)state;
        MemInfo m = SENTINEL;

        /* Keys are matched whole: prefixes and look-alikes are other lines. */
        assert_int_equal(meminfo_parse(LIT("MemTotalX: 7 kB\nMem: 8 kB\nSwapTotalish: bogus\n"
                                           "MemTotal: 100 kB\nMemFree: 10 kB\nMemAvailable: 50 kB\n"
                                           "no colon here\nSwapFree 99 kB\n"),
                                       &m),
                         0);
        assert_int_equal(m.total_kb, 100);
        assert_int_equal(m.swap_free_kb, 0);
}

static void test_read_fd_live(void **state)
{
        (void)state;
        char buf[4096];
        MemInfo a = SENTINEL, b = SENTINEL;
        int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);

        assert_true(fd >= 0);
        /* The fast tier keeps the fd and re-reads it from offset 0. */
        assert_int_equal(meminfo_read_fd(fd, buf, sizeof(buf), NULL, &a), 0);
        assert_int_equal(meminfo_read_fd(fd, buf, sizeof(buf), NULL, &b), 0);
        assert_true(a.total_kb > 0);
        assert_true(a.total_kb == b.total_kb);
        assert_true(a.available_kb <= a.total_kb);
        assert_true(a.free_kb <= a.total_kb);
        assert_true(a.swap_free_kb <= a.swap_total_kb);

        /* A buffer too small for MemAvailable: truncated, so malformed. */
        b = SENTINEL;
        assert_int_equal(meminfo_read_fd(fd, buf, 64, NULL, &b), -EBADMSG);
        assert_untouched(&b);
        assert_int_equal(close(fd), 0);
        assert_int_equal(meminfo_read_fd(fd, buf, sizeof(buf), NULL, &b), -EBADF);
        assert_int_equal(meminfo_read_fd(-1, buf, 0, NULL, &b), -EINVAL);
        assert_untouched(&b);
}

/* The text of FILE (a regular file: pread works as on /proc) read with
 * LAYOUT kept across reads, against meminfo_parse() of the same text. */
static void read_layout(const char *path, const char *text, MemInfoLayout *layout, int want)
{
        char buf[4096];
        MemInfo got = SENTINEL, parsed = SENTINEL;
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        assert_int_equal(fputs(text, f) >= 0, 1);
        assert_int_equal(fclose(f), 0);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(meminfo_read_fd(fd, buf, sizeof buf, layout, &got), want);
        close(fd);
        if (want == 0) {
                assert_int_equal(meminfo_parse(text, strlen(text), &parsed), 0);
                assert_memory_equal(&got, &parsed, sizeof got);
        } else {
                assert_untouched(&got);
        }
}

/* Where the keys were is where they are read next: the same answer as a
 * scan while they stay, a scan again (and the new places learnt) when a
 * value outgrows its width or a line comes or goes, and never a value
 * taken from a line that is not its key's. */
static void test_layout(void **state)
{
        (void)state;
        char dir[] = "/tmp/mg-layout.XXXXXX", path[64];
        MemInfoLayout layout = { .known = false };
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/meminfo", dir);

        static const char tail[] = "SwapCached:            0 kB\nSwapTotal:       1048572 kB\n"
                                   "SwapFree:         524288 kB\nZswap:                 0 kB\n";
        char text[2048];
        snprintf(text, sizeof text, "%s%s", HOST_HEAD, tail);
        read_layout(path, text, &layout, 0);
        assert_true(layout.known);
        MemInfoLayout first = layout;
        /* other values, same widths: read at the same places */
        snprintf(text, sizeof text, "%s%s",
                 "MemTotal:       24683620 kB\nMemFree:         1234567 kB\n"
                 "MemAvailable:      77777 kB\n",
                 strstr(HOST_HEAD, "Buffers:"));
        strcat(text, tail);
        read_layout(path, text, &layout, 0);
        assert_memory_equal(&layout, &first, sizeof layout);
        /* ... and read there, not scanned: a second MemFree line where
         * Buffers was (never the kernel's text), which a scan refuses,
         * goes unseen at the known places (meminfo.h) */
        char dup[2048];
        snprintf(dup, sizeof dup, "%s", text);
        memcpy(strstr(dup, "Buffers:"), "MemFree:", 8);
        MemInfo m;
        assert_int_equal(meminfo_parse(dup, strlen(dup), &m), -EBADMSG);
        MemInfoWhole keep = { .layout = &layout, .whole = false };
        assert_true(meminfo_whole(dup, strlen(dup), &keep));
        assert_true(keep.whole);
        assert_int_equal(keep.info.free_kb, 1234567);
        assert_int_equal(keep.info.available_kb, 77777);
        assert_int_equal(keep.info.swap_total_kb, 1048572);
        /* MemFree outgrows its width: every later line moves */
        snprintf(text, sizeof text, "%s%s",
                 "MemTotal:       24683620 kB\nMemFree:        2435165600 kB\n"
                 "MemAvailable:   24358060 kB\n",
                 strstr(HOST_HEAD, "Buffers:"));
        strcat(text, tail);
        read_layout(path, text, &layout, 0);
        assert_int_equal(layout.line[0], first.line[0]);
        assert_int_equal(layout.line[2], first.line[2] + 2);
        assert_int_equal(layout.line[4], first.line[4] + 2);
        /* a line fewer before the swap keys (another kernel's text) */
        snprintf(text, sizeof text, "%s%s", HOST_HEAD, tail + strlen("SwapCached:            0 kB\n"));
        read_layout(path, text, &layout, 0);
        /* a key's place holding another line, and no such key at all:
         * malformed, nothing taken from the line that sits there */
        snprintf(text, sizeof text, "%s%s", HOST_HEAD,
                 "SwapCached:            0 kB\nSwapTotal:       1048572 kB\n");
        read_layout(path, text, &layout, 0); /* SwapFree absent: 0, by a scan */
        snprintf(text, sizeof text, "MemTotal:       24683620 kB\nMemFree:        24351656 kB\n"
                                    "Buffers:            1652 kB\n%s", tail);
        read_layout(path, text, &layout, -EBADMSG);
        unlink(path);
        rmdir(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_host),
                cmocka_unit_test(test_layout),
                cmocka_unit_test(test_swap),
                cmocka_unit_test(test_no_swap_lines),
                cmocka_unit_test(test_missing_available),
                cmocka_unit_test(test_missing_total_or_free),
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_truncated),
                cmocka_unit_test(test_not_nul_terminated),
                cmocka_unit_test(test_overflow),
                cmocka_unit_test(test_malformed_values),
                cmocka_unit_test(test_similar_keys),
                cmocka_unit_test(test_read_fd_live),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
