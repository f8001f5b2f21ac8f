/* libFuzzer target: the helper's configuration text (src/wire/ta_hconf.c), which the root helper
 * parses before it serves anything. The input is the text, read from a heap buffer of exactly
 * its length.
 *
 * Invariants. A refusal leaves *out NULL and says which line. An accepted text holds what the
 * format promises (a server at least; absolute key files, ledger and loc paths; every server
 * default set; flags 0 or 1; lifetimes in range, the URL default within its maximum; each loc
 * naming a server before it), and every record in it is spelled exactly as the module's writer
 * would spell the values it gave (one spelling per value: no other number or escape is taken).
 * Then policies are derived for the paths the text names and a few around them, for every
 * server and one beyond: the result equals a merge restated here from Apache's rules (the
 * server's defaults, then every covering <Location> in order), and when a home applies, the
 * request's path lies below the section that set it; and the part of each path below each
 * section's prefix is what a restated rule says. */
#include "fuzz.h"
#include "ta_hconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TTL_MAX 316224000LL
#define SPELL_MAX 16384                   /* texts up to this long have their spelling checked */
#define LINE_MAX_LEN (3 * SPELL_MAX + 64) /* room for any of their values, encoded */

/* The value as the writer encodes it (ta_hconf_encode), into out. */
static const char *enc(const char *s, char *out, size_t cap)
{
    CHECK(ta_hconf_encode(s, out, cap) == 0);
    return out;
}

static void put_opt(char *out, size_t cap, int set, long long v)
{
    if (set)
        snprintf(out, cap, "%lld", v);
    else
        snprintf(out, cap, "-");
}

/* HOME OWNER HIDDEN SESSION URL URLMAX as the writer spells a section's settings. */
static void settings_line(const ta_hsettings *s, char *out, size_t cap)
{
    static char home[LINE_MAX_LEN], e[LINE_MAX_LEN];
    char o[24], h[24], ss[24], u[24], um[24];

    if (!s->home_set)
        snprintf(home, sizeof(home), "-");
    else if (s->home == NULL)
        snprintf(home, sizeof(home), "off");
    else
        snprintf(home, sizeof(home), ":%s", enc(s->home, e, sizeof(e)));
    put_opt(o, sizeof(o), s->owner_set, s->owner_only);
    put_opt(h, sizeof(h), s->hidden_set, s->allow_hidden);
    put_opt(ss, sizeof(ss), s->session_set, s->session_ttl);
    put_opt(u, sizeof(u), s->url_set, s->url_ttl);
    put_opt(um, sizeof(um), s->url_set, s->url_ttl_max);
    snprintf(out, cap, "%s %s %s %s %s %s", home, o, h, ss, u, um);
}

/* The line the writer would write for a record of this kind ("client", "ledger", or server or
 * loc number i). */
static void canonical(const ta_hconf *c, char kind, size_t i, char *out, size_t cap)
{
    static char a[LINE_MAX_LEN], b[LINE_MAX_LEN], d[LINE_MAX_LEN], set[3 * LINE_MAX_LEN];

    if (kind == 'c') {
        snprintf(out, cap, "client %lu %lu %u %u %d %s", c->client_uid, c->client_gid,
                 c->max_clients, c->per_peer, c->log_level, c->log_syslog ? "syslog" : "file");
    }
    else if (kind == 'l') {
        if (c->ledger)
            snprintf(out, cap, "ledger %s %u", enc(c->ledger, a, sizeof(a)), c->ledger_slots);
        else
            snprintf(out, cap, "ledger - -");
    }
    else if (kind == 's') {
        const ta_hserver *s = &c->servers[i];

        settings_line(&s->defaults, set, sizeof(set));
        snprintf(out, cap, "server %s %s %s %u %lld %lld %lu %s", enc(s->issuer, a, sizeof(a)),
                 enc(s->key_file, b, sizeof(b)), enc(s->pam_service, d, sizeof(d)),
                 s->throttle_limit, s->throttle_window, s->throttle_lockout, s->min_uid, set);
    }
    else {
        const ta_hloc *l = &c->locs[i];

        settings_line(&l->s, set, sizeof(set));
        snprintf(out, cap, "loc %u %s %s", l->server, enc(l->path, a, sizeof(a)), set);
    }
}

static int ttl_ok(long long v)
{
    return v >= 1 && v <= TTL_MAX;
}

