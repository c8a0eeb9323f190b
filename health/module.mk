# health/: xdpdns-health, the checker that announces or withdraws the
# node's anycast prefix through BIRD, and compares serials across peers.
PROGS += xdpdns-health
xdpdns-health_SRCS := health/main.c health/hstate.c health/probe.c \
	health/announce.c
xdpdns-health_LDLIBS := -lxdp -lm
$(BUILD)/obj/health/main.o: $(BPF_SKEL)
