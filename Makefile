# xdpdns: one build for every component. Each folder's module.mk declares
# what it builds; the rules live once in mk/rules.mk.
#
#   make            build everything (warnings are errors)
#   make test       install missing Debian packages, build, run every test
#   make fuzz       run the fuzz targets longer (FUZZ_SECONDS per target)
#   make bench      performance figures against knotd and nsd (root)
#   make format     clang-format every C source in place
#   make install    programs, units, configs, system user (mk/install.mk)
#   make V=1 ...    show the commands

.DELETE_ON_ERROR:
.SUFFIXES:
.DEFAULT_GOAL := all

include mk/config.mk
include bpf/module.mk
include lib/common/module.mk
include lib/engine/module.mk
include lib/maps/module.mk
include zonec/module.mk
include loader/module.mk
include userspace/module.mk
include health/module.mk
include tests/module.mk
include bench/module.mk
include mk/rules.mk
include mk/install.mk
