// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Device-tree discovery of SMMUs and Qualcomm TBUs from a directory laid out
 * like /proc/device-tree: one directory per node, one raw file per property
 * (big-endian u32 cells, NUL-terminated strings, NUL-separated string lists).
 *
 * TBU nodes follow Documentation/devicetree/bindings/iommu/qcom,tbu.yaml
 * (6.12+): qcom,stream-id-range = <&smmu base size>, optional clocks and
 * power-domains. Downstream msm trees put "qcom,qsmmuv500-tbu" nodes inside
 * the SMMU node with a two-cell <base size> range; both are understood.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "topology.h"
#include "topology_build.h"

#define DT_MAX_DEPTH	64
#define DT_MAX_NODES	100000
#define DT_MAX_PROP	(1u << 20)	/* no property we read is anywhere near 1 MiB */
#define DT_MAX_CELLS	16		/* sane upper bound for any #*-cells */

struct dt_node {
	char *path;		/* from the root, no leading '/': "soc@0/tbu@150c5000"; "" = root */
	const char *name;	/* last component of path */
	int parent;		/* -1 for the root */
	uint32_t phandle;	/* 0 = none */
	int kind;		/* NODE_* once classified */
};

enum { NODE_OTHER, NODE_SMMU, NODE_TBU };

struct dt {
	const char *dir;
	char *err;
	size_t errlen;
	struct dt_node *nodes;
	int nnodes;
	/* __symbols__ (dtc -@): label -> "/path", read when a TBU needs a name */
	char **sym_label, **sym_path;
	int nsyms;
	bool syms_read;
};

struct prop {
	unsigned char *data;
	size_t len;
};

