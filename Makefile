# newsclassd - plain GNU Make.
#
#   make              build/newsclass-train, build/newsclass, build/newsclassd
#   make test         install missing Debian packages, build, run every test
#   make check        build and run every test (unit, CLI, integration)
#   make asan|ubsan   the same suite under AddressSanitizer / UBSan
#   make tsan         the daemon tests under ThreadSanitizer
#   make valgrind     unit tests and daemon tests under valgrind memcheck
#   make fuzz         run each fuzz target for FUZZ_SECONDS (clang)
#   make models       retrain the shipped bundles from ../shared/corpora
#   make run          the daemon in the foreground with the shipped models
#   make bench        ours vs the solver's own code and tool vs fastText, and
#                     the daemon end to end
#   make bench-train  training time, peak RSS and accuracy against n: ours vs
#                     fastText vs scikit-learn (BENCH_TRAIN_SIZES, NC_TRAIN_ARGS)
#   make soak         a bounded soak (SOAK_SECONDS): RSS and latency over time
#   make install      PREFIX=/usr/local DESTDIR=
#   make deb          the Debian packages (debian/) in build/deb, and lintian
#   make deb-test     install them, run the installed daemon, purge them (root)

CC      ?= cc
BUILD   ?= build
PYTHON  ?= /usr/bin/python3
PREFIX  ?= /usr/local
SHARED  ?= ../shared
FUZZ_SECONDS ?= 60

# Error messages are truncated on purpose (struct err), hence no
# -Wformat-truncation; clang does not know that warning.
WARN    = -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
          -Wpointer-arith -Wformat=2 -Wno-format-nonliteral
WARN_GCC = -Wno-format-truncation
IS_CLANG := $(findstring clang,$(shell $(CC) --version 2>/dev/null))
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -pthread $(WARN) $(if $(IS_CLANG),,$(WARN_GCC)) \
             $(CPPFLAGS) $(CFLAGS) -Ilib
LIBS    = -lsvm -llinear -lstdc++ -lstemmer -lmsgpackc -ljansson -lutf8proc -linih -lzmq -lsodium \
          -lsystemd -lm -pthread
# Only the daemon serves HTTP: the other programs do without the library
# (and the TLS stack it brings along).
DAEMON_LIBS = -lmicrohttpd
ALL_LDFLAGS = $(CFLAGS) $(LDFLAGS)

