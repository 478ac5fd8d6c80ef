/* mg-hog — a test child that holds memory:
 * `mg-hog NAME MIB [ignore-term | usr2=FILE]`.
 * It renames itself NAME (the comm memguard's rules match), allocates and
 * touches MIB MiB, prints "ready PID" on stdout, then sleeps until killed.
 * With "ignore-term" it ignores SIGTERM, like a stubborn server; with
 * "usr2=FILE" it appends a line "usr2" to FILE for each SIGUSR2, as node
 * --heapsnapshot-signal=SIGUSR2 writes a snapshot. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static int usr2_fd = -1;

static void on_usr2(int sig)
{
        (void)sig;
        (void)!write(usr2_fd, "usr2\n", 5);
}

int main(int argc, char **argv)
{
        if (argc < 3) {
                fprintf(stderr, "usage: mg-hog NAME MIB [ignore-term]\n");
                return 2;
        }
        prctl(PR_SET_NAME, argv[1], 0, 0, 0);
        if (argc > 3 && strcmp(argv[3], "ignore-term") == 0)
                signal(SIGTERM, SIG_IGN);
        if (argc > 3 && strncmp(argv[3], "usr2=", 5) == 0) {
                usr2_fd = open(argv[3] + 5, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
                struct sigaction sa = { .sa_handler = on_usr2, .sa_flags = SA_RESTART };
                sigaction(SIGUSR2, &sa, NULL);
        }
        size_t mib = (size_t)strtoul(argv[2], NULL, 10);
        if (mib > 128) {
                fprintf(stderr, "mg-hog: at most 128 MiB outside a guest\n");
                return 2;
        }
        /* volatile: the compiler may not elide an allocation it can see is
         * never read */
        volatile char *p = malloc(mib << 20);
        if (!p)
                return 1;
        for (size_t i = 0; i < mib << 20; i += 4096)
                p[i] = 0x5a;
        printf("ready %d\n", (int)getpid());
        fflush(stdout);
        for (;;)
                pause();
}
