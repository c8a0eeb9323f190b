# lib/maps/: the XDP program's maps, on the engine: a compiled zone set
# to map images, the pins, the apply transaction, what is attached where,
# and the probes of a node's two paths.
LIB_SRCS += lib/maps/xdpmaps.c lib/maps/pins.c lib/maps/attached.c \
	lib/maps/apply.c lib/maps/probe.c
