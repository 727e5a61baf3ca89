// SPDX-License-Identifier: MIT
/*
 * usyms.c - user-space symbolization (fr_usyms.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fr_procfs.h"
#include "fr_usyms.h"

struct usym {
	uint64_t addr, size;
	const char *name;
};

struct useg {
	uint64_t offset, vaddr, filesz;
};

struct elf_file {
	struct elf_file *next;
	char *path;
	struct usym *syms;
	size_t nr;
	struct useg segs[16];
	size_t nr_segs;
	char *names; /* all names, one allocation */
	long long map_size; /* a perf map: its size when read (-1: an ELF file) */
};

struct fr_usyms {
	struct elf_file *files;
	size_t nr_files;
	char debug_root[256]; /* where separate debug files are */
};

static int cmp_usym(const void *a, const void *b)
{
	const struct usym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Appends a symbol (its name copied) to f; 0 or -ENOMEM. Names are kept as
 * offsets into f->names until the caller fixes them up. */
static int add_sym(struct elf_file *f, size_t *cap, size_t *names_len, size_t *names_cap,
		   uint64_t addr, uint64_t size, const char *name)
{
	size_t len = strlen(name) + 1;

	if (f->nr == *cap) {
		size_t nc = *cap ? *cap * 2 : 1024;
		void *p = realloc(f->syms, nc * sizeof(*f->syms));

		if (!p)
			return -ENOMEM;
		f->syms = p;
		*cap = nc;
	}
	if (*names_len + len > *names_cap) {
		size_t nc = *names_cap ? *names_cap * 2 : 65536;
		void *p;

		while (nc < *names_len + len)
			nc *= 2;
		p = realloc(f->names, nc);
		if (!p)
			return -ENOMEM;
		f->names = p;
		*names_cap = nc;
	}
	memcpy(f->names + *names_len, name, len);
	f->syms[f->nr].addr = addr;
	f->syms[f->nr].size = size;
	f->syms[f->nr].name = (const char *)(uintptr_t)*names_len;
	*names_len += len;
	f->nr++;
	return 0;
}

/* Names from offsets into pointers, then the symbols in address order. */
static void finish_syms(struct elf_file *f)
{
	for (size_t i = 0; i < f->nr; i++)
		f->syms[i].name = f->names + (uintptr_t)f->syms[i].name;
	if (f->nr) /* a stripped file may have none */
		qsort(f->syms, f->nr, sizeof(*f->syms), cmp_usym);
}

/* Adds the function symbols of elf's symbol tables (of type want, or both
 * when want is 0) to f. */
static void add_elf_syms(struct elf_file *f, Elf *elf, Elf64_Word want, size_t *cap,
			 size_t *names_len, size_t *names_cap)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    (want && sh.sh_type != want))
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !sh.sh_entsize)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			char buf[512];
			const char *name, *ver;
			GElf_Sym sym;

			if (!gelf_getsym(data, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    !sym.st_value || sym.st_shndx == SHN_UNDEF)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!name || !*name || name[0] == '@')
				continue;
			/* a symbol version ("clock_nanosleep@@GLIBC_2.17") is not
			 * part of the function's name */
			ver = strchr(name, '@');
			if (ver && (size_t)(ver - name) < sizeof(buf)) {
				memcpy(buf, name, (size_t)(ver - name));
				buf[ver - name] = 0;
				name = buf;
			}
			if (add_sym(f, cap, names_len, names_cap, sym.st_value, sym.st_size, name))
				return;
		}
	}
}

static bool has_symtab(Elf *elf)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			return true;
	return false;
}

/* The separate debug file of elf by its build-id, as Debian's -dbgsym
 * packages lay them out (ROOT/.build-id/xx/yyyy.debug), into path; false
 * without a build-id. */
static bool debug_file_path(Elf *elf, const char *root, char *path, size_t len)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		GElf_Nhdr nh;
		Elf_Data *data;
		size_t off = 0, name_off, desc_off;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE || !(data = elf_getdata(scn, NULL)))
			continue;
		while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
			const uint8_t *id = (const uint8_t *)data->d_buf + desc_off;
			size_t n;

			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 || nh.n_descsz < 2 ||
			    nh.n_descsz > 64 || memcmp((const char *)data->d_buf + name_off, "GNU", 4))
				continue;
			n = (size_t)snprintf(path, len, "%s/.build-id/%02x/", root, id[0]);
			for (size_t i = 1; i < nh.n_descsz && n + 3 < len; i++)
				n += (size_t)snprintf(path + n, len - n, "%02x", id[i]);
			return n + 7 < len && snprintf(path + n, len - n, ".debug") > 0;
		}
	}
	return false;
}

/* Loads the function symbols and PT_LOAD segments of path (NULL entries on
 * failure); a stripped file's full symbol table from its debug file. */
