# health/: xdpdns-health, the checker that announces or withdraws the
# node's anycast prefix through BIRD, and compares serials across peers.
# Its probes are in the library: xdpdns-zonec apply asks the server for
# its serials with them too.
LIB_SRCS += health/hstate.c health/probe.c
PROGS += xdpdns-health
xdpdns-health_SRCS := health/main.c health/announce.c
xdpdns-health_LDLIBS := -lxdp
$(BUILD)/obj/health/main.o: $(BPF_SKEL)
