# loader/: xdpdns-loader (attach, detach, status, stats, config, exempt),
# a main on lib/maps.
PROGS += xdpdns-loader
xdpdns-loader_SRCS := loader/main.c
xdpdns-loader_LDLIBS := -lxdp
$(BUILD)/obj/loader/main.o: $(BPF_SKEL)
