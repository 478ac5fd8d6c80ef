# memguard — make builds build/memguard (the daemon that is installed) and
# build/memguard-test (the same with the test hooks --proc-root and
# --cgroup-root); make check runs every test, plain and under ASan+UBSan.
# See README.md.

PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
CATALOGDIR ?= $(PREFIX)/lib/systemd/catalog
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/memguard
DESTDIR ?=
# promtool, for the tests of the metrics file: make deps takes it out of
# Debian's prometheus package without installing that package (no
# Prometheus service on a test host).
PROMTOOL ?= /usr/local/lib/memguard-tools/promtool

CC ?= cc
# The version has one home, debian/changelog's first line: the package and
# the binary (memguard --version) say the same.
VERSION := $(shell awk -F'[()]' 'NR == 1 { print $$2; exit }' debian/changelog)
PKGS := libsystemd libproc2 inih

WARNINGS := -Wall -Wextra -Wshadow -Wconversion -Wstrict-prototypes \
            -Wmissing-prototypes -Werror
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=gnu11 $(WARNINGS) $(CPPFLAGS) $(CFLAGS) -Iinclude -D_GNU_SOURCE \
              -DMEMGUARD_VERSION='"$(VERSION)"' \
              -DMEMGUARD_SYSCONFDIR='"$(SYSCONFDIR)"' \
              $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# No libm in the daemon: memguard locks its memory, and mlockall() would
# keep all of libm's text resident (~350 kB) for three calls (growth.c).
LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lsystemd -lproc2 -linih)
TEST_LIBS := $(LIBS) $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka) -lm

# B is the build directory: build/ for the plain build, build-san/ for the
# sanitizer build (make SANITIZE=1).
# The shipped build is hardened whatever CFLAGS say (tests/hardening.sh
# checks the binary): fortified libc calls at level 3 (GCC 12), stack
# protector, a PIE, and full RELRO (relro + now: the GOT read-only before
# main). The sanitizer build goes without: ASan does its own checking, and
# fortify's wrappers would hide calls from it.
ifeq ($(SANITIZE),1)
B := build-san
ALL_CFLAGS += -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
else
B := build
ALL_CFLAGS += -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fPIE
LDFLAGS += -pie -Wl,-z,relro -Wl,-z,now
endif