static struct elf_file *load_elf(const struct fr_usyms *u, const char *path)
{
	struct elf_file *f = calloc(1, sizeof(*f));
	size_t cap = 0, names_len = 0, names_cap = 0;
	char dbg[PATH_MAX];
	GElf_Ehdr eh;
	size_t nph;
	Elf *elf;
	int fd;

	if (!f)
		return NULL;
	f->path = strdup(path);
	f->map_size = -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return f;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || !gelf_getehdr(elf, &eh)) {
		if (elf)
			elf_end(elf);
		close(fd);
		return f;
	}
	if (!elf_getphdrnum(elf, &nph)) {
		for (size_t i = 0; i < nph && f->nr_segs < 16; i++) {
			GElf_Phdr ph;

			if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD)
				f->segs[f->nr_segs++] = (struct useg){ ph.p_offset, ph.p_vaddr, ph.p_filesz };
		}
	}
	/* names are gathered first as offsets, then pointed into the block */
	add_elf_syms(f, elf, 0, &cap, &names_len, &names_cap);
	if (!has_symtab(elf) && debug_file_path(elf, u->debug_root, dbg, sizeof(dbg))) {
		int dfd = open(dbg, O_RDONLY | O_CLOEXEC);
		Elf *delf = dfd >= 0 ? elf_begin(dfd, ELF_C_READ, NULL) : NULL;

		if (delf)
			add_elf_syms(f, delf, SHT_SYMTAB, &cap, &names_len, &names_cap);
		if (delf)
			elf_end(delf);
		if (dfd >= 0)
			close(dfd);
	}
	finish_syms(f);
	elf_end(elf);
	close(fd);
	return f;
}

static struct elf_file *get_file(struct fr_usyms *u, const char *path)
{
	struct elf_file *f;

	for (f = u->files; f; f = f->next)
		if (!strcmp(f->path, path))
			return f;
	f = load_elf(u, path);
	if (!f)
		return NULL;
	f->next = u->files;
	u->files = f;
	u->nr_files++;
	return f;
}

static void free_file(struct elf_file *f)
{
	free(f->path);
	free(f->syms);
	free(f->names);
	free(f);
}

struct fr_usyms *fr_usyms__new(void)
{
	struct fr_usyms *u = calloc(1, sizeof(struct fr_usyms));

	elf_version(EV_CURRENT);
	if (u)
		fr_usyms__set_debug_root(u, "/usr/lib/debug");
	return u;
}

void fr_usyms__set_debug_root(struct fr_usyms *u, const char *dir)
{
	snprintf(u->debug_root, sizeof(u->debug_root), "%s", dir);
}

void fr_usyms__free(struct fr_usyms *u)
{
	struct elf_file *f, *next;

	if (!u)
		return;
	for (f = u->files; f; f = next) {
		next = f->next;
		free_file(f);
	}
	free(u);
}

struct mapping {
	uint64_t start, end, pgoff;
	char path[256];
};

/* Reads a perf map ("START SIZE name", hex, a line per JIT-compiled
 * function) into a file of symbols at absolute addresses. */
static struct elf_file *load_perf_map(const char *path, long long size)
{
	struct elf_file *f = calloc(1, sizeof(*f));
	size_t cap = 0, names_len = 0, names_cap = 0;
	char line[512];
	FILE *in;

	if (!f)
		return NULL;
	f->path = strdup(path);
	f->map_size = size;
	in = fopen(path, "r");
	if (!in || !f->path)
		goto fail;
	while (fgets(line, sizeof(line), in)) {
		unsigned long long start, len;
		char name[400];

		if (sscanf(line, "%llx %llx %399[^\n]", &start, &len, name) != 3 || !len)
			continue;
		if (add_sym(f, &cap, &names_len, &names_cap, start, len, name))
			goto fail;
	}
	fclose(in);
	finish_syms(f);
	return f;
fail:
	if (in)
		fclose(in);
	free_file(f);
	return NULL;
}

/*
 * The perf map of process pid, which JITs write (Node --perf-basic-prof,
 * Python 3.12's perf trampoline, Java agents): /tmp/perf-PID.map as the
 * process sees /tmp and its pid. Cached, read again when it grew; NULL
 * without one.
 */
static struct elf_file *get_perf_map(struct fr_usyms *u, pid_t pid)
{
	char path[96];
	struct stat st;
	struct elf_file **pp, *f;

	int64_t inner = fr_proc_inner_pid(pid);

