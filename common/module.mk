# common/: what every tool shares, in the library: its messages (log
# lines, usage errors).
LIB_SRCS += common/cli.c
