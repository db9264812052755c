// Verifier oracle loader (dev-only; tests never run it): reads programs, one
// per line "name<TAB>prog_type<TAB>maps<TAB>hex", creates the maps each needs,
// patches their fds into lddw (src 1 or 2, imm = index into the map list),
// loads the program privileged with log_level 1 and prints one JSON line per
// program: verdict, errno, the error message (last meaningful log line), the
// kernel's processed/states figures, and the log's last lines.
//
// maps: "-" or comma-separated "type:key:value:max[:flags[:freeze]]" (numbers).
// Build: tools/verifier-oracle/build.sh; run as root on the oracle kernel.
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>

#define LOG_SIZE (64u << 20)
#define MAX_MAPS 16

static char *logbuf;

static void json_str(const char *s) {
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') printf("\\%c", c);
		else if (c == '\n') printf("\\n");
		else if (c == '\t') printf("\\t");
		else if (c < 0x20) printf("\\u%04x", c);
		else putchar(c);
	}
	putchar('"');
}

static int hexval(char c) {
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* Splits the log into lines (in place) and returns how many; lines[] gets pointers. */
static int split_lines(char *log, char **lines, int max) {
	int n = 0;
	char *p = log;
	while (*p && n < max) {
		char *e = strchr(p, '\n');
		if (e) *e = 0;
		if (*p) lines[n++] = p;
		if (!e) break;
		p = e + 1;
	}
	return n;
}

static void load_one(char *name, int prog_type, char *maps, char *hex) {
	int fds[MAX_MAPS], nmaps = 0;
	size_t hlen = strlen(hex);
	size_t ninsn = hlen / 16;
	struct bpf_insn *insns = calloc(ninsn ? ninsn : 1, sizeof(*insns));
	unsigned char *bytes = (unsigned char *)insns;
	for (size_t i = 0; i + 1 < hlen; i += 2) bytes[i / 2] = (unsigned char)(hexval(hex[i]) << 4 | hexval(hex[i + 1]));

	if (strcmp(maps, "-") != 0) {
		char *save = NULL;
		for (char *m = strtok_r(maps, ",", &save); m && nmaps < MAX_MAPS; m = strtok_r(NULL, ",", &save)) {
			unsigned type = 0, key = 0, val = 0, max = 0, flags = 0, freeze = 0;
			sscanf(m, "%u:%u:%u:%u:%u:%u", &type, &key, &val, &max, &flags, &freeze);
			LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = flags);
			int fd = bpf_map_create(type, NULL, key, val, max, &mo);
			if (fd < 0) {
				printf("{\"name\":");
				json_str(name);
				printf(",\"setupError\":\"map %d: %s\"}\n", nmaps, strerror(errno));
				goto out;
			}
			if (freeze) bpf_map_freeze(fd);
			fds[nmaps++] = fd;
		}
	}
	for (size_t i = 0; i < ninsn; i++) {
		if (insns[i].code == (BPF_LD | BPF_IMM | BPF_DW) && (insns[i].src_reg == 1 || insns[i].src_reg == 2)) {
			int idx = insns[i].imm;
			if (idx >= 0 && idx < nmaps) insns[i].imm = fds[idx];
		}
		if (insns[i].code == (BPF_LD | BPF_IMM | BPF_DW)) i++;
	}

	/* A program that loads a function's address (lddw src 4, bpf_loop
	 * callbacks) needs BTF func_info: one static FUNC "f<slot>" returning
	 * int per subprogram, which is all the kernel asks of static ones. */
	struct btf *btf = NULL;
	struct bpf_func_info finfo[64];
	unsigned nfunc = 0;
	int need_btf = 0;
	for (size_t i = 0; i < ninsn; i++)
		if (insns[i].code == (BPF_LD | BPF_IMM | BPF_DW) && insns[i].src_reg == 4) need_btf = 1;
	if (need_btf) {
		unsigned char start[4096] = {1};
		for (size_t i = 0; i < ninsn && i < 4096; i++) {
			int pseudo_call = insns[i].code == (BPF_JMP | BPF_CALL) && insns[i].src_reg == 1;
			int pseudo_func = insns[i].code == (BPF_LD | BPF_IMM | BPF_DW) && insns[i].src_reg == 4;
			long t = (long)i + insns[i].imm + 1;
			if ((pseudo_call || pseudo_func) && t >= 0 && t < 4096 && (size_t)t < ninsn) start[t] = 1;
		}
		btf = btf__new_empty();
		int int_id = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
		int proto = btf__add_func_proto(btf, int_id);
		for (size_t i = 0; i < ninsn && i < 4096 && nfunc < 64; i++) {
			if (!start[i]) continue;
			char fname[32];
			snprintf(fname, sizeof(fname), "f%zu", i);
			int id = btf__add_func(btf, fname, i == 0 ? BTF_FUNC_GLOBAL : BTF_FUNC_STATIC, proto);
			finfo[nfunc].insn_off = (unsigned)i;
			finfo[nfunc].type_id = (unsigned)id;
			nfunc++;
		}
		if (btf__load_into_kernel(btf)) {
			printf("{\"name\":");
			json_str(name);
			printf(",\"setupError\":\"btf: %s\"}\n", strerror(errno));
			btf__free(btf);
			goto out;
		}
	}

	logbuf[0] = 0;
	LIBBPF_OPTS(bpf_prog_load_opts, po, .log_buf = logbuf, .log_size = LOG_SIZE, .log_level = 1);
	if (btf) {
		po.prog_btf_fd = btf__fd(btf);
		po.func_info = finfo;
		po.func_info_cnt = nfunc;
		po.func_info_rec_size = sizeof(finfo[0]);
	}
	int fd = bpf_prog_load(prog_type, "oracle", "GPL", insns, ninsn, &po);
	int err = fd < 0 ? errno : 0;
	if (fd >= 0) close(fd);
	if (btf) btf__free(btf);

	static char *lines[1 << 20];
	int n = split_lines(logbuf, lines, 1 << 20);
	long processed = -1, total = -1, peak = -1, maxper = -1;
	const char *message = "";
	for (int i = n - 1; i >= 0; i--) {
		if (sscanf(lines[i], "processed %ld insns (limit %*d) max_states_per_insn %ld total_states %ld peak_states %ld", &processed, &maxper, &total, &peak) == 4) continue;
		if (strncmp(lines[i], "verification time", 17) == 0 || strncmp(lines[i], "stack depth", 11) == 0) continue;
		message = lines[i];
		break;
	}
	printf("{\"name\":");
	json_str(name);
	printf(",\"funcInfo\":%s,\"accepted\":%s,\"errno\":%d,\"message\":", btf ? "true" : "false", fd >= 0 ? "true" : "false", err);
	json_str(fd >= 0 ? "" : message);
	printf(",\"processed\":%ld,\"totalStates\":%ld,\"peakStates\":%ld,\"maxStatesPerInsn\":%ld,\"logTail\":[", processed, total, peak, maxper);
	int from = n > 4 ? n - 4 : 0;
	for (int i = from; i < n; i++) {
		if (i > from) putchar(',');
		json_str(lines[i]);
	}
	printf("]}\n");
out:
	for (int i = 0; i < nmaps; i++) close(fds[i]);
	free(insns);
	fflush(stdout);
}

int main(void) {
	logbuf = malloc(LOG_SIZE);
	size_t cap = 1 << 24;
	char *line = malloc(cap);
	while (fgets(line, (int)cap, stdin)) {
		line[strcspn(line, "\n")] = 0;
		char *save = NULL;
		char *name = strtok_r(line, "\t", &save);
		char *type = strtok_r(NULL, "\t", &save);
		char *maps = strtok_r(NULL, "\t", &save);
		char *hex = strtok_r(NULL, "\t", &save);
		if (!name || !type || !maps || !hex) continue;
		load_one(name, atoi(type), maps, hex);
	}
	return 0;
}
