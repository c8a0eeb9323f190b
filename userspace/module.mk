# userspace/: xdpdns-server, the UDP and TCP authoritative server behind
# the XDP fast path.
LIB_SRCS += userspace/serve.c userspace/limit.c

PROGS += xdpdns-server
xdpdns-server_SRCS := userspace/server.c userspace/tcp.c userspace/io.c \
	userspace/counters.c
xdpdns-server_LDLIBS := -lpthread
