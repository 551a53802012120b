# logcollect - build, test, run, install.
#
#   make            build everything into build/
#   make check      install missing dependencies, build (plain and with
#                   ASan+UBSan under clang), run every test suite
#   make run        start the daemon in the foreground with ./var/
#                   (ARGS='--allow-legacy-md5 -v' passes options to it)
#   make deps       install the Debian packages the build needs
#
# BUILD selects the output folder; SAN=1 builds with sanitizers.
#
# Your CFLAGS, CPPFLAGS and LDFLAGS are added after ours, never instead of
# them: `make CFLAGS=-O0` still gets -std=c11, the warnings and the
# hardening flags (without _FORTIFY_SOURCE, which needs optimisation).
# Warnings are errors in `make tests` and `make check` (WERROR=1), not in a
# plain `make` or `make install`: a newer compiler's new warning must not
# stop a user's build.  WERROR=0 or 1 on the command line decides.

BUILD   ?= build
SAN     ?= 0
PREFIX  ?= /usr/local
DESTDIR ?=
WERROR  ?= 0

SOVERSION := 1
LIBVER    := 1.0.0
# The release version has one source: the LC_VERSION_* macros of the header.
lc_version_part = $(shell sed -n 's/^\#define LC_VERSION_$(1) *\([0-9][0-9]*\).*/\1/p' client/logcollect.h)
VERSION   := $(call lc_version_part,MAJOR).$(call lc_version_part,MINOR).$(call lc_version_part,PATCH)

PKGS := libevent libevent_openssl jansson libssl libcrypto libsystemd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -lpthread
LIB_LIBS   := $(shell pkg-config --libs jansson libssl libcrypto 2>/dev/null) -lpthread
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
# NATS JetStream forwarding (issue 10) is built where libnats-dev is
# installed; NATS=0 builds without it (the daemon then refuses
# --forward-nats with a clear message).
NATS ?= $(if $(shell pkg-config --exists libnats 2>/dev/null && echo y),1,0)
ifeq ($(NATS),1)
NATS_CFLAGS := $(shell pkg-config --cflags libnats) -DLCD_HAVE_NATS
NATS_LIBS   := $(shell pkg-config --libs libnats)
# (nats.c's libevent adapter needs a thread-safe event base)
PKG_LIBS    += $(NATS_LIBS) $(shell pkg-config --libs libevent_pthreads 2>/dev/null)
endif
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)

# The user's flags (defaults when none are given).
ifeq ($(SAN),1)
CFLAGS  ?= -g -O1
else
CFLAGS  ?= -g -O2
endif

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wformat=2 -Wvla
# The hardening Debian and Fedora build with.  Every object is -fPIC (the
# shared library needs it, and PIC code links into PIE executables);
# executables are linked -pie.  _FORTIFY_SOURCE needs optimisation and is
# left out under the sanitizers (ASan checks those calls itself).
HARDEN_CFLAGS := -fstack-protector-strong -fstack-clash-protection -fcf-protection
HARDEN_LDFLAGS := -Wl,-z,relro,-z,now -Wl,-z,noexecstack
LAST_OPT := $(lastword $(filter -O%,$(CFLAGS)))
ifneq ($(SAN),1)
ifneq ($(filter-out -O0,$(LAST_OPT)),)
HARDEN_CPPFLAGS := -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3
endif
endif

LC_CPPFLAGS := -D_GNU_SOURCE -DLC_VERSION_STRING='"$(VERSION)"' $(HARDEN_CPPFLAGS)
# (recursive: WERROR may be a target-specific value, see tests and check)
LC_CFLAGS = -std=c11 $(WARN) $(if $(filter 1,$(WERROR)),-Werror) $(HARDEN_CFLAGS) \
            -fPIC -fvisibility=hidden -MMD -MP $(PKG_CFLAGS)
LC_LDFLAGS := $(HARDEN_LDFLAGS)
EXE_LDFLAGS := -pie

ifeq ($(SAN),1)
LC_CFLAGS  += -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LC_LDFLAGS += -fsanitize=address,undefined
endif

