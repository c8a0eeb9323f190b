# zonec/: the zone model, the answer engine, and xdpdns-zonec.
LIB_SRCS += zonec/arena.c zonec/dname.c zonec/diag.c zonec/rdata.c \
	zonec/zone.c zonec/zonecheck.c zonec/tmpl.c zonec/cdb.c \
	zonec/compile.c zonec/answer.c zonec/dump.c

PROGS += xdpdns-zonec
xdpdns-zonec_SRCS := zonec/main.c
xdpdns-zonec_LDLIBS := -lxdp
