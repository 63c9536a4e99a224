# echod: a fork-per-connection TCP echo daemon.  See README.md.

PREFIX     ?= /usr/local
SYSCONFDIR ?= $(PREFIX)/etc
SBINDIR    ?= $(PREFIX)/sbin
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
UNITDIR    ?= $(PREFIX)/lib/systemd/system
PORT       ?= 7007
VERSION    := 0.1.0

CC       ?= cc
CFLAGS   ?= -O2 -g
WARNINGS := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
	    -Wmissing-prototypes -Wformat=2 -Wvla -Wimplicit-fallthrough
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif
ifeq ($(SANITIZE),1)
CFLAGS   += -fsanitize=address,undefined -fno-sanitize-recover=all \
	    -fno-omit-frame-pointer -g
LDFLAGS  += -fsanitize=address,undefined
endif
# Bind every symbol at startup (and make the GOT read-only): children then
# never write to the parent's pages to resolve a libc call.
LDFLAGS  += -Wl,-z,relro,-z,now
CPPFLAGS += -D_GNU_SOURCE -DECHOD_VERSION='"$(VERSION)"' -MMD -MP
ALL_CFLAGS = -std=c11 $(WARNINGS) $(CFLAGS)

INIH_CFLAGS = $(shell pkg-config --cflags inih 2>/dev/null)
INIH_LIBS   = $(shell pkg-config --libs inih 2>/dev/null || echo -linih)

B := build
ECHOD_OBJS  := $(patsubst src/%.c,$(B)/src/%.o,$(wildcard src/*.c))
# client/: bench*.c are echo-bench's, dial.c and timer.c are shared, the
# rest are echo-client's.
SHARED_OBJS := $(B)/client/dial.o $(B)/client/timer.o
BENCH_OBJS  := $(patsubst client/%.c,$(B)/client/%.o,$(wildcard client/bench*.c))
CLIENT_OBJS := $(filter-out $(BENCH_OBJS),\
		$(patsubst client/%.c,$(B)/client/%.o,$(wildcard client/*.c)))
PROGS := $(B)/echod $(B)/echo-client $(if $(BENCH_OBJS),$(B)/echo-bench)
# Small programs the tests use: tests/tools/NAME.c -> build/tools/NAME.
TOOLS := $(patsubst tests/tools/%.c,$(B)/tools/%,$(wildcard tests/tools/*.c))

.PHONY: all run test lint fuzz bench deps fuzz-deps install uninstall clean FORCE
all: $(PROGS)

# echod is linked statically (keeping ASLR with -static-pie): fork and exit
# then copy and tear down a dozen mappings instead of thirty, which makes
# a connection about a quarter cheaper (bench/results.md).  Sanitizers need
# dynamic linking; so does valgrind, which is given build/echod-dynamic.
ifeq ($(SANITIZE),1)
ECHOD_STATIC :=
else
ECHOD_STATIC := -static-pie
endif
$(B)/echod: $(ECHOD_OBJS)
	$(CC) $(LDFLAGS) $(ECHOD_STATIC) -o $@ $^ $(INIH_LIBS)
$(B)/echod-dynamic: $(ECHOD_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(INIH_LIBS)
$(B)/echo-client: $(CLIENT_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^
$(B)/echo-bench: $(BENCH_OBJS) $(SHARED_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ -lm

$(B)/src/%.o: src/%.c | $(B)/src
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(INIH_CFLAGS) -c -o $@ $<
$(B)/client/%.o: client/%.c | $(B)/client
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<
$(B)/tools/%: tests/tools/%.c tests/tools/tool.h $(B)/flags | $(B)/tools
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $<
$(B)/src $(B)/client $(B)/tools:
	mkdir -p $@

# The compiled-in config path and the build flags: objects are rebuilt when
# either changes (make install SYSCONFDIR=/etc after a plain make, SANITIZE=1).
$(B)/src/main.o: CPPFLAGS += -DECHOD_CONFIG_PATH='"$(SYSCONFDIR)/echod.conf"'
$(ECHOD_OBJS) $(CLIENT_OBJS) $(BENCH_OBJS): $(B)/flags
$(B)/flags: FORCE | $(B)/src
	@echo '$(SYSCONFDIR) $(CC) $(CFLAGS) $(WARNINGS) $(LDFLAGS)' | cmp -s - $@ \
	    || echo '$(SYSCONFDIR) $(CC) $(CFLAGS) $(WARNINGS) $(LDFLAGS)' > $@

deps:
	@tests/deps.sh
fuzz-deps:
	@tests/deps.sh fuzz

run: deps all
	$(B)/echod -f -c etc/echod.conf -p $(PORT)

test: deps all $(B)/echod-dynamic $(TOOLS) lint
	@tests/run

# Compare echod with xinetd and tcpserver (installed when missing) and
# write bench/results.md; QUICK=1 for a short run.
bench: all
	QUICK=$(QUICK) bench/run.sh

lint:
	mandoc -T lint -W warning man/*

# libFuzzer over the config parser, for FUZZ_SECONDS, from the seed corpus.
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
$(B)/fuzz/config_fuzz: fuzz-deps tests/fuzz/config_fuzz.c src/config.c \
		src/log.c src/addr.c src/privs.c $(wildcard src/*.h)
	mkdir -p $(@D)/corpus
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -g -O1 -Isrc \
	    -fsanitize=fuzzer,address,undefined -o $@ $(filter %.c,$^) $(INIH_LIBS)
fuzz: $(B)/fuzz/config_fuzz
	$(B)/fuzz/config_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=8192 \
	    -timeout=10 $(B)/fuzz/corpus tests/fuzz/corpus

MAN1 := $(wildcard man/*.1)
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR)
	install -m 755 $(B)/echod $(DESTDIR)$(SBINDIR)/echod
	install -m 755 $(filter-out $(B)/echod,$(PROGS)) $(DESTDIR)$(BINDIR)/
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	install -m 644 man/echod.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 man/echod.8 $(DESTDIR)$(MANDIR)/man8/
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    etc/systemd/echod.service >$(DESTDIR)$(UNITDIR)/echod.service
	chmod 644 $(DESTDIR)$(UNITDIR)/echod.service
	install -m 644 etc/systemd/echod.socket $(DESTDIR)$(UNITDIR)/
	@# Never overwrite a config the administrator may have edited.
	[ -e $(DESTDIR)$(SYSCONFDIR)/echod.conf ] || \
	    install -m 644 etc/echod.conf $(DESTDIR)$(SYSCONFDIR)/echod.conf

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/echod \
	    $(patsubst $(B)/%,$(DESTDIR)$(BINDIR)/%,$(filter-out $(B)/echod,$(PROGS))) \
	    $(patsubst man/%,$(DESTDIR)$(MANDIR)/man1/%,$(MAN1)) \
	    $(DESTDIR)$(MANDIR)/man5/echod.conf.5 $(DESTDIR)$(MANDIR)/man8/echod.8 \
	    $(DESTDIR)$(UNITDIR)/echod.service $(DESTDIR)$(UNITDIR)/echod.socket
	@# Remove the config only when it is unchanged from the shipped one.
	if cmp -s etc/echod.conf $(DESTDIR)$(SYSCONFDIR)/echod.conf; then \
	    rm -f $(DESTDIR)$(SYSCONFDIR)/echod.conf; fi

clean:
	rm -rf $(B)

-include $(ECHOD_OBJS:.o=.d) $(CLIENT_OBJS:.o=.d) $(BENCH_OBJS:.o=.d)
