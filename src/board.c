// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Board files (SPEC §4): INI with [smmu NAME] and [tbu NAME] sections.
 *
 * The parser is our own rather than libinih: Debian's libinih caps lines at
 * 200 bytes (INI_MAX_LINE) and silently splits longer ones (a long sids = or
 * gates = line would lose its tail), and its handler is not told line
 * numbers, which every error message here needs.
 *
 * A file is parsed whole into a pending list and checked before anything is
 * merged, so a bad board file leaves the model as it was.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "board.h"
#include "topology.h"
#include "topology_build.h"

/*
 * A board file is read whole, with a cap, instead of line by line with
 * getline(): getline on /dev/zero or an endless pipe grows one line without
 * bound. 16 MiB holds the largest legal board (1024 TBUs with long SID lists)
 * many times over.
 */
#define BOARD_MAX_BYTES (16u << 20)

#define BOARD_KEYS_TBU "smmu, sids, gates"

struct pending_smmu {
	char name[SMT_NAME_LEN];
	int line;
	int gates_line;		/* 0 = no gates = (the default rpm:NAME) */
	struct gate_ref gates[TOPO_MAX_SMMU_GATES];
	int ngates;
};

struct pending_tbu {
	struct topo_tbu tbu;
	int line;		/* of the [tbu NAME] header */
	int smmu_line, sids_line, gates_line;	/* 0 = key not given */
};

struct board_parser {
	const char *file;
	char *err;
	size_t errlen;
	struct pending_smmu *smmus;
	int nsmmus;
	struct pending_tbu *tbus;
	int ntbus;
	enum { SEC_NONE, SEC_SMMU, SEC_TBU } sec;
};