# Everything a compile or link line uses, ours first and the user's last.
ALL_CPPFLAGS = $(LC_CPPFLAGS) $(CPPFLAGS)
ALL_CFLAGS = $(LC_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(LC_LDFLAGS) $(LDFLAGS)

PROTO_SRC  := $(wildcard proto/*.c)
DAEMON_SRC := $(wildcard daemon/*.c)
LIB_SRC    := $(wildcard client/*.c)
CLI_SRC    := $(wildcard client/cli/*.c)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
DRIVER_SRC := $(wildcard tests/drivers/*.c)
# (nats_*.c drivers need libnats)
ifneq ($(NATS),1)
DRIVER_SRC := $(filter-out tests/drivers/nats_%.c,$(DRIVER_SRC))
endif

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
PROTO_OBJ  := $(call obj,$(PROTO_SRC))
DAEMON_OBJ := $(call obj,$(DAEMON_SRC))
LIB_OBJ    := $(call obj,$(LIB_SRC)) $(PROTO_OBJ)
CLI_OBJ    := $(call obj,$(CLI_SRC)) $(BUILD)/obj/gen/web_assets.o

DAEMON  := $(BUILD)/logcollectord
CLI     := $(BUILD)/logcollect
STATIC  := $(BUILD)/liblogcollect.a
SHARED  := $(BUILD)/liblogcollect.so.$(LIBVER)
UNITS   := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRC))
DRIVERS := $(patsubst tests/drivers/%.c,$(BUILD)/tests/drivers/%,$(DRIVER_SRC))

.PHONY: all tests check deps test-deps run clean install
all: $(DAEMON) $(CLI) $(STATIC) $(SHARED) $(BUILD)/logcollect-uninstalled.pc
# The developer's targets treat warnings as errors (prerequisites inherit it).
tests: WERROR = 1
tests: all $(UNITS) $(DRIVERS)

# V=1 shows the full commands.
Q := $(if $(V),,@)

# Each part sees only the headers it may use: proto/ its own; the daemon
# proto/ and daemon/; the library proto/ and client/; the CLI the public
# header (client/logcollect.h) and its own.
$(BUILD)/obj/proto/%.o: INC := -Iproto
$(BUILD)/obj/daemon/%.o: INC := -Iproto -Idaemon $(NATS_CFLAGS)
$(BUILD)/obj/client/%.o: INC := -Iproto -Iclient
$(BUILD)/obj/client/cli/%.o: INC := -Iclient/cli -Iclient
# tail --nats (without libnats it says it is not built in)
$(BUILD)/obj/client/cli/tail_nats.o: INC := -Iclient/cli -Iclient $(NATS_CFLAGS)
TEST_INC := -Iproto -Iclient -Idaemon

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(INC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

$(DAEMON): $(DAEMON_OBJ) $(PROTO_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $(EXE_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(STATIC): $(LIB_OBJ)
	@rm -f $@
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(AR) rcs $@ $^

# The version script exports lc_* and nothing else (lcp_, lcc_ stay inside).
LIB_MAP := client/liblogcollect.map
$(SHARED): $(LIB_OBJ) $(LIB_MAP)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -shared -Wl,-soname,liblogcollect.so.$(SOVERSION) \
	    -Wl,--version-script=$(LIB_MAP) -o $@ $(LIB_OBJ) $(LIB_LIBS)
	$(Q)ln -sf liblogcollect.so.$(LIBVER) $(BUILD)/liblogcollect.so.$(SOVERSION)
	$(Q)ln -sf liblogcollect.so.$(SOVERSION) $(BUILD)/liblogcollect.so

# The page of `logcollect web`, embedded: its files become C arrays.
WEB_ASSETS := /:text/html;charset=utf-8:client/cli/web/index.html \
              /app.js:text/javascript;charset=utf-8:client/cli/web/app.js \
              /app.css:text/css;charset=utf-8:client/cli/web/app.css
$(BUILD)/gen/web_assets.c: client/cli/web/embed.sh client/cli/web/index.html client/cli/web/app.js \
                           client/cli/web/app.css
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)sh client/cli/web/embed.sh $@ $(foreach a,$(WEB_ASSETS),'$(a)')
$(BUILD)/obj/gen/web_assets.o: $(BUILD)/gen/web_assets.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) -Iclient/cli $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

# The CLI is a program like any other: the shared library, found next to
# it in the build tree ($$ORIGIN) and in the system's path once installed.
CLI_LIBS := $(shell pkg-config --libs jansson libevent libcrypto 2>/dev/null)
$(CLI): $(CLI_OBJ) $(SHARED)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $(EXE_LDFLAGS) -o $@ $(CLI_OBJ) -L$(BUILD) -llogcollect \
	    $(CLI_LIBS) $(NATS_LIBS) -Wl,-rpath,'$$ORIGIN'

# Unit tests link the daemon's modules (all but main.c) and the library,
# which holds proto/.
DAEMON_CORE_OBJ := $(filter-out $(BUILD)/obj/daemon/main.o,$(DAEMON_OBJ))
$(BUILD)/tests/unit/%: tests/unit/%.c $(DAEMON_CORE_OBJ) $(STATIC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(TEST_INC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(CHECK_CFLAGS) $(ALL_LDFLAGS) $(EXE_LDFLAGS) -o $@ $< \
	    $(DAEMON_CORE_OBJ) $(STATIC) $(CHECK_LIBS) $(PKG_LIBS) -lpthread

# Unit tests of the CLI's shared record code (line, filter, columns: what
# tail and web share) link those objects and the library.
CLI_SHARED_OBJ := $(call obj,client/cli/line.c client/cli/filter.c client/cli/columns.c)
$(BUILD)/tests/unit/test_cli_%: tests/unit/test_cli_%.c $(CLI_SHARED_OBJ) $(STATIC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -Iclient/cli -Iclient $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(CHECK_CFLAGS) $(ALL_LDFLAGS) \
	    $(EXE_LDFLAGS) -o $@ $< $(CLI_SHARED_OBJ) $(STATIC) $(CHECK_LIBS) $(PKG_LIBS) -lpthread

$(BUILD)/tests/drivers/%: tests/drivers/%.c $(STATIC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(TEST_INC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) $(EXE_LDFLAGS) -o $@ $< $(STATIC) $(LIB_LIBS)

$(BUILD)/tests/drivers/nats_%: tests/drivers/nats_%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(NATS_CFLAGS) $(ALL_LDFLAGS) $(EXE_LDFLAGS) -o $@ $< \
	    $(NATS_LIBS) $(shell pkg-config --libs jansson 2>/dev/null)

# ---- dependencies -------------------------------------------------------
# (jq is for the tests only: t_readable_lines.py reads the output with it)
DEB_PKGS := build-essential clang pkg-config libevent-dev libjansson-dev \
            libssl-dev libsystemd-dev libnats-dev check python3 procps systemd \
            valgrind jq nats-server
# Only `make check` installs these (a browser and a Prometheus server for the
# HTTP tests): a user who only builds or runs the daemon does not get them.
TEST_DEB_PKGS := chromium chromium-driver python3-selenium prometheus

deps:
	@sh tests/tools/install-deps.sh $(DEB_PKGS)

test-deps: deps
	@sh tests/tools/install-deps.sh $(TEST_DEB_PKGS)

# ---- check: plain build (gcc), sanitizer build (clang), all suites ------
check: test-deps
	$(MAKE) WERROR=1 tests
	$(MAKE) WERROR=1 BUILD=build/asan SAN=1 CC=clang tests
	$(MAKE) fuzz-build
	python3 tests/run.py

# ---- run: a development daemon under ./var/ ------------------------------
run: deps
	@$(MAKE) --no-print-directory -s all
	@mkdir -p var
	@test -f var/key || $(DAEMON) --gen-key var/key
	@echo "logcollectord: in another terminal run:" \
	  "LOGCOLLECT_PORT_FILE=var/port LOGCOLLECT_KEY_FILE=var/key $(CLI) send hello user=alice" \
	  "&& tail -f var/collected.jsonl"
	@exec $(DAEMON) --port-file var/port --key-file var/key --output var/collected.jsonl \
	    $(if $(filter 0,$(shell id -u)),--allow-root) $(ARGS)

# ---- install ------------------------------------------------------------
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR     ?= $(PREFIX)/share/man
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
SYSCONFDIR ?= /etc
DOCDIR     ?= $(PREFIX)/share/doc/logcollect
# The Python package (client/python/logcollect) goes where Debian's python3
# looks: /usr/lib/python3/dist-packages for PREFIX=/usr, else
# PREFIX/lib/python3.X/dist-packages (e.g. /usr/local/lib/python3.11/dist-packages).
PYTHON     ?= $(shell command -v /usr/bin/python3 || command -v python3)
PYMINOR    := $(shell $(PYTHON) -c 'import sys; print(sys.version_info[1])' 2>/dev/null)
PYTHONDIR  ?= $(if $(filter /usr,$(PREFIX)),$(PREFIX)/lib/python3/dist-packages,$(PREFIX)/lib/python3.$(PYMINOR)/dist-packages)

$(BUILD)/logcollect.pc: client/logcollect.pc.in client/logcollect.h Makefile
	@sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@VERSION@|$(VERSION)|g' $< > $@

# For programs built against the build tree (README, "From C").
$(BUILD)/logcollect-uninstalled.pc: client/logcollect-uninstalled.pc.in client/logcollect.h Makefile
	@mkdir -p $(dir $@)
	@sed -e 's|@LIBDIR@|$(abspath $(BUILD))|g' -e 's|@HEADERDIR@|$(abspath client)|g' \
	    -e 's|@VERSION@|$(VERSION)|g' $< > $@

$(BUILD)/logcollectord.service: systemd/logcollectord.service.in Makefile
	@sed -e 's|@BINDIR@|$(SBINDIR)|g' $< > $@

install: all $(BUILD)/logcollect.pc $(BUILD)/logcollectord.service
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
	    $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/logrotate.d $(DESTDIR)$(DOCDIR)/examples
	install -m 0755 $(DAEMON) $(DESTDIR)$(SBINDIR)/logcollectord
	install -m 0755 $(CLI) $(DESTDIR)$(BINDIR)/logcollect
	install -m 0644 $(STATIC) $(DESTDIR)$(LIBDIR)/liblogcollect.a
	install -m 0755 $(SHARED) $(DESTDIR)$(LIBDIR)/liblogcollect.so.$(LIBVER)
	ln -sf liblogcollect.so.$(LIBVER) $(DESTDIR)$(LIBDIR)/liblogcollect.so.$(SOVERSION)
	ln -sf liblogcollect.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/liblogcollect.so
	@# the CLI links the shared library: let the dynamic linker know it
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then ldconfig; fi
	install -m 0644 client/logcollect.h $(DESTDIR)$(INCLUDEDIR)/logcollect.h
	install -m 0644 $(BUILD)/logcollect.pc $(DESTDIR)$(LIBDIR)/pkgconfig/logcollect.pc
	for m in docs/*.1; do [ -f "$$m" ] && install -m 0644 "$$m" $(DESTDIR)$(MANDIR)/man1/ || true; done
	for m in docs/*.3; do [ -f "$$m" ] && install -m 0644 "$$m" $(DESTDIR)$(MANDIR)/man3/ || true; done
	for m in docs/*.8; do [ -f "$$m" ] && install -m 0644 "$$m" $(DESTDIR)$(MANDIR)/man8/ || true; done
	install -m 0644 $(BUILD)/logcollectord.service $(DESTDIR)$(UNITDIR)/logcollectord.service
	install -m 0644 systemd/logcollect.sysusers $(DESTDIR)$(SYSUSERSDIR)/logcollect.conf
	install -m 0644 systemd/logrotate.conf $(DESTDIR)$(SYSCONFDIR)/logrotate.d/logcollectord
	install -m 0644 systemd/logcollectord.conf.example docs/protocol.md $(DESTDIR)$(DOCDIR)/
	for f in client/examples/*; do [ -f "$$f" ] && install -m 0644 "$$f" $(DESTDIR)$(DOCDIR)/examples/ || true; done
	install -d $(DESTDIR)$(PYTHONDIR)/logcollect
	install -m 0644 client/python/logcollect/*.py $(DESTDIR)$(PYTHONDIR)/logcollect/

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj $(BUILD)/tests -name '*.d' 2>/dev/null)

# ---- benchmarks ----------------------------------------------------------
# The performance harness (tests/bench/README.md).  Not part of make check.
#   make bench        every case, several runs each, peers (rsyslog, syslog-ng)
#                     installed into tests/bench/peers/ if missing; writes
#                     docs/benchmarks.md
#   make bench-quick  a short run of our own cases (under a minute)
# BENCH_ARGS passes options to tests/bench/bench.py (see --help there).
BENCH_SRC  := $(wildcard tests/bench/*.c)
# nats_floor (the forwarder's floor) needs libnats; without it, it is left out
ifneq ($(NATS),1)
BENCH_SRC  := $(filter-out tests/bench/nats_floor.c,$(BENCH_SRC))
endif
BENCH_BIN  := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
BENCH_ARGS ?=

.PHONY: bench bench-quick bench-build
bench-build: $(DAEMON) $(STATIC) $(CLI) $(BUILD)/tests/drivers/lc_flood $(BUILD)/tests/drivers/lc_stream \
             $(BUILD)/tests/drivers/lc_idle_clients $(BENCH_BIN) \
             $(if $(filter 1,$(NATS)),$(BUILD)/tests/drivers/nats_dump $(BUILD)/tests/drivers/nats_pub)

$(BUILD)/bench/%: tests/bench/%.c tests/bench/bench_common.h $(STATIC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(TEST_INC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) $(EXE_LDFLAGS) -o $@ $< $(STATIC) $(LIB_LIBS)

$(BUILD)/bench/nats_floor: tests/bench/nats_floor.c tests/bench/bench_common.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(TEST_INC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(NATS_CFLAGS) $(ALL_LDFLAGS) $(EXE_LDFLAGS) \
	    -o $@ $< $(NATS_LIBS)

bench: deps
	@$(MAKE) --no-print-directory bench-build
	@sh tests/bench/install_peers.sh
	python3 tests/bench/bench.py --build $(BUILD) --doc docs/benchmarks.md $(BENCH_ARGS)
	python3 tests/bench/web_bench.py --build $(BUILD)

bench-quick: deps
	@$(MAKE) --no-print-directory bench-build
	python3 tests/bench/bench.py --build $(BUILD) --quick $(BENCH_ARGS)

-include $(wildcard $(BUILD)/bench/*.d)
# ---- end of benchmarks ----------------------------------------------------

# ---- fuzzing ---------------------------------------------------------------
# libFuzzer targets in tests/fuzz/ (clang; README in tests/fuzz/run.sh).
# make check runs each for 30 s: tests/run.py has a "fuzz" suite (one
# pass/fail per target) that calls tests/fuzz/run.sh.  By hand:
#   make fuzz          every target FUZZ_SECONDS (default 600) seconds
#   make fuzz-check    every target 30 seconds
#   make fuzz-build    build the targets only (skipped without libFuzzer)
#   make fuzz-replay   build the targets with $(CC), no libFuzzer, and run
#                      them once over the committed corpora
#   make bench-record  ns per record, scanner vs jansson (not part of check)
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= record frame handshake

.PHONY: fuzz fuzz-check fuzz-build fuzz-replay bench-record
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh $(FUZZ_TARGETS)

fuzz-check:
	FUZZ_SECONDS=30 sh tests/fuzz/run.sh $(FUZZ_TARGETS)

fuzz-build:
	@if sh tests/fuzz/run.sh --probe; then sh tests/fuzz/run.sh --build-only $(FUZZ_TARGETS); \
	else echo "fuzz-build: clang with libFuzzer is not available, skipped"; fi

fuzz-replay:
	CC=$(CC) sh tests/fuzz/run.sh --replay $(FUZZ_TARGETS)

BENCH_RECORD_SRC := tests/fuzz/bench_record.c proto/record.c proto/jsonscan.c
$(BUILD)/bench_record: $(BENCH_RECORD_SRC) proto/record.h proto/jsonscan.h tests/fuzz/record_oracle.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(TEST_INC) $(ALL_CPPFLAGS) -std=c11 $(WARN) -O2 -o $@ $(BENCH_RECORD_SRC) $(PKG_CFLAGS) \
	    $(LIB_LIBS) -lm

bench-record: $(BUILD)/bench_record
	$(BUILD)/bench_record
# ---- end of fuzzing --------------------------------------------------------
