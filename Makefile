# roost: one non-recursive GNU Makefile for the library, the four programs and the tests.
#
#   make                  build everything into $(O)/
#   make check            bootstrap packages, build, run every test; ends with "N passed, N failed"
#   make run              bootstrap, build, run roostd on a local copy of state-example/ with the demo server
#   make bench            benchmarks against their anchors (docs/performance.md)
#   make fuzz             short libFuzzer runs of the untrusted-input parsers
#   make install          PREFIX=/usr/local DESTDIR=
#
# DEVELOPER=1 turns warnings into errors; SANITIZE=address,undefined builds with sanitizers.

-include config.mak

O		?= build
PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
SBINDIR		?= $(PREFIX)/sbin
LIBEXECDIR	?= $(PREFIX)/libexec/roost
DATADIR		?= $(PREFIX)/share/roost
MANDIR		?= $(PREFIX)/share/man
SYSCONFDIR	?= /etc
PKG_CONFIG	?= pkg-config
CC		?= cc
CFLAGS		?= -O2 -g

PKGS		= libgit2 libcurl yaml-0.1 libcjson libssh libwebsockets libmicrohttpd libbsd-overlay libssl libcrypto libarchive libxml-2.0 libsodium libzstd
TEST_PKGS	= cmocka

WARN	= -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes \
	  -Wmissing-declarations -Wshadow -Wpointer-arith -Wwrite-strings \
	  -Wvla -Wformat=2 -Wold-style-definition -fno-common \
	  -Wno-unused-parameter -Wno-missing-field-initializers
ifeq ($(DEVELOPER),1)
WARN	+= -Werror
endif

ROOST_CFLAGS	= -std=gnu11 -D_GNU_SOURCE $(WARN) -Ilib -Icli -Isftpd -MMD -MP \
		  -DROOST_DATADIR='"$(DATADIR)"' -DROOST_LIBEXECDIR='"$(LIBEXECDIR)"'
# Hardened binaries: stack canaries, checked libc calls, a read-only GOT
# bound at start (no lazy symbol lookups in the first requests either).
ROOST_CFLAGS	+= -fstack-protector-strong -fstack-clash-protection
ROOST_LDFLAGS	= -Wl,-z,relro,-z,now
ifneq ($(SANITIZE),)
ROOST_CFLAGS	+= -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
ROOST_LDFLAGS	+= -fsanitize=$(SANITIZE)
else
ROOST_CFLAGS	+= -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2
endif

# Before the packages are installed pkg-config cannot answer; "make bootstrap"
# (run by check and run) installs them first.
PKG_CFLAGS	:= $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS	:= $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lcrypt -lm -lpthread
TEST_CFLAGS	:= $(shell $(PKG_CONFIG) --cflags $(TEST_PKGS) 2>/dev/null)
TEST_LIBS	:= $(shell $(PKG_CONFIG) --libs $(TEST_PKGS) 2>/dev/null)

