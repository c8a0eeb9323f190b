# Rules shared by every folder. A module.mk adds to:
#   LIB_SRCS      sources of libxdpdns (the engine, shared by every tool)
#   PROGS         program names; NAME_SRCS lists each one's own sources
#   UNIT_TESTS    cmocka test names; NAME_SRCS as above, run under ASan/UBSan
#   FUZZERS       libFuzzer target names; NAME_SRCS as above

OBJ := $(BUILD)/obj
SAN := $(BUILD)/san
FUZ := $(BUILD)/fuzz

LIB := $(BUILD)/libxdpdns.a
LIB_SAN := $(BUILD)/libxdpdns-san.a
LIB_FUZZ := $(BUILD)/libxdpdns-fuzz.a

objs = $(patsubst %.c,$(1)/%.o,$(2))

$(OBJ)/%.o: %.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS_BASE) $(CFLAGS) $(DEPS_CFLAGS) -c $< -o $@

$(SAN)/%.o: %.c
	$(call msg,CC-SAN,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS_BASE) $(SAN_FLAGS) $(DEPS_CFLAGS) -c $< -o $@

$(FUZ)/%.o: %.c
	$(call msg,CC-FUZZ,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS_BASE) $(FUZZ_FLAGS) $(DEPS_CFLAGS) -c $< -o $@

$(LIB): $(call objs,$(OBJ),$(LIB_SRCS))
$(LIB_SAN): $(call objs,$(SAN),$(LIB_SRCS))
$(LIB_FUZZ): $(call objs,$(FUZ),$(LIB_SRCS))
$(LIB) $(LIB_SAN) $(LIB_FUZZ):
	$(call msg,AR,$@)
	@rm -f $@
	$(Q)ar rcs $@ $^

define prog_rule
$(BUILD)/$(1): $(call objs,$(OBJ),$($(1)_SRCS)) $(LIB)
	$$(call msg,LINK,$$@)
	@mkdir -p $$(@D)
	$(Q)$(CC) $(CFLAGS) -o $$@ $$^ $(DEPS_LDLIBS) $($(1)_LDLIBS)
endef
$(foreach p,$(PROGS),$(eval $(call prog_rule,$(p))))

define unit_rule
$(BUILD)/tests/$(1): $(call objs,$(SAN),$($(1)_SRCS)) $(LIB_SAN)
	$$(call msg,LINK,$$@)
	@mkdir -p $$(@D)
	$(Q)$(CC) $(SAN_FLAGS) -o $$@ $$^ $(DEPS_LDLIBS) -lcmocka $($(1)_LDLIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(t))))

define fuzz_rule
$(BUILD)/fuzz/$(1): $(call objs,$(FUZ),$($(1)_SRCS)) $(LIB_FUZZ)
	$$(call msg,LINK,$$@)
	@mkdir -p $$(@D)
	$(Q)$(CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $$@ $$^ $(DEPS_LDLIBS)
endef
$(foreach f,$(FUZZERS),$(eval $(call fuzz_rule,$(f))))

PROG_BINS := $(addprefix $(BUILD)/,$(PROGS))
UNIT_BINS := $(addprefix $(BUILD)/tests/,$(UNIT_TESTS))
FUZZ_BINS := $(addprefix $(BUILD)/fuzz/,$(FUZZERS))

.PHONY: all clean deps format check-format
all: $(PROG_BINS)

deps:
	$(Q)sh scripts/deps.sh all

clean:
	rm -rf $(BUILD)

FORMAT_SRCS = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	$(Q)clang-format -i $(FORMAT_SRCS)

check-format:
	$(Q)clang-format --dry-run -Werror $(FORMAT_SRCS)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

.PHONY: unit
unit: $(UNIT_BINS)
	@fail=0; for t in $(UNIT_BINS); do $$t || fail=1; done; exit $$fail

.PHONY: test fuzz
test:
	$(Q)sh scripts/deps.sh test
	$(Q)$(MAKE) --no-print-directory all $(UNIT_BINS) $(FUZZ_BINS)
	$(Q)sh tests/run.sh

FUZZ_SECONDS ?= 300
fuzz:
	$(Q)$(MAKE) --no-print-directory $(FUZZ_BINS)
	$(Q)sh tests/fuzz/run.sh $(FUZZ_SECONDS)

.PHONY: demo bench
demo:
	$(Q)sh scripts/deps.sh demo
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bash demo/demo.sh

bench:
	$(Q)sh scripts/deps.sh bench
	$(Q)$(MAKE) --no-print-directory all
	$(Q)sh bench/run.sh