LIB_SRC = $(wildcard lib/*.c)
LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC = $(wildcard tests/fuzz/fuzz_*.c)
PROGS   = $(BUILD)/newsclass-train $(BUILD)/newsclass $(BUILD)/newsclassd

DAEMON_SRC = $(filter-out daemon/main.c,$(wildcard daemon/*.c))
DAEMON_OBJ = $(DAEMON_SRC:%.c=$(BUILD)/obj/%.o)
# The trainer's modules (training/*.c but its main file), linked into the
# trainer and the unit tests.
TRAIN_SRC = $(filter-out training/train.c,$(wildcard training/*.c))
TRAIN_OBJ = $(TRAIN_SRC:%.c=$(BUILD)/obj/%.o)

.PHONY: all test deps check unit integ asan ubsan tsan fuzz models run soak \
        bench bench-train install deb deb-test clean
.SUFFIXES:

all: $(PROGS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libnewsclass.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/newsclass-train: $(BUILD)/obj/training/train.o $(TRAIN_OBJ) \
		$(BUILD)/libnewsclass.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/newsclass: $(BUILD)/obj/cli/newsclass.o $(BUILD)/libnewsclass.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/newsclassd: $(BUILD)/obj/daemon/main.o $(DAEMON_OBJ) $(BUILD)/libnewsclass.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(DAEMON_LIBS) $(LIBS)

$(BUILD)/tests/test_%: tests/unit/test_%.c $(BUILD)/libnewsclass.a $(DAEMON_OBJ) \
		$(TRAIN_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Idaemon -Itraining $(ALL_LDFLAGS) -o $@ $< \
		$(DAEMON_OBJ) $(TRAIN_OBJ) $(BUILD)/libnewsclass.a $(DAEMON_LIBS) \
		$(LIBS) -lcmocka

# report_write from the command line, for tests/cli/test_report.py: the
# report page from fixture JSON, without a trained bundle.
REPORT_DRIVER = $(BUILD)/tests/report_driver
$(REPORT_DRIVER): tests/cli/report_driver.c $(TRAIN_OBJ) $(BUILD)/libnewsclass.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itraining $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# The README's test command: install what is missing, then run everything.
test: deps
	$(MAKE) check

deps:
	@scripts/install-deps

check: unit integ

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; \
		NC_TEST_DATA=tests/data NC_SHARED=$(SHARED) $$t; done

# CLI and daemon tests: the real programs driven by independent Python
# clients (pyzmq, msgpack).  PYTEST_ARGS=-k... selects tests.
integ: $(PROGS) $(REPORT_DRIVER)
	NC_BUILD=$(BUILD) NC_SHARED=$(SHARED) $(PYTHON) -m pytest -q \
		-p no:cacheprovider $(PYTEST_ARGS) tests/cli tests/integ

SAN_COMMON = -O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=all
asan:
	$(MAKE) BUILD=build/asan CFLAGS="$(SAN_COMMON) -fsanitize=address,undefined" check
ubsan:
	$(MAKE) BUILD=build/ubsan CFLAGS="$(SAN_COMMON) -fsanitize=undefined,float-divide-by-zero,float-cast-overflow" check

# ThreadSanitizer: the daemon's integration tests (the threaded code; unit
# tests are single-threaded).  Every report fails the test that caused it;
# tests/tsan.supp says what it suppresses (libzmq internals) and why.
# CFLAGS goes into the environment too, for the tests that run make.
TSAN_CFLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=thread
tsan:
	$(MAKE) BUILD=build/tsan CFLAGS="$(TSAN_CFLAGS)" all
	TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan.supp second_deadlock_stack=1" \
	CFLAGS="$(TSAN_CFLAGS)" NC_BUILD=build/tsan NC_SHARED=$(SHARED) \
		$(PYTHON) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS) tests/integ

# Valgrind memcheck: the unit tests, then a short subset of the daemon tests
# with every daemon started under valgrind (NC_DAEMON_WRAPPER in
# tests/integ/conftest.py).  nouserintercepts: test_pipeline counts its own
# malloc calls and forwards them to libc's, which valgrind still checks.
.PHONY: valgrind
VALGRIND = valgrind -q --leak-check=full --error-exitcode=1 \
	--error-markers=VALGRIND-ERROR,VALGRIND-ERROR-END
VALGRIND_INTEG = tests/integ/test_bad_input.py tests/integ/test_control.py \
	tests/integ/test_hostile.py tests/integ/test_faults.py
valgrind: $(PROGS) $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== valgrind $$t"; \
		NC_TEST_DATA=tests/data NC_SHARED=$(SHARED) $(VALGRIND) \
		--soname-synonyms=somalloc=nouserintercepts $$t; done
	NC_DAEMON_WRAPPER="$(VALGRIND)" NC_INTEG_SCALE=0.1 NC_BUILD=$(BUILD) \
		NC_SHARED=$(SHARED) $(PYTHON) -m pytest -q -p no:cacheprovider \
		$(PYTEST_ARGS) $(VALGRIND_INTEG)

# libFuzzer targets need clang.  The code under test is compiled once
# with coverage and sanitizers (fuzzer-no-link) and linked into each
# target; a target that needs a daemon or trainer module lists its object.
FUZZ_BIN = $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_SAN = -fsanitize=address,undefined
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -pthread -g -O1 -Ilib -Idaemon -Itraining \
              -fsanitize=fuzzer-no-link $(FUZZ_SAN)
FUZZ_LIB_OBJ = $(LIB_SRC:%.c=build/fuzz/obj/%.o)
build/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) $(WARN) -MMD -MP -c $< -o $@
build/fuzz/fuzz_ackout: build/fuzz/obj/daemon/ackout.o
build/fuzz/fuzz_report: build/fuzz/obj/training/report.o
build/fuzz/%: build/fuzz/obj/tests/fuzz/%.o $(FUZZ_LIB_OBJ)
	clang -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(LIBS)
fuzz: $(FUZZ_BIN)
	@set -e; for f in $(FUZZ_BIN); do n=$${f##*/}; echo "== $$n"; \
		mkdir -p build/fuzz/corpus-$$n; \
		$$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
		    build/fuzz/corpus-$$n tests/fuzz/corpus/$${n#fuzz_}; done

models: $(BUILD)/newsclass-train
	scripts/train-models $(BUILD) $(SHARED)

# The installed configuration (systemd/newsclassd.conf.in), on the
# repository's models.
run: deps
	$(MAKE) all
	sed 's|@PREFIX@/share/newsclassd/models|$(CURDIR)/models|' \
		systemd/newsclassd.conf.in > $(BUILD)/newsclassd.conf
	$(BUILD)/newsclassd --config $(BUILD)/newsclassd.conf

# Benchmarks (bench/): scripts/bench runs them all and prints one table.
# BENCH_QUICK=1 for a short run.
BENCH_BIN = $(BUILD)/newsclass-bench-score $(BUILD)/newsclass-loadgen
$(BUILD)/newsclass-bench-score: $(BUILD)/obj/bench/score.o $(BUILD)/libnewsclass.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/newsclass-loadgen: $(BUILD)/obj/bench/loadgen.o $(BUILD)/libnewsclass.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

bench: all $(BENCH_BIN)
	$(PYTHON) scripts/bench $(BUILD) $(SHARED)

# Training at 10k, 100k and 1M items (BENCH_TRAIN_SIZES) and on SIB-200's
# 164k sentences: one table, also in $(BUILD)/bench-train/results.json.
# See the header of scripts/bench-train for the data and the settings.
bench-train: all
	$(PYTHON) scripts/bench-train $(BUILD) $(SHARED)

# A bounded soak at half the measured full speed: RSS and latency over
# time.  SOAK_SECONDS (default 600), SOAK_INTERVAL (30).
soak: all $(BENCH_BIN)
	$(PYTHON) scripts/soak $(BUILD) $(SHARED)

MAN_SRC = $(wildcard man/*.scd)
.PHONY: man
MAN_OUT = $(MAN_SRC:man/%.scd=$(BUILD)/man/%)
man: $(MAN_OUT)
$(BUILD)/man/%: man/%.scd
	@mkdir -p $(@D)
	scdoc < $< > $@.tmp && mv $@.tmp $@

install: all man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin \
		$(DESTDIR)$(PREFIX)/share/newsclassd/models \
		$(DESTDIR)/etc/newsclassd $(DESTDIR)/lib/systemd/system
	install -m 755 $(BUILD)/newsclass $(BUILD)/newsclass-train $(DESTDIR)$(PREFIX)/bin/
	install -m 755 $(BUILD)/newsclassd $(DESTDIR)$(PREFIX)/sbin/
	for m in models/*/; do m=$${m%/}; install -d $(DESTDIR)$(PREFIX)/share/newsclassd/$$m; \
		install -m 644 $$m/* $(DESTDIR)$(PREFIX)/share/newsclassd/$$m/; done
	install -m 644 models/README.md $(DESTDIR)$(PREFIX)/share/newsclassd/models/
	# An existing configuration is the operator's: keep it.
	[ -e $(DESTDIR)/etc/newsclassd/newsclassd.conf ] || \
	sed 's|@PREFIX@|$(PREFIX)|g' systemd/newsclassd.conf.in \
		> $(DESTDIR)/etc/newsclassd/newsclassd.conf
	sed 's|@PREFIX@|$(PREFIX)|g' systemd/newsclassd.service.in \
		> $(DESTDIR)/lib/systemd/system/newsclassd.service
	install -d $(DESTDIR)$(PREFIX)/share/doc/newsclassd
	install -m 644 README.md docs/*.md $(DESTDIR)$(PREFIX)/share/doc/newsclassd/
	for s in 1 5 8; do install -d $(DESTDIR)$(PREFIX)/share/man/man$$s; \
		install -m 644 $(BUILD)/man/*.$$s $(DESTDIR)$(PREFIX)/share/man/man$$s/; done

# The Debian packages, built from a copy of the tree under $(BUILD)/deb
# (dpkg-buildpackage writes beside the source directory, and the package
# build has its own build/), then checked by lintian.  deb-test installs them,
# classifies through the installed daemon and purges them: root only.
DEB_JOBS ?= 2
deb:
	@scripts/install-deps deb
	rm -rf $(BUILD)/deb
	mkdir -p $(BUILD)/deb/src/newsclassd
	git ls-files -z --cached --others --exclude-standard | \
		tar --null --ignore-failed-read -T - -cf - | \
		tar -xf - -C $(BUILD)/deb/src/newsclassd
	cd $(BUILD)/deb/src/newsclassd && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		dpkg-buildpackage -us -uc -b -J$(DEB_JOBS)
	mv $(BUILD)/deb/src/*.deb $(BUILD)/deb/
	lintian --display-info --fail-on error,warning,info $(BUILD)/deb/*.deb

deb-test:
	NC_BUILD=$(BUILD) $(PYTHON) -m pytest -q -rs -p no:cacheprovider \
		$(PYTEST_ARGS) tests/deb

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj build/fuzz/obj -name '*.d' 2>/dev/null)
