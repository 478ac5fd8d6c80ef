/* test_actions.c — the signal side of the action layer, through actions.h,
 * on this test's own forked children and a real sd-event loop.
 *
 * What a watchdog that runs as root must get right before anything else:
 * a signal reaches the process the rule chose and no other. A pid names a
 * process only together with its start time (/proc/PID/stat field 22), so
 * a decision whose start time is not the live process's is dropped, and
 * that test fails if the start-time check in action_signal.c is removed.
 * Also: term and kill, SIGTERM escalating to SIGKILL after the grace or at
 * once (actions_escalate()), dry run, and a pid that is already gone.
 *
 * Only children forked here are ever named in a decision; the one pid
 * that is not alive (test_reaped_pid) is this test's own reaped child.
 * Deadlines are generous (seconds); the only timing assertion is the
 * grace's lower bound. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "act/actions.h"
#include "act/fields.h"
#include "config/config.h"
#include "read/proc.h"
#include "read/snapshot.h"
#include "rules/rules.h"
#include "util/log.h"

#define MSEC 1000ULL
#define SEC (1000 * MSEC)

typedef struct Fixture {
        sd_event *event;
        Actions *actions;
        int done_calls;
        int not_done_calls; /* ... of which said not done */
        int proc_fd;
        Rule rule;
        Snapshot snap;
        pid_t child;      /* the child under test; 0 once reaped */
        int term_pipe;    /* read end: a 'T' per SIGTERM a stubborn child got */
        int terms;        /* ... read so far */
} Fixture;

static uint64_t now_usec(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec / 1000;
}

/* ---- children ---- */

static int term_note_fd = -1;

static void note_term(int sig)
{
        (void)sig;
        char c = 'T';
        (void)!write(term_note_fd, &c, 1);
}

static void note_usr2(int sig)
{
        (void)sig;
        char c = 'U';
        (void)!write(term_note_fd, &c, 1);
}

static void note_usr2_exit(int sig)
{
        note_usr2(sig);
        _exit(0);
}

typedef enum ChildKind {
        CHILD_PLAIN,    /* pause()s; SIGTERM kills it */
        CHILD_STUBBORN, /* survives SIGTERM, writing 'T' to a pipe for each */
        CHILD_EXIT,     /* exits once the parent writes a byte */
        CHILD_USR2,     /* writes 'U' to the pipe for each SIGUSR2 (a heap
                         * snapshot, say); SIGTERM kills it */
        CHILD_USR2_EXIT, /* ... and exits after the first */
} ChildKind;

/* Forks a child of KIND and waits until it is ready; fills fx->child (and
 * fx->term_pipe for CHILD_STUBBORN). RET_GO (CHILD_EXIT): the fd to write
 * to. */
