# bpf/: the XDP program, and its skeleton for userspace.
BPF_ARCH_INC := /usr/include/$(shell $(CC) -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
BPF_CFLAGS := -target bpf -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-Ibpf -idirafter $(BPF_ARCH_INC)
BPF_OBJ := $(BUILD)/bpf/xdpdns.bpf.o
BPF_SKEL := $(BUILD)/bpf/xdpdns.skel.h

$(BPF_OBJ): bpf/xdpdns.bpf.c $(wildcard bpf/*.h)
	$(call msg,BPF,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BPF_CFLAGS) -c $< -o $@

$(BPF_SKEL): $(BPF_OBJ)
	$(call msg,SKEL,$@)
	$(Q)bpftool gen skeleton $< name xdpdns > $@.tmp && mv $@.tmp $@

all: $(BPF_OBJ) $(BPF_SKEL)