__attribute__((format(printf, 4, 5)))
static int dterr(struct dt *dt, const struct dt_node *n, const char *prop, const char *fmt, ...)
{
	va_list ap;
	int len;

	len = snprintf(dt->err, dt->errlen, "%s%s%s%s%s: ", dt->dir, n && n->path[0] ? "/" : "",
		       n ? n->path : "", prop ? "/" : "", prop ? prop : "");
	if (len < 0 || (size_t)len >= dt->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(dt->err + len, dt->errlen - len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static char *node_file(const struct dt *dt, const struct dt_node *n, const char *prop)
{
	char *s;

	if (asprintf(&s, "%s%s%s%s%s", dt->dir, n->path[0] ? "/" : "", n->path,
		     prop ? "/" : "", prop ? prop : "") < 0)
		return NULL;
	return s;
}

/*
 * Read a property. 0 with the bytes (NUL-terminated one past len, for
 * strings), -ENOENT if the node has no such property, other -errno with the
 * message set.
 */
static int read_prop(struct dt *dt, const struct dt_node *n, const char *name, struct prop *p)
{
	char *path = node_file(dt, n, name);
	size_t cap = 256;
	int fd, ret = 0;

	p->data = NULL;
	p->len = 0;
	if (!path)
		return dterr(dt, n, name, "out of memory"), -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return -ENOENT;
		ret = -errno;
		dterr(dt, n, name, "%s", strerror(-ret));
		return ret;
	}
	p->data = malloc(cap);
	if (!p->data) {
		ret = -ENOMEM;
		dterr(dt, n, name, "out of memory");
		goto out;
	}
	for (;;) {
		ssize_t r;

		if (p->len + 1 >= cap) {
			unsigned char *nd;

			if (cap > DT_MAX_PROP) {
				ret = dterr(dt, n, name, "larger than %u bytes: not a device-tree "
					    "property", DT_MAX_PROP);
				goto out;
			}
			nd = realloc(p->data, cap * 2);
			if (!nd) {
				ret = -ENOMEM;
				dterr(dt, n, name, "out of memory");
				goto out;
			}
			p->data = nd;
			cap *= 2;
		}
		r = read(fd, p->data + p->len, cap - 1 - p->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			dterr(dt, n, name, "%s", strerror(-ret));
			goto out;
		}
		if (r == 0)
			break;
		p->len += r;
	}
	if (p->len > DT_MAX_PROP) {
		ret = dterr(dt, n, name, "larger than %u bytes: not a device-tree property",
			    DT_MAX_PROP);
		goto out;
	}
	p->data[p->len] = '\0';
out:
	close(fd);
	if (ret) {
		free(p->data);
		p->data = NULL;
		p->len = 0;
	}
	return ret;
}

static uint32_t be32(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* One u32 property. 0, -ENOENT (absent) or -EINVAL (message set). */
static int read_u32(struct dt *dt, const struct dt_node *n, const char *name, uint32_t *v)
{
	struct prop p;
	int err = read_prop(dt, n, name, &p);

	if (err)
		return err;
	if (p.len != 4) {
		free(p.data);
		return dterr(dt, n, name, "%zu bytes where one 4-byte cell is expected", p.len);
	}
	*v = be32(p.data);
	free(p.data);
	return 0;
}

/* The Ith string of a string-list property (an unterminated last one counts). */
static const char *prop_string(const struct prop *p, int i)
{
	size_t off = 0;

	while (off < p->len) {
		const char *s = (const char *)p->data + off;

		if (i-- == 0)
			return s;
		off += strlen(s) + 1;
	}
	return NULL;
}

static int count_strings(const struct prop *p)
{
	int n = 0;

	while (prop_string(p, n))
		n++;
	return n;
}

/* ---- the walk ------------------------------------------------------------ */

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int add_node(struct dt *dt, const char *path, int parent, int *idx)
{
	struct dt_node *nn, *n;
	const char *slash;

	if (dt->nnodes >= DT_MAX_NODES)
		return dterr(dt, NULL, NULL, "more than %d nodes: is this a device tree?",
			     DT_MAX_NODES);
	nn = realloc(dt->nodes, sizeof(*nn) * (dt->nnodes + 1));
	if (!nn)
		return dterr(dt, NULL, NULL, "out of memory"), -ENOMEM;
	dt->nodes = nn;
	n = &nn[dt->nnodes];
	memset(n, 0, sizeof(*n));
	n->path = strdup(path);
	if (!n->path)
		return dterr(dt, NULL, NULL, "out of memory"), -ENOMEM;
	slash = strrchr(n->path, '/');
	n->name = slash ? slash + 1 : n->path;
	n->parent = parent;
	*idx = dt->nnodes++;
	return 0;
}

static int walk(struct dt *dt, const char *path, int parent, int depth)
{
	struct dirent **ents = NULL;
	char *full;
	int idx = -1, err, nents;
	uint32_t ph;

	if (depth > DT_MAX_DEPTH)
		return dterr(dt, &dt->nodes[parent], NULL, "nested deeper than %d levels: is this "
			     "a device tree?", DT_MAX_DEPTH);
	err = add_node(dt, path, parent, &idx);
	if (err)
		return err;
	err = read_u32(dt, &dt->nodes[idx], "phandle", &ph);
	if (err == -ENOENT)
		err = read_u32(dt, &dt->nodes[idx], "linux,phandle", &ph);
	if (!err)
		dt->nodes[idx].phandle = ph;
	else if (err != -ENOENT)
		return err;

	full = node_file(dt, &dt->nodes[idx], NULL);
	if (!full)
		return dterr(dt, NULL, NULL, "out of memory"), -ENOMEM;
	/* sorted, so the model does not depend on the file system's order */
	nents = scandir(full, &ents, NULL, name_cmp);
	if (nents < 0) {
		err = -errno;
		dterr(dt, &dt->nodes[idx], NULL, "%s", strerror(-err));
		free(full);
		return err;
	}
	err = 0;
	for (int i = 0; i < nents; i++) {
		const char *e = ents[i]->d_name;
		struct stat st;
		char *child;

		if (err || !strcmp(e, ".") || !strcmp(e, ".."))
			continue;
		if (asprintf(&child, "%s/%s", full, e) < 0) {
			err = dterr(dt, NULL, NULL, "out of memory");
			continue;
		}
		/* symlinks are never followed: no loops, and /proc/device-tree has none */
		if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode)) {
			char *rel;

			if (asprintf(&rel, "%s%s%s", path, path[0] ? "/" : "", e) < 0) {
				err = dterr(dt, NULL, NULL, "out of memory");
			} else {
				err = walk(dt, rel, idx, depth + 1);
				free(rel);
			}
		}
		free(child);
	}
	for (int i = 0; i < nents; i++)
		free(ents[i]);
	free(ents);
	free(full);
	return err;
}

static int find_phandle(const struct dt *dt, uint32_t ph)
{
	if (!ph)
		return -1;
	for (int i = 0; i < dt->nnodes; i++)
		if (dt->nodes[i].phandle == ph)
			return i;
	return -1;
}

/* ---- names --------------------------------------------------------------- */

static bool is_hex(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
		      (*s >= 'A' && *s <= 'F')))
			return false;
	return true;
}