static void check_settings(const ta_hsettings *s, int all)
{
    CHECK(!all || (s->home_set && s->owner_set && s->hidden_set && s->session_set && s->url_set));
    CHECK(!s->owner_set || s->owner_only == 0 || s->owner_only == 1);
    CHECK(!s->hidden_set || s->allow_hidden == 0 || s->allow_hidden == 1);
    CHECK(!s->session_set || ttl_ok(s->session_ttl));
    CHECK(!s->url_set ||
          (ttl_ok(s->url_ttl) && ttl_ok(s->url_ttl_max) && s->url_ttl <= s->url_ttl_max));
    CHECK(s->home == NULL || (s->home_set && s->home[0] != '\0'));
}

static int clean_path(const char *p)
{
    if (p[0] != '/')
        return 0;
    for (; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

/* What the format promises of an accepted text. */
static void check_accepted(const ta_hconf *c)
{
    CHECK(c->nservers >= 1 && c->nservers <= 65535 && c->servers != NULL);
    CHECK(c->max_clients >= 1 && c->max_clients <= 65536);
    CHECK(c->per_peer >= 1 && c->per_peer <= 65536);
    CHECK(c->log_level >= 0 && c->log_level <= 7);
    CHECK(c->client_uid <= 4294967294UL && c->client_gid <= 4294967294UL);
    CHECK(c->ledger == NULL || c->ledger[0] == '/');
    for (size_t i = 0; i < c->nservers; i++) {
        const ta_hserver *s = &c->servers[i];

        CHECK(s->issuer && s->pam_service && s->key_file && s->key_file[0] == '/');
        CHECK(s->throttle_limit >= 1 && s->throttle_limit <= 1000000);
        CHECK(ttl_ok(s->throttle_window) && ttl_ok(s->throttle_lockout));
        CHECK(s->min_uid <= 4294967294UL);
        CHECK(s->keys == NULL);
        check_settings(&s->defaults, 1);
    }
    for (size_t i = 0; i < c->nlocs; i++) {
        CHECK(c->locs[i].server < c->nservers);
        CHECK(clean_path(c->locs[i].path));
        check_settings(&c->locs[i].s, 0);
    }
}

/* Every record line of text (after the magic line) spelled as the writer spells its values. */
static void check_spelling(const ta_hconf *c, const char *text, size_t len)
{
    static char want[4 * LINE_MAX_LEN], line[4 * LINE_MAX_LEN];
    size_t servers = 0, locs = 0;
    const char *p = memchr(text, '\n', len), *end = text + len;

    CHECK(p != NULL);
    for (p++; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)(nl - p);

        CHECK(nl != NULL && n < sizeof(line));
        memcpy(line, p, n);
        line[n] = '\0';
        if (strncmp(line, "client ", 7) == 0)
            canonical(c, 'c', 0, want, sizeof(want));
        else if (strncmp(line, "ledger ", 7) == 0)
            canonical(c, 'l', 0, want, sizeof(want));
        else if (strncmp(line, "server ", 7) == 0)
            canonical(c, 's', servers++, want, sizeof(want));
        else {
            CHECK(strncmp(line, "loc ", 4) == 0);
            canonical(c, 'o', locs++, want, sizeof(want));
        }
        if (strcmp(line, want) != 0) {
            fprintf(stderr, "accepted \"%s\", which the writer spells \"%s\"\n", line, want);
            CHECK(0);
        }
        p = nl + 1;
    }
    CHECK(servers == c->nservers && locs == c->nlocs);
}

/* Apache's <Location> rule, restated: the path starts with the section's, and the match ends at
 * a '/' (of the path, or the section's own last character) or at the path's end. */
static int model_covers(const char *loc, const char *path)
{
    size_t n = strlen(loc);

    return strncmp(loc, path, n) == 0 &&
           (path[n] == '\0' || path[n] == '/' || (n > 0 && loc[n - 1] == '/'));
}

/* The policy for path, merged here: the server's defaults (its home excepted), then every
 * covering section of that server in order. */
static void model_policy(const ta_hconf *c, unsigned server, const char *path, ta_hpolicy *p)
{
    const ta_hsettings *d = &c->servers[server].defaults;

    memset(p, 0, sizeof(*p));
    p->server = &c->servers[server];
    p->owner_only = d->owner_only;
    p->allow_hidden = d->allow_hidden;
    p->session_ttl = d->session_ttl;
    p->url_ttl = d->url_ttl;
    p->url_ttl_max = d->url_ttl_max;
    for (size_t i = 0; i < c->nlocs; i++) {
        const ta_hsettings *s = &c->locs[i].s;

        if (c->locs[i].server != server || !model_covers(c->locs[i].path, path))
            continue;
        if (s->home_set) {
            p->home = s->home;
            p->home_prefix = c->locs[i].path;
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
}

/* The part of path below a section's prefix, restated: the prefix without its trailing slashes
 * ("/" stays "/") followed by the end of the path ("", bare) or by '/' and the rest. */
static const char *model_below(const char *prefix, const char *path, int *bare)
{
    size_t n = strlen(prefix);

    while (n > 1 && prefix[n - 1] == '/')
        n--;
    *bare = 0;
    if (strncmp(path, prefix, n) != 0)
        return NULL;
    if (n == 1 && prefix[0] == '/')
        return path + 1;
    if (path[n] == '\0') {
        *bare = 1;
        return "";
    }
    return path[n] == '/' ? path + n + 1 : NULL;
}

static void check_below(const char *prefix, const char *path)
{
    int bare = 7, want_bare = 7;
    const char *got = ta_hconf_below(prefix, path, &bare);
    const char *want = model_below(prefix, path, &want_bare);

    CHECK((got == NULL) == (want == NULL));
    /* below "/", a doubled slash may be merged (as Apache's MergeSlashes would); kept, the rest
     * is absolute and the confined open refuses it: either is safe */
    CHECK(got == NULL ||
          ((strcmp(got, want) == 0 || (want[0] == '/' && strcmp(got, want + 1) == 0)) &&
           bare == want_bare));
}

static void check_policy(const ta_hconf *c, unsigned server, const char *path)
{
    ta_hpolicy got, want;
    int bare = 0;

    memset(&got, 0x5a, sizeof(got));
    if (server >= c->nservers) {
        CHECK(ta_hconf_policy(c, server, path, &got) == -1);
        CHECK(got.server == NULL && got.home == NULL);
        return;
    }
    CHECK(ta_hconf_policy(c, server, path, &got) == 0);
    model_policy(c, server, path, &want);
    CHECK(got.server == want.server && got.home == want.home &&
          got.home_prefix == want.home_prefix);
    CHECK(got.owner_only == want.owner_only && got.allow_hidden == want.allow_hidden);
    CHECK(got.session_ttl == want.session_ttl && got.url_ttl == want.url_ttl &&
          got.url_ttl_max == want.url_ttl_max);
    CHECK(got.url_ttl <= got.url_ttl_max);
    if (got.home != NULL) {
        CHECK(ta_hconf_below(got.home_prefix, path, &bare) != NULL);
    }
}

/* Paths around every section's: itself, below it, a sibling that shares its prefix, its
 * parent. */
static void check_policies(const ta_hconf *c)
{
    static char path[LINE_MAX_LEN + 8];
    static const char *const suffix[] = {"", "/", "/a/b", "x", "/.x"};
    size_t nl = c->nlocs < 64 ? c->nlocs : 64;

    for (unsigned s = 0; s <= c->nservers && s < 8; s++) {
        check_policy(c, s, "/");
        for (size_t i = 0; i < nl; i++) {
            size_t n = strlen(c->locs[i].path);

            if (n > LINE_MAX_LEN)
                continue;
            for (size_t k = 0; k < sizeof(suffix) / sizeof(suffix[0]); k++) {
                snprintf(path, sizeof(path), "%s%s", c->locs[i].path, suffix[k]);
                check_policy(c, s, path);
                for (size_t j = 0; s == 0 && j < nl; j++)
                    check_below(c->locs[j].path, path);
            }
            memcpy(path, c->locs[i].path, n + 1);
            while (n > 1 && path[n - 1] != '/')
                n--;
            path[n] = '\0';
            check_policy(c, s, path);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1), err[256] = "";
    ta_hconf *c = (ta_hconf *)1;

    CHECK(text != NULL);
    memcpy(text, data, size);
    if (ta_hconf_parse(text, size, &c, err, sizeof(err)) != 0) {
        CHECK(c == NULL);
        CHECK(strstr(err, "helper configuration line ") == err);
        free(text);
        return 0;
    }
    CHECK(c != NULL);
    check_accepted(c);
    if (size <= SPELL_MAX)
        check_spelling(c, text, size);
    check_policies(c);
    ta_hconf_free(c);
    free(text);
    return 0;
}