static void start_child(Fixture *fx, ChildKind kind, int *ret_go)
{
        int ready[2], term[2] = { -1, -1 }, go[2] = { -1, -1 };
        assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
        const bool noted = kind == CHILD_STUBBORN || kind == CHILD_USR2 || kind == CHILD_USR2_EXIT;
        if (noted)
                assert_int_equal(pipe2(term, O_CLOEXEC | O_NONBLOCK), 0);
        if (kind == CHILD_EXIT)
                assert_int_equal(pipe2(go, O_CLOEXEC), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                /* never outlive the test, whatever happens to it */
                (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
                (void)prctl(PR_SET_NAME, "mgtest-actions");
                signal(SIGTERM, SIG_DFL);
                if (kind == CHILD_STUBBORN) {
                        term_note_fd = term[1];
                        struct sigaction sa = { .sa_handler = note_term, .sa_flags = SA_RESTART };
                        sigaction(SIGTERM, &sa, NULL);
                }
                if (kind == CHILD_USR2 || kind == CHILD_USR2_EXIT) {
                        term_note_fd = term[1];
                        struct sigaction sa = { .sa_handler = kind == CHILD_USR2 ? note_usr2 : note_usr2_exit,
                                                .sa_flags = SA_RESTART };
                        sigaction(SIGUSR2, &sa, NULL);
                }
                char c = 'r';
                if (write(ready[1], &c, 1) != 1)
                        _exit(1);
                if (kind == CHILD_EXIT) {
                        (void)!read(go[0], &c, 1);
                        _exit(0);
                }
                for (;;)
                        pause();
        }
        close(ready[1]);
        char c;
        assert_int_equal(read(ready[0], &c, 1), 1);
        close(ready[0]);
        if (noted) {
                close(term[1]);
                fx->term_pipe = term[0];
        }
        if (kind == CHILD_EXIT) {
                close(go[0]);
                *ret_go = go[1];
        }
        fx->child = pid;
}

/* The child's start time, as the sampler would have read it. */
static uint64_t start_time_of(Fixture *fx, pid_t pid)
{
        char buf[1024];
        ProcStat st;
        assert_int_equal(proc_read_stat(fx->proc_fd, pid, buf, sizeof buf, &st), 0);
        return st.start_time;
}

/* True if the child has not exited (it is not reaped by this). */
static bool child_alive(Fixture *fx)
{
        siginfo_t si = { 0 };
        assert_int_equal(waitid(P_PID, (id_t)fx->child, &si, WEXITED | WNOHANG | WNOWAIT), 0);
        return si.si_pid == 0;
}

/* Waits (up to 5 s) for the child to end and reaps it; returns the signal
 * that killed it, or 0 if it exited by itself. */
static int child_end_signal(Fixture *fx)
{
        int status = 0;
        const uint64_t deadline = now_usec() + 5 * SEC;
        pid_t r;
        while ((r = waitpid(fx->child, &status, WNOHANG)) == 0) {
                assert_true(now_usec() < deadline);
                usleep(10 * 1000);
        }
        assert_int_equal(r, fx->child);
        fx->child = 0;
        return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

/* SIGTERMs the stubborn child received so far. */
static int terms_noted(Fixture *fx)
{
        char buf[16];
        ssize_t k;
        while ((k = read(fx->term_pipe, buf, sizeof buf)) > 0)
                fx->terms += (int)k;
        return fx->terms;
}

/* ---- the action layer ---- */

static void on_done(void *userdata, unsigned lane, bool not_done)
{
        Fixture *fx = userdata;
        assert_true(lane == RULES_BUSY_SIGNAL || lane == RULES_BUSY_SYSTEM);
        /* a signal's failures are known at once; only a `before` step
         * (cancelled, or its action failed after the wait) ends not done */
        fx->done_calls++;
        fx->not_done_calls += not_done;
}

/* A decision of FX's rule on the child (pid, start time). */
static Decision decision(Fixture *fx, Action action, uint64_t start_time)
{
        Decision d = {
                .kind = DECISION_FIRE,
                .rule = &fx->rule,
                .action = action,
                .pid = fx->child,
                .start_time = start_time,
                .pss_kb = 1024,
        };
        snprintf(d.comm, sizeof d.comm, "mgtest-actions");
        snprintf(d.reason, sizeof d.reason, "test: %s pid %d", action_to_string(action), (int)fx->child);
        return d;
}

/* The one place that calls actions_run(), asserting what it returned:
 * 1 in flight, 0 nothing to follow, -errno not carried out. */
static void run(Fixture *fx, const Decision *d, bool dry_run, int want)
{
        fx->rule.action = d->action;
        assert_int_equal(actions_run(fx->actions, d, &fx->snap, dry_run), want);
}

/* Runs the loop until the done callback has run WANT times; fails after
 * 5 s. While it has not, the action is in flight. */
static void run_until_done(Fixture *fx, int want)
{
        const uint64_t deadline = now_usec() + 5 * SEC;
        while (fx->done_calls < want) {
                assert_true(actions_in_flight(fx->actions));
                assert_true(now_usec() < deadline);
                assert_true(sd_event_run(fx->event, 100 * MSEC) >= 0);
        }
}

/* Runs the loop for about USEC, whatever happens. */
static void run_for(Fixture *fx, uint64_t usec)
{
        const uint64_t end = now_usec() + usec;
        while (now_usec() < end)
                assert_true(sd_event_run(fx->event, 10 * MSEC) >= 0);
}

static int setup(void **state)
{
        Fixture *fx = calloc(1, sizeof *fx);
        assert_non_null(fx);
        fx->term_pipe = -1;
        fx->proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fx->proc_fd >= 0);
        fx->rule.name = (char *)"test-rule";
        fx->rule.scope = SCOPE_PROCESS;
        fx->rule.grace_usec = 5 * SEC;
        fx->snap.self_pid = getpid();
        assert_int_equal(sd_event_new(&fx->event), 0);
        assert_int_equal(actions_new(fx->event, on_done, fx, &fx->actions), 0);
        *state = fx;
        return 0;
}

static int teardown(void **state)
{
        Fixture *fx = *state;
        actions_free(fx->actions);
        sd_event_unref(fx->event);
        if (fx->child > 0) {
                kill(fx->child, SIGKILL);
                waitpid(fx->child, NULL, 0);
        }
        if (fx->term_pipe >= 0)
                close(fx->term_pipe);
        close(fx->proc_fd);
        free(fx);
        return 0;
}

/* ---- tests ---- */

/* The right process: SIGTERM, in flight until it is gone, done once. */
static void test_term(void **state)
{
        Fixture *fx = *state;
        start_child(fx, CHILD_PLAIN, NULL);
        Decision d = decision(fx, ACTION_TERM, start_time_of(fx, fx->child));
        assert_false(actions_in_flight(fx->actions));
        run(fx, &d, false, 1);
        assert_true(actions_in_flight(fx->actions));
        run_until_done(fx, 1);
        assert_false(actions_in_flight(fx->actions));
        assert_int_equal(child_end_signal(fx), SIGTERM);
        run_for(fx, 200 * MSEC);
        assert_int_equal(fx->done_calls, 1);
        assert_false(actions_in_flight(fx->actions));
}

/* The pid of a live process, with another start time: a pid reused since
 * the sample. Nothing is sent, nothing is in flight, the child lives. */
static void test_wrong_start_time(void **state)
{
        Fixture *fx = *state;
        start_child(fx, CHILD_PLAIN, NULL);
        const uint64_t st = start_time_of(fx, fx->child);
        for (int i = 0; i < 2; i++) {
                /* one tick later and one earlier: neither is this process */
                Decision d = decision(fx, i == 0 ? ACTION_TERM : ACTION_KILL, i == 0 ? st + 1 : st - 1);
                run(fx, &d, false, 0);
                assert_false(actions_in_flight(fx->actions));
                run_for(fx, 300 * MSEC);
                assert_true(child_alive(fx));
                assert_false(actions_in_flight(fx->actions));
                assert_int_equal(fx->done_calls, 0);
        }
        assert_int_equal(kill(fx->child, SIGKILL), 0);
        assert_int_equal(child_end_signal(fx), SIGKILL);
}

static void test_kill(void **state)
{
        Fixture *fx = *state;
        start_child(fx, CHILD_PLAIN, NULL);
        Decision d = decision(fx, ACTION_KILL, start_time_of(fx, fx->child));
        run(fx, &d, false, 1);
        assert_true(actions_in_flight(fx->actions));
        run_until_done(fx, 1);
        assert_false(actions_in_flight(fx->actions));
        assert_int_equal(child_end_signal(fx), SIGKILL);
        run_for(fx, 100 * MSEC);
        assert_int_equal(fx->done_calls, 1);
}

/* A child that survives SIGTERM: SIGKILL follows after the grace, and not
 * before it. */
static void test_term_then_kill_after_grace(void **state)
{
        Fixture *fx = *state;
        fx->rule.grace_usec = 200 * MSEC;
        start_child(fx, CHILD_STUBBORN, NULL);
        Decision d = decision(fx, ACTION_TERM, start_time_of(fx, fx->child));
        const uint64_t t0 = now_usec();
        run(fx, &d, false, 1);
        assert_true(actions_in_flight(fx->actions));
        run_until_done(fx, 1);
        const uint64_t elapsed = now_usec() - t0;
        assert_int_equal(child_end_signal(fx), SIGKILL);
        assert_int_equal(terms_noted(fx), 1);
        assert_true(elapsed >= 200 * MSEC);
        assert_false(actions_in_flight(fx->actions));
}

/* Dry run: the timeline is followed (a term's grace, then what would be
 * sent), nothing is sent. */
static void test_dry_run(void **state)
{
        Fixture *fx = *state;
        fx->rule.grace_usec = 200 * MSEC;
        start_child(fx, CHILD_STUBBORN, NULL);
        const uint64_t st = start_time_of(fx, fx->child);

        Decision d = decision(fx, ACTION_TERM, st);
        run(fx, &d, true, 1);
        run_until_done(fx, 1);
        assert_false(actions_in_flight(fx->actions));

        d = decision(fx, ACTION_KILL, st);
        run(fx, &d, true, 0);
        run_for(fx, 300 * MSEC);
        assert_false(actions_in_flight(fx->actions));

        assert_true(child_alive(fx));
        assert_int_equal(terms_noted(fx), 0);
        assert_int_equal(fx->done_calls, 1);
}

/* The process exited and was reaped before the action: nothing is sent,
 * nothing in flight. The pid is checked free just before; with pid reuse
 * in between the start time would still not match. */
static void test_reaped_pid(void **state)
{
        Fixture *fx = *state;
        int go = -1;
        start_child(fx, CHILD_EXIT, &go);
        const uint64_t st = start_time_of(fx, fx->child);
        const Decision term = decision(fx, ACTION_TERM, st), kill_ = decision(fx, ACTION_KILL, st);
        assert_int_equal(write(go, "x", 1), 1);
        close(go);
        assert_int_equal(child_end_signal(fx), 0); /* exited by itself, reaped */
        assert_int_equal(kill(term.pid, 0), -1);
        assert_int_equal(errno, ESRCH);

        run(fx, &term, false, 0);
        assert_false(actions_in_flight(fx->actions));
        run(fx, &kill_, false, 0);
        assert_false(actions_in_flight(fx->actions));
        assert_false(actions_escalate(fx->actions, RULES_BUSY_SIGNAL));
        run_for(fx, 200 * MSEC);
        assert_false(actions_in_flight(fx->actions));
        assert_int_equal(fx->done_calls, 0);
}

/* actions_escalate() during a SIGTERM's grace: SIGKILL at once, not after
 * the 30 s grace. */
static void test_escalate(void **state)
{
        Fixture *fx = *state;
        fx->rule.grace_usec = 30 * SEC;
        start_child(fx, CHILD_STUBBORN, NULL);
        assert_false(actions_escalate(fx->actions, RULES_BUSY_SIGNAL)); /* nothing in flight */
        Decision d = decision(fx, ACTION_TERM, start_time_of(fx, fx->child));
        run(fx, &d, false, 1);
        const uint64_t deadline = now_usec() + 5 * SEC;
        while (terms_noted(fx) == 0) {
                assert_true(now_usec() < deadline);
                assert_true(sd_event_run(fx->event, 10 * MSEC) >= 0);
        }
        run_for(fx, 100 * MSEC);
        assert_true(child_alive(fx));
        assert_true(actions_in_flight(fx->actions));
        assert_int_equal(fx->done_calls, 0);

        assert_true(actions_escalate(fx->actions, RULES_BUSY_SIGNAL));
        run_until_done(fx, 1); /* 5 s at most: well inside the grace */
        assert_int_equal(child_end_signal(fx), SIGKILL);
        assert_false(actions_in_flight(fx->actions));
        assert_false(actions_escalate(fx->actions, RULES_BUSY_SIGNAL));
}

/* Two signal lanes: a process rule's SIGTERM in its (30 s) grace does not
 * hold back a system rule's SIGKILL on another process, which goes out at
 * once; each lane escalates and ends on its own. */
static void test_system_lane(void **state)
{
        Fixture *fx = *state;
        fx->rule.grace_usec = 30 * SEC;
        start_child(fx, CHILD_STUBBORN, NULL);
        Decision d = decision(fx, ACTION_TERM, start_time_of(fx, fx->child));
        run(fx, &d, false, 1);
        const uint64_t deadline = now_usec() + 5 * SEC;
        while (terms_noted(fx) == 0) {
                assert_true(now_usec() < deadline);
                assert_true(sd_event_run(fx->event, 10 * MSEC) >= 0);
        }
        assert_int_equal(actions_busy(fx->actions), RULES_BUSY_SIGNAL);

        pid_t other = fork();
        assert_true(other >= 0);
        if (other == 0) {
                for (;;)
                        pause();
        }
        static Rule sys = { .name = (char *)"sys-rule", .scope = SCOPE_SYSTEM, .action = ACTION_KILL };
        Decision k = d;
        k.rule = &sys;
        k.action = ACTION_KILL;
        k.pid = other;
        k.start_time = start_time_of(fx, other);
        assert_int_equal(actions_run(fx->actions, &k, &fx->snap, false), 1);
        assert_int_equal(actions_busy(fx->actions), RULES_BUSY_SIGNAL | RULES_BUSY_SYSTEM);
        int status;
        assert_int_equal(waitpid(other, &status, 0), other);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        run_until_done(fx, 1); /* the system lane's follow-up */
        assert_int_equal(actions_busy(fx->actions), RULES_BUSY_SIGNAL);
        assert_true(child_alive(fx)); /* still in its grace */

        assert_false(actions_escalate(fx->actions, RULES_BUSY_SYSTEM));
        assert_true(actions_escalate(fx->actions, RULES_BUSY_SIGNAL));
        run_until_done(fx, 2);
        assert_int_equal(child_end_signal(fx), SIGKILL);
        assert_false(actions_in_flight(fx->actions));
}

/* ---- the kill path under the conditions it exists for ---- */

/* Allocations of memguard's own code fail (this binary is linked with
 * --wrap for malloc, calloc, realloc and strdup: see the Makefile); libc's
 * and libsystemd's own go on. The signal still goes out: nothing on the
 * path from a decision to its signal allocates. Before issue 14 the
 * SignalAction was calloc'd first and an ENOMEM dropped the kill. */
static bool fail_alloc;
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
void *__wrap_malloc(size_t n) { return fail_alloc ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t m) { return fail_alloc ? NULL : __real_calloc(n, m); }
void *__wrap_realloc(void *p, size_t n) { return fail_alloc ? NULL : __real_realloc(p, n); }
char *__wrap_strdup(const char *s) { return fail_alloc ? NULL : __real_strdup(s); }

static void test_kill_without_memory(void **state)
{
        Fixture *fx = *state;
        start_child(fx, CHILD_PLAIN, NULL);
        Decision d = decision(fx, ACTION_KILL, start_time_of(fx, fx->child));
        fail_alloc = true;
        fx->rule.action = d.action;
        int r = actions_run(fx->actions, &d, &fx->snap, false);
        fail_alloc = false;
        assert_true(r >= 0);
        assert_int_equal(child_end_signal(fx), SIGKILL);
        run_for(fx, 100 * MSEC);
}

/* Out of descriptors (RLIMIT_NOFILE reached): the pidfd and the start-time
 * read come from the two descriptors the layer keeps in reserve. */
static void test_term_without_descriptors(void **state)
{
        Fixture *fx = *state;
        start_child(fx, CHILD_PLAIN, NULL);
        Decision d = decision(fx, ACTION_TERM, start_time_of(fx, fx->child));
        FdsFull full;
        fds_fill(&full);
        fx->rule.action = d.action;
        int r = actions_run(fx->actions, &d, &fx->snap, false);
        fds_give_back(&full);
        assert_true(r >= 0);
        assert_int_equal(child_end_signal(fx), SIGTERM);
        run_for(fx, 200 * MSEC);
        assert_false(actions_in_flight(fx->actions));
}

/* The journal names a user's unit as journald does: the system unit it
 * runs in, the user unit besides, and the cgroup that tells it from the
 * system's unit of the same name. */
static void test_fields_user_unit(void **state)
{
        (void)state;
        static Rule rule = { .name = (char *)"r" };
        Snapshot snap = { 0 };
        Decision d = { .kind = DECISION_FIRE, .rule = &rule, .action = ACTION_TERM };
        LogFields f;

        snprintf(d.unit, sizeof d.unit, "api.service");
        snprintf(d.unit_cgroup, sizeof d.unit_cgroup, "/system.slice/api.service");
        fields_of_decision(&d, &snap, false, &f);
        assert_string_equal(f.unit, "api.service");
        assert_null(f.user_unit);
        assert_string_equal(f.cgroup, "/system.slice/api.service");

        snprintf(d.unit_owner, sizeof d.unit_owner, "user@1000.service");
        snprintf(d.unit_cgroup, sizeof d.unit_cgroup,
                 "/user.slice/user-1000.slice/user@1000.service/app.slice/api.service");
        fields_of_decision(&d, &snap, false, &f);
        assert_string_equal(f.unit, "user@1000.service");
        assert_string_equal(f.user_unit, "api.service");
        assert_string_equal(f.cgroup, d.unit_cgroup);

        snprintf(d.unit_owner, sizeof d.unit_owner, "machine-web.scope");
        fields_of_decision(&d, &snap, false, &f);
        assert_string_equal(f.unit, "machine-web.scope");
        assert_null(f.user_unit);
}

/* ---- a rule's `before` step, the evidence, notify (issue 17) ---- */

/* stderr into a file while an action logs, to read its entries back. */
typedef struct Capture {
        int saved;
        FILE *file;
} Capture;

static void capture_start(Capture *c)
{
        c->file = tmpfile();
        assert_non_null(c->file);
        c->saved = dup(STDERR_FILENO);
        assert_true(c->saved >= 0);
        assert_int_equal(dup2(fileno(c->file), STDERR_FILENO), STDERR_FILENO);
}

/* Restores stderr, echoes what was captured, and returns it (static). */
static const char *capture_end(Capture *c)
{
        static char text[32768];
        assert_int_equal(dup2(c->saved, STDERR_FILENO), STDERR_FILENO);
        close(c->saved);
        rewind(c->file);
        size_t n = fread(text, 1, sizeof text - 1, c->file);
        text[n] = '\0';
        fclose(c->file);
        fputs(text, stderr);
        return text;
}

/* Runs the loop until FX's pipe has WANT notes (5 s at most). */
static void wait_notes(Fixture *fx, int want)
{
        const uint64_t deadline = now_usec() + 5 * SEC;
        while (terms_noted(fx) < want) {
                assert_true(now_usec() < deadline);
                assert_true(sd_event_run(fx->event, 10 * MSEC) >= 0);
        }
}


/* FX's rule with before = SIGUSR2 and WAIT, on a new child of KIND: the
 * decision to ACTION it. */
static Decision before_usr2(Fixture *fx, ChildKind kind, Action action, uint64_t wait)
{
        fx->rule.before_signal = SIGUSR2;
        fx->rule.before_wait_usec = wait;
        start_child(fx, kind, NULL);
        return decision(fx, action, start_time_of(fx, fx->child));
}

/* FX's rule with before = exec ARGV and WAIT on a new plain child. */
static Decision before_exec(Fixture *fx, char **argv, Action action, uint64_t wait)
{
        fx->rule.before_argv = argv;
        fx->rule.before_wait_usec = wait;
        start_child(fx, CHILD_PLAIN, NULL);
        return decision(fx, action, start_time_of(fx, fx->child));
}

/* Runs D to its end with stderr captured; returns what was logged. */
static const char *run_logged(Fixture *fx, const Decision *d)
{
        Capture c;
        capture_start(&c);
        run(fx, d, false, 1);
        run_until_done(fx, 1);
        return capture_end(&c);
}

/* A scratch file for a command to write (PATH: room for 32 bytes). */
static void scratch(char *path)
{
        strcpy(path, "/tmp/mgtest-before-XXXXXX");
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        close(fd);
}


/* before = SIGUSR2: the child gets it first, through a pidfd; the lane
 * is busy for before-wait; then SIGTERM, with the victim's memory in the
 * entry that says so. */
static void test_before_signal(void **state)
{
        Fixture *fx = *state;
        Decision d = before_usr2(fx, CHILD_USR2, ACTION_TERM, 300 * MSEC);
        const uint64_t t0 = now_usec();
        const char *log = run_logged(fx, &d);
        assert_true(now_usec() - t0 >= 300 * MSEC);
        assert_int_equal(child_end_signal(fx), SIGTERM);
        assert_int_equal(terms_noted(fx), 1); /* the SIGUSR2 came first */
        assert_int_equal(fx->not_done_calls, 0);
        /* what it does first and what follows, then how the wait ended */
        assert_non_null(strstr(log, "test-rule: sending SIGUSR2 to mgtest-actions (pid "));
        assert_non_null(strstr(log, "; terminating it in 0.3 s, or sooner if it exits"));
        assert_non_null(strstr(log, "before=SIGUSR2 before_wait_sec=0"));
        assert_non_null(strstr(log, "before_result=wait-elapsed"));
        /* the evidence, in the SIGTERM's own entry */
        const char *term = strstr(log, "signal=SIGTERM");
        assert_non_null(term);
        assert_non_null(strstr(log, "rss_kb="));
        assert_non_null(strstr(log, "pss_anon_kb="));
        assert_non_null(strstr(log, "fd_count="));
        assert_non_null(strstr(log, "open files"));
}

/* The wait ends when the process exits (its pidfd): a term is then done
 * with, well before before-wait, and nothing else is sent. */
static void test_before_exit_ends_wait(void **state)
{
        Fixture *fx = *state;
        Decision d = before_usr2(fx, CHILD_USR2_EXIT, ACTION_TERM, 30 * SEC);
        const uint64_t t0 = now_usec();
        run(fx, &d, false, 1);
        run_until_done(fx, 1);
        assert_true(now_usec() - t0 < 5 * SEC);
        assert_int_equal(child_end_signal(fx), 0); /* exited by itself */
        assert_false(actions_in_flight(fx->actions));
        assert_int_equal(fx->not_done_calls, 0);
}

/* before = exec: the command gets the target as whole arguments (no
 * shell), and when it exits the action follows. */
static void test_before_exec(void **state)
{
        Fixture *fx = *state;
        char out[32];
        scratch(out);
        char script[256];
        /* '%%' in a command is a percent sign (before.h) */
        snprintf(script, sizeof script, "printf '%%%%s\\n' \"$@\" > %s", out);
        char *argv[] = { (char *)"/bin/sh", (char *)"-c", script, (char *)"sh", (char *)"%p",
                         (char *)"pid=%p", (char *)"%c", (char *)"100%%", (char *)"%u", NULL };
        Decision d = before_exec(fx, argv, ACTION_TERM, 10 * SEC);
        const char *log = run_logged(fx, &d);
        assert_int_equal(child_end_signal(fx), SIGTERM);
        char want[256], got[256] = "";
        snprintf(want, sizeof want, "%d\npid=%d\nmgtest-actions\n100%%\n\n", (int)d.pid, (int)d.pid);
        FILE *f = fopen(out, "re");
        assert_non_null(f);
        size_t n = fread(got, 1, sizeof got - 1, f);
        got[n] = '\0';
        fclose(f);
        unlink(out);
        assert_string_equal(got, want);
        assert_non_null(strstr(log, "before_result=command-exited"));
        assert_non_null(strstr(log, "exit_status=0"));
}

/* A command still running at before-wait: its process group is
 * SIGKILLed (the command and what it started), and the action follows. */
static void test_before_exec_timeout(void **state)
{
        Fixture *fx = *state;
        char out[32];
        scratch(out);
        char script[256];
        /* the shell and a sleep it starts: both in the group */
        snprintf(script, sizeof script, "sleep 30 & echo $$ $! > %s; wait", out);
        char *argv[] = { (char *)"/bin/sh", (char *)"-c", script, NULL };
        Decision d = before_exec(fx, argv, ACTION_KILL, 500 * MSEC);
        const char *log = run_logged(fx, &d);
        assert_int_equal(child_end_signal(fx), SIGKILL);
        assert_non_null(strstr(log, "before_result=command-killed"));
        assert_non_null(strstr(log, "sent SIGKILL to its process group"));
        int sh = 0, sleeper = 0;
        FILE *f = fopen(out, "re");
        assert_non_null(f);
        assert_int_equal(fscanf(f, "%d %d", &sh, &sleeper), 2);
        fclose(f);
        unlink(out);
        /* the shell was reaped; the sleep, reparented, is gone or a zombie */
        assert_int_equal(kill(sh, 0), -1);
        char path[64], st[512];
        snprintf(path, sizeof path, "/proc/%d/stat", sleeper);
        f = fopen(path, "re");
        if (f) {
                assert_non_null(fgets(st, sizeof st, f));
                fclose(f);
                assert_non_null(strstr(st, ") Z "));
        }
}

/* A `before` wait holds back its own lane only: a system rule's kill
 * goes out at once beside it. Cancelled (a reload), the step ends
 * without its action and says so (not done: no cooldown). */
static void test_before_system_lane(void **state)
{
        Fixture *fx = *state;
        Decision d = before_usr2(fx, CHILD_USR2, ACTION_TERM, 30 * SEC);
        run(fx, &d, false, 1);
        wait_notes(fx, 1);
        assert_int_equal(actions_busy(fx->actions), RULES_BUSY_SIGNAL);
        Decision again = d;
        assert_int_equal(actions_run(fx->actions, &again, &fx->snap, false), -EBUSY);

        pid_t other = fork();
        assert_true(other >= 0);
        if (other == 0) {
                for (;;)
                        pause();
        }
        static Rule sys = { .name = (char *)"sys-rule", .scope = SCOPE_SYSTEM, .action = ACTION_KILL,
                            .before_signal = SIGUSR2 /* refused by the config; ignored here */ };
        Decision k = d;
        k.rule = &sys;
        k.action = ACTION_KILL;
        k.pid = other;
        k.start_time = start_time_of(fx, other);
        assert_int_equal(actions_run(fx->actions, &k, &fx->snap, false), 1);
        int status;
        assert_int_equal(waitpid(other, &status, 0), other);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        run_until_done(fx, 1);
        assert_int_equal(actions_busy(fx->actions), RULES_BUSY_SIGNAL);

        pid_t pid;
        uint64_t st;
        const char *comm;
        assert_true(actions_signal_target(fx->actions, RULES_BUSY_SIGNAL, &pid, &st, &comm));
        assert_int_equal(pid, fx->child);
        actions_cancel_signal(fx->actions, RULES_BUSY_SIGNAL, "test");
        assert_int_equal(fx->done_calls, 2);
        assert_int_equal(fx->not_done_calls, 1);
        assert_false(actions_in_flight(fx->actions));
        run_for(fx, 200 * MSEC);
        assert_true(child_alive(fx)); /* no SIGTERM followed */
}

/* Dry run: the step is logged as it would be, nothing is sent, and the
 * action follows at once. */
static void test_before_dry_run(void **state)
{
        Fixture *fx = *state;
        Decision d = before_usr2(fx, CHILD_USR2, ACTION_KILL, 30 * SEC);
        Capture c;
        capture_start(&c);
        run(fx, &d, true, 0); /* a dry-run SIGKILL: nothing to follow */
        const char *log = capture_end(&c);
        assert_false(actions_in_flight(fx->actions));
        run_for(fx, 200 * MSEC);
        assert_int_equal(terms_noted(fx), 0);
        assert_true(child_alive(fx));
        assert_non_null(strstr(log, "[dry run: not sent, acting at once]"));
        assert_non_null(strstr(log, "[dry run: SIGKILL not sent]"));
}

/* A warn rule's notify: its signal reaches the process once, and the
 * warning's entry says so. */
static void test_notify(void **state)
{
        Fixture *fx = *state;
        fx->rule.notify_signal = SIGUSR2;
        fx->rule.action = ACTION_WARN;
        start_child(fx, CHILD_USR2, NULL);
        Decision d = decision(fx, ACTION_WARN, start_time_of(fx, fx->child));
        d.notify_pid = d.pid;
        d.notify_start_time = d.start_time;
        snprintf(d.notify_comm, sizeof d.notify_comm, "%s", d.comm);
        Capture c;
        capture_start(&c);
        assert_int_equal(actions_run(fx->actions, &d, &fx->snap, false), 0);
        /* a reused pid (another start time) is not notified */
        Decision other = d;
        other.notify_start_time++;
        assert_int_equal(actions_run(fx->actions, &other, &fx->snap, false), 0);
        const char *log = capture_end(&c);
        wait_notes(fx, 1);
        run_for(fx, 200 * MSEC);
        assert_int_equal(terms_noted(fx), 1);
        assert_true(child_alive(fx));
        assert_non_null(strstr(log, "; sent SIGUSR2 to mgtest-actions (pid "));
        assert_non_null(strstr(log, "notify_signal=SIGUSR2 notify_result=sent"));
        assert_non_null(strstr(log, "notify_result=gone"));
}

int main(void)
{
        log_open(true);
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fields_user_unit),
                cmocka_unit_test_setup_teardown(test_term, setup, teardown),
                cmocka_unit_test_setup_teardown(test_wrong_start_time, setup, teardown),
                cmocka_unit_test_setup_teardown(test_kill, setup, teardown),
                cmocka_unit_test_setup_teardown(test_term_then_kill_after_grace, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dry_run, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reaped_pid, setup, teardown),
                cmocka_unit_test_setup_teardown(test_escalate, setup, teardown),
                cmocka_unit_test_setup_teardown(test_system_lane, setup, teardown),
                cmocka_unit_test_setup_teardown(test_kill_without_memory, setup, teardown),
                cmocka_unit_test_setup_teardown(test_term_without_descriptors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_before_signal, setup, teardown),
                cmocka_unit_test_setup_teardown(test_before_exit_ends_wait, setup, teardown),
                cmocka_unit_test_setup_teardown(test_before_exec, setup, teardown),
                cmocka_unit_test_setup_teardown(test_before_exec_timeout, setup, teardown),
                cmocka_unit_test_setup_teardown(test_before_system_lane, setup, teardown),
                cmocka_unit_test_setup_teardown(test_before_dry_run, setup, teardown),
                cmocka_unit_test_setup_teardown(test_notify, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