/* node name without the unit address, as the kernel's %pOFn prints it */
static void base_name(const char *node, char *out, size_t len)
{
	const char *at = strchr(node, '@');
	size_t n = at ? (size_t)(at - node) : strlen(node);

	if (n >= len)
		n = len - 1;
	memcpy(out, node, n);
	out[n] = '\0';
}

/*
 * The kernel's device name for a DT platform device (of_device_make_bus_id):
 * "<address>.<node name>", the address printed %llx. We take it from the unit
 * address, which dtc keeps equal to the reg address: iommu@15000000 ->
 * 15000000.iommu. Downstream "apps-smmu@0x15000000" also gives
 * 15000000.apps-smmu. Nodes without a unit address keep their name.
 */
static void device_name(const char *node, char *out, size_t len)
{
	const char *at = strchr(node, '@');
	char unit[64];
	const char *u;

	if (!at) {
		topo_copy_name(out, len, node);
		return;
	}
	u = at + 1;
	if ((u[0] == '0' && (u[1] == 'x' || u[1] == 'X')) && is_hex(u + 2))
		u += 2;
	topo_copy_name(unit, sizeof(unit), u);
	if (is_hex(unit)) {
		char *p = unit;

		while (p[0] == '0' && p[1])
			p++;
		memmove(unit, p, strlen(p) + 1);
		for (p = unit; *p; p++)
			if (*p >= 'A' && *p <= 'F')
				*p += 'a' - 'A';
	}
	/* snprintf with %.*s trips gcc's truncation warning: join by hand */
	{
		char base[SMT_NAME_LEN], full[2 * SMT_NAME_LEN + 2];
		size_t ul = strlen(unit), bl;

		base_name(node, base, sizeof(base));
		bl = strlen(base);
		memcpy(full, unit, ul);
		full[ul] = '.';
		memcpy(full + ul + 1, base, bl + 1);
		topo_copy_name(out, len, full);
	}
}

/*
 * Names the model takes from the tree must survive a trip through a board
 * file (recordings carry the model as one): no whitespace, brackets or
 * commas, no leading comment character, shorter than SMT_NAME_LEN.
 */
static bool board_name_ok(const char *s)
{
	if (!*s || strlen(s) >= SMT_NAME_LEN || *s == ';' || *s == '#')
		return false;
	for (; *s; s++)
		if (isspace((unsigned char)*s) || *s == '[' || *s == ']' || *s == ',')
			return false;
	return true;
}

