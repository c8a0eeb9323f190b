// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xdp-jitinfo: what the kernel's JIT made of a loaded BPF program, for
 * reading a profile against the source. Writes the machine code of the
 * program's main function to a file (disassemble it with objdump -D -b
 * binary -m i386:x86-64) and prints one line per line-info record:
 *
 *	OFFSET FILE:LINE SOURCE
 *
 * OFFSET is the record's start in that machine code, in hex. bpftool
 * prints the same with `prog dump jited ... linum`, but only when it was
 * built with a disassembler, which Debian's is not.
 *
 * Usage: xdp-jitinfo PROG_ID OUT.bin   (root)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <linux/bpf.h>

static int fail(const char *what)
{
	fprintf(stderr, "xdp-jitinfo: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: xdp-jitinfo PROG_ID OUT.bin\n");
		return 2;
	}
	char *endp;
	unsigned long id = strtoul(argv[1], &endp, 10);
	if (*endp || !id) {
		fprintf(stderr, "xdp-jitinfo: not a program id: %s\n", argv[1]);
		return 2;
	}
	int fd = bpf_prog_get_fd_by_id((__u32)id);
	if (fd < 0)
		return fail("program");

	/* First the counts, then the arrays sized from them. */
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return fail("program info");
	__u32 nl = info.nr_line_info, njl = info.nr_jited_line_info;
	__u32 nk = info.nr_jited_ksyms, nf = info.nr_jited_func_lens;
	__u32 size = info.jited_prog_len, btf_id = info.btf_id;
	if (!size || !nk || !nf) {
		fprintf(stderr, "xdp-jitinfo: program %lu is not JITed\n", id);
		return 1;
	}
	struct bpf_line_info *li = calloc(nl ? nl : 1, sizeof(*li));
	__u64 *jli = calloc(njl ? njl : 1, sizeof(*jli));
	__u64 *ks = calloc(nk, sizeof(*ks));
	__u32 *fl = calloc(nf, sizeof(*fl));
	unsigned char *code = malloc(size);
	if (!li || !jli || !ks || !fl || !code)
		return fail("memory");
	memset(&info, 0, sizeof(info));
	info.nr_line_info = nl;
	info.line_info_rec_size = sizeof(*li);
	info.line_info = (__u64)(unsigned long)li;
	info.nr_jited_line_info = njl;
	info.jited_line_info_rec_size = sizeof(*jli);
	info.jited_line_info = (__u64)(unsigned long)jli;
	info.nr_jited_ksyms = nk;
	info.jited_ksyms = (__u64)(unsigned long)ks;
	info.nr_jited_func_lens = nf;
	info.jited_func_lens = (__u64)(unsigned long)fl;
	info.jited_prog_len = size;
	info.jited_prog_insns = (__u64)(unsigned long)code;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return fail("program info");

	FILE *out = fopen(argv[2], "wb");
	if (!out || fwrite(code, 1, fl[0], out) != fl[0] || fclose(out))
		return fail(argv[2]);

	struct btf *btf = btf_id ? btf__load_from_kernel_by_id(btf_id) : NULL;
	/* Line info of the main function: jited addresses from its start. */
	for (__u32 i = 0; i < nl && i < njl; i++) {
		if (jli[i] < ks[0] || jli[i] - ks[0] >= fl[0])
			continue;
		const char *file =
			btf ? btf__name_by_offset(btf, li[i].file_name_off) :
			      NULL;
		const char *src =
			btf ? btf__name_by_offset(btf, li[i].line_off) : NULL;
		const char *base = file ? strrchr(file, '/') : NULL;
		printf("%llx %s:%u %s\n", (unsigned long long)(jli[i] - ks[0]),
		       base ? base + 1 : (file ? file : "?"),
		       BPF_LINE_INFO_LINE_NUM(li[i].line_col), src ? src : "");
	}
	btf__free(btf);
	free(li);
	free(jli);
	free(ks);
	free(fl);
	free(code);
	return 0;
}
