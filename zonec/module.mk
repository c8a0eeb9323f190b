# zonec/: xdpdns-zonec (check, compile, dump, answer, apply), a main on
# lib/engine and lib/maps.
PROGS += xdpdns-zonec
xdpdns-zonec_SRCS := zonec/main.c
xdpdns-zonec_LDLIBS := -lxdp