static int read_symbols(struct dt *dt)
{
	struct dirent **ents = NULL;
	int sym = -1, nents, err = 0;
	char *full;

	dt->syms_read = true;
	for (int i = 0; i < dt->nnodes; i++)
		if (dt->nodes[i].parent == 0 && !strcmp(dt->nodes[i].name, "__symbols__"))
			sym = i;
	if (sym < 0)
		return 0;
	full = node_file(dt, &dt->nodes[sym], NULL);
	if (!full)
		return dterr(dt, NULL, NULL, "out of memory"), -ENOMEM;
	nents = scandir(full, &ents, NULL, name_cmp);
	free(full);
	if (nents < 0)
		return 0;	/* labels are a nicety: names fall back to node names */
	for (int i = 0; i < nents && !err; i++) {
		const char *e = ents[i]->d_name;
		struct prop p;
		char **nl, **np;

		if (e[0] == '.' || read_prop(dt, &dt->nodes[sym], e, &p))
			continue;
		nl = realloc(dt->sym_label, sizeof(*nl) * (dt->nsyms + 1));
		if (nl)
			dt->sym_label = nl;
		np = realloc(dt->sym_path, sizeof(*np) * (dt->nsyms + 1));
		if (np)
			dt->sym_path = np;
		if (!nl || !np) {
			free(p.data);
			err = dterr(dt, NULL, NULL, "out of memory");
			break;
		}
		dt->sym_label[dt->nsyms] = strdup(e);
		dt->sym_path[dt->nsyms] = (char *)p.data;
		if (!dt->sym_label[dt->nsyms]) {
			free(p.data);
			err = dterr(dt, NULL, NULL, "out of memory");
			break;
		}
		dt->nsyms++;
	}
	for (int i = 0; i < nents; i++)
		free(ents[i]);
	free(ents);
	return err;
}

/*
 * A TBU's name: its "label" property, else its DTS label when the tree was
 * built with symbols (dtc -@ leaves /__symbols__/anoc_1_tbu =
 * "/soc@0/tbu@150c5000"), else the node name. Board files override TBUs by
 * this name.
 */
static int tbu_name(struct dt *dt, const struct dt_node *n, char *out, size_t len)
{
	struct prop p;
	int err = read_prop(dt, n, "label", &p);

	if (!err) {
		bool ok = p.len && board_name_ok((char *)p.data) &&
			  topo_copy_name(out, len, (char *)p.data);

		free(p.data);
		if (ok)
			return 0;
	} else if (err != -ENOENT) {
		return err;
	}
	if (!dt->syms_read) {
		err = read_symbols(dt);
		if (err)
			return err;
	}
	for (int i = 0; i < dt->nsyms; i++)
		if (dt->sym_path[i][0] == '/' && !strcmp(dt->sym_path[i] + 1, n->path) &&
		    board_name_ok(dt->sym_label[i]) && topo_copy_name(out, len, dt->sym_label[i]))
			return 0;
	topo_copy_name(out, len, n->name);
	return 0;
}

/* ---- classification ------------------------------------------------------ */

static bool has_prefix_suffix(const char *s, const char *pre, const char *suf)
{
	size_t n = strlen(s), np = strlen(pre), ns = strlen(suf);

	return n > np + ns && !strncmp(s, pre, np) && !strcmp(s + n - ns, suf);
}

/* arm-smmu (v1/v2/500) and arm-smmu-v3 compatibles, incl. the qcom variants */
static bool smmu_compatible(const char *c)
{
	static const char *const exact[] = {
		"arm,smmu-v1", "arm,smmu-v2", "arm,mmu-400", "arm,mmu-401", "arm,mmu-500",
		"arm,smmu-v3", "cavium,smmu-v2", "nvidia,smmu-500", "qcom,smmu-v2",
		"qcom,smmu-500", "qcom,adreno-smmu", "qcom,qsmmu-v500",
		"marvell,ap806-smmu-500",
	};

	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (!strcmp(c, exact[i]))
			return true;
	return has_prefix_suffix(c, "qcom,", "-smmu-500") ||
	       has_prefix_suffix(c, "qcom,", "-smmu-v2");
}

static bool tbu_compatible(const char *c)
{
	return has_prefix_suffix(c, "qcom,", "-tbu");
}

/* Kind of node N; *compat = the compatible string that decided it (in P). */
static int classify(struct dt *dt, int idx, struct prop *p, const char **compat)
{
	int err = read_prop(dt, &dt->nodes[idx], "compatible", p);

	*compat = NULL;
	if (err == -ENOENT)
		return NODE_OTHER;
	if (err)
		return err;
	for (int i = 0; prop_string(p, i); i++) {
		const char *c = prop_string(p, i);

		if (tbu_compatible(c)) {
			*compat = c;
			return NODE_TBU;
		}
	}
	for (int i = 0; prop_string(p, i); i++) {
		const char *c = prop_string(p, i);

		if (smmu_compatible(c)) {
			/* keep the most specific (first) compatible for the model */
			*compat = prop_string(p, 0);
			return NODE_SMMU;
		}
	}
	return NODE_OTHER;
}