# src/STAGE/*.c, headers in include/STAGE/ (README, Architecture): every
# source is found by wildcard, and lint checks that no stage includes a
# later one (tests/layers.sh).
SRCS := $(sort $(wildcard src/*/*.c))
HDRS := $(sort $(wildcard include/*/*.h))
LIB_SRCS := $(filter-out src/daemon/main.c,$(SRCS))
LIB_OBJS := $(LIB_SRCS:src/%.c=$(B)/obj/%.o)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(sort $(wildcard tests/unit/test_*.c)))
HELPERS := $(patsubst tests/helpers/%.c,$(B)/helpers/%,$(sort $(wildcard tests/helpers/*.c)))

.PHONY: all clean check check-unit check-integration check-faults check-plain check-san check-install check-system check-hardening \
        install deps deb deb-deps lint fuzz fuzz-build check-fuzz

all: $(B)/memguard $(B)/memguard-test

$(B)/obj/%.o: src/%.c $(HDRS) | $(B)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/libmemguard.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(B)/memguard: $(B)/obj/daemon/main.o $(B)/libmemguard.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# main.c again with the test hooks (see its head comment); never installed.
$(B)/main-test.o: src/daemon/main.c $(HDRS) | $(B)
	$(CC) $(ALL_CFLAGS) -DMEMGUARD_TEST_HOOKS -c -o $@ $<

$(B)/memguard-test: $(B)/main-test.o $(B)/libmemguard.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/tests/%: tests/unit/%.c $(B)/libmemguard.a $(HDRS) tests/unit/testutil.h | $(B)
	@mkdir -p $(B)/tests
	$(CC) $(ALL_CFLAGS) -Itests/unit -DTOP_SRCDIR='"$(CURDIR)"' $(LDFLAGS) $(TEST_LDFLAGS) -o $@ $< $(B)/libmemguard.a $(TEST_LIBS)

# test_actions makes memguard's own allocations fail (the kill path must
# not need one): its calls to these go through __wrap_* in the test.
$(B)/tests/test_actions: TEST_LDFLAGS = -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup

$(B)/helpers/%: tests/helpers/%.c | $(B)
	@mkdir -p $(B)/helpers
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $<

$(B):
	mkdir -p $(B)

# Unit tests: each binary is a cmocka group; all run even if one fails.
# One line per binary (its whole output if it failed; every output is kept
# in $(B)/tests/NAME.log), then the totals and every skipped test with its
# reason. VERBOSE=1 shows all output.
check-unit: $(UNIT_TESTS)
	@tests/unit/run.sh $(UNIT_TESTS)

# The production binary for the command line, memguard-test wherever a
# fixture proc or cgroup root is given.
check-integration: $(B)/memguard $(B)/memguard-test $(HELPERS)
	MEMGUARD=$(B)/memguard MEMGUARD_TEST=$(B)/memguard-test HELPERS=$(B)/helpers PROMTOOL=$(PROMTOOL) \
		tests/integration/run.sh

# Fault injection (tests/faults/run.sh, ~45 s): memguard-test on a fixture
# proc root under an LD_PRELOAD shim that fails allocations, fails or
# shortens reads, or moves the wall clock; a fake systemd on a private bus.
# Plain build only: ASan replaces malloc itself and an interposed one
# conflicts with it. The kill path's allocations are failed one at a time,
# past the 40th only every 5th; FAULTS_FULL=1 fails every one (the path
# has ~32 today: all run either way).
ifeq ($(SANITIZE),1)
check-faults:
	@echo "faults: not run in the sanitizer build (an LD_PRELOAD malloc shim conflicts with ASan's allocator); make check-plain runs them"
else
check-faults: $(B)/memguard-test $(HELPERS) $(B)/faults/mgfault.so $(B)/faults/mg-fakesd
	MEMGUARD_TEST=$(B)/memguard-test HELPERS=$(B)/helpers FAULTS=$(B)/faults \
		FAULTS_FULL=$(FAULTS_FULL) tests/faults/run.sh
endif

# Without _FORTIFY_SOURCE: the shim defines read() and open(), which the
# fortified headers define inline.
$(B)/faults/mgfault.so: tests/faults/mgfault.c | $(B)
	@mkdir -p $(B)/faults
	$(CC) $(ALL_CFLAGS) -U_FORTIFY_SOURCE -fPIC -shared -o $@ $<

$(B)/faults/mg-fakesd: tests/faults/mg-fakesd.c | $(B)
	@mkdir -p $(B)/faults
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIBS)

# Sequential on purpose: the integration test's children hold up to 160 MiB,
# and two runs at once would pass the 256 MiB a test may take on a shared host.
check-plain:
	$(MAKE) all
	$(MAKE) check-hardening
	$(MAKE) check-unit
	$(MAKE) check-integration
	$(MAKE) check-faults

check-san:
	$(MAKE) SANITIZE=1 check-plain

# What CI runs. The D-Bus restart tests fail rather than skip when
# dbus-daemon cannot be run, and the metrics checks when promtool is
# missing (make deps provides both).
check: export MEMGUARD_REQUIRE_DBUS := 1
check: export MEMGUARD_REQUIRE_PROMTOOL := 1
check:
	$(MAKE) lint
	$(MAKE) check-plain
	$(MAKE) check-fuzz
	$(MAKE) check-install
	$(MAKE) check-san
	$(MAKE) check-system

# The shipped binary's hardening, read from the ELF file: PIE, full RELRO,
# stack protector, fortified calls (the sanitizer build has none of them).
check-hardening: $(B)/memguard
	@if [ "$(SANITIZE)" = 1 ]; then echo "hardening: not checked in the sanitizer build (built without it)"; \
	else tests/hardening.sh $(B)/memguard; fi

# make install into a scratch DESTDIR: files in place, an edited config kept.
check-install: all
	tests/install.sh

# The daemon for real: a 2 GB Debian 12 guest with systemd, journald, D-Bus
# and cgroup v2 under QEMU (root; builds the guest image on first use).
check-system:
	tests/system/check.sh

# Installs every build and test dependency from Debian packages (root),
# and promtool from one without installing it (tests/tools/fetch-promtool.sh).
deps:
	@if dpkg-query -W -f='$${Status}\n' libsystemd-dev libproc2-dev libinih-dev libcmocka-dev pkg-config gcc make cppcheck dbus-daemon jq clang 2>/dev/null | grep -vq 'install ok installed' || \
	    ! dpkg-query -W libsystemd-dev libproc2-dev libinih-dev libcmocka-dev pkg-config gcc make cppcheck dbus-daemon jq clang >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			gcc make pkg-config cppcheck dbus-daemon jq clang libsystemd-dev libproc2-dev libinih-dev libcmocka-dev; \
	else echo "deps: all installed"; fi
	@tests/tools/fetch-promtool.sh $(PROMTOOL)

# The journal catalog (journalctl -x) is read from a database that
# `journalctl --update-catalog` builds out of /usr/lib/systemd/catalog and
# /usr/local/lib/systemd/catalog (those two only: a CATALOGDIR elsewhere
# is not read). A direct install rebuilds it; a staged one (DESTDIR, a
# package build) leaves that to the package manager. It never fails the
# install.
install: $(B)/memguard
	install -D -m 0755 $(B)/memguard $(DESTDIR)$(PREFIX)/sbin/memguard
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|@SBINDIR@|$(PREFIX)/sbin|g; s|@SYSCONFDIR@|$(SYSCONFDIR)|g' systemd/memguard.service.in \
		> $(DESTDIR)$(UNITDIR)/memguard.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/memguard.service
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/memguard.conf ]; then \
		echo "keeping existing $(DESTDIR)$(SYSCONFDIR)/memguard.conf; new default in memguard.conf.dist"; \
		install -m 0644 conf/memguard.conf $(DESTDIR)$(SYSCONFDIR)/memguard.conf.dist; \
	else install -D -m 0644 conf/memguard.conf $(DESTDIR)$(SYSCONFDIR)/memguard.conf; fi
	install -d $(DESTDIR)$(SYSCONFDIR)/memguard.conf.d
	for m in man/*.[0-9]; do [ -e "$$m" ] || continue; \
		s=$${m##*.}; install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done
	install -D -m 0644 systemd/memguard.catalog $(DESTDIR)$(CATALOGDIR)/memguard.catalog
	@if [ -z "$(DESTDIR)" ] && command -v journalctl >/dev/null 2>&1; then \
		echo "journalctl --update-catalog"; \
		journalctl --update-catalog || \
		echo "warning: journalctl --update-catalog failed; run it by hand for journalctl -x" >&2; \
	fi
	install -D -m 0644 conf/memguard-alerts.yml $(DESTDIR)$(DOCDIR)/examples/memguard-alerts.yml

# make deb: the Debian package (debian/), built by dpkg-buildpackage -b in
# a copy of the tree under build/deb (the package's clean step must not
# wipe build/), then checked by lintian (no error, no warning). Leaves
# build/memguard_VERSION_ARCH.deb and its .changes. DEB_VERSION=V builds
# the same tree as version V (a changelog entry in the copy only), as the
# package scenario of the system tests does for its upgrade; LINTIAN=no
# skips lintian; DEB_BUILD_OPTIONS=nocheck skips the unit tests of the
# package build. make deb-deps installs what it needs.
DEB_VERSION ?= $(VERSION)
LINTIAN ?= yes
deb:
	rm -rf build/deb && mkdir -p build/deb/memguard
	tar -c --exclude=./build --exclude=./build-san --exclude=./build-fuzz --exclude=./.git . | tar -x -C build/deb/memguard
	@if [ "$(DEB_VERSION)" != "$(VERSION)" ]; then \
		{ printf 'memguard (%s) bookworm; urgency=medium\n\n  * Rebuilt from %s as %s.\n\n' \
			"$(DEB_VERSION)" "$(VERSION)" "$(DEB_VERSION)"; \
		  printf ' -- %s  %s\n\n' "$$(sed -n 's/^ -- \(.*>\)  .*/\1/p;T;q' debian/changelog)" "$$(date -R)"; \
		  cat debian/changelog; } >build/deb/memguard/debian/changelog; fi
	cd build/deb/memguard && dpkg-buildpackage -us -uc -b
	cp build/deb/memguard_$(DEB_VERSION)_*.deb build/deb/memguard_$(DEB_VERSION)_*.changes build/
	@if [ "$(LINTIAN)" = yes ]; then \
		echo "lintian build/deb/memguard_$(DEB_VERSION)_*.changes"; \
		lintian --fail-on error,warning build/deb/memguard_$(DEB_VERSION)_*.changes; fi
	tests/hardening.sh build/deb/memguard/debian/memguard/usr/sbin/memguard
	@ls build/memguard_$(DEB_VERSION)_*.deb

# What make deb needs beyond make deps: debhelper (with dpkg-dev) and
# lintian. Not part of make deps, which keeps the README's commands quick.
deb-deps: deps
	@if ! dpkg-query -W -f='$${Status}\n' debhelper lintian 2>/dev/null | grep -c 'install ok installed' | grep -qx 2; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			debhelper lintian; \
	else echo "deb-deps: all installed"; fi

# cppcheck does not model __attribute__((cleanup)) and reports every
# _cleanup_free_ return as a leak; LeakSanitizer in check-san covers leaks.
# tests/layers.sh: no stage includes a later one, no include cycle between
# modules (its self-test first, so a broken checker cannot pass a tree).
# tests/catalog.sh: the journal catalog has an entry for every MESSAGE_ID,
# and journalctl reads it (self-test first, likewise).
# tests/analyze.sh: gcc -fanalyzer over src/, no finding beyond those read
# and explained in tests/analyzer-baseline.txt (~15 s).
lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--inline-suppr -Iinclude --suppress=missingIncludeSystem --suppress=memleak \
		-D__GNUC__ src
	tests/layers.sh --self-test
	tests/layers.sh
	tests/catalog.sh --self-test
	tests/catalog.sh
	tests/analyze.sh --self-test
	tests/analyze.sh

clean:
	rm -rf build build-san build-fuzz

# ---- fuzzing (issue 19): tests/fuzz/README.md -------------------------
# A libFuzzer harness per parser of outside input (tests/fuzz/fuzz_NAME.c),
# linked against the daemon's own sources built again with clang and
# ASan+UBSan into build-fuzz/. make fuzz runs each for FUZZ_SECONDS, new
# inputs kept in build-fuzz/corpus/NAME (never in the committed corpus);
# make check-fuzz, part of make check, runs each over its committed corpus
# and regression inputs and FUZZ_SMOKE_SECONDS of fuzzing. One harness at a
# time, nice'd, within 256 MiB (tests/fuzz/run.sh).
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 3
FUZZ_CFLAGS := -std=gnu11 $(WARNINGS) -g -O1 -fno-omit-frame-pointer \
               -fsanitize=address,undefined -fno-sanitize-recover=all -Iinclude -D_GNU_SOURCE \
               -DMEMGUARD_VERSION='"$(VERSION)"' -DMEMGUARD_SYSCONFDIR='"$(SYSCONFDIR)"' \
               $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_OBJS := $(LIB_SRCS:src/%.c=build-fuzz/obj/%.o)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build-fuzz/%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))

build-fuzz/obj/%.o: src/%.c $(HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

build-fuzz/libmemguard.a: $(FUZZ_OBJS)
	rm -f $@ && ar rcs $@ $^

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h tests/fuzz/value.h build-fuzz/libmemguard.a $(HDRS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< build-fuzz/libmemguard.a $(LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	tests/fuzz/run.sh --seconds $(FUZZ_SECONDS) $(FUZZ_BINS)

check-fuzz: fuzz-build
	tests/fuzz/run.sh --smoke --seconds $(FUZZ_SMOKE_SECONDS) $(FUZZ_BINS)

# ---- benchmarks (issue 4): never part of check; see bench/*.sh ----------
# bench-floor (bench/floor.sh): the sampler against the bare reads it needs.
# bench-growth (bench/growth-sweep.c): the leak estimator's sweep.
# bench-idle (bench/idle.sh): CPU and peak RSS of memguard and earlyoom at
# idle. build/bench/forker supplies sleeping processes in a 256 MiB memory
# cgroup. Results go to bench/results/. Run as root (the cgroup).
# bench-paced (bench/paced.sh): a wake-up at a 2 GiB box's pace, memguard
# and earlyoom side by side on this host.
# bench-matrix (bench/matrix.sh, ~90 min): the protection matrix in the 2 GB
# guest of the system tests; bench/matrix-report.sh rebuilds its tables.
# bench-soak (bench/soak.sh, ~33 min): the soak scenario for 30 minutes
# (SOAK_SECONDS) instead of CI's 2.
# bench-scale (bench/scale.sh, ~10 min): a walk's cost per process against
# the floor and the daemon's memory at 1,000 to 10,000 processes (issue 20).
# bench-reaction (bench/reaction.sh, ~75 min): MemAvailable below 7% to the
# leaker's SIGTERM, p50/p95/p99 over 20 leaks at 200 and 1000 MB/s, memguard
# and earlyoom with the same thresholds, in the guest (issue 20).
# bench-units (bench/guest-scale.sh, ~25 min): 1000 more units in the guest,
# memguard's CPU, memory and inotify watches beside earlyoom's (issue 20).
.PHONY: bench bench-floor bench-idle bench-paced bench-matrix bench-growth bench-soak bench-scale bench-reaction \
	bench-units bench-tick

$(B)/bench/forker: bench/forker.c | $(B)
	@mkdir -p $(B)/bench
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $<

$(B)/bench/floor: bench/floor.c $(B)/libmemguard.a $(HDRS) $(B)/bench/forker
	@mkdir -p $(B)/bench
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libmemguard.a $(LIBS)

bench-floor: $(B)/bench/floor
	bench/floor.sh

# bench-growth: the leak estimator against GC sawtooth sampled as the unit
# tier samples (issue 21); the table of bench/RESULTS.md.
$(B)/bench/growth-sweep: bench/growth-sweep.c tests/unit/growth_sweep.h $(B)/libmemguard.a $(HDRS)
	@mkdir -p $(B)/bench
	$(CC) $(ALL_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(B)/libmemguard.a $(LIBS) -lm

bench-growth: $(B)/bench/growth-sweep
	$(B)/bench/growth-sweep | tee bench/results/growth-sweep.tsv

# An LD_PRELOAD shim for idle.sh: earlyoom 1.7 has no poll-interval flag.
$(B)/bench/sleepcap.so: bench/sleepcap.c | $(B)
	@mkdir -p $(B)/bench
	$(CC) $(ALL_CFLAGS) -fPIC -shared -o $@ $< -ldl

bench-idle: $(B)/memguard $(B)/bench/forker $(B)/bench/sleepcap.so
	bench/idle.sh

bench-paced: $(B)/memguard $(B)/bench/forker
	bench/paced.sh

bench-matrix:
	bench/matrix.sh

bench-soak:
	bench/soak.sh

bench-scale: $(B)/memguard $(B)/bench/floor $(B)/bench/forker
	bench/scale.sh

bench-reaction:
	bench/reaction.sh

bench-units:
	bench/guest-scale.sh

# bench-tick: user-space instructions and calls of an idle fast tick
# (callgrind), ~25 s.
bench-tick: $(B)/memguard-test
	bench/tick-ir.sh

bench: bench-floor bench-idle bench-matrix
