# bench/: the tools make bench runs.
PROGS += bench/xdp-bench
bench/xdp-bench_SRCS := bench/xdp_bench.c tests/unit/xdptest.c
BENCH_EMPTY := $(BUILD)/bpf/empty.bpf.o

$(BENCH_EMPTY): bench/empty.bpf.c
	$(call msg,BPF,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/obj/tests/unit/xdptest.o: $(BPF_SKEL)
all: $(BENCH_EMPTY)
