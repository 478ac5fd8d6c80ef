/* mg-hog — a test child that holds memory: `mg-hog NAME MIB [ignore-term]`.
 * It renames itself NAME (the comm memguard's rules match), allocates and
 * touches MIB MiB, prints "ready PID" on stdout, then sleeps until killed.
 * With "ignore-term" it ignores SIGTERM, like a stubborn server. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        if (argc < 3) {
                fprintf(stderr, "usage: mg-hog NAME MIB [ignore-term]\n");
                return 2;
        }
        prctl(PR_SET_NAME, argv[1], 0, 0, 0);
        if (argc > 3 && strcmp(argv[3], "ignore-term") == 0)
                signal(SIGTERM, SIG_IGN);
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
