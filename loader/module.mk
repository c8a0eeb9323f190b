# loader/: filling and serving the XDP maps (xdpdns-loader comes with
# issue 4; the map code is shared with the tests and xdpdns-zonec apply).
LIB_SRCS += loader/xdpmaps.c loader/pins.c loader/attached.c

PROGS += xdpdns-loader
xdpdns-loader_SRCS := loader/main.c
xdpdns-loader_LDLIBS := -lxdp
$(BUILD)/obj/loader/main.o: $(BPF_SKEL)
