# tests/: unit tests (cmocka), tools the Python tests drive, fuzz targets.

PROGS += tests/engine-pipe
tests/engine-pipe_SRCS := tests/tools/engine_pipe.c
