/* The helper's configuration text: a strict parser (the helper runs it as root, before it
 * serves anything, on text the Apache parent wrote), the encoding both sides share, and the
 * <Location> merge the helper applies to each request's path. */
#include "ta_hconf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC_LINE "tokenauth-helper-config 1"
#define MAX_FIELDS 16
#define MAX_SERVERS 65535
#define MAX_LOCS 65536
#define TTL_MAX (10LL * 366 * 86400) /* as the directives allow */

typedef struct {
    char *f[MAX_FIELDS];
    size_t n;
} record;

static int fail(char *err, size_t errlen, size_t line, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(err, errlen, "helper configuration line %zu: ", line);

    if (n >= 0 && (size_t)n < errlen) {
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decode one percent-encoded field in place. Only upper-case escapes, and only of what the
 * encoder escapes: one spelling per value. A %00 is refused (values are C strings). */
static int decode_field(char *s)
{
    char *w = s;

    for (const char *r = s; *r; r++) {
        unsigned char c = (unsigned char)*r;
        if (c < 0x21 || c > 0x7e)
            return -1;
        if (c == '%') {
            int hi = hexval(r[1]), lo = hi < 0 ? -1 : hexval(r[2]);
            if (lo < 0)
                return -1;
            c = (unsigned char)(hi << 4 | lo);
            if (c == 0 || (c >= 0x21 && c <= 0x7e && c != '%'))
                return -1;
            r += 2;
        }
        *w++ = (char)c;
    }
    *w = '\0';
    return 0;
}

int ta_hconf_encode(const char *s, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        int plain = c >= 0x21 && c <= 0x7e && c != '%';
        if (o + (plain ? 1 : 3) >= cap)
            return -1;
        if (plain)
            out[o++] = (char)c;
        else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    if (o >= cap || (o == 0 && cap < 2))
        return -1;
    out[o] = '\0';
    return 0;
}

/* Split a line (already NUL-terminated) at single spaces; empty fields are refused. */
static int split(char *line, record *r)
{
    r->n = 0;
    for (char *p = line;;) {
        char *sp = strchr(p, ' ');
        if (r->n == MAX_FIELDS || *p == '\0' || p == sp)
            return -1;
        r->f[r->n++] = p;
        if (sp == NULL)
            return 0;
        *sp = '\0';
        p = sp + 1;
    }
}

/* A decimal number in [lo, hi], nothing else (no sign, no spaces, no leading zeros). */
static int number(const char *s, long long lo, long long hi, long long *out)
{
    long long v = 0;

    if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (hi - (*s - '0')) / 10)
            return -1;
        v = v * 10 + (*s - '0');
    }
    if (v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* An optional number: "-" leaves *set 0. */
static int opt_number(const char *s, long long lo, long long hi, long long *out, int *set)
{
    *set = strcmp(s, "-") != 0;
    return *set ? number(s, lo, hi, out) : 0;
}

/* A clean absolute URL path: starts with '/', no control characters (already decoded). */
static int url_path_ok(const char *s)
{
    if (s[0] != '/')
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

/* HOME OWNER HIDDEN SESSION URL URLMAX from f[0..6). */
static int parse_settings(char **f, ta_hsettings *s)
{
    long long v;
    int set;

    memset(s, 0, sizeof(*s));
    for (int i = 0; i < 6; i++)
        if (decode_field(f[i]) != 0)
            return -1;
    if (strcmp(f[0], "off") == 0)
        s->home_set = 1;
    else if (f[0][0] == ':' && f[0][1] != '\0') {
        s->home_set = 1;
        s->home = f[0] + 1;
    }
    else if (strcmp(f[0], "-") != 0)
        return -1;
    if (opt_number(f[1], 0, 1, &v, &set) != 0)
        return -1;
    s->owner_set = (unsigned)set;
    s->owner_only = (int)v * set;
    v = 0;
    if (opt_number(f[2], 0, 1, &v, &set) != 0)
        return -1;
    s->hidden_set = (unsigned)set;
    s->allow_hidden = (int)v * set;
    if (opt_number(f[3], 1, TTL_MAX, &s->session_ttl, &set) != 0)
        return -1;
    s->session_set = (unsigned)set;
    if (opt_number(f[4], 1, TTL_MAX, &s->url_ttl, &set) != 0)
        return -1;
    s->url_set = (unsigned)set;
    if (set != (strcmp(f[5], "-") != 0) || (set && number(f[5], 1, TTL_MAX, &s->url_ttl_max)))
        return -1;
    return s->url_set && s->url_ttl > s->url_ttl_max ? -1 : 0;
}

static int parse_client(ta_hconf *c, record *r)
{
    long long uid, gid, max, per_peer, level;

    if (r->n != 7 || number(r->f[1], 0, 4294967294LL, &uid) ||
        number(r->f[2], 0, 4294967294LL, &gid) || number(r->f[3], 1, 65536, &max) ||
        number(r->f[4], 1, 65536, &per_peer) || number(r->f[5], 0, 7, &level) ||
        (strcmp(r->f[6], "file") != 0 && strcmp(r->f[6], "syslog") != 0))
        return -1;
    c->client_uid = (unsigned long)uid;
    c->client_gid = (unsigned long)gid;
    c->max_clients = (unsigned)max;
    c->per_peer = (unsigned)per_peer;
    c->log_level = (int)level;
    c->log_syslog = strcmp(r->f[6], "syslog") == 0;
    return 0;
}

static int parse_ledger(ta_hconf *c, record *r)
{
    long long slots;

    if (r->n != 3 || decode_field(r->f[1]) != 0)
        return -1;
    if (strcmp(r->f[1], "-") == 0)
        return strcmp(r->f[2], "-") == 0 ? 0 : -1;
    if (number(r->f[2], 1, 1LL << 31, &slots) != 0)
        return -1;
    c->ledger = r->f[1];
    c->ledger_slots = (unsigned)slots;
    return c->ledger[0] == '/' ? 0 : -1;
}

static int parse_server(ta_hserver *s, record *r)
{
    long long limit, window, lockout, min_uid;
    const ta_hsettings *d = &s->defaults;

    if (r->n != 14)
        return -1;
    for (int i = 1; i <= 3; i++)
        if (decode_field(r->f[i]) != 0)
            return -1;
    s->issuer = r->f[1];
    s->key_file = r->f[2];
    s->pam_service = r->f[3];
    if (s->key_file[0] != '/' || number(r->f[4], 1, 1000000, &limit) ||
        number(r->f[5], 1, TTL_MAX, &window) || number(r->f[6], 1, TTL_MAX, &lockout) ||
        number(r->f[7], 0, 4294967294LL, &min_uid) || parse_settings(r->f + 8, &s->defaults) != 0)
        return -1;
    s->min_uid = (unsigned long)min_uid;
    s->throttle_limit = (unsigned)limit;
    s->throttle_window = window;
    s->throttle_lockout = lockout;
    /* a server's defaults leave nothing open */
    return d->home_set && d->owner_set && d->hidden_set && d->session_set && d->url_set ? 0 : -1;
}

static int parse_loc(const ta_hconf *c, ta_hloc *l, record *r)
{
    long long server;

    if (r->n != 9 || number(r->f[1], 0, (long long)c->nservers - 1, &server) ||
        decode_field(r->f[2]) != 0 || !url_path_ok(r->f[2]) || parse_settings(r->f + 3, &l->s))
        return -1;
    l->server = (unsigned)server;
    l->path = r->f[2];
    return 0;
}

/* Count the records of each kind, so that the arrays are allocated once. */
static void count(const char *t, size_t *servers, size_t *locs)
{
    *servers = *locs = 0;
    for (const char *p = t; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, "server ", 7) == 0)
            (*servers)++;
        else if (strncmp(p, "loc ", 4) == 0)
            (*locs)++;
    }
}

static int parse_line(ta_hconf *c, char *line, size_t no, int *seen_client, int *seen_ledger,
                      char *err, size_t errlen)
{
    record r;

    if (split(line, &r) != 0)
        return fail(err, errlen, no, "empty field or too many fields");
    if (strcmp(r.f[0], "client") == 0 && !*seen_client) {
        *seen_client = 1;
        return parse_client(c, &r) ? fail(err, errlen, no, "bad client line") : 0;
    }
    if (strcmp(r.f[0], "ledger") == 0 && !*seen_ledger) {
        *seen_ledger = 1;
        return parse_ledger(c, &r) ? fail(err, errlen, no, "bad ledger line") : 0;
    }
    /* a record counts only once parsed, and never past what count() made room for */
    if (strcmp(r.f[0], "server") == 0 && c->nlocs == 0 && c->nservers < c->server_room) {
        if (parse_server(&c->servers[c->nservers], &r) != 0)
            return fail(err, errlen, no, "bad server");
        c->nservers++;
        return 0;
    }
    if (strcmp(r.f[0], "loc") == 0 && c->nservers > 0 && c->nlocs < c->loc_room) {
        if (parse_loc(c, &c->locs[c->nlocs], &r) != 0)
            return fail(err, errlen, no, "bad loc");
        c->nlocs++;
        return 0;
    }
    return fail(err, errlen, no, "unexpected record \"%.32s\"", r.f[0]);
}

static int parse_text(ta_hconf *c, char *t, char *err, size_t errlen)
{
    size_t no = 1;
    int seen_client = 0, seen_ledger = 0;
    char *nl = strchr(t, '\n');

    if (nl == NULL || (size_t)(nl - t) != strlen(MAGIC_LINE) ||
        strncmp(t, MAGIC_LINE, (size_t)(nl - t)))
        return fail(err, errlen, 1, "not a helper configuration of this version");
    for (char *line = nl + 1; *line; line = nl + 1) {
        no++;
        if ((nl = strchr(line, '\n')) == NULL)
            return fail(err, errlen, no, "no line end");
        *nl = '\0';
        if (parse_line(c, line, no, &seen_client, &seen_ledger, err, errlen) != 0)
            return -1;
    }
    if (!seen_client || c->nservers == 0)
        return fail(err, errlen, no, "client or server records missing");
    return 0;
}

int ta_hconf_parse(const char *buf, size_t len, ta_hconf **out, char *err, size_t errlen)
{
    ta_hconf *c;
    size_t ns, nl;

    *out = NULL;
    if (len == 0 || len > TA_HCONF_MAX || memchr(buf, '\0', len) != NULL)
        return fail(err, errlen, 0, "empty, too large or holding a NUL");
    if ((c = calloc(1, sizeof(*c))) == NULL || (c->text = malloc(len + 1)) == NULL) {
        free(c);
        return fail(err, errlen, 0, "out of memory");
    }
    memcpy(c->text, buf, len);
    c->text[len] = '\0';
    count(c->text, &ns, &nl);
    c->server_room = ns < MAX_SERVERS ? ns : MAX_SERVERS;
    c->loc_room = nl < MAX_LOCS ? nl : MAX_LOCS;
    c->servers = calloc(ns ? ns : 1, sizeof(*c->servers));
    c->locs = calloc(nl ? nl : 1, sizeof(*c->locs));
    if (c->servers == NULL || c->locs == NULL) {
        ta_hconf_free(c);
        return fail(err, errlen, 0, "out of memory");
    }
    if (parse_text(c, c->text, err, errlen) != 0) {
        ta_hconf_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

void ta_hconf_free(ta_hconf *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nservers; i++)
        ta_keyset_free(c->servers[i].keys);
    free(c->servers);
    free(c->locs);
    free(c->text);
    free(c);
}

int ta_hconf_covers(const char *loc, const char *path)
{
    size_t n = strlen(loc);

    if (strncmp(loc, path, n) != 0)
        return 0;
    return path[n] == '\0' || path[n] == '/' || (n > 0 && loc[n - 1] == '/');
}

const char *ta_hconf_below(const char *prefix, const char *path, int *bare)
{
    size_t n = strlen(prefix);

    while (n > 1 && prefix[n - 1] == '/')
        n--;
    *bare = 0;
    if (strncmp(path, prefix, n) != 0)
        return NULL;
    if (path[n] == '\0') {
        *bare = n > 1; /* "/" itself is never bare: its slash is its last character */
        return "";
    }
    if (path[n] != '/' && prefix[n - 1] != '/')
        return NULL; /* /filesx is not below /files */
    return path + n + (path[n] == '/');
}

/* Lay a section's settings over what applies so far. */
static void apply(ta_hpolicy *p, const ta_hsettings *s, const char *path)
{
    if (s->home_set) {
        p->home = s->home;
        p->home_prefix = path;
    }
    if (s->owner_set)
        p->owner_only = s->owner_only;
    if (s->hidden_set)
        p->allow_hidden = s->allow_hidden;
    if (s->session_set)
        p->session_ttl = s->session_ttl;
    if (s->url_set) {
        p->url_ttl = s->url_ttl;
        p->url_ttl_max = s->url_ttl_max;
    }
}

int ta_hconf_policy(const ta_hconf *c, unsigned server, const char *path, ta_hpolicy *out)
{
    memset(out, 0, sizeof(*out));
    if (server >= c->nservers)
        return -1;
    out->server = &c->servers[server];
    apply(out, &c->servers[server].defaults, NULL);
    out->home = NULL; /* TokenAuthHome at server level names no location: nothing to serve */
    out->home_prefix = NULL;
    for (size_t i = 0; i < c->nlocs; i++)
        if (c->locs[i].server == server && ta_hconf_covers(c->locs[i].path, path))
            apply(out, &c->locs[i].s, c->locs[i].path);
    return 0;
}
