/* mg-churn — process churn for the soak test: `mg-churn RATE LIFETIME_MS`.
 *
 * Names itself mg-churn, prints "ready PID", then forks RATE children a
 * second, evenly spaced, each of which sleeps LIFETIME_MS and exits: RATE
 * processes start and RATE end every second, and about RATE * LIFETIME_MS
 * / 1000 are alive at any time, each with a pid /proc has not shown
 * before. Reaps them as they end. Runs until SIGTERM or SIGINT; its
 * children die with it (PR_SET_PDEATHSIG). Prints how many it started
 * when it stops. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
        (void)sig;
        stop = 1;
}

static void child(long lifetime_ms)
{
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        struct timespec t = { lifetime_ms / 1000, (lifetime_ms % 1000) * 1000000L };
        while (nanosleep(&t, &t) < 0 && errno == EINTR)
                ;
        _exit(0);
}

int main(int argc, char **argv)
{
        if (argc != 3) {
                fprintf(stderr, "usage: mg-churn RATE LIFETIME_MS\n");
                return 2;
        }
        long rate = strtol(argv[1], NULL, 10), lifetime = strtol(argv[2], NULL, 10);
        if (rate < 1 || rate > 1000 || lifetime < 0) {
                fprintf(stderr, "mg-churn: RATE 1..1000, LIFETIME_MS >= 0\n");
                return 2;
        }
        prctl(PR_SET_NAME, "mg-churn", 0, 0, 0);
        struct sigaction sa = { .sa_handler = on_stop };
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        setvbuf(stdout, NULL, _IOLBF, 0);
        printf("ready %d\n", (int)getpid());

        const long step_ns = 1000000000L / rate;
        unsigned long started = 0;
        struct timespec next;
        clock_gettime(CLOCK_MONOTONIC, &next);
        while (!stop) {
                pid_t pid = fork();
                if (pid == 0)
                        child(lifetime);
                if (pid > 0)
                        started++;
                while (waitpid(-1, NULL, WNOHANG) > 0)
                        ;
                next.tv_nsec += step_ns;
                while (next.tv_nsec >= 1000000000L) {
                        next.tv_nsec -= 1000000000L;
                        next.tv_sec++;
                }
                clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
        }
        printf("mg-churn: started %lu processes\n", started);
        return 0;
}
