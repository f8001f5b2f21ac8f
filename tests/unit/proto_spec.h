/* The body rules of the helper protocol, version 2 (SPEC §6, /src/wire/ta_proto.h), restated
 * here independently of src/wire/ta_proto.c: each message type as a list of fields with its
 * wire width, limits and character class, the rules that tie fields together, and a frame
 * builder that writes bytes by hand. The unit tests (test_proto.c) and the fuzzer
 * (fuzz_proto.c) hold the codec to this model, so that a rule changed in the codec alone fails
 * both. Plain C, no cmocka: the fuzzer includes it as "../unit/proto_spec.h". */
#ifndef TA_PROTO_SPEC_H
#define TA_PROTO_SPEC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ta_proto.h"

#define PS_FIELDS_MAX 6

typedef enum { PS_U8 = 1, PS_U16 = 2, PS_U32 = 4, PS_U64 = 8, PS_STR = 0 } ps_kind;

typedef enum {
    PS_SERVICE,  /* A-Za-z0-9._- (a file name under /etc/pam.d) */
    PS_TEXT,     /* 0x20..0xff but 0x7f: no control characters (names, paths, log lines) */
    PS_PASSWORD, /* anything but NUL */
    PS_RHOST,    /* 0x21..0x7e: an address text */
    PS_TOKEN,    /* base64url and '.': a compact JWS */
} ps_class;

typedef struct {
    const char *name;
    ps_kind kind;
    size_t off;      /* offsetof(ta_msg, ...) */
    size_t cap;      /* strings: the array's size in ta_msg */
    uint64_t lo, hi; /* integers: the value; strings: the length */
    ps_class cls;    /* strings only */
} ps_field;

typedef struct {
    uint8_t type;
    const char *name;
    const ps_field *f;
    size_t n;
} ps_type;

/* One field's value as it goes on the wire: an integer, or bytes (any, NUL included). */
typedef struct {
    uint64_t v;
    const unsigned char *s;
    size_t n;
} ps_value;

#define PS_OFF(member) offsetof(ta_msg, u.member)
#define PS_CAP(member) sizeof(((ta_msg *)0)->u.member)
#define PS_INT(name, kind, member, lo, hi)                                                         \
    {                                                                                              \
        name, kind, PS_OFF(member), 0, lo, hi, PS_TEXT                                             \
    }
#define PS_STRING(name, member, lo, hi, cls)                                                       \
    {                                                                                              \
        name, PS_STR, PS_OFF(member), PS_CAP(member), lo, hi, cls                                  \
    }

/* Server indexes run 0..65534; kinds 2 (url) and 3 (share); times and TTLs up to 2^63-1. */
static const ps_field ps_auth_req[] = {
    PS_INT("server", PS_U16, auth_req.server, 0, 65534),
    PS_STRING("path", auth_req.path, 1, 4096, PS_TEXT),
    PS_STRING("user", auth_req.user, 1, 256, PS_TEXT),
    PS_STRING("password", auth_req.password, 0, 1024, PS_PASSWORD),
    PS_STRING("rhost", auth_req.rhost, 0, 64, PS_RHOST),
};
static const ps_field ps_auth_resp[] = {
    PS_INT("result", PS_U8, auth_resp.result, 0, 4),
    PS_INT("uid", PS_U32, auth_resp.uid, 0, UINT32_MAX),
    PS_INT("expires_at", PS_U64, auth_resp.expires_at, 0, INT64_MAX),
    PS_INT("retry_after", PS_U32, auth_resp.retry_after, 0, UINT32_MAX),
    PS_STRING("token", auth_resp.token, 0, 4095, PS_TOKEN),
};
/* tighten: bit 0 owner-only, bit 1 hide dot-files (the worker's own policy, added to the
 * helper's), no other bit. */