ALL_CFLAGS	= $(ROOST_CFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(CPPFLAGS)
ALL_LDFLAGS	= $(ROOST_LDFLAGS) $(LDFLAGS)

ifneq ($(V),1)
Q_CC	= @echo "  CC      $@";
Q_AR	= @echo "  AR      $@";
Q_LD	= @echo "  LD      $@";
endif

# Every .c in lib/ goes into libroost.a; each program directory has one file
# holding main() and an archive of the rest, so the tests link the same code.
LIB_SRCS	= $(wildcard lib/*.c)
RECON_MAINS	= reconciler/roostd.c
RECON_SRCS	= $(filter-out $(RECON_MAINS),$(wildcard reconciler/*.c))
SFTPD_MAINS	= sftpd/sftpd_main.c
SFTPD_SRCS	= $(filter-out $(SFTPD_MAINS),$(wildcard sftpd/*.c))
BOT_MAINS	= bot/main.c
BOT_SRCS	= $(filter-out $(BOT_MAINS),$(wildcard bot/*.c))
CLI_SRCS	= $(wildcard cli/*.c)
UNIT_SRCS	= $(wildcard tests/unit/test_*.c)
TOOL_SRCS	= $(wildcard tests/tools/*.c)

obj		= $(patsubst %.c,$(O)/%.o,$(1))
LIBROOST	= $(O)/libroost.a
LIBRECON	= $(O)/libreconciler.a
LIBBOT		= $(O)/libbot.a
LIBSFTPD	= $(O)/libsftpd.a
ARCHIVES	= $(LIBBOT) $(LIBRECON) $(LIBSFTPD) $(LIBROOST)

PROGS		= $(O)/roost $(if $(wildcard reconciler/roostd.c),$(O)/roostd) \
		  $(if $(wildcard sftpd/sftpd_main.c),$(O)/roost-sftpd) \
		  $(if $(wildcard bot/main.c),$(O)/roost-bot)
UNIT_BINS	= $(patsubst tests/unit/%.c,$(O)/tests/%,$(UNIT_SRCS))
TOOL_BINS	= $(patsubst tests/tools/%.c,$(O)/tests/%,$(TOOL_SRCS))

.PHONY: all check check-unit check-integration run bench fuzz bootstrap \
	install uninstall clean tests
all: $(PROGS)
tests: $(UNIT_BINS) $(TOOL_BINS)

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q_CC)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(O)/tests/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(Q_CC)$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -Itests/unit -c -o $@ $<

$(LIBROOST): $(call obj,$(LIB_SRCS))
	$(Q_AR)rm -f $@ && $(AR) rcs $@ $^
$(LIBRECON): $(call obj,$(RECON_SRCS))
	$(Q_AR)rm -f $@ && $(AR) rcs $@ $^
$(LIBBOT): $(call obj,$(BOT_SRCS))
	$(Q_AR)rm -f $@ && $(AR) rcs $@ $^
$(LIBSFTPD): $(call obj,$(SFTPD_SRCS))
	$(Q_AR)rm -f $@ && $(AR) rcs $@ $^

$(O)/roost: $(call obj,$(CLI_SRCS)) $(ARCHIVES)
	$(Q_LD)$(CC) $(ALL_LDFLAGS) -o $@ $(call obj,$(CLI_SRCS)) $(ARCHIVES) $(PKG_LIBS)
$(O)/roostd: $(call obj,reconciler/roostd.c) $(ARCHIVES)
	$(Q_LD)$(CC) $(ALL_LDFLAGS) -o $@ $< $(ARCHIVES) $(PKG_LIBS)
$(O)/roost-sftpd: $(call obj,sftpd/sftpd_main.c) $(ARCHIVES)
	$(Q_LD)$(CC) $(ALL_LDFLAGS) -o $@ $< $(ARCHIVES) $(PKG_LIBS)
$(O)/roost-bot: $(call obj,bot/main.c) $(ARCHIVES)
	$(Q_LD)$(CC) $(ALL_LDFLAGS) -o $@ $< $(ARCHIVES) $(PKG_LIBS)

# unit.c holds the helpers every unit test shares (unit.h).
$(O)/tests/test_%: $(O)/tests/test_%.o $(O)/tests/unit.o $(ARCHIVES)
	$(Q_LD)$(CC) $(ALL_LDFLAGS) -o $@ $< $(O)/tests/unit.o $(ARCHIVES) $(PKG_LIBS) $(TEST_LIBS)
$(O)/tests/%: tests/tools/%.c $(ARCHIVES)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(ARCHIVES) $(PKG_LIBS)

# bootstrap installs the Debian packages the build and the tests need.
bootstrap:
	@scripts/bootstrap.sh

check: bootstrap
	@$(MAKE) --no-print-directory all tests
	@tests/run.sh $(O)

check-unit: all tests
	@tests/run.sh --unit $(O)

check-integration: all tests
	@tests/run.sh --integration $(O)

run: bootstrap
	@$(MAKE) --no-print-directory all
	@scripts/run-demo.sh $(O)

bench: bootstrap
	@$(MAKE) --no-print-directory all tests
	@tests/bench/run.sh $(O)

fuzz: bootstrap
	@tests/fuzz/run.sh $(O)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DATADIR)
	install -m 0755 $(O)/roost $(DESTDIR)$(BINDIR)/roost
	$(if $(wildcard $(O)/roostd),install -m 0755 $(O)/roostd $(DESTDIR)$(SBINDIR)/roostd)
	$(if $(wildcard $(O)/roost-bot),install -m 0755 $(O)/roost-bot $(DESTDIR)$(SBINDIR)/roost-bot)
	$(if $(wildcard $(O)/roost-sftpd),install -m 0755 $(O)/roost-sftpd $(DESTDIR)$(LIBEXECDIR)/roost-sftpd)
	cp -R eggs schema $(DESTDIR)$(DATADIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/roost $(DESTDIR)$(SBINDIR)/roostd $(DESTDIR)$(SBINDIR)/roost-bot
	rm -rf $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DATADIR)

clean:
	rm -rf $(O)

-include $(shell find $(O) -name '*.d' 2>/dev/null)