/* Make sure node IDX is in T's SMMUs; its device name in NAME. */
static int ensure_smmu(struct dt *dt, struct topology *t, int idx, char *name, size_t len)
{
	const struct dt_node *n = &dt->nodes[idx];
	const char *compat = NULL;
	char origin[256];
	struct prop p = { 0 };
	int err;

	device_name(n->name, name, len);
	if (topology__find_smmu(t, name) >= 0)
		return 0;
	err = read_prop(dt, n, "compatible", &p);
	if (err && err != -ENOENT)
		return err;
	if (!err)
		compat = prop_string(&p, 0);
	snprintf(origin, sizeof(origin), "dt /%s", n->path);
	err = topology__add_smmu(t, name, compat, origin);
	free(p.data);
	if (err == -ENOSPC)
		return dterr(dt, n, NULL, "more than %d SMMUs", TOPO_MAX_SMMUS);
	if (err)
		return dterr(dt, n, NULL, "%s", strerror(-err)), err;
	return 0;
}

/* ---- TBU properties ------------------------------------------------------ */

static int parse_sid_range(struct dt *dt, struct topology *t, int idx, struct topo_tbu *tbu)
{
	const struct dt_node *n = &dt->nodes[idx];
	const char *prop = "qcom,stream-id-range";
	size_t ncells, i = 0;
	struct prop p;
	int err;

	err = read_prop(dt, n, prop, &p);
	if (err == -ENOENT) {
		/* required by the binding; a board file can still say it */
		return topo_tbu__add_unresolved(tbu, "qcom,stream-id-range: missing, so the TBU "
						"serves no known SIDs; give them in a board "
						"file: sids = FIRST-LAST");
	}
	if (err)
		return err;
	if (!p.len || p.len % 4) {
		err = dterr(dt, n, prop, "%zu bytes: expected 4-byte cells <&smmu base size>",
			    p.len);
		goto out;
	}
	ncells = p.len / 4;
	/* downstream msm: a child of its SMMU, <base size> without a phandle */
	if (ncells == 2 && n->parent >= 0 && dt->nodes[n->parent].kind == NODE_SMMU) {
		uint32_t base = be32(p.data), size = be32(p.data + 4);

		if (!size || (uint64_t)base + size - 1 > 0xffff) {
			err = dterr(dt, n, prop, "SIDs 0x%x + 0x%x: %s", base, size, !size ?
				    "size 0" : "run past 0xffff (SIDs are 16 bits)");
			goto out;
		}
		err = ensure_smmu(dt, t, n->parent, tbu->smmu, sizeof(tbu->smmu));
		if (!err)
			err = topo_tbu__add_sid(tbu, base, base + size - 1);
		goto out;
	}
	while (i < ncells) {
		uint32_t ph = be32(p.data + 4 * i), nargs = 2, base, size;
		int target = find_phandle(dt, ph);
		char smmu[SMT_NAME_LEN];

		if (target < 0) {
			err = dterr(dt, n, prop, "phandle 0x%x points to no node", ph);
			goto out;
		}
		err = read_u32(dt, &dt->nodes[target], "#iommu-cells", &nargs);
		if (err == -ENOENT)
			nargs = 2;	/* the binding's <&smmu base size> */
		else if (err)
			goto out;
		if (nargs < 2 || nargs > DT_MAX_CELLS) {
			err = dterr(dt, n, prop, "target /%s has #iommu-cells = %u: expected "
				    "<&smmu base size>", dt->nodes[target].path, nargs);
			goto out;
		}
		if (i + 1 + nargs > ncells) {
			err = dterr(dt, n, prop, "entry at cell %zu runs past the end (%zu cells; "
				    "/%s has #iommu-cells = %u)", i, ncells,
				    dt->nodes[target].path, nargs);
			goto out;
		}
		base = be32(p.data + 4 * (i + 1));
		size = be32(p.data + 4 * (i + 2));
		if (!size || (uint64_t)base + size - 1 > 0xffff) {
			err = dterr(dt, n, prop, "SIDs 0x%x + 0x%x: %s", base, size, !size ?
				    "size 0" : "run past 0xffff (SIDs are 16 bits)");
			goto out;
		}
		err = ensure_smmu(dt, t, target, smmu, sizeof(smmu));
		if (err)
			goto out;
		if (tbu->smmu[0] && strcmp(tbu->smmu, smmu)) {
			err = dterr(dt, n, prop, "ranges on two SMMUs (%s, %s): a TBU belongs to "
				    "one", tbu->smmu, smmu);
			goto out;
		}
		topo_copy_name(tbu->smmu, sizeof(tbu->smmu), smmu);
		err = topo_tbu__add_sid(tbu, base, base + size - 1);
		if (err == -ENOSPC) {
			err = dterr(dt, n, prop, "more than %d ranges", TOPO_MAX_SIDS);
			goto out;
		}
		if (err)
			goto out;
		i += 1 + nargs;
	}
out:
	free(p.data);
	return err;
}