static const ps_field ps_file_req[] = {
    PS_INT("server", PS_U16, file_req.server, 0, 65534),
    PS_INT("tighten", PS_U8, file_req.tighten, 0, 3),
    PS_STRING("token", file_req.token, 1, 4095, PS_TOKEN),
    PS_STRING("path", file_req.path, 1, 4096, PS_TEXT),
};
/* A listing's window: any 32-bit offset, a limit of 0 (all the rest) to 1000000 (the most
 * entries a listing counts). */
static const ps_field ps_list_req[] = {
    PS_INT("server", PS_U16, file_req.server, 0, 65534),
    PS_INT("tighten", PS_U8, file_req.tighten, 0, 3),
    PS_INT("offset", PS_U32, file_req.offset, 0, UINT32_MAX),
    PS_INT("limit", PS_U32, file_req.limit, 0, 1000000),
    PS_STRING("token", file_req.token, 1, 4095, PS_TOKEN),
    PS_STRING("path", file_req.path, 1, 4096, PS_TEXT),
};
static const ps_field ps_mint_req[] = {
    PS_INT("server", PS_U16, mint_req.server, 0, 65534),
    PS_INT("kind", PS_U8, mint_req.kind, 2, 3),
    PS_INT("ttl", PS_U64, mint_req.ttl, 0, INT64_MAX),
    PS_STRING("token", mint_req.token, 1, 4095, PS_TOKEN),
    PS_STRING("scope", mint_req.scope, 1, 2048, PS_TEXT),
};
static const ps_field ps_mint_resp[] = {
    PS_INT("status", PS_U8, mint_resp.status, 0, 3),
    PS_INT("expires_at", PS_U64, mint_resp.expires_at, 0, INT64_MAX),
    PS_STRING("token", mint_resp.token, 0, 4095, PS_TOKEN),
};
static const ps_field ps_pam_req[] = {
    PS_STRING("service", pam_req.service, 1, 64, PS_SERVICE),
    PS_STRING("user", pam_req.user, 1, 256, PS_TEXT),
    PS_STRING("password", pam_req.password, 0, 1024, PS_PASSWORD),
    PS_STRING("rhost", pam_req.rhost, 0, 64, PS_RHOST),
};
static const ps_field ps_pam_resp[] = {
    PS_INT("status", PS_U8, pam_resp.status, 0, 3),
    PS_INT("delay", PS_U8, pam_resp.delay, 0, 1),
    PS_STRING("why", pam_resp.why, 0, 255, PS_TEXT),
};
static const ps_field ps_error[] = {
    PS_INT("code", PS_U8, error.code, 1, 6),
};

#define PS_TYPE(t, fields)                                                                         \
    {                                                                                              \
        t, #t, fields, sizeof(fields) / sizeof(fields[0])                                          \
    }

/* Every type with a fixed body of fields (OPEN_RESP and LIST_RESP have their own layouts). */
static const ps_type ps_types[] = {
    PS_TYPE(TA_MSG_AUTH_REQ, ps_auth_req), PS_TYPE(TA_MSG_AUTH_RESP, ps_auth_resp),
    PS_TYPE(TA_MSG_OPEN_REQ, ps_file_req), PS_TYPE(TA_MSG_LIST_REQ, ps_list_req),
    PS_TYPE(TA_MSG_MINT_REQ, ps_mint_req), PS_TYPE(TA_MSG_MINT_RESP, ps_mint_resp),
    PS_TYPE(TA_MSG_PAM_REQ, ps_pam_req),   PS_TYPE(TA_MSG_PAM_RESP, ps_pam_resp),
    PS_TYPE(TA_MSG_ERROR, ps_error),
};
#define PS_NTYPES (sizeof(ps_types) / sizeof(ps_types[0]))

static inline const ps_type *ps_type_of(unsigned type)
{
    for (size_t i = 0; i < PS_NTYPES; i++)
        if (ps_types[i].type == type)
            return &ps_types[i];
    return NULL;
}