__attribute__((format(printf, 4, 5)))
static int perr(struct board_parser *p, int line, const char *field, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(p->err, p->errlen, "%s:%d: %s: ", p->file, line, field);
	if (n < 0 || (size_t)n >= p->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static void parser_free(struct board_parser *p)
{
	for (int i = 0; i < p->ntbus; i++)
		topo_tbu__release(&p->tbus[i].tbu);
	free(p->tbus);
	free(p->smmus);
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static bool has_space(const char *s)
{
	for (; *s; s++)
		if (isspace((unsigned char)*s))
			return true;
	return false;
}

/* ';' or '#' at the start of the line or after whitespace begins a comment */
static void strip_comment(char *s)
{
	for (char *c = s; *c; c++)
		if ((*c == ';' || *c == '#') && (c == s || isspace((unsigned char)c[-1]))) {
			*c = '\0';
			return;
		}
}

/*
 * Decimal or 0x hex. 0, -EINVAL (not a number) or -ERANGE (above 0xffff;
 * *v then holds the value, saturated at 0xffffffff, for the message).
 */
static int parse_sid(const char *s, uint32_t *v)
{
	uint64_t x = 0;
	int base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -EINVAL;
		x = x * base + d;
		if (x > 0xffffffffu)
			x = 0xffffffffu;	/* keep going: the rest must still be digits */
	}
	*v = (uint32_t)x;
	return x > 0xffff ? -ERANGE : 0;
}

static int parse_sids(struct board_parser *p, int line, char *val, struct topo_tbu *tbu)
{
	char *save = NULL, *tok;
	char *s = val;

	/* an empty item ("1,,2", trailing comma) is a typo, not nothing */
	if (val[strlen(val) - 1] == ',' || val[0] == ',' || strstr(val, ",,"))
		return perr(p, line, "sids", "empty item in '%s': separate SIDs and ranges "
			    "with single commas, e.g. sids = 0x0-0x3ff, 0x800", val);
	while ((tok = strtok_r(s, ",", &save))) {
		char *dash, *a, *b;
		uint32_t first = 0, last = 0;
		const char *bad;
		int err;

		s = NULL;
		tok = trim(tok);
		if (!*tok)
			return perr(p, line, "sids", "empty item in '%s': separate SIDs and ranges "
				    "with single commas, e.g. sids = 0x0-0x3ff, 0x800", val);
		dash = strchr(tok, '-');
		a = tok;
		b = NULL;
		if (dash) {
			*dash = '\0';
			a = trim(tok);
			b = trim(dash + 1);
		}
		err = parse_sid(a, &first);
		bad = a;
		if (!err && b) {
			err = parse_sid(b, &last);
			bad = b;
		} else if (!err) {
			last = first;
		}
		if (err == -ERANGE)
			/* the text as written: a saturated number would misquote it */
			return perr(p, line, "sids", "%s is above 0xffff: stream IDs are 16 bits",
				    bad);
		if (err) {
			if (b)
				*dash = '-';
			return perr(p, line, "sids", "'%s' is not a SID or range: write N or N-M "
				    "(inclusive), decimal or 0x hex, e.g. 0x400-0x7ff", tok);
		}
		if (first > last)
			return perr(p, line, "sids", "range 0x%x-0x%x is reversed: write the lower "
				    "SID first (0x%x-0x%x)", first, last, last, first);
		err = topo_tbu__add_sid(tbu, first, last);
		if (err == -ENOSPC)
			return perr(p, line, "sids", "more than %d ranges in one TBU: merge "
				    "adjacent SIDs into ranges", TOPO_MAX_SIDS);
		if (err)
			return perr(p, line, "sids", "%s", strerror(-err));
	}
	return 0;
}

/* Where parse_gates puts each gate: a TBU's list or an SMMU's. -ENOSPC when full. */
struct gate_sink {
	struct topo_tbu *tbu;
	struct pending_smmu *smmu;
	int max;
};

static int gate_sink__add(struct gate_sink *gs, enum gate_kind k, const char *name)
{
	struct pending_smmu *ps = gs->smmu;

	if (gs->tbu)
		return topo_tbu__add_gate(gs->tbu, k, name);
	for (int i = 0; i < ps->ngates; i++)
		if (ps->gates[i].kind == k && !strcmp(ps->gates[i].name, name))
			return 0;
	if (ps->ngates >= TOPO_MAX_SMMU_GATES)
		return -ENOSPC;
	ps->gates[ps->ngates].kind = k;
	topo_copy_name(ps->gates[ps->ngates++].name, SMT_NAME_LEN, name);
	return 0;
}

static int parse_gates(struct board_parser *p, int line, char *val, struct gate_sink *gs)
{
	static const struct { const char *kind; enum gate_kind k; } kinds[] = {
		{ "clk", GATE_CLK }, { "pd", GATE_PD }, { "rpm", GATE_RPM },
	};
	char *save = NULL, *tok, *s = val;

	if (val[strlen(val) - 1] == ',' || val[0] == ',' || strstr(val, ",,"))
		return perr(p, line, "gates", "empty item in '%s': separate gates with single "
			    "commas, e.g. gates = clk:gpu_cc_ahb_clk, pd:gpu_cx_gdsc", val);
	while ((tok = strtok_r(s, ",", &save))) {
		char *colon, *name;
		int k = -1, err;

		s = NULL;
		tok = trim(tok);
		if (!*tok)
			return perr(p, line, "gates", "empty item in '%s': separate gates with "
				    "single commas, e.g. gates = clk:gpu_cc_ahb_clk, pd:gpu_cx_gdsc",
				    val);
		colon = strchr(tok, ':');
		if (!colon)
			return perr(p, line, "gates", "'%s' has no kind: write clk:NAME (clock), "
				    "pd:NAME (power domain) or rpm:DEV (runtime PM of a device)", tok);
		*colon = '\0';
		name = colon + 1;
		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (!strcmp(tok, kinds[i].kind))
				k = kinds[i].k;
		if (k < 0)
			return perr(p, line, "gates", "unknown gate kind '%s:': use clk:NAME (clock), "
				    "pd:NAME (power domain) or rpm:DEV (runtime PM of a device)", tok);
		if (!*name)
			return perr(p, line, "gates", "'%s:' has no name: e.g. %s:%s", tok, tok,
				    k == GATE_CLK ? "gpu_cc_ahb_clk" :
				    k == GATE_PD ? "gpu_cx_gdsc" : "3d00000.gpu");
		if (has_space(name))
			return perr(p, line, "gates", "'%s:%s' contains whitespace: kernel clock, "
				    "power-domain and device names have none", tok, name);
		if (strlen(name) >= SMT_NAME_LEN)
			return perr(p, line, "gates", "'%s:%.20s...' is longer than %d bytes",
				    tok, name, SMT_NAME_LEN - 1);
		err = gate_sink__add(gs, k, name);
		if (err == -ENOSPC)
			return perr(p, line, "gates", "more than %d gates in one %s", gs->max,
				    gs->tbu ? "TBU" : "SMMU");
		if (err)
			return perr(p, line, "gates", "%s", strerror(-err));
	}
	return 0;
}

static int check_name(struct board_parser *p, int line, const char *kind, const char *name)
{
	if (!*name)
		return perr(p, line, "section", "[%s] has no name: write [%s NAME], e.g. %s", kind,
			    kind, !strcmp(kind, "tbu") ? "[tbu gpu_tbu0]" : "[smmu 15000000.iommu]");
	if (has_space(name) || strchr(name, '[') || strchr(name, ']'))
		return perr(p, line, "section", "[%s %s]: a name has no spaces or brackets",
			    kind, name);
	if (strlen(name) >= SMT_NAME_LEN)
		return perr(p, line, "section", "[%s %.20s...]: name longer than %d bytes", kind,
			    name, SMT_NAME_LEN - 1);
	return 0;
}

/* The TBU section just ended: it must have said which SIDs it carries. */
static int close_section(struct board_parser *p)
{
	struct pending_tbu *pt;

	if (p->sec != SEC_TBU)
		return 0;
	pt = &p->tbus[p->ntbus - 1];
	if (!pt->sids_line)
		return perr(p, pt->line, "section", "[tbu %s] has no sids: add sids = FIRST-LAST "
			    "(the stream IDs routed through this TBU), e.g. sids = 0x0-0x3ff",
			    pt->tbu.name);
	return 0;
}

static int parse_section(struct board_parser *p, int line, char *s)
{
	size_t n = strlen(s);
	char *kind, *name;
	int err;

	if (s[n - 1] != ']')
		return perr(p, line, "section", "'%s' has no closing ']': write [smmu NAME] or "
			    "[tbu NAME]", s);
	s[n - 1] = '\0';
	kind = trim(s + 1);
	for (name = kind; *name && !isspace((unsigned char)*name); name++)
		;
	if (*name)
		*name++ = '\0';
	name = trim(name);
	err = close_section(p);
	if (err)
		return err;
	if (strcmp(kind, "smmu") && strcmp(kind, "tbu"))
		return perr(p, line, "section", "unknown section kind '%s': use "
			    "[smmu NAME] or [tbu NAME]", kind);
	err = check_name(p, line, kind, name);
	if (err)
		return err;
	if (!strcmp(kind, "smmu")) {
		struct pending_smmu *ns;

		for (int i = 0; i < p->nsmmus; i++)
			if (!strcmp(p->smmus[i].name, name))
				return perr(p, line, "section", "[smmu %s] declared twice (first at "
					    "line %d): remove one", name, p->smmus[i].line);
		if (p->nsmmus >= TOPO_MAX_SMMUS)
			return perr(p, line, "section", "more than %d SMMUs", TOPO_MAX_SMMUS);
		ns = realloc(p->smmus, sizeof(*ns) * (p->nsmmus + 1));
		if (!ns)
			return perr(p, line, "section", "out of memory");
		p->smmus = ns;
		memset(&ns[p->nsmmus], 0, sizeof(*ns));
		topo_copy_name(ns[p->nsmmus].name, SMT_NAME_LEN, name);
		ns[p->nsmmus++].line = line;
		p->sec = SEC_SMMU;
	} else {
		struct pending_tbu *nt;

		for (int i = 0; i < p->ntbus; i++)
			if (!strcmp(p->tbus[i].tbu.name, name))
				return perr(p, line, "section", "[tbu %s] declared twice (first at "
					    "line %d): merge the two sections", name,
					    p->tbus[i].line);
		if (p->ntbus >= TOPO_MAX_TBUS)
			return perr(p, line, "section", "more than %d TBUs in one board file",
				    TOPO_MAX_TBUS);
		nt = realloc(p->tbus, sizeof(*nt) * (p->ntbus + 1));
		if (!nt)
			return perr(p, line, "section", "out of memory");
		p->tbus = nt;
		memset(&nt[p->ntbus], 0, sizeof(*nt));
		topo_copy_name(nt[p->ntbus].tbu.name, SMT_NAME_LEN, name);
		snprintf(nt[p->ntbus].tbu.origin, sizeof(nt[p->ntbus].tbu.origin),
			 "board %s:%d", p->file, line);
		nt[p->ntbus++].line = line;
		p->sec = SEC_TBU;
	}
	return 0;
}

/* [smmu NAME] takes one key, gates =: what suspends the SMMU itself (SPEC §4) */
static int parse_smmu_key(struct board_parser *p, int line, const char *key, char *val)
{
	struct pending_smmu *ps = &p->smmus[p->nsmmus - 1];

	if (strcmp(key, "gates"))
		return perr(p, line, key, "unknown key in [smmu %s]: the only key is gates "
			    "(what suspends the SMMU itself); TBU settings (" BOARD_KEYS_TBU
			    ") go under [tbu NAME]", ps->name);
	if (ps->gates_line)
		return perr(p, line, key, "given twice in [smmu %s] (first at line %d): put "
			    "everything on one line", ps->name, ps->gates_line);
	if (!*val)
		return perr(p, line, key, "empty value: give the gates that suspend the SMMU, "
			    "e.g. gates = rpm:15000000.iommu, clk:smmu_tcu_clk");
	ps->gates_line = line;
	return parse_gates(p, line, val, &(struct gate_sink){ .smmu = ps,
							     .max = TOPO_MAX_SMMU_GATES });
}

static int parse_key(struct board_parser *p, int line, char *s)
{
	char *eq = strchr(s, '=');
	char *key, *val;
	struct pending_tbu *pt;
	int *seen;

	if (!eq)
		return perr(p, line, "line", "'%s' is neither a [section] nor key = value",
			    s);
	*eq = '\0';
	key = trim(s);
	val = trim(eq + 1);
	if (!*key)
		return perr(p, line, "line", "'= %s' has no key: write key = value", val);
	if (p->sec == SEC_NONE)
		return perr(p, line, key, "outside a section: put it under a [tbu NAME] "
			    "header");
	if (p->sec == SEC_SMMU)
		return parse_smmu_key(p, line, key, val);
	pt = &p->tbus[p->ntbus - 1];
	if (!strcmp(key, "smmu"))
		seen = &pt->smmu_line;
	else if (!strcmp(key, "sids"))
		seen = &pt->sids_line;
	else if (!strcmp(key, "gates"))
		seen = &pt->gates_line;
	else
		return perr(p, line, key, "unknown key in [tbu %s]: valid keys are "
			    BOARD_KEYS_TBU, pt->tbu.name);
	if (*seen)
		return perr(p, line, key, "given twice in [tbu %s] (first at line %d): put "
			    "everything on one line", pt->tbu.name, *seen);
	if (!*val)
		return perr(p, line, key, "empty value: %s", !strcmp(key, "smmu") ?
			    "give the SMMU's device name, e.g. smmu = 15000000.iommu" :
			    !strcmp(key, "sids") ? "give stream IDs, e.g. sids = 0x0-0x3ff, 0x800" :
			    "give gates, e.g. gates = clk:gpu_cc_ahb_clk, pd:gpu_cx_gdsc, "
			    "rpm:3d00000.gpu");
	*seen = line;
	if (!strcmp(key, "smmu")) {
		if (has_space(val) || strchr(val, '[') || strchr(val, ']') || *val == ';' ||
		    *val == '#')
			return perr(p, line, key, "'%s' is not an SMMU name: give one device name, "
				    "no spaces or brackets, not starting with ; or # (e.g. "
				    "15000000.iommu)", val);
		if (strlen(val) >= SMT_NAME_LEN)
			return perr(p, line, key, "'%.20s...' is longer than %d bytes", val,
				    SMT_NAME_LEN - 1);
		topo_copy_name(pt->tbu.smmu, SMT_NAME_LEN, val);
		return 0;
	}
	if (!strcmp(key, "sids"))
		return parse_sids(p, line, val, &pt->tbu);
	return parse_gates(p, line, val, &(struct gate_sink){ .tbu = &pt->tbu,
							     .max = TOPO_MAX_GATES });
}

static int parse_text(struct board_parser *p, const char *text, size_t len)
{
	const char *pos = text, *end = text + len;
	char *buf = NULL;
	size_t cap = 0;
	int line = 0, err = 0;

	/* editors on other systems may leave a UTF-8 byte-order mark */
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		pos += 3;
	while (pos < end && !err) {
		const char *nl = memchr(pos, '\n', end - pos);
		size_t n = (nl ? nl : end) - pos;
		char *s;

		line++;
		if (memchr(pos, '\0', n)) {
			err = perr(p, line, "file", "contains a NUL byte: a board file is plain "
				   "text; check that the right file was given");
			break;
		}
		if (n + 1 > cap) {
			char *nb = realloc(buf, n + 1);

			if (!nb) {
				err = perr(p, line, "file", "out of memory");
				break;
			}
			buf = nb;
			cap = n + 1;
		}
		memcpy(buf, pos, n);
		buf[n] = '\0';
		pos = nl ? nl + 1 : end;
		strip_comment(buf);
		s = trim(buf);	/* also drops the \r of CRLF files */
		if (!*s)
			continue;
		if (*s == '[')
			err = parse_section(p, line, s);
		else
			err = parse_key(p, line, s);
	}
	free(buf);
	if (!err)
		err = close_section(p);
	return err;
}

static bool known_smmu(const struct topology *t, const struct board_parser *p,
		       const char *name)
{
	if (topology__find_smmu(t, name) >= 0)
		return true;
	for (int i = 0; i < p->nsmmus; i++)
		if (!strcmp(p->smmus[i].name, name))
			return true;
	return false;
}

/* "a, b, c" of the SMMUs known from T and the file, for messages */
static void list_smmus(const struct topology *t, const struct board_parser *p,
		       char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < t->nsmmus + p->nsmmus && n < len; i++) {
		const char *name = i < t->nsmmus ? t->smmus[i].name :
				   p->smmus[i - t->nsmmus].name;

		if (i >= t->nsmmus && topology__find_smmu(t, name) >= 0)
			continue;
		n += snprintf(buf + n, len - n, "%s%s", n ? ", " : "", name);
	}
}

/*
 * Which SMMU each TBU belongs to. With SMMUs declared (board or DT), smmu =
 * must name one of them. Without any, the names given in smmu = are the
 * SMMUs. A TBU without smmu = keeps the SMMU of the TBU it replaces, else
 * belongs to the only SMMU, if there is one.
 */
static int resolve_smmus(const struct topology *t, struct board_parser *p)
{
	int ndeclared = t->nsmmus, nimplicit = 0;
	const char *only = NULL;
	char list[512];

	for (int i = 0; i < p->nsmmus; i++)
		if (topology__find_smmu(t, p->smmus[i].name) < 0)
			ndeclared++;
	if (ndeclared) {
		for (int i = 0; i < p->ntbus; i++) {
			struct pending_tbu *pt = &p->tbus[i];

			if (pt->smmu_line && !known_smmu(t, p, pt->tbu.smmu)) {
				list_smmus(t, p, list, sizeof(list));
				return perr(p, pt->smmu_line, "smmu", "'%s' is not declared (known: "
					    "%s): add [smmu %s] or fix the name", pt->tbu.smmu,
					    list, pt->tbu.smmu);
			}
		}
		if (ndeclared == 1)
			only = t->nsmmus ? t->smmus[0].name : p->smmus[0].name;
	} else {
		for (int i = 0; i < p->ntbus; i++) {
			const char *name = p->tbus[i].tbu.smmu;

			if (!p->tbus[i].smmu_line)
				continue;
			if (!only) {
				only = name;
				nimplicit = 1;
			} else if (strcmp(only, name)) {
				nimplicit = 2;
			}
		}
		if (nimplicit > 1)
			only = NULL;
	}
	for (int i = 0; i < p->ntbus; i++) {
		struct pending_tbu *pt = &p->tbus[i];
		int old = topology__find_tbu(t, pt->tbu.name);

		if (pt->smmu_line)
			continue;
		/* overriding a device-tree TBU: it already says which SMMU */
		if (old >= 0 && t->tbus[old].smmu[0]) {
			topo_copy_name(pt->tbu.smmu, SMT_NAME_LEN, t->tbus[old].smmu);
			continue;
		}
		if (ndeclared > 1 || nimplicit > 1) {
			if (ndeclared)
				list_smmus(t, p, list, sizeof(list));
			else
				snprintf(list, sizeof(list), "named in smmu = lines");
			return perr(p, pt->line, "section", "[tbu %s] has no smmu = and the board "
				    "has several SMMUs (%s): say which, e.g. smmu = %s",
				    pt->tbu.name, list,
				    ndeclared ? (t->nsmmus ? t->smmus[0].name : p->smmus[0].name) :
				    "15000000.iommu");
		}
		if (only)
			topo_copy_name(pt->tbu.smmu, SMT_NAME_LEN, only);
	}
	return 0;
}

/* Everything checked: move the file's SMMUs and TBUs into T. */
static int merge(struct topology *t, struct board_parser *p)
{
	char origin[256];
	int nnew = 0, err;

	for (int i = 0; i < p->ntbus; i++)
		if (topology__find_tbu(t, p->tbus[i].tbu.name) < 0)
			nnew++;
	if (t->ntbus + nnew > TOPO_MAX_TBUS)
		return perr(p, p->tbus[p->ntbus - 1].line, "section", "more than %d TBUs with "
			    "the device tree's: drop some", TOPO_MAX_TBUS);
	for (int i = 0; i < p->nsmmus; i++) {
		struct pending_smmu *ps = &p->smmus[i];
		struct topo_smmu *s;
		int k = topology__find_smmu(t, ps->name);

		if (k < 0) {
			snprintf(origin, sizeof(origin), "board %s:%d", p->file, ps->line);
			err = topology__add_smmu(t, ps->name, "", origin);
			if (err)
				return perr(p, ps->line, "section", "%s", strerror(-err));
			k = t->nsmmus - 1;
		}
		if (!ps->gates_line)
			continue;
		/* the board file says what suspends it: replaces the default (or the DT's) */
		s = &t->smmus[k];
		memcpy(s->gates, ps->gates, sizeof(s->gates));
		s->ngates = ps->ngates;
		s->gates_given = true;
	}
	for (int i = 0; i < p->ntbus; i++) {
		struct pending_tbu *pt = &p->tbus[i];

		/* no SMMU declared anywhere: the ones named by smmu = are the SMMUs */
		if (pt->smmu_line && topology__find_smmu(t, pt->tbu.smmu) < 0) {
			snprintf(origin, sizeof(origin), "board %s:%d", p->file, pt->smmu_line);
			err = topology__add_smmu(t, pt->tbu.smmu, "", origin);
			if (err)
				return perr(p, pt->smmu_line, "smmu", "%s", strerror(-err));
		}
		err = topology__put_tbu(t, &pt->tbu, true);
		if (err)
			return perr(p, pt->line, "section", "%s", strerror(-err));
	}
	return 0;
}

static int load(struct topology *t, const char *text, size_t len, const char *file,
		char *err, size_t errlen)
{
	struct board_parser p = { .file = file, .err = err, .errlen = errlen };
	char *copy;
	int ret;

	ret = parse_text(&p, text, len);
	/* an empty board would silently judge nothing: a wrong path or an unsaved edit */
	if (!ret && !p.nsmmus && !p.ntbus) {
		snprintf(err, errlen, "%s: no [tbu NAME] or [smmu NAME] section: the board file "
			 "describes nothing (see 'Board file' in smmutrace(8))", file);
		ret = -EINVAL;
	}
	if (!ret)
		ret = resolve_smmus(t, &p);
	if (!ret) {
		copy = malloc(len + 1);
		if (!copy) {
			ret = -ENOMEM;
			snprintf(err, errlen, "%s: out of memory", file);
		} else {
			memcpy(copy, text, len);
			copy[len] = '\0';
			ret = merge(t, &p);
			if (!ret) {
				free(t->board_text);
				t->board_text = copy;
			} else {
				free(copy);
			}
		}
	}
	parser_free(&p);
	return ret;
}

int board__load_text(struct topology *t, const char *text, const char *name,
		     char *err, size_t errlen)
{
	return load(t, text, strlen(text), name ? name : "board", err, errlen);
}

int board__load(struct topology *t, const char *path, char *err, size_t errlen)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s: give a readable board file", path,
			 strerror(-ret));
		return ret;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 8192;
			char *nb;

			if (cap >= BOARD_MAX_BYTES) {
				snprintf(err, errlen, "%s: larger than %u MiB: not a board file?",
					 path, BOARD_MAX_BYTES >> 20);
				ret = -EFBIG;
				goto out;
			}
			if (ncap > BOARD_MAX_BYTES)
				ncap = BOARD_MAX_BYTES;
			nb = realloc(buf, ncap);
			if (!nb) {
				snprintf(err, errlen, "%s: out of memory", path);
				ret = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap = ncap;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(-ret));
			goto out;
		}
		if (n == 0)
			break;
		len += n;
		if (len == BOARD_MAX_BYTES) {
			char c;

			if (read(fd, &c, 1) == 0)
				break;
			snprintf(err, errlen, "%s: larger than %u MiB: not a board file?",
				 path, BOARD_MAX_BYTES >> 20);
			ret = -EFBIG;
			goto out;
		}
	}
	ret = load(t, buf ? buf : "", len, path, err, errlen);
