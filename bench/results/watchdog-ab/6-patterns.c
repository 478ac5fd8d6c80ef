/* wake-up patterns: eo = nanosleep + lseek + 2 reads of meminfo (earlyoom);
 * ep = epoll_wait on an epoll set (signalfd, timerfd, 3 fds) + pread;
 * epc = ep + 4 clock_gettime per wake (what sd-event + memguard read);
 * po = poll on that epoll fd + 1 clock_gettime + pread (a leaner loop). */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv)
{
        const char *mode = argc > 1 ? argv[1] : "eo";
        char buf[4096];
        int fd = open("/proc/meminfo", O_RDONLY);
        int ep = epoll_create1(0);
        sigset_t m; sigemptyset(&m); sigaddset(&m, SIGUSR1); sigprocmask(SIG_BLOCK, &m, NULL);
        int sfd = signalfd(-1, &m, 0), tfd = timerfd_create(CLOCK_MONOTONIC, 0);
        struct itimerspec its = { .it_value = { 3600, 0 } };
        timerfd_settime(tfd, 0, &its, NULL);
        struct epoll_event ev = { .events = EPOLLIN };
        epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev); epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
        for (;;) {
                struct timespec t;
                if (!strcmp(mode, "eo")) {
                        struct timespec s = { 0, 250000000 };
                        clock_nanosleep(CLOCK_MONOTONIC, 0, &s, NULL);
                        lseek(fd, 0, SEEK_SET);
                        if (read(fd, buf, 2048) > 0) (void)read(fd, buf + 2048, 2048);
                } else if (!strcmp(mode, "po")) {
                        struct pollfd p = { .fd = ep, .events = POLLIN };
                        poll(&p, 1, 250);
                        clock_gettime(CLOCK_MONOTONIC, &t);
                        (void)pread(fd, buf, sizeof buf, 0);
                } else {
                        struct epoll_event out[4];
                        epoll_wait(ep, out, 4, 250);
                        if (!strcmp(mode, "epc"))
                                for (int i = 0; i < 4; i++) clock_gettime(i == 0 ? CLOCK_REALTIME : i == 1 ? CLOCK_MONOTONIC : CLOCK_BOOTTIME, &t);
                        (void)pread(fd, buf, sizeof buf, 0);
                }
        }
}