static inline int ps_char_ok(ps_class cls, unsigned char c)
{
    int alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

    switch (cls) {
    case PS_SERVICE:
        return alnum || c == '.' || c == '_' || c == '-';
    case PS_TEXT:
        return c >= 0x20 && c != 0x7f;
    case PS_PASSWORD:
        return c != 0;
    case PS_RHOST:
        return c >= 0x21 && c <= 0x7e;
    default:
        return alnum || c == '-' || c == '_' || c == '.';
    }
}

/* The largest value a field's wire width holds. */
static inline uint64_t ps_width_max(ps_kind k)
{
    return k == PS_U64 ? UINT64_MAX : (UINT64_C(1) << (8 * (unsigned)k)) - 1;
}

static inline int ps_field_ok(const ps_field *f, const ps_value *v)
{
    if (f->kind != PS_STR)
        return v->v >= f->lo && v->v <= f->hi;
    if (v->n < f->lo || v->n > f->hi)
        return 0;
    for (size_t i = 0; i < v->n; i++)
        if (!ps_char_ok(f->cls, v->s[i]))
            return 0;
    return 1;
}

/* The rules between fields: an answer that refuses carries nothing but its reason. AUTH_RESP:
 * OK has a token and an expiry and no retry_after; anything else has no uid, no token, no
 * expiry, and a retry_after exactly when THROTTLED. MINT_RESP: a token and an expiry exactly
 * with OK. */
static inline int ps_cross_ok(unsigned type, const ps_value *v)
{
    if (type == TA_MSG_AUTH_RESP) {
        if (v[0].v == TA_AUTH_OK)
            return v[4].n > 0 && v[2].v > 0 && v[3].v == 0;
        return v[1].v == 0 && v[4].n == 0 && v[2].v == 0 &&
               (v[3].v > 0) == (v[0].v == TA_AUTH_THROTTLED);
    }
    if (type == TA_MSG_MINT_RESP) {
        if (v[0].v == TA_MINT_OK)
            return v[2].n > 0 && v[1].v > 0;
        return v[2].n == 0 && v[1].v == 0;
    }
    return 1;
}

/* 1 when a body of these values is one the rules accept. */
static inline int ps_valid(const ps_type *t, const ps_value *v)
{
    for (size_t i = 0; i < t->n; i++)
        if (!ps_field_ok(&t->f[i], &v[i]))
            return 0;
    return ps_cross_ok(t->type, v);
}

static inline void ps_put_be(unsigned char *p, uint64_t v, size_t width)
{
    for (size_t i = 0; i < width; i++)
        p[i] = (unsigned char)(v >> (8 * (width - 1 - i)));
}

static inline uint64_t ps_get_be(const unsigned char *p, size_t width)
{
    uint64_t v = 0;

    for (size_t i = 0; i < width; i++)
        v = v << 8 | p[i];
    return v;
}

/* The body of these values, by hand: integers big-endian at their width (only the low bytes
 * of v), strings as a u16 length and the bytes. Its length, or 0 when cap is too small. */
static inline size_t ps_body(const ps_type *t, const ps_value *v, unsigned char *out, size_t cap)
{
    size_t at = 0;

    for (size_t i = 0; i < t->n; i++) {
        const ps_field *f = &t->f[i];
        size_t need = f->kind == PS_STR ? 2 + v[i].n : (size_t)f->kind;

        if (need > cap - at || (f->kind == PS_STR && v[i].n > 0xffff))
            return 0;
        if (f->kind == PS_STR) {
            ps_put_be(out + at, v[i].n, 2);
            if (v[i].n)
                memcpy(out + at + 2, v[i].s, v[i].n);
        }
        else
            ps_put_be(out + at, v[i].v, (size_t)f->kind);
        at += need;
    }
    return at;
}