	/* named by the pid the process knows itself by (in a PID namespace,
	 * not the host's), in its own /tmp (in a container, not the host's) */
	snprintf(path, sizeof(path), "/proc/%d/root/tmp/perf-%lld.map", pid,
		 (long long)(inner > 0 ? inner : pid));
	if (stat(path, &st)) {
		snprintf(path, sizeof(path), "/tmp/perf-%d.map", pid);
		if (stat(path, &st))
			return NULL;
	}
	for (pp = &u->files; *pp; pp = &(*pp)->next) {
		if (strcmp((*pp)->path, path))
			continue;
		if ((*pp)->map_size == (long long)st.st_size)
			return *pp;
		f = *pp; /* it grew: read it again */
		*pp = f->next;
		free_file(f);
		u->nr_files--;
		break;
	}
	f = load_perf_map(path, (long long)st.st_size);
	if (!f)
		return NULL;
	f->next = u->files;
	u->files = f;
	u->nr_files++;
	return f;
}

/* The last symbol of f starting at or before addr (a binary search), or -1. */
static long sym_before(const struct elf_file *f, uint64_t addr)
{
	size_t lo = 0, hi = f->nr;

	if (!f->nr || addr < f->syms[0].addr)
		return -1;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->syms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return (long)lo;
}

/* A frame outside every file mapping: a JIT-compiled function, by the
 * process's perf map. */
static void lookup_jit(struct elf_file *f, uint64_t ip, struct fr_uframe *out)
{
	long lo = sym_before(f, ip);

	if (lo < 0 || ip >= f->syms[lo].addr + f->syms[lo].size)
		return;
	out->module = f->path;
	out->sym = f->syms[lo].name;
	out->off = ip - f->syms[lo].addr;
}

static void lookup(struct fr_usyms *u, const struct mapping *m, uint64_t ip, struct fr_uframe *out)
{
	struct elf_file *f = get_file(u, m->path);
	uint64_t file_off = ip - m->start + m->pgoff, vaddr = 0;
	bool found = false;
	long lo;

	if (!f)
		return;
	out->module = f->path;
	for (size_t i = 0; i < f->nr_segs; i++) {
		if (file_off >= f->segs[i].offset && file_off < f->segs[i].offset + f->segs[i].filesz) {
			vaddr = file_off - f->segs[i].offset + f->segs[i].vaddr;
			found = true;
			break;
		}
	}
	if (!found)
		return;
	out->off = vaddr; /* module+offset unless a symbol covers it */
	lo = sym_before(f, vaddr);
	if (lo < 0)
		return;
	/* past a symbol's end is not that symbol (padding, or code without a
	 * symbol): such a frame is module+offset; a symbol without a size
	 * (hand-written assembly) is taken only just after its start */
	if (f->syms[lo].size ? vaddr >= f->syms[lo].addr + f->syms[lo].size
			     : vaddr >= f->syms[lo].addr + 64)
		return;
	out->sym = f->syms[lo].name;
	out->off = vaddr - f->syms[lo].addr;
}

int fr_usyms__resolve(struct fr_usyms *u, pid_t pid, const uint64_t *ips, size_t n,
		      struct fr_uframe *out)
{
	struct mapping *maps = NULL;
	size_t nm = 0, cap = 0;
	char path[64], line[512];
	FILE *f;

	for (size_t i = 0; i < n; i++)
		out[i] = (struct fr_uframe){ .ip = ips[i] };
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (!f)
		return -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e, off;
		char perms[8], file[256] = "";

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %255s", &s, &e, perms, &off, file) < 4)
			continue;
		if (perms[2] != 'x' || file[0] != '/')
			continue;
		if (nm == cap) {
			size_t nc = cap ? cap * 2 : 64;
			void *p = realloc(maps, nc * sizeof(*maps));

			if (!p)
				break;
			maps = p;
			cap = nc;
		}
		maps[nm].start = s;
		maps[nm].end = e;
		maps[nm].pgoff = off;
		snprintf(maps[nm].path, sizeof(maps[nm].path), "%s", file);
		nm++;
	}
	fclose(f);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < nm; k++)
			if (ips[i] >= maps[k].start && ips[i] < maps[k].end) {
				lookup(u, &maps[k], ips[i], &out[i]);
				break;
			}
	free(maps);
	{
		struct elf_file *jit = NULL;
		bool looked = false;

		for (size_t i = 0; i < n; i++) {
			if (out[i].module || !ips[i])
				continue;
			if (!looked) {
				jit = get_perf_map(u, pid);
				looked = true;
			}
			if (jit)
				lookup_jit(jit, ips[i], &out[i]);
		}
	}
	return 0;
}

int fr_usyms__preload(struct fr_usyms *u, pid_t pid)
{
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (!f)
		return -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		char perms[8], file[256] = "";

		if (sscanf(line, "%*x-%*x %7s %*x %*s %*s %255s", perms, file) < 2)
			continue;
		if (perms[2] == 'x' && file[0] == '/')
			get_file(u, file);
	}
	fclose(f);
	return 0;
}