static void fmt_cells(char *buf, size_t len, const unsigned char *cells, uint32_t n)
{
	size_t off = snprintf(buf, len, "%s", n == 1 ? "cell" : "cells");

	for (uint32_t i = 0; i < n && off < len; i++)
		off += snprintf(buf + off, len - off, " 0x%x", be32(cells + 4 * i));
}

static int add_note(struct dt *dt, const struct dt_node *n, const char *prop,
		    struct topo_tbu *tbu, const char *note)
{
	int err = topo_tbu__add_unresolved(tbu, note);

	if (err == -ENOSPC)
		return dterr(dt, n, prop, "more than %d unnamed entries", TOPO_MAX_UNRESOLVED);
	if (err)
		return dterr(dt, n, prop, "%s", strerror(-err)), err;
	return 0;
}

static int add_dt_gate(struct dt *dt, const struct dt_node *n, const char *prop,
		       struct topo_tbu *tbu, enum gate_kind kind, const char *name)
{
	int err;

	if (!board_name_ok(name)) {
		char note[256];

		snprintf(note, sizeof(note), "%s: the tree's name '%.40s' is too long or has "
			 "whitespace, brackets or commas; name it in a board file: gates = %s:NAME",
			 prop, name, topology__gate_kind_name(kind));
		return add_note(dt, n, prop, tbu, note);
	}
	err = topo_tbu__add_gate(tbu, kind, name);
	if (err == -ENOSPC)
		return dterr(dt, n, prop, "more than %d gates", TOPO_MAX_GATES);
	if (err)
		return dterr(dt, n, prop, "%s", strerror(-err)), err;
	return 0;
}

/* Name of clock ARGS (NARGS cells) of provider PV, or NULL (into OUT). */
static const char *clock_name(struct dt *dt, const struct dt_node *pv, const unsigned char *args,
			      uint32_t nargs, char *out, size_t len, int *err)
{
	struct prop p;
	const char *s = NULL;

	*err = read_prop(dt, pv, "clock-output-names", &p);
	if (*err == 0) {
		bool named;

		if (nargs == 0)
			s = prop_string(&p, 0);
		else if (nargs == 1 && be32(args) < (uint32_t)count_strings(&p))
			s = prop_string(&p, be32(args));
		named = s && *s;
		if (named)
			topo_copy_name(out, len, s);
		free(p.data);
		return named ? out : NULL;
	}
	if (*err != -ENOENT)
		return NULL;
	*err = 0;
	/* fixed clocks without clock-output-names are named after their node */
	if (nargs == 0 && read_prop(dt, pv, "compatible", &p) == 0) {
		for (int i = 0; prop_string(&p, i); i++)
			if (!strcmp(prop_string(&p, i), "fixed-clock") ||
			    !strcmp(prop_string(&p, i), "fixed-factor-clock")) {
				base_name(pv->name, out, len);
				s = out;
			}
		free(p.data);
	}
	return s;
}

