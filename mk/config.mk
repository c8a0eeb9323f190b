# Toolchain and flags. Userspace and BPF flags are kept apart.

BUILD ?= build
CC := clang
PKG_CONFIG ?= pkg-config

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wvla -Wformat=2 \
	-Wno-unused-parameter -Wno-missing-field-initializers
DEPS_LIBS := libknot libzscanner libxxhash libbpf nettle
DEPS_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(DEPS_LIBS) 2>/dev/null)
DEPS_LDLIBS = $(shell $(PKG_CONFIG) --libs $(DEPS_LIBS) 2>/dev/null || echo -lknot -lzscanner -lxxhash -lbpf -lnettle)

CFLAGS_BASE := -std=gnu11 -g -gdwarf-4 -D_GNU_SOURCE -I. -Ilib/common -Ilib/engine -Ilib/maps -Ibpf -I$(BUILD)/bpf $(WARN) -MMD -MP
CFLAGS ?= -O2
SAN_FLAGS := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all
FUZZ_FLAGS := -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
