# loader/: filling and serving the XDP maps (xdpdns-loader comes with
# issue 4; the map code is shared with the tests and xdpdns-zonec apply).
LIB_SRCS += loader/xdpmaps.c
