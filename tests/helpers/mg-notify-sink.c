/* mg-notify-sink — stands in for systemd's notification socket in the
 * integration test: `mg-notify-sink PATH` binds a datagram socket at PATH
 * and prints each message it receives (READY=1, STATUS=..., WATCHDOG=1) on
 * one line of stdout, until killed. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        if (argc != 2 || strlen(argv[1]) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
                fprintf(stderr, "usage: mg-notify-sink PATH\n");
                return 2;
        }
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        strcpy(sa.sun_path, argv[1]);
        unlink(argv[1]);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
                perror("mg-notify-sink");
                return 1;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        char buf[4096];
        for (;;) {
                ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
                if (n < 0)
                        return 1;
                buf[n] = '\0';
                /* one datagram may carry several assignments */
                for (char *p = buf; p < buf + n; p++)
                        if (*p == '\n')
                                *p = ' ';
                printf("%s\n", buf);
        }
}