/* Name of a power domain of provider PV with NARGS cells, or NULL. */
static const char *pd_name(struct dt *dt, const struct dt_node *pv, uint32_t nargs,
			   char *out, size_t len, int *err)
{
	struct prop p;

	*err = 0;
	if (nargs != 0)
		return NULL;	/* a domain picked by index: DT has no names for those */
	*err = read_prop(dt, pv, "label", &p);
	if (*err == 0) {
		bool ok = p.len && p.data[0];

		if (ok)
			topo_copy_name(out, len, (char *)p.data);
		free(p.data);
		if (ok)
			return out;
	} else if (*err != -ENOENT) {
		return NULL;
	}
	*err = 0;
	base_name(pv->name, out, len);
	return out;
}

/*
 * clocks = <&provider cells...>... or power-domains = ...; each provider's
 * #clock-cells / #power-domain-cells says how many cells follow its phandle.
 */
static int parse_gate_list(struct dt *dt, int idx, struct topo_tbu *tbu, enum gate_kind kind)
{
	const struct dt_node *n = &dt->nodes[idx];
	const char *prop = kind == GATE_CLK ? "clocks" : "power-domains";
	const char *cells_prop = kind == GATE_CLK ? "#clock-cells" : "#power-domain-cells";
	size_t ncells, i = 0;
	struct prop p;
	int err;

	err = read_prop(dt, n, prop, &p);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	if (p.len % 4) {
		err = dterr(dt, n, prop, "%zu bytes: not a list of 4-byte cells", p.len);
		goto out;
	}
	ncells = p.len / 4;
	while (i < ncells) {
		uint32_t ph = be32(p.data + 4 * i), nargs;
		const struct dt_node *pv;
		char name[SMT_NAME_LEN], cs[160], note[512];
		const char *s;
		int target;

		if (ph == 0) {	/* an empty entry, as of_parse_phandle_with_args allows */
			i++;
			continue;
		}
		target = find_phandle(dt, ph);
		if (target < 0) {
			err = dterr(dt, n, prop, "phandle 0x%x (cell %zu) points to no node", ph, i);
			goto out;
		}
		pv = &dt->nodes[target];
		err = read_u32(dt, pv, cells_prop, &nargs);
		if (err == -ENOENT) {
			err = dterr(dt, n, prop, "provider /%s (phandle 0x%x) has no %s", pv->path,
				    ph, cells_prop);
			goto out;
		}
		if (err)
			goto out;
		if (nargs > DT_MAX_CELLS) {
			err = dterr(dt, n, prop, "provider /%s has %s = %u", pv->path, cells_prop,
				    nargs);
			goto out;
		}
		if (i + 1 + nargs > ncells) {
			err = dterr(dt, n, prop, "entry at cell %zu runs past the end (%zu cells; "
				    "/%s has %s = %u)", i, ncells, pv->path, cells_prop, nargs);
			goto out;
		}
		if (kind == GATE_CLK)
			s = clock_name(dt, pv, p.data + 4 * (i + 1), nargs, name, sizeof(name), &err);
		else
			s = pd_name(dt, pv, nargs, name, sizeof(name), &err);
		if (err)
			goto out;
		if (s) {
			err = add_dt_gate(dt, n, prop, tbu, kind, s);
		} else {
			fmt_cells(cs, sizeof(cs), p.data + 4 * (i + 1), nargs);
			snprintf(note, sizeof(note), "%s: provider %s (phandle 0x%x) %s: the device "
				 "tree has no name for it; name it in a board file: gates = %s:NAME",
				 prop, pv->name, ph, nargs ? cs : "(no cells)",
				 topology__gate_kind_name(kind));
			err = add_note(dt, n, prop, tbu, note);
		}
		if (err)
			goto out;
		i += 1 + nargs;
	}
out:
	free(p.data);
	return err;
}

