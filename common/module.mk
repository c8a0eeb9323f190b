# common/: what every tool shares, in the library: its messages (log
# lines, usage errors), the config-file reader, the parsers of
# addresses, numbers and hex secrets, the cookie secret's file and the
# server's locked pid file.
LIB_SRCS += common/cli.c common/conf.c common/parse.c common/secret.c \
	common/pidfile.c