/* A whole frame: 'T' 'A', version, type, id and body length big-endian, then body[0..n). */
static inline size_t ps_frame(unsigned char *out, uint8_t version, uint8_t type, uint32_t id,
                              const unsigned char *body, size_t n)
{
    out[0] = 'T';
    out[1] = 'A';
    out[2] = version;
    out[3] = type;
    ps_put_be(out + 4, id, 4);
    ps_put_be(out + 8, n, 4);
    if (n)
        memmove(out + TA_PROTO_HEADER_LEN, body, n);
    return TA_PROTO_HEADER_LEN + n;
}

/* The frame of these values in version 2; its length, or 0 when cap is too small. */
static inline size_t ps_build(const ps_type *t, uint32_t id, const ps_value *v, unsigned char *out,
                              size_t cap)
{
    size_t n;

    if (cap < TA_PROTO_HEADER_LEN)
        return 0;
    n = ps_body(t, v, out + TA_PROTO_HEADER_LEN, cap - TA_PROTO_HEADER_LEN);
    if (n == 0 && t->n > 0)
        return 0;
    return ps_frame(out, TA_PROTO_VERSION, t->type, id, out + TA_PROTO_HEADER_LEN, n);
}

/* Put the values into a message for the encoder. A string goes in NUL-terminated, or filling
 * its whole array without a NUL when it is exactly that long (the encoder must then see it is
 * too long without reading past the array). -1 when a value cannot be held at all: a string
 * with a NUL or longer than its array, an integer wider than its member. */
static inline int ps_to_msg(const ps_type *t, uint32_t id, const ps_value *v, ta_msg *m)
{
    memset(m, 0, sizeof(*m));
    m->type = t->type;
    m->id = id;
    for (size_t i = 0; i < t->n; i++) {
        const ps_field *f = &t->f[i];
        unsigned char *p = (unsigned char *)m + f->off;

        if (f->kind == PS_STR) {
            if (v[i].n > f->cap || (v[i].n && memchr(v[i].s, 0, v[i].n) != NULL))
                return -1;
            if (v[i].n)
                memcpy(p, v[i].s, v[i].n);
            if (v[i].n < f->cap)
                p[v[i].n] = '\0';
            continue;
        }
        if (v[i].v > ps_width_max(f->kind))
            return -1;
        if (f->kind == PS_U8)
            *(uint8_t *)p = (uint8_t)v[i].v;
        else if (f->kind == PS_U16)
            *(uint16_t *)p = (uint16_t)v[i].v;
        else if (f->kind == PS_U32)
            *(uint32_t *)p = (uint32_t)v[i].v;
        else
            *(uint64_t *)p = v[i].v;
    }
    return 0;
}

/* The values a decoded message holds (strings point into m). */
static inline void ps_from_msg(const ps_type *t, const ta_msg *m, ps_value *v)
{
    for (size_t i = 0; i < t->n; i++) {
        const ps_field *f = &t->f[i];
        const unsigned char *p = (const unsigned char *)m + f->off;

        memset(&v[i], 0, sizeof(v[i]));
        if (f->kind == PS_STR) {
            v[i].s = p;
            v[i].n = strnlen((const char *)p, f->cap);
        }
        else if (f->kind == PS_U8)
            v[i].v = *(const uint8_t *)p;
        else if (f->kind == PS_U16)
            v[i].v = *(const uint16_t *)p;
        else if (f->kind == PS_U32)
            v[i].v = *(const uint32_t *)p;
        else
            v[i].v = *(const uint64_t *)p;
    }
}

/* 1 when two value lists are the same field by field. */
static inline int ps_same(const ps_type *t, const ps_value *a, const ps_value *b)
{
    for (size_t i = 0; i < t->n; i++) {
        if (t->f[i].kind != PS_STR ? a[i].v != b[i].v
                                   : a[i].n != b[i].n || (a[i].n && memcmp(a[i].s, b[i].s, a[i].n)))
            return 0;
    }
    return 1;
}

#endif