static int add_tbu(struct dt *dt, struct topology *t, int idx, const char *compat)
{
	const struct dt_node *n = &dt->nodes[idx];
	struct topo_tbu tbu;
	int err, other;

	memset(&tbu, 0, sizeof(tbu));
	topo_copy_name(tbu.compatible, sizeof(tbu.compatible), compat);
	snprintf(tbu.origin, sizeof(tbu.origin), "dt /%s", n->path);
	err = tbu_name(dt, n, tbu.name, sizeof(tbu.name));
	if (!err)
		err = parse_sid_range(dt, t, idx, &tbu);
	if (!err)
		err = parse_gate_list(dt, idx, &tbu, GATE_CLK);
	if (!err)
		err = parse_gate_list(dt, idx, &tbu, GATE_PD);
	if (err) {
		topo_tbu__release(&tbu);
		return err;
	}
	other = topology__find_tbu(t, tbu.name);
	if (other >= 0 && !strncmp(t->tbus[other].origin, "board ", 6)) {
		/* a board file loaded earlier describes this TBU: it wins */
		topo_tbu__release(&tbu);
		return 0;
	}
	if (other >= 0) {
		err = dterr(dt, n, NULL, "TBU name '%s' is also that of %s: give the nodes "
			    "distinct label properties", tbu.name, t->tbus[other].origin);
		topo_tbu__release(&tbu);
		return err;
	}
	err = topology__put_tbu(t, &tbu, false);
	if (err == -ENOSPC)
		err = dterr(dt, n, NULL, "more than %d TBUs", TOPO_MAX_TBUS);
	else if (err)
		err = dterr(dt, n, NULL, "%s", strerror(-err));
	topo_tbu__release(&tbu);
	return err;
}

static void read_root(struct dt *dt, struct topology *t)
{
	struct prop p;

	if (read_prop(dt, &dt->nodes[0], "model", &p) == 0) {
		topo_copy_name(t->model, sizeof(t->model), (char *)p.data);
		free(p.data);
	}
	if (read_prop(dt, &dt->nodes[0], "compatible", &p) == 0) {
		topo_copy_name(t->compatible, sizeof(t->compatible), (char *)p.data);
		free(p.data);
	}
}

static void dt_free(struct dt *dt)
{
	for (int i = 0; i < dt->nnodes; i++)
		free(dt->nodes[i].path);
	free(dt->nodes);
	for (int i = 0; i < dt->nsyms; i++) {
		free(dt->sym_label[i]);
		free(dt->sym_path[i]);
	}
	free(dt->sym_label);
	free(dt->sym_path);
}

/*
 * On error T may already hold what was found before it; callers treat a
 * failed discovery as fatal and free T.
 */
int dt__discover(struct topology *t, const char *dir, char *err, size_t errlen)
{
	struct dt dt = { .dir = dir, .err = err, .errlen = errlen };
	struct stat st;
	int ret;

	if (stat(dir, &st) < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s: give a device-tree directory such as "
			 "/proc/device-tree", dir, strerror(-ret));
		return ret;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory: give a directory laid out like "
			 "/proc/device-tree (one directory per node, one file per "
			 "property), not a .dtb", dir);
		return -ENOTDIR;
	}
	ret = walk(&dt, "", -1, 0);
	if (ret)
		goto out;
	read_root(&dt, t);
	/* SMMUs first, so that TBUs can name theirs whatever the order */
	for (int pass = 0; pass < 2 && !ret; pass++)
		for (int i = 0; i < dt.nnodes && !ret; i++) {
			const char *compat;
			struct prop p = { 0 };
			char name[SMT_NAME_LEN];
			int kind = classify(&dt, i, &p, &compat);

			if (kind < 0) {
				ret = kind;
				break;
			}
			dt.nodes[i].kind = kind;
			if (pass == 0 && kind == NODE_SMMU)
				ret = ensure_smmu(&dt, t, i, name, sizeof(name));
			else if (pass == 1 && kind == NODE_TBU)
				ret = add_tbu(&dt, t, i, compat);
			free(p.data);
		}
out:
	dt_free(&dt);
	return ret;
}
