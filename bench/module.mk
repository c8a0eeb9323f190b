# bench/: the tools make bench runs.
PROGS += bench/xdp-bench
bench/xdp-bench_SRCS := bench/xdp_bench.c tests/unit/xdptest.c
BENCH_RESTORE := $(BUILD)/bpf/restore.bpf.o

$(BENCH_RESTORE): bench/restore.bpf.c bench/restore.h
	$(call msg,BPF,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/obj/tests/unit/xdptest.o: $(BPF_SKEL)
all: $(BENCH_RESTORE)

# The side-by-side section: a live-frames load generator (its BPF half
# sends and checks) and the bare XDP_TX reflector, the machine's ceiling.
PROGS += bench/xdp-livegen
bench/xdp-livegen_SRCS := bench/xdp_livegen.c
LIVEGEN_OBJ := $(BUILD)/bpf/livegen.bpf.o
LIVEGEN_SKEL := $(BUILD)/bpf/livegen.skel.h
REFLECT_OBJ := $(BUILD)/bpf/reflect.bpf.o

$(LIVEGEN_OBJ): bench/livegen.bpf.c bench/livegen.h
	$(call msg,BPF,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BPF_CFLAGS) -Ibench -c $< -o $@

$(LIVEGEN_SKEL): $(LIVEGEN_OBJ)
	$(call msg,SKEL,$@)
	$(Q)bpftool gen skeleton $< name livegen_bpf > $@.tmp && mv $@.tmp $@

$(REFLECT_OBJ): bench/reflect.bpf.c
	$(call msg,BPF,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/obj/bench/xdp_livegen.o: $(LIVEGEN_SKEL)
all: $(LIVEGEN_OBJ) $(LIVEGEN_SKEL) $(REFLECT_OBJ)

# Profiling aid (bench/tools/README.md): the JITed code of a loaded program
# and its line info.
PROGS += bench/xdp-jitinfo
bench/xdp-jitinfo_SRCS := bench/tools/jitinfo.c
