// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Recursive-descent JSON parser into an arena: every value, string and child array of a
 * document is carved from a few large chunks, so freeing a document is a walk over its
 * chunks. Children of the container being parsed are collected on one shared scratch
 * stack and copied into the arena when the container closes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "util/files.h"
#include "util/jsonparse.h"

struct json_value {
	enum json_type type;
	bool b;
	bool is_int;
	double d;
	int64_t i;
	size_t n;                  /* string bytes, or number of elements/members */
	char *s;                   /* string */
	struct json_value **items; /* array elements / object member values */
	char **keys;               /* object member keys */
};

struct chunk {
	struct chunk *next;
	size_t used, cap;
	max_align_t data[];
};

struct json_doc {
	struct chunk *chunks;
	struct json_value *root;
};

#define CHUNK_SIZE (64 * 1024)

static void *arena_alloc(struct json_doc *d, size_t n)
{
	struct chunk *c = d->chunks;
	size_t align = sizeof(max_align_t);

	n = (n + align - 1) / align * align;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > CHUNK_SIZE ? n : CHUNK_SIZE;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->cap = cap;
		c->used = 0;
		/* a one-off large block goes behind the current chunk so its space stays usable */
		if (cap > CHUNK_SIZE && d->chunks) {
			c->next = d->chunks->next;
			d->chunks->next = c;
		} else {
			c->next = d->chunks;
			d->chunks = c;
		}
	}
	void *p = (char *)c->data + c->used;

	c->used += n;
	return p;
}

struct parser {
	const char *start, *p, *end;
	int depth, max_depth;
	struct json_doc *doc;
	struct json_err *err;
	bool failed;
	bool oom; /* the failure was out of memory (errno ENOMEM), not the input */
	/* scratch stack of children (and keys) of open containers */
	struct json_value **stk;
	char **kstk;
	size_t sn, scap;
	/* scratch buffer for decoding a string */
	char *buf;
	size_t blen, bcap;
};

