# SPDX-License-Identifier: MIT
# draftd: plain make + pkg-config. `make help` lists the targets.

PREFIX  ?= /usr/local
DESTDIR ?=
# Where `make install` puts things (deploy/install.mk); the binary is built
# with DATADIR and SYSCONFDIR compiled in, so build with the same values.
SBINDIR       ?= $(PREFIX)/sbin
DATADIR       ?= $(PREFIX)/share
MANDIR        ?= $(DATADIR)/man
DOCDIR        ?= $(DATADIR)/doc/draftd
SYSCONFDIR    ?= /etc
LOCALSTATEDIR ?= /var
CC      ?= cc
PKGS    := libcurl jansson libpq libmicrohttpd libpcre2-8 gnutls libargon2 libsystemd
SANITIZE ?=

# Sanitizer builds live beside the normal one, so switching never mixes objects.
ifeq ($(SANITIZE),)
BUILD   ?= build
else
BUILD   ?= build/san-$(subst $(comma),-,$(SANITIZE))
endif
comma := ,

# `make VERSION=... COMMIT=...` where there is no git (deploy/version.sh)
VERSION := $(shell deploy/version.sh version)
COMMIT  := $(shell deploy/version.sh commit)
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla
ifeq ($(CI),true)
WERROR  ?= -Werror
endif
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -pthread $(WARN) $(WERROR) -I. -MMD -MP \
	   -DDRAFTD_DATADIR='"$(DATADIR)/draftd"' -DDRAFTD_SYSCONFDIR='"$(SYSCONFDIR)"' $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libetpan is linked by name: Debian's pkg-config --libs adds a no-PIE specs flag;
# libunistring (NFKC for the output gates, agent/text/text_norm.c) has no .pc file.
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -letpan -lunistring -lm -pthread
ifneq ($(SANITIZE),)
CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif

