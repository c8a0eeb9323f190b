# tests/: unit tests (cmocka), tools the Python tests drive, fuzz targets.

PROGS += tests/engine-pipe
tests/engine-pipe_SRCS := tests/tools/engine_pipe.c

UNIT_TESTS += test_answer test_dname test_cdb test_zone test_serve
test_answer_SRCS := tests/unit/test_answer.c
test_dname_SRCS := tests/unit/test_dname.c
test_cdb_SRCS := tests/unit/test_cdb.c
test_zone_SRCS := tests/unit/test_zone.c
test_serve_SRCS := tests/unit/test_serve.c
# xdpdns-health's hysteresis and settings.
UNIT_TESTS += test_health
test_health_SRCS := tests/unit/test_health.c
# The cookie secret's file and the server's locked pid file.
UNIT_TESTS += test_secret test_pidfile
test_secret_SRCS := tests/unit/test_secret.c
test_pidfile_SRCS := tests/unit/test_pidfile.c

FUZZERS += fuzz_zone fuzz_query fuzz_serve
fuzz_zone_SRCS := tests/fuzz/fuzz_zone.c
fuzz_query_SRCS := tests/fuzz/fuzz_query.c tests/fuzz/fuzz_common.c
fuzz_serve_SRCS := tests/fuzz/fuzz_serve.c tests/fuzz/fuzz_common.c

# The XDP program under BPF_PROG_TEST_RUN (root).
UNIT_TESTS += test_xdp
test_xdp_SRCS := tests/unit/test_xdp.c tests/unit/xdptest.c
$(BUILD)/san/tests/unit/xdptest.o: $(BPF_SKEL)

# The end-to-end XDP tests on veth: the program attached with the test
# zones, and a pass-everything program for the client's end.
PROGS += tests/xdp-attach
tests/xdp-attach_SRCS := tests/tools/xdp_attach.c tests/unit/xdptest.c
XDP_PASS_OBJ := $(BUILD)/bpf/xdp_pass.bpf.o
$(XDP_PASS_OBJ): tests/tools/xdp_pass.bpf.c
	$(call msg,BPF,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BPF_CFLAGS) -c $< -o $@
all: $(XDP_PASS_OBJ)

# xdpdns-server's sockets: batched UDP sends, TCP connections and limits.
UNIT_TESTS += test_server_io
test_server_io_SRCS := tests/unit/test_server_io.c userspace/io.c
UNIT_TESTS += test_server_tcp
test_server_tcp_SRCS := tests/unit/test_server_tcp.c userspace/tcp.c \
	userspace/counters.c
test_server_tcp_LDLIBS := -lpthread

# The tests may read the tools' own headers (the tools may not read each
# other's: their folders are on no include path but here).
$(BUILD)/obj/tests/%.o $(BUILD)/san/tests/%.o $(BUILD)/fuzz/tests/%.o: \
	CFLAGS_BASE += -Iuserspace -Ihealth -Iloader -Izonec