static void fail_at(struct parser *ps, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail_at(struct parser *ps, const char *at, const char *fmt, ...)
{
	va_list ap;
	int line = 1, col = 1;

	if (ps->failed)
		return;
	ps->failed = true;
	if (at > ps->end)
		at = ps->end;
	for (const char *q = ps->start; q < at; q++) {
		if (*q == '\n') {
			line++;
			col = 1;
		} else if (((unsigned char)*q & 0xc0) != 0x80) {
			col++; /* count characters, not UTF-8 continuation bytes */
		}
	}
	ps->err->line = line;
	ps->err->col = col;
	va_start(ap, fmt);
	vsnprintf(ps->err->msg, sizeof(ps->err->msg), fmt, ap);
	va_end(ap);
}

static int line_of(const struct parser *ps, const char *at)
{
	int line = 1;

	for (const char *q = ps->start; q < at; q++)
		line += *q == '\n';
	return line;
}

static void fail_oom(struct parser *ps)
{
	fail_at(ps, ps->p, "out of memory while parsing");
	ps->oom = true;
}

static void describe_char(const char *p, const char *end, char *out, size_t len)
{
	unsigned char c;

	if (p >= end) {
		snprintf(out, len, "end of input");
		return;
	}
	c = (unsigned char)*p;
	if (c >= 0x20 && c < 0x7f)
		snprintf(out, len, "'%c'", c);
	else
		snprintf(out, len, "byte 0x%02x", c);
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static struct json_value *new_value(struct parser *ps, enum json_type t)
{
	struct json_value *v = arena_alloc(ps->doc, sizeof(*v));

	if (!v) {
		fail_oom(ps);
		return NULL;
	}
	memset(v, 0, sizeof(*v));
	v->type = t;
	return v;
}

static int stack_push(struct parser *ps, struct json_value *v, char *key)
{
	if (ps->sn == ps->scap) {
		size_t cap = ps->scap ? ps->scap * 2 : 64;
		struct json_value **s = realloc(ps->stk, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		ps->stk = s;
		char **k = realloc(ps->kstk, cap * sizeof(*k));

		if (!k)
			return -ENOMEM;
		ps->kstk = k;
		ps->scap = cap;
	}
	ps->stk[ps->sn] = v;
	ps->kstk[ps->sn] = key;
	ps->sn++;
	return 0;
}

static int buf_put(struct parser *ps, const char *s, size_t n)
{
	if (ps->blen + n + 1 > ps->bcap) {
		size_t cap = ps->bcap ? ps->bcap : 256;

		while (cap < ps->blen + n + 1)
			cap *= 2;
		char *b = realloc(ps->buf, cap);

		if (!b)
			return -ENOMEM;
		ps->buf = b;
		ps->bcap = cap;
	}
	memcpy(ps->buf + ps->blen, s, n);
	ps->blen += n;
	return 0;
}

static int put_utf8(struct parser *ps, uint32_t cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_put(ps, b, n);
}

static int hex4(const char *p, const char *end, uint32_t *out)
{
	uint32_t v = 0;

	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Length of the valid UTF-8 sequence at p (2..4 bytes, lead byte >= 0x80), or 0. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
	uint32_t cp, min;
	size_t n;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2, cp = p[0] & 0x1f, min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3, cp = p[0] & 0x0f, min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4, cp = p[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Parse a string at ps->p (the opening quote); the decoded bytes are copied into the
 * arena. Returns the string, or NULL with the parser failed. */
static char *parse_string(struct parser *ps, size_t *len_out)
{
	const char *open = ps->p;

	ps->p++;
	ps->blen = 0;
	for (;;) {
		const char *run = ps->p;

		while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' &&
		       (unsigned char)*ps->p >= 0x20 && (unsigned char)*ps->p < 0x80)
			ps->p++;
		if (ps->p > run && buf_put(ps, run, (size_t)(ps->p - run))) {
			fail_oom(ps);
			return NULL;
		}
		if (ps->p >= ps->end) {
			fail_at(ps, ps->p, "unterminated string (opened at byte %td): input is "
				"truncated or a closing quote is missing", open - ps->start + 1);
			return NULL;
		}
		unsigned char c = (unsigned char)*ps->p;

		if (c == '"') {
			ps->p++;
			break;
		}
		if (c < 0x20) {
			fail_at(ps, ps->p, "control character 0x%02x inside a string must be "
				"escaped", c);
			return NULL;
		}
		if (c >= 0x80) {
			size_t n = utf8_seq((const unsigned char *)ps->p,
					    (const unsigned char *)ps->end);

			if (!n) {
				fail_at(ps, ps->p, "invalid UTF-8 byte 0x%02x in a string", c);
				return NULL;
			}
			if (buf_put(ps, ps->p, n)) {
				fail_oom(ps);
				return NULL;
			}
			ps->p += n;
			continue;
		}
		/* backslash escape */
		const char *esc = ps->p;
		char out;

		if (ps->p + 1 >= ps->end) {
			fail_at(ps, ps->end, "unterminated escape at end of input");
			return NULL;
		}
		switch (ps->p[1]) {
		case '"': out = '"'; break;
		case '\\': out = '\\'; break;
		case '/': out = '/'; break;
		case 'b': out = '\b'; break;
		case 'f': out = '\f'; break;
		case 'n': out = '\n'; break;
		case 'r': out = '\r'; break;
		case 't': out = '\t'; break;
		case 'u': {
			uint32_t cp, lo;

			if (hex4(ps->p + 2, ps->end, &cp)) {
				fail_at(ps, esc, "\\u must be followed by four hex digits");
				return NULL;
			}
			ps->p += 6;
			if (cp >= 0xdc00 && cp <= 0xdfff) {
				fail_at(ps, esc, "lone low surrogate \\u%04X", (unsigned)cp);
				return NULL;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' ||
				    hex4(ps->p + 2, ps->end, &lo) || lo < 0xdc00 || lo > 0xdfff) {
					fail_at(ps, esc, "high surrogate \\u%04X is not followed by "
						"a low surrogate", (unsigned)cp);
					return NULL;
				}
				ps->p += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			if (put_utf8(ps, cp)) {
				fail_oom(ps);
				return NULL;
			}
			continue;
		}
		default: {
			char what[24];

			describe_char(ps->p + 1, ps->end, what, sizeof(what));
			fail_at(ps, esc, "invalid escape \\%s in a string", what);
			return NULL;
		}
		}
		if (buf_put(ps, &out, 1)) {
			fail_oom(ps);
			return NULL;
		}
		ps->p += 2;
	}
	char *s = arena_alloc(ps->doc, ps->blen + 1);

	if (!s) {
		fail_oom(ps);
		return NULL;
	}
	memcpy(s, ps->buf ? ps->buf : "", ps->blen);
	s[ps->blen] = '\0';
	*len_out = ps->blen;
	return s;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static struct json_value *parse_number(struct parser *ps)
{
	const char *s = ps->p, *q = ps->p;
	bool integer = true;
	char small[64], *tmp = small, *endp;
	struct json_value *v;
	size_t n;

	if (q < ps->end && *q == '-')
		q++;
	if (q >= ps->end || !is_digit(*q)) {
		fail_at(ps, q, "a number needs a digit after '-'");
		return NULL;
	}
	if (*q == '0') {
		q++;
		if (q < ps->end && is_digit(*q)) {
			fail_at(ps, s, "numbers must not have leading zeros");
			return NULL;
		}
	} else {
		while (q < ps->end && is_digit(*q))
			q++;
	}
	if (q < ps->end && *q == '.') {
		integer = false;
		q++;
		if (q >= ps->end || !is_digit(*q)) {
			fail_at(ps, q, "a number needs digits after the decimal point");
			return NULL;
		}
		while (q < ps->end && is_digit(*q))
			q++;
	}
	if (q < ps->end && (*q == 'e' || *q == 'E')) {
		integer = false;
		q++;
		if (q < ps->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= ps->end || !is_digit(*q)) {
			fail_at(ps, q, "a number needs digits in its exponent");
			return NULL;
		}
		while (q < ps->end && is_digit(*q))
			q++;
	}
	n = (size_t)(q - s);
	if (n >= sizeof(small)) {
		tmp = malloc(n + 1);
		if (!tmp) {
			fail_oom(ps);
			return NULL;
		}
	}
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	v = new_value(ps, JSON_NUMBER);
	if (!v)
		goto out;
	errno = 0;
	v->d = strtod(tmp, &endp);
	if (errno == ERANGE && (v->d > 1.0 || v->d < -1.0)) {
		fail_at(ps, s, "number %.40s%s is out of the range of a double", tmp,
			n > 40 ? "..." : "");
		v = NULL;
		goto out;
	}
	if (integer) {
		errno = 0;
		long long ll = strtoll(tmp, &endp, 10);

		if (errno == 0 && *endp == '\0') {
			v->i = ll;
			v->is_int = true;
		}
	}
	if (!v->is_int)
		v->i = (v->d >= 9.2e18 || v->d <= -9.2e18) ? 0 : (int64_t)v->d;
	ps->p = q;
out:
	if (tmp != small)
		free(tmp);
	return v;
}

static struct json_value *parse_value(struct parser *ps);

static int collect(struct parser *ps, struct json_value *v, size_t base, bool object)
{
	size_t n = ps->sn - base;

	v->n = n;
	if (n) {
		v->items = arena_alloc(ps->doc, n * sizeof(*v->items));
		if (!v->items)
			return -ENOMEM;
		memcpy(v->items, ps->stk + base, n * sizeof(*v->items));
		if (object) {
			v->keys = arena_alloc(ps->doc, n * sizeof(*v->keys));
			if (!v->keys)
				return -ENOMEM;
			memcpy(v->keys, ps->kstk + base, n * sizeof(*v->keys));
		}
	}
	ps->sn = base;
	return 0;
}

static struct json_value *parse_container(struct parser *ps, bool object)
{
	const char *open = ps->p;
	size_t base = ps->sn;
	struct json_value *v = new_value(ps, object ? JSON_OBJECT : JSON_ARRAY);
	char close = object ? '}' : ']';
	char what[24];

	if (!v)
		return NULL;
	if (++ps->depth > ps->max_depth) {
		fail_at(ps, open, "nesting deeper than %d levels", ps->max_depth);
		return NULL;
	}
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		ps->depth--;
		return v;
	}
	for (;;) {
		char *key = NULL;
		struct json_value *child;

		skip_ws(ps);
		if (object) {
			size_t klen;

			if (ps->p >= ps->end || *ps->p != '"') {
				describe_char(ps->p, ps->end, what, sizeof(what));
				fail_at(ps, ps->p, "expected a member name in quotes, found %s%s",
					what, ps->p >= ps->end ? " (input is truncated)" : "");
				return NULL;
			}
			key = parse_string(ps, &klen);
			if (!key)
				return NULL;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':') {
				describe_char(ps->p, ps->end, what, sizeof(what));
				fail_at(ps, ps->p, "expected ':' after member name \"%.40s\", "
					"found %s", key, what);
				return NULL;
			}
			ps->p++;
		}
		child = parse_value(ps);
		if (!child)
			return NULL;
		if (stack_push(ps, child, key)) {
			fail_oom(ps);
			return NULL;
		}
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			skip_ws(ps);
			if (ps->p < ps->end && *ps->p == close) {
				fail_at(ps, ps->p, "trailing comma before '%c'", close);
				return NULL;
			}
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			break;
		}
		describe_char(ps->p, ps->end, what, sizeof(what));
		fail_at(ps, ps->p, "expected ',' or '%c' in the %s opened at line %d, found %s%s",
			close, object ? "object" : "array", line_of(ps, open), what,
			ps->p >= ps->end ? " (input is truncated)" : "");
		return NULL;
	}
	if (collect(ps, v, base, object)) {
		fail_oom(ps);
		return NULL;
	}
	ps->depth--;
	return v;
}

static struct json_value *parse_literal(struct parser *ps, const char *word, enum json_type t,
					bool b)
{
	size_t n = strlen(word);
	struct json_value *v;

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) {
		fail_at(ps, ps->p, "invalid literal: expected '%s'%s", word,
			(size_t)(ps->end - ps->p) < n ? " (input is truncated)" : "");
		return NULL;
	}
	v = new_value(ps, t);
	if (!v)
		return NULL;
	v->b = b;
	ps->p += n;
	return v;
}

static struct json_value *parse_value(struct parser *ps)
{
	char what[24];

	skip_ws(ps);
	if (ps->p >= ps->end) {
		fail_at(ps, ps->p, "unexpected end of input: expected a value (input is "
			"empty or truncated)");
		return NULL;
	}
	switch (*ps->p) {
	case '{':
		return parse_container(ps, true);
	case '[':
		return parse_container(ps, false);
	case '"': {
		struct json_value *v = new_value(ps, JSON_STRING);

		if (!v)
			return NULL;
		v->s = parse_string(ps, &v->n);
		return v->s ? v : NULL;
	}
	case 't':
		return parse_literal(ps, "true", JSON_BOOL, true);
	case 'f':
		return parse_literal(ps, "false", JSON_BOOL, false);
	case 'n':
		return parse_literal(ps, "null", JSON_NULL, false);
	default:
		if (*ps->p == '-' || is_digit(*ps->p))
			return parse_number(ps);
		describe_char(ps->p, ps->end, what, sizeof(what));
		fail_at(ps, ps->p, "unexpected %s: expected a value", what);
		return NULL;
	}
}

struct json_doc *json_parse(const char *text, size_t len, int max_depth, struct json_err *err)
{
	struct json_err dummy;
	struct parser ps = {
		.start = text,
		.p = text,
		.end = text + len,
		.max_depth = max_depth > 0 ? max_depth : JSON_DEFAULT_DEPTH,
		.err = err ? err : &dummy,
	};
	struct json_doc *d = calloc(1, sizeof(*d));

	memset(ps.err, 0, sizeof(*ps.err));
	if (!d) {
		snprintf(ps.err->msg, sizeof(ps.err->msg), "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	ps.doc = d;
	/* a UTF-8 byte order mark is tolerated, as RFC 8259 allows parsers to */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		ps.p += 3;
	d->root = parse_value(&ps);
	if (d->root) {
		skip_ws(&ps);
		if (ps.p < ps.end) {
			char what[24];

			describe_char(ps.p, ps.end, what, sizeof(what));
			fail_at(&ps, ps.p, "unexpected %s after the end of the JSON value", what);
			d->root = NULL;
		}
	}
	free(ps.stk);
	free(ps.kstk);
	free(ps.buf);
	if (!d->root) {
		json_doc_free(d);
		errno = ps.oom ? ENOMEM : EINVAL;
		return NULL;
	}
	return d;
}

struct json_doc *json_parse_file(const char *path, int max_depth, struct json_err *err)
{
	struct json_err dummy;
	struct json_doc *d;
	char *text, m[512], cap[32];
	size_t len;
	int e;

	if (!err)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	e = files_read_all(path, "JSON file", FILES_MAX_JSON, &text, &len, m, sizeof(m));
	if (e) {
		files_fmt_size(cap, sizeof(cap), FILES_MAX_JSON);
		if (e == -EFBIG)
			snprintf(err->msg, sizeof(err->msg), "larger than %s, the most opscope "
				 "reads of a JSON file; check that it is the right file", cap);
		else if (e == -ENOMEM)
			snprintf(err->msg, sizeof(err->msg), "out of memory reading the file");
		else
			snprintf(err->msg, sizeof(err->msg), "cannot %s: %s",
				 e == -EIO ? "read" : "open", strerror(-e));
		errno = -e;
		return NULL;
	}
	d = json_parse(text, len, max_depth, err);
	e = d ? 0 : errno;
	free(text);
	errno = e;
	return d;
}

void json_doc_free(struct json_doc *d)
{
	if (!d)
		return;
	for (struct chunk *c = d->chunks, *n; c; c = n) {
		n = c->next;
		free(c);
	}
	free(d);
}

const struct json_value *json_root(const struct json_doc *d)
{
	return d ? d->root : NULL;
}

enum json_type json_type(const struct json_value *v)
{
	return v ? v->type : JSON_NULL;
}

const char *json_type_name(enum json_type t)
{
	switch (t) {
	case JSON_NULL: return "null";
	case JSON_BOOL: return "boolean";
	case JSON_NUMBER: return "number";
	case JSON_STRING: return "string";
	case JSON_ARRAY: return "array";
	case JSON_OBJECT: return "object";
	}
	return "?";
}

bool json_is(const struct json_value *v, enum json_type t)
{
	return v && v->type == t;
}

const struct json_value *json_get(const struct json_value *obj, const char *key)
{
	if (!json_is(obj, JSON_OBJECT) || !key)
		return NULL;
	for (size_t i = 0; i < obj->n; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return obj->items[i];
	return NULL;
}

const struct json_value *json_path(const struct json_value *v, const char *path)
{
	char key[256];

	while (v && path && *path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		v = json_get(v, key);
		path = dot ? dot + 1 : NULL;
	}
	return v;
}

size_t json_len(const struct json_value *v)
{
	return v && (v->type == JSON_ARRAY || v->type == JSON_OBJECT) ? v->n : 0;
}

const struct json_value *json_at(const struct json_value *v, size_t i)
{
	return i < json_len(v) ? v->items[i] : NULL;
}

const char *json_key_at(const struct json_value *obj, size_t i)
{
	return json_is(obj, JSON_OBJECT) && i < obj->n ? obj->keys[i] : NULL;
}

bool json_bool(const struct json_value *v)
{
	return json_is(v, JSON_BOOL) && v->b;
}

double json_num(const struct json_value *v)
{
	return json_is(v, JSON_NUMBER) ? v->d : 0;
}

bool json_is_int(const struct json_value *v)
{
	return json_is(v, JSON_NUMBER) && v->is_int;
}

int64_t json_int(const struct json_value *v)
{
	return json_is(v, JSON_NUMBER) ? v->i : 0;
}

const char *json_str(const struct json_value *v)
{
	return json_is(v, JSON_STRING) ? v->s : NULL;
}

size_t json_str_len(const struct json_value *v)
{
	return json_is(v, JSON_STRING) ? v->n : 0;
}

double json_get_num(const struct json_value *obj, const char *key, double def)
{
	const struct json_value *v = json_get(obj, key);

	return json_is(v, JSON_NUMBER) ? v->d : def;
}

const char *json_get_str(const struct json_value *obj, const char *key, const char *def)
{
	const struct json_value *v = json_get(obj, key);

	return json_is(v, JSON_STRING) ? v->s : def;
}

const struct json_value *json_find_by(const struct json_value *arr, const char *key,
				      const char *val)
{
	for (size_t i = 0; i < json_len(arr); i++) {
		const char *s = json_get_str(json_at(arr, i), key, NULL);

		if (s && !strcmp(s, val))
			return json_at(arr, i);
	}
	return NULL;
}
