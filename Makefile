# draftd: plain make + pkg-config. `make help` lists the targets.

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
PKGS    := libcurl jansson libpq libmicrohttpd libpcre2-8 gnutls
SANITIZE ?=

# Sanitizer builds live beside the normal one, so switching never mixes objects.
ifeq ($(SANITIZE),)
BUILD   ?= build
else
BUILD   ?= build/san-$(subst $(comma),-,$(SANITIZE))
endif
comma := ,

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1.0)
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla
ifeq ($(CI),true)
WERROR  ?= -Werror
endif
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -pthread $(WARN) $(WERROR) -I. -MMD -MP \
	   -DDRAFTD_VERSION='"$(VERSION)"' -DDRAFTD_DATADIR='"$(PREFIX)/share/draftd"' $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libetpan is linked by name: Debian's pkg-config --libs adds a no-PIE specs flag.
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -letpan -lm -pthread
ifneq ($(SANITIZE),)
CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif

LIB_SRCS  := $(filter-out daemon/main.c,$(wildcard daemon/*.c agent/*.c connectors/*.c ui-api/*.c))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/gen/migrations.o
TEST_SRCS := $(wildcard tests/unit/*.c)
TEST_OBJS := $(TEST_SRCS:%.c=$(BUILD)/%.o)
MIGRATIONS := $(sort $(wildcard schemas/migrations/*.sql))

.DELETE_ON_ERROR:
.PHONY: all deps test unit integration lint format valgrind install clean demo bench bench-scale help check-deps \
	fuzz fuzz-smoke fuzz-bins
all: $(BUILD)/draftd

help:
	@echo "make            build $(BUILD)/draftd"
	@echo "make deps       install Debian packages (deploy/install-deps.sh)"
	@echo "make test       deps check, build, lint, unit + integration tests"
	@echo "make demo       throwaway local stack with the reviewer page"
	@echo "make SANITIZE=address,undefined test"
	@echo "make valgrind   unit tests under valgrind"
	@echo "make bench      throughput, latency and memory beside their baselines, against targets"
	@echo "make bench-scale  100k messages over 200 mailboxes; two instances on one database"
	@echo "make fuzz       libFuzzer on every harness (FUZZ_SECONDS=60 each; fuzz-smoke: 10)"
	@echo "make lint       clang-format check and banned-call grep"
	@echo "make install PREFIX=/usr/local DESTDIR="

deps:
	deploy/install-deps.sh

check-deps:
	@deploy/install-deps.sh --check >/dev/null 2>&1 || deploy/install-deps.sh

# Objects are linked directly, not through the archive: the command and
# service tables name their entries as weak symbols (daemon/main.c,
# daemon/services.c), and a weak reference never pulls an archive member.
$(BUILD)/draftd: $(BUILD)/daemon/main.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libdraftd.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# Migrations are compiled into the binary so the schema always matches the code.
$(BUILD)/gen/migrations.c: $(MIGRATIONS) schemas/embed-migrations.sh
	@mkdir -p $(dir $@)
	schemas/embed-migrations.sh $(MIGRATIONS) > $@

# api_health.c embeds the OpenAPI document with .incbin: rebuild it when the document changes.
$(BUILD)/ui-api/api_health.o: schemas/openapi.yaml

$(BUILD)/gen/migrations.o: $(BUILD)/gen/migrations.c
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/unit_tests: $(TEST_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcunit

test: check-deps all $(BUILD)/tests/unit_tests $(BUILD)/tests/fuzz_replay $(BUILD)/tests/mime_bench lint
	BUILD=$(BUILD) tests/run.sh

unit: all $(BUILD)/tests/unit_tests
	BUILD=$(BUILD) tests/run.sh --unit-only

valgrind: all $(BUILD)/tests/unit_tests
	BUILD=$(BUILD) VALGRIND=1 tests/run.sh --unit-only

bench: all $(BUILD)/tests/mime_bench
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
	$(CC) $(CFLAGS) -DLLVMFuzzerTestOneInput=fuzz_$*_one -c -o $@ $<

$(BUILD)/tests/fuzz_replay: $(BUILD)/tests/fuzz/replay.o $(BUILD)/tests/fuzz/util.o \
		$(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz/replay_%.o) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The whole library is rebuilt with clang and the sanitizers in FUZZ_BUILD;
# only the harness links libFuzzer's main.
fuzz:
	@deploy/install-deps.sh --fuzz --check >/dev/null 2>&1 || deploy/install-deps.sh --fuzz
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) SANITIZE=fuzzer-no-link,address,undefined fuzz-bins
	FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(FUZZ_TARGETS)

fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=10

fuzz-bins: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%)

$(BUILD)/fuzz/%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/util.o $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

demo: check-deps all
	BUILD=$(BUILD) deploy/demo/run.sh

C_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null; git ls-files --others --exclude-standard '*.c' '*.h' 2>/dev/null)

lint:
	@tests/lint.sh $(C_FILES)

format:
	clang-format -i $(C_FILES)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/draftd/web \
		$(DESTDIR)$(PREFIX)/share/draftd/templates $(DESTDIR)/etc/draftd
	install -m 755 $(BUILD)/draftd $(DESTDIR)$(PREFIX)/bin/draftd
	install -m 644 deploy/draftd.conf.example $(DESTDIR)$(PREFIX)/share/draftd/
	install -m 644 deploy/draftd.service $(DESTDIR)$(PREFIX)/share/draftd/
	if [ -d ui-api/web ]; then cp -R ui-api/web/. $(DESTDIR)$(PREFIX)/share/draftd/web/; fi
	if [ -d deploy/templates ]; then cp -R deploy/templates/. $(DESTDIR)$(PREFIX)/share/draftd/templates/; fi

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
