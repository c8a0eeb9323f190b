# bench/: the tools make bench runs.
PROGS += bench/xdp-bench
bench/xdp-bench_SRCS := bench/xdp_bench.c tests/unit/xdptest.c
BENCH_RESTORE := $(BUILD)/bpf/restore.bpf.o

$(BENCH_RESTORE): bench/restore.bpf.c
	$(call msg,BPF,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/obj/tests/unit/xdptest.o: $(BPF_SKEL)
all: $(BENCH_RESTORE)