out:
	free(buf);
	close(fd);
	return ret;
}

/* comment text on one line: a control character would end or corrupt it */
static void put_comment(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

int board__format(const struct topology *t, char **out)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	*out = NULL;
	if (!f)
		return -ENOMEM;
	fprintf(f, "; smmutrace board: the merged model%s", t->model[0] ? " of " : "");
	put_comment(f, t->model);
	fprintf(f, "\n");
	for (int i = 0; i < t->nsmmus; i++) {
		const struct topo_smmu *s = &t->smmus[i];

		fprintf(f, "[smmu %s] ; ", s->name);
		put_comment(f, s->origin);
		fprintf(f, "\n");
		if (!s->gates_given)
			continue;
		fprintf(f, "gates =");
		for (int j = 0; j < s->ngates; j++)
			fprintf(f, "%s %s:%s", j ? "," : "", topology__gate_kind_name(s->gates[j].kind),
				s->gates[j].name);
		fprintf(f, "\n");
	}
	for (int i = 0; i < t->ntbus; i++) {
		const struct topo_tbu *b = &t->tbus[i];

		fprintf(f, "\n");
		if (!b->nsids) {
			fprintf(f, "; [tbu %s] left out: it has no SIDs (", b->name);
			put_comment(f, b->origin);
			fprintf(f, ")\n");
			continue;
		}
		fprintf(f, "[tbu %s] ; ", b->name);
		put_comment(f, b->origin);
		fprintf(f, "\n");
		if (b->smmu[0])
			fprintf(f, "smmu = %s\n", b->smmu);
		fprintf(f, "sids =");
		for (int j = 0; j < b->nsids; j++) {
			fprintf(f, "%s 0x%x", j ? "," : "", b->sids[j].first);
			if (b->sids[j].last != b->sids[j].first)
				fprintf(f, "-0x%x", b->sids[j].last);
		}
		fprintf(f, "\n");
		if (b->ngates) {
			fprintf(f, "gates =");
			for (int j = 0; j < b->ngates; j++)
				fprintf(f, "%s %s:%s", j ? "," : "",
					topology__gate_kind_name(b->gates[j].kind), b->gates[j].name);
			fprintf(f, "\n");
		}
		for (int j = 0; j < b->nunresolved; j++) {
			fprintf(f, "; unresolved: ");
			put_comment(f, b->unresolved[j]);
			fprintf(f, "\n");
		}
	}
	if (fclose(f) || !buf) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	return 0;
}
