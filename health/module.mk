# health/: xdpdns-health, the checker that announces or withdraws the
# node's anycast prefix through BIRD, and compares serials across peers.
# Its state machine and settings are in the library for the unit tests;
# its probes are lib/maps's.
LIB_SRCS += health/hstate.c
PROGS += xdpdns-health
xdpdns-health_SRCS := health/main.c health/announce.c
xdpdns-health_LDLIBS := -lxdp
$(BUILD)/obj/health/main.o: $(BPF_SKEL)