# Every module is a folder (docs/architecture.md); objects mirror the tree.
SRC_DIRS  := daemon agent connectors ui-api
LIB_SRCS  := $(filter-out daemon/main.c,$(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c $(d)/*/*.c)))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/gen/migrations.o
TEST_SRCS := $(wildcard tests/unit/*.c)
TEST_OBJS := $(TEST_SRCS:%.c=$(BUILD)/%.o)
MIGRATIONS := $(sort $(wildcard schemas/migrations/*.sql))

.DELETE_ON_ERROR:
.PHONY: all deps demo-deps test test-long unit integration lint format valgrind clean demo bench bench-scale help check-deps \
	fuzz fuzz-smoke fuzz-bins eval
all: $(BUILD)/draftd

help:
	@echo "make            build $(BUILD)/draftd"
	@echo "make deps       install Debian packages for make test (deploy/install-deps.sh PROFILE)"
	@echo "make test       deps check, build, lint, unit + integration tests"
	@echo "make test-long  make test with the heavy suites at full size (floods, long seeded model runs, many more rounds and seeds, 16 review-model seeds)"
	@echo "make demo       throwaway local stack with the reviewer page"
	@echo "make SANITIZE=address,undefined test"
	@echo "make valgrind   unit tests under valgrind"
	@echo "make bench      throughput, latency and memory beside their baselines, against targets"
	@echo "make bench-scale  100k messages over 200 mailboxes; two instances on one database"
	@echo "make eval       the pipeline on labelled mail (EVAL_DIR=...; default: corpus + held-apart set)"
	@echo "make fuzz       libFuzzer on every harness (FUZZ_SECONDS=60 each; fuzz-smoke: 10)"
	@echo "make lint       clang-format check and banned-call grep"
	@echo "make install PREFIX=/usr/local DESTDIR=   (make uninstall the same way)"
	@echo "make deb        Debian package (dpkg-buildpackage -us -uc -b) into build/deb/"

# deploy/install-deps.sh installs per job: runtime build demo test bench fuzz
deps:
	deploy/install-deps.sh test

check-deps:
	@deploy/install-deps.sh test --check >/dev/null 2>&1 || deploy/install-deps.sh test

# the demo needs no browser, valgrind, wrk, clang-format or npm
demo-deps:
	@deploy/install-deps.sh demo --check >/dev/null 2>&1 || deploy/install-deps.sh demo

# Objects are linked directly; the registries of subcommands (daemon/main.c)
# and services (daemon/services.c) name every entry, so a missing one is a
# link error.
$(BUILD)/draftd: $(BUILD)/daemon/main.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libdraftd.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# Migrations are compiled into the binary so the schema always matches the code.
$(BUILD)/gen/migrations.c: $(MIGRATIONS) schemas/embed-migrations.sh
	@mkdir -p $(dir $@)
	schemas/embed-migrations.sh $(MIGRATIONS) > $@

# Rewritten only when the version or commit changes, so daemon/version.o
# (the one file that includes it) is rebuilt exactly then.
$(BUILD)/gen/version.h: FORCE
	@mkdir -p $(dir $@)
	@printf '#define DRAFTD_VERSION "%s"\n#define DRAFTD_COMMIT "%s"\n' '$(VERSION)' '$(COMMIT)' >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(BUILD)/daemon/version.o: $(BUILD)/gen/version.h
$(BUILD)/daemon/version.o: CFLAGS += -I$(BUILD)

# api_health.c embeds the OpenAPI document with .incbin: rebuild it when the document changes.
$(BUILD)/ui-api/api_health.o: schemas/openapi.yaml

$(BUILD)/gen/migrations.o: $(BUILD)/gen/migrations.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/unit_tests: $(TEST_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcunit

test: check-deps all $(BUILD)/tests/unit_tests $(BUILD)/tests/fuzz_replay $(BUILD)/tests/mime_bench lint
	BUILD=$(BUILD) tests/run.sh

# The same with the heavy suites at full size: floods (DRAFTD_TEST_LONG=1),
# long seeded model runs (DRAFTD_TEST_STEPS), many more random-test rounds and
# seeds (DRAFTD_GATE_ROUNDS, DRAFTD_TEST_SEEDS); a failing run prints
# DRAFTD_TEST_SEED to replay it. DRAFTD_TEST_LONG=1 also boots the Debian
# package under systemd; the review model runs 16 seeds of 400 steps.
test-long:
	REVIEW_MODEL_SEEDS="$$(seq 101 116)" REVIEW_MODEL_STEPS=400 \
		DRAFTD_TEST_LONG=1 DRAFTD_TEST_STEPS=$${DRAFTD_TEST_STEPS:-5000} DRAFTD_GATE_ROUNDS=$${DRAFTD_GATE_ROUNDS:-50000} \
		DRAFTD_TEST_SEEDS=$${DRAFTD_TEST_SEEDS:-20000} DRAFTD_ROLLUP_ROUNDS=$${DRAFTD_ROLLUP_ROUNDS:-200} \
		DRAFTD_PROMO_ROUNDS=$${DRAFTD_PROMO_ROUNDS:-150} BACKLOG_SQL_ROUNDS=$${BACKLOG_SQL_ROUNDS:-40} $(MAKE) test

unit: all $(BUILD)/tests/unit_tests
	BUILD=$(BUILD) tests/run.sh --unit-only

valgrind: all $(BUILD)/tests/unit_tests
	BUILD=$(BUILD) VALGRIND=1 tests/run.sh --unit-only

# `draftd eval` on labelled mail folders (labels.json, mail/, data/): the
# shared corpus when it is there and the held-apart set, or EVAL_DIR.
EVAL_DIR ?= $(wildcard ../shared/corpus) tests/fixtures/eval
eval: all
	@for d in $(EVAL_DIR); do \
		n=$$(basename $$d); [ "$$n" != eval ] || n=held-apart; \
		$(BUILD)/draftd eval --dir $$d --json $(BUILD)/eval-$$n.json || exit 1; \
		echo "(full report: $(BUILD)/eval-$$n.json)"; echo; \
	done

bench: all $(BUILD)/tests/mime_bench
	@deploy/install-deps.sh bench --check >/dev/null 2>&1 || deploy/install-deps.sh bench
	BUILD=$(BUILD) tests/bench/run.sh

# 100,000 messages over 200 mailboxes, and two instances splitting a stream
# (deploy/scaling.md); long: run it by hand, not in CI.
bench-scale: all $(BUILD)/tests/mime_bench
	BUILD=$(BUILD) tests/bench/run.sh --scale

$(BUILD)/tests/mime_bench: $(BUILD)/tests/bench/mime_bench.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Fuzzing. Every tests/fuzz/fuzz_<target>.c is one libFuzzer harness; the
# plain driver fuzz_replay (normal compiler, run by `make test`) compiles each
# again under its own name and replays tests/fixtures/fuzz/<target>/.
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BUILD   ?= build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang

$(BUILD)/tests/fuzz/replay_%.o: tests/fuzz/fuzz_%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -DLLVMFuzzerTestOneInput=fuzz_$*_one -c -o $@ $<

$(BUILD)/tests/fuzz_replay: $(BUILD)/tests/fuzz/replay.o $(BUILD)/tests/fuzz/util.o \
		$(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz/replay_%.o) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The whole library is rebuilt with clang and the sanitizers in FUZZ_BUILD;
# only the harness links libFuzzer's main.
fuzz:
	@deploy/install-deps.sh fuzz --check >/dev/null 2>&1 || deploy/install-deps.sh fuzz
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) SANITIZE=fuzzer-no-link,address,undefined fuzz-bins
	FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(FUZZ_TARGETS)

fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=10

fuzz-bins: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%)

$(BUILD)/fuzz/%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/util.o $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

demo: demo-deps all
	BUILD=$(BUILD) deploy/demo/run.sh

C_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null; git ls-files --others --exclude-standard '*.c' '*.h' 2>/dev/null)

lint:
	@tests/lint.sh $(C_FILES)

format:
	clang-format -i $(C_FILES)

# install, uninstall, the unit, sysusers/tmpfiles entries, man pages, deb
include deploy/install.mk

clean:
	rm -rf build

FORCE:

# (not the Debian package's own build under build/deb)
-include $(shell find $(BUILD) -path '$(BUILD)/deb' -prune -o -name '*.d' -type f -print 2>/dev/null)
