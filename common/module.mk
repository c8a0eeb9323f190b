# common/: what every tool shares, in the library: its messages (log
# lines, usage errors), the config-file reader, and the parsers of
# addresses, numbers and hex secrets.
LIB_SRCS += common/cli.c common/conf.c common/parse.c
