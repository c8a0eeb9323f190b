# lib/common/: what every tool shares, the lowest layer: messages (log
# lines, usage errors), the config-file reader, the parsers of addresses,
# numbers, prefixes and hex secrets, the cookie secret's file and the
# server's locked pid file. Depends on libc and bpf/dns.h only.
LIB_SRCS += lib/common/cli.c lib/common/conf.c lib/common/parse.c \
	lib/common/secret.c lib/common/pidfile.c
