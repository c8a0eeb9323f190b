# lib/engine/: the zone model and its checks, the compiler, the compiled
# format and the answer engine, on lib/common and the pure shared headers
# of bpf/ (dns.h, dnscookie.h, dnsname.h): no map layouts, no libbpf.
LIB_SRCS += lib/engine/arena.c lib/engine/dname.c lib/engine/diag.c \
	lib/engine/rdata.c lib/engine/zone.c lib/engine/zonecheck.c \
	lib/engine/signcheck.c lib/engine/nsec3.c lib/engine/denial.c \
	lib/engine/tmpl.c lib/engine/cdb.c lib/engine/compile.c \
	lib/engine/answer.c lib/engine/proof.c lib/engine/dump.c
