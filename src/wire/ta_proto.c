/* The helper protocol codec (SPEC §6). Decoder and encoders share one table of field rules, so
 * what one side may send is exactly what the other accepts. */
#include "ta_proto.h"
#include "ta_filestatus.h"

#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/crypto.h>

#define ENTRY_FIXED 19 /* a listing entry before its name: type, size, mtime, name length */
#define NSEC_PER_SEC 1000000000u
#define KIND_URL 2       /* ta_kind's TA_KIND_URL */
#define KIND_SHARE 3     /* ta_kind's TA_KIND_SHARE */
#define PAM_STATUS_MAX 3 /* ta_pam_status's TA_PAM_UNAVAILABLE */

_Static_assert(TA_PROTO_FILE_STATUS_MAX == TA_CONFINE_BAD_TOKEN, "OPEN status is ta_confine's");
_Static_assert(TA_PROTO_LIST_STATUS_MAX == TA_CONFINE_TOO_LARGE, "LIST status is ta_confine's");
_Static_assert(TA_PROTO_LIST_ENTRY_MIN == ENTRY_FIXED + 1, "a name has at least one byte");
/* every request, the longest file request included, fits the helper's TA_PROTO_MAX_FRAME */
_Static_assert(2 + 1 + 4 + 4 + 4 + TA_PROTO_TOKEN_MAX + TA_PROTO_PATH_MAX <= TA_PROTO_MAX_BODY,
               "file requests fit TA_PROTO_MAX_BODY");
_Static_assert(2 + 8 + TA_PROTO_PATH_MAX + TA_PROTO_USER_MAX + TA_PROTO_PASSWORD_MAX +
                       TA_PROTO_RHOST_MAX <=
                   TA_PROTO_MAX_BODY,
               "logins fit TA_PROTO_MAX_BODY");
_Static_assert(2 + 1 + 8 + 4 + TA_PROTO_TOKEN_MAX + TA_PROTO_SCOPE_MAX <= TA_PROTO_MAX_BODY,
               "mint requests fit TA_PROTO_MAX_BODY");

static const char *const status_names[] = {
    [TA_PROTO_OK] = "ok",
    [TA_PROTO_NEED_MORE] = "need_more",
    [TA_PROTO_BAD_MAGIC] = "bad_magic",
    [TA_PROTO_BAD_VERSION] = "bad_version",
    [TA_PROTO_BAD_TYPE] = "bad_type",
    [TA_PROTO_TOO_LARGE] = "too_large",
    [TA_PROTO_MALFORMED] = "malformed",
    [TA_PROTO_NO_ROOM] = "no_room",
};

static const char *const result_names[] = {
    [TA_AUTH_OK] = "ok",
    [TA_AUTH_BAD_CREDENTIALS] = "bad_credentials",
    [TA_AUTH_ACCOUNT_REFUSED] = "account_refused",
    [TA_AUTH_UNAVAILABLE] = "unavailable",
    [TA_AUTH_THROTTLED] = "throttled",
};

static const char *const mint_names[] = {
    [TA_MINT_OK] = "ok",
    [TA_MINT_REFUSED] = "refused",
    [TA_MINT_BAD_REQUEST] = "bad_request",
    [TA_MINT_UNAVAILABLE] = "unavailable",
};

static const char *const type_names[] = {
    [TA_MSG_AUTH_REQ] = "auth_req", [TA_MSG_AUTH_RESP] = "auth_resp",
    [TA_MSG_OPEN_REQ] = "open_req", [TA_MSG_OPEN_RESP] = "open_resp",
    [TA_MSG_LIST_REQ] = "list_req", [TA_MSG_LIST_RESP] = "list_resp",
    [TA_MSG_MINT_REQ] = "mint_req", [TA_MSG_MINT_RESP] = "mint_resp",
    [TA_MSG_PAM_REQ] = "pam_req",   [TA_MSG_PAM_RESP] = "pam_resp",
    [TA_MSG_ERROR] = "error",
};

static const char *const error_names[] = {
    [TA_PROTO_ERR_MALFORMED] = "malformed", [TA_PROTO_ERR_BAD_VERSION] = "bad_version",
    [TA_PROTO_ERR_BAD_TYPE] = "bad_type",   [TA_PROTO_ERR_TOO_LARGE] = "too_large",
    [TA_PROTO_ERR_INTERNAL] = "internal",   [TA_PROTO_ERR_FORBIDDEN] = "forbidden",
};

#define NAME_OF(table, v)                                                                          \
    ((v) >= 0 && (size_t)(v) < sizeof(table) / sizeof(table[0]) && table[v] ? table[v] : "unknown")

const char *ta_proto_status_name(ta_proto_status st)
{
    return NAME_OF(status_names, (int)st);
}

const char *ta_auth_result_name(int result)
{
    return NAME_OF(result_names, result);
}

const char *ta_proto_error_name(int code)
{
    return NAME_OF(error_names, code);
}

const char *ta_mint_result_name(int result)
{
    return NAME_OF(mint_names, result);
}

const char *ta_msg_type_name(int type)
{
    return NAME_OF(type_names, type);
}

static uint16_t get_u16(const unsigned char *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_u64(const unsigned char *p)
{
    return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}

static void put_u16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void put_u64(unsigned char *p, uint64_t v)
{
    put_u32(p, (uint32_t)(v >> 32));
    put_u32(p + 4, (uint32_t)v);
}

/* A PAM service name is a file name under /etc/pam.d: no '/', no "..", nothing odd. */
static int service_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

/* A service name is a file name under /etc/pam.d: the protocol's character class, and no
 * leading dot (".", ".." and hidden files). */
int ta_pam_service_valid(const char *s)
{
    size_t n = 0;

    if (s == NULL || s[0] == '\0' || s[0] == '.')
        return 0;
    while (s[n] && service_char((unsigned char)s[n]))
        n++;
    return s[n] == '\0' && n <= TA_PROTO_SERVICE_MAX;
}

/* User names reach PAM modules and syslog lines: no control characters that could forge a
 * log line, but UTF-8 is fine. */
static int user_char(unsigned char c)
{
    return c >= 0x20 && c != 0x7f;
}

/* A password is opaque bytes; only NUL is refused, since PAM takes it as a C string. */
static int password_char(unsigned char c)
{
    return c != 0;
}

/* PAM_RHOST is an address text written to logs: visible ASCII only. */
static int rhost_char(unsigned char c)
{
    return c >= 0x21 && c <= 0x7e;
}

/* A token is a compact JWS: base64url parts and dots, nothing else. */
static int token_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
}

/* --- the message table ------------------------------------------------------------------
 * Every message but the two file answers is a fixed sequence of integers and strings. One
 * table says, per type, each field's kind, place in ta_msg and limits, and one decoder and
 * one encoder walk it, so the two sides cannot disagree on a single rule. What ties fields
 * together (a token only with OK) is each type's check, run by both. */

typedef enum { F_U8, F_U16, F_U32, F_U64, F_STR } field_kind;

typedef struct {
    field_kind kind;
    size_t off;        /* offsetof(ta_msg, ...) */
    uint64_t min, max; /* integers: the value; strings: the length */
    int (*ok)(unsigned char c);
} field;

typedef struct {
    const field *f;
    size_t n;
    int (*check)(const ta_msg *m);
} schema;

#define OFF(member) offsetof(ta_msg, u.member)
#define STR(member, lo, hi, cls)                                                                   \
    {                                                                                              \
        F_STR, OFF(member), lo, hi, cls                                                            \
    }
#define INT(kind, member, lo, hi)                                                                  \
    {                                                                                              \
        kind, OFF(member), lo, hi, NULL                                                            \
    }

static const field auth_req_f[] = {
    INT(F_U16, auth_req.server, 0, TA_PROTO_SERVERS_MAX - 1),
    STR(auth_req.path, 1, TA_PROTO_PATH_MAX, user_char),
    STR(auth_req.user, 1, TA_PROTO_USER_MAX, user_char),
    STR(auth_req.password, 0, TA_PROTO_PASSWORD_MAX, password_char),
    STR(auth_req.rhost, 0, TA_PROTO_RHOST_MAX, rhost_char),
};
static const field auth_resp_f[] = {
    INT(F_U8, auth_resp.result, TA_AUTH_OK, TA_AUTH_THROTTLED),
    INT(F_U32, auth_resp.uid, 0, UINT32_MAX),
    INT(F_U64, auth_resp.expires_at, 0, INT64_MAX),
    INT(F_U32, auth_resp.retry_after, 0, UINT32_MAX),
    STR(auth_resp.token, 0, TA_PROTO_TOKEN_MAX, token_char),
};
/* The path reaches the confined open and debug logs: no control characters; '/' and UTF-8
 * are the helper's to judge. */
static const field file_req_f[] = {
    INT(F_U16, file_req.server, 0, TA_PROTO_SERVERS_MAX - 1),
    INT(F_U8, file_req.tighten, 0, TA_PROTO_TIGHTEN_ALL),
    STR(file_req.token, 1, TA_PROTO_TOKEN_MAX, token_char),
    STR(file_req.path, 1, TA_PROTO_PATH_MAX, user_char),
};
/* A listing's window: any offset (past the end lists nothing), a limit no larger than a
 * listing can be. */
static const field list_req_f[] = {
    INT(F_U16, file_req.server, 0, TA_PROTO_SERVERS_MAX - 1),
    INT(F_U8, file_req.tighten, 0, TA_PROTO_TIGHTEN_ALL),
    INT(F_U32, file_req.offset, 0, UINT32_MAX),
    INT(F_U32, file_req.limit, 0, TA_PROTO_LIST_TOTAL_MAX),
    STR(file_req.token, 1, TA_PROTO_TOKEN_MAX, token_char),
    STR(file_req.path, 1, TA_PROTO_PATH_MAX, user_char),
};
static const field mint_req_f[] = {
    INT(F_U16, mint_req.server, 0, TA_PROTO_SERVERS_MAX - 1),
    INT(F_U8, mint_req.kind, KIND_URL, KIND_SHARE),
    INT(F_U64, mint_req.ttl, 0, INT64_MAX),
    STR(mint_req.token, 1, TA_PROTO_TOKEN_MAX, token_char),
    STR(mint_req.scope, 1, TA_PROTO_SCOPE_MAX, user_char),
};
static const field mint_resp_f[] = {
    INT(F_U8, mint_resp.status, TA_MINT_OK, TA_MINT_UNAVAILABLE),
    INT(F_U64, mint_resp.expires_at, 0, INT64_MAX),
    STR(mint_resp.token, 0, TA_PROTO_TOKEN_MAX, token_char),
};
static const field pam_req_f[] = {
    STR(pam_req.service, 1, TA_PROTO_SERVICE_MAX, service_char),
    STR(pam_req.user, 1, TA_PROTO_USER_MAX, user_char),
    STR(pam_req.password, 0, TA_PROTO_PASSWORD_MAX, password_char),
    STR(pam_req.rhost, 0, TA_PROTO_RHOST_MAX, rhost_char),
};
static const field pam_resp_f[] = {
    INT(F_U8, pam_resp.status, 0, PAM_STATUS_MAX),
    INT(F_U8, pam_resp.delay, 0, 1),
    STR(pam_resp.why, 0, TA_PROTO_WHY_MAX, user_char),
};
static const field error_f[] = {
    INT(F_U8, error.code, TA_PROTO_ERR_MALFORMED, TA_PROTO_ERR_FORBIDDEN),
};

/* A refusal carries nothing but its reason: no uid, no token, no time that a worker would
 * have to decide to ignore. */
static int auth_resp_check(const ta_msg *m)
{
    const typeof(m->u.auth_resp) *a = &m->u.auth_resp;

    if (a->result == TA_AUTH_OK)
        return a->token[0] != '\0' && a->expires_at > 0 && a->retry_after == 0;
    return a->uid == 0 && a->token[0] == '\0' && a->expires_at == 0 &&
           (a->retry_after > 0) == (a->result == TA_AUTH_THROTTLED);
}

static int mint_resp_check(const ta_msg *m)
{
    const typeof(m->u.mint_resp) *a = &m->u.mint_resp;

    if (a->status == TA_MINT_OK)
        return a->token[0] != '\0' && a->expires_at > 0;
    return a->token[0] == '\0' && a->expires_at == 0;
}

#define SCHEMA(fields, check)                                                                      \
    {                                                                                              \
        fields, sizeof(fields) / sizeof(fields[0]), check                                          \
    }

static const schema schemas[] = {
    [TA_MSG_AUTH_REQ] = SCHEMA(auth_req_f, NULL),
    [TA_MSG_AUTH_RESP] = SCHEMA(auth_resp_f, auth_resp_check),
    [TA_MSG_OPEN_REQ] = SCHEMA(file_req_f, NULL),
    [TA_MSG_LIST_REQ] = SCHEMA(list_req_f, NULL),
    [TA_MSG_MINT_REQ] = SCHEMA(mint_req_f, NULL),
    [TA_MSG_MINT_RESP] = SCHEMA(mint_resp_f, mint_resp_check),
    [TA_MSG_PAM_REQ] = SCHEMA(pam_req_f, NULL),
    [TA_MSG_PAM_RESP] = SCHEMA(pam_resp_f, NULL),
    [TA_MSG_ERROR] = SCHEMA(error_f, NULL),
};

/* The table entry of a type that has one (not OPEN_RESP, LIST_RESP or an unknown type). */
static const schema *schema_of(unsigned type)
{
    if (type >= sizeof(schemas) / sizeof(schemas[0]) || schemas[type].f == NULL)
        return NULL;
    return &schemas[type];
}

static int string_valid(const field *f, const unsigned char *s, size_t n)
{
    if (n < f->min || n > f->max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!f->ok(s[i]))
            return 0;
    return 1;
}

static size_t int_width(field_kind k)
{
    return k == F_U8 ? 1 : k == F_U16 ? 2 : k == F_U32 ? 4 : 8;
}

static uint64_t get_int(field_kind k, const unsigned char *p)
{
    return k == F_U8 ? p[0] : k == F_U16 ? get_u16(p) : k == F_U32 ? get_u32(p) : get_u64(p);
}

/* Integers live in ta_msg as uint8_t, uint16_t, uint32_t or uint64_t, as their kind says. */
static uint64_t load_int(const ta_msg *m, const field *f)
{
    const unsigned char *p = (const unsigned char *)m + f->off;

    switch (f->kind) {
    case F_U8:
        return *(const uint8_t *)p;
    case F_U16:
        return *(const uint16_t *)p;
    case F_U32:
        return *(const uint32_t *)p;
    default:
        return *(const uint64_t *)p;
    }
}

static void store_int(ta_msg *m, const field *f, uint64_t v)
{
    unsigned char *p = (unsigned char *)m + f->off;

    switch (f->kind) {
    case F_U8:
        *(uint8_t *)p = (uint8_t)v;
        break;
    case F_U16:
        *(uint16_t *)p = (uint16_t)v;
        break;
    case F_U32:
        *(uint32_t *)p = (uint32_t)v;
        break;
    default:
        *(uint64_t *)p = v;
        break;
    }
}

/* Take one field off the front of *p (with *left bytes remaining) into m. Every length is
 * checked against what is left before anything is read. */
static int take(const unsigned char **p, size_t *left, const field *f, ta_msg *m)
{
    size_t n;

    if (f->kind != F_STR) {
        uint64_t v;
        if (*left < int_width(f->kind))
            return 0;
        v = get_int(f->kind, *p);
        if (v < f->min || v > f->max)
            return 0;
        store_int(m, f, v);
        *p += int_width(f->kind);
        *left -= int_width(f->kind);
        return 1;
    }
    if (*left < 2)
        return 0;
    n = get_u16(*p);
    if (n > *left - 2 || !string_valid(f, *p + 2, n))
        return 0;
    memcpy((char *)m + f->off, *p + 2, n);
    ((char *)m + f->off)[n] = '\0';
    *p += 2 + n;
    *left -= 2 + n;
    return 1;
}

/* Every field in table order and nothing after the last, so a message has one encoding. */
static int decode_by_schema(const schema *s, const unsigned char *body, size_t n, ta_msg *m)
{
    for (size_t i = 0; i < s->n; i++)
        if (!take(&body, &n, &s->f[i], m))
            return 0;
    return n == 0 && (s->check == NULL || s->check(m));
}

/* Only the types this version defines; reserved ones are refused until they are defined, so
 * a helper never half-understands a request. */
static int type_known(unsigned char type)
{
    return type == TA_MSG_OPEN_RESP || type == TA_MSG_LIST_RESP || schema_of(type) != NULL;
}

size_t ta_proto_body_limit(unsigned type)
{
    return type == TA_MSG_LIST_RESP ? TA_PROTO_MAX_LIST_BODY : TA_PROTO_MAX_BODY;
}

/* The body length is checked against the limit here, before anyone waits for or allocates
 * that many bytes. */
ta_proto_status ta_proto_frame_len(const unsigned char *buf, size_t len, size_t *frame_len)
{
    uint32_t body;

    *frame_len = 0;
    if (len < TA_PROTO_HEADER_LEN)
        return TA_PROTO_NEED_MORE;
    if (buf[0] != 'T' || buf[1] != 'A')
        return TA_PROTO_BAD_MAGIC;
    if (buf[2] != TA_PROTO_VERSION)
        return TA_PROTO_BAD_VERSION;
    if (!type_known(buf[3]))
        return TA_PROTO_BAD_TYPE;
    body = get_u32(buf + 8);
    if (body > ta_proto_body_limit(buf[3]))
        return TA_PROTO_TOO_LARGE;
    *frame_len = TA_PROTO_HEADER_LEN + (size_t)body;
    return TA_PROTO_OK;
}

uint32_t ta_proto_request_id(const unsigned char *buf, size_t len)
{
    return len < TA_PROTO_HEADER_LEN ? 0 : get_u32(buf + 4);
}

/* The file information must match the status: a regular file's with OK (the worker will send
 * that descriptor as a file), a directory's with IS_DIR, and nothing at all with a refusal, so
 * that no answer is a contradiction the worker has to interpret. */
static int file_info_valid(int status, const ta_file_info *fi)
{
    if (status == TA_CONFINE_OK || status == TA_CONFINE_IS_DIR)
        return (fi->mode & ~(uint32_t)(S_IFMT | 07777)) == 0 && fi->mtime_nsec < NSEC_PER_SEC &&
               (status == TA_CONFINE_OK ? S_ISREG(fi->mode) : S_ISDIR(fi->mode));
    return fi->mode == 0 && fi->size == 0 && fi->mtime_sec == 0 && fi->mtime_nsec == 0 &&
           fi->ino == 0 && fi->dev == 0;
}

static int decode_open_resp(const unsigned char *body, size_t n, ta_msg *m)
{
    ta_file_info *fi = &m->u.open_resp.info;

    if (n != TA_PROTO_OPEN_RESP_LEN || body[0] > TA_PROTO_FILE_STATUS_MAX)
        return 0;
    m->u.open_resp.status = body[0];
    fi->mode = get_u32(body + 1);
    fi->size = get_u64(body + 5);
    fi->mtime_sec = (int64_t)get_u64(body + 13);
    fi->mtime_nsec = get_u32(body + 21);
    fi->ino = get_u64(body + 25);
    fi->dev = get_u64(body + 33);
    return file_info_valid(body[0], fi);
}

/* A directory entry's name, as the worker will put it into a link: one path component. */
static int name_valid(const unsigned char *s, size_t n)
{
    if (n < 1 || n > TA_PROTO_NAME_MAX || (s[0] == '.' && (n == 1 || (n == 2 && s[1] == '.'))))
        return 0;
    return memchr(s, '\0', n) == NULL && memchr(s, '/', n) == NULL;
}

/* The head's fields must agree: a refusal (or a file) carries nothing, a frame that says more
 * follows carries at least one entry (so an answer has at most as many frames as entries), and
 * no frame more entries than the listing's total. */
static int list_head_valid(unsigned status, unsigned more, uint32_t total, uint32_t count)
{
    if (status > TA_PROTO_LIST_STATUS_MAX || more > 1 || total > TA_PROTO_LIST_TOTAL_MAX ||
        count > total)
        return 0;
    if (status != TA_CONFINE_IS_DIR)
        return more == 0 && total == 0;
    return !more || count > 0;
}

/* The count is checked against the room for that many of the shortest entries before the
 * walk, every entry in full during it, and the entries must end exactly with the body. */
static int decode_list_resp(const unsigned char *body, size_t n, ta_msg *m)
{
    const unsigned char *p = body + TA_PROTO_LIST_HEAD_LEN;
    size_t left;
    uint32_t total, count;

    if (n < TA_PROTO_LIST_HEAD_LEN)
        return 0;
    total = get_u32(body + 2);
    count = get_u32(body + 6);
    left = n - TA_PROTO_LIST_HEAD_LEN;
    if (!list_head_valid(body[0], body[1], total, count) || count > left / TA_PROTO_LIST_ENTRY_MIN)
        return 0;
    for (uint32_t i = 0; i < count; i++) {
        size_t nl;

        if (left < ENTRY_FIXED || p[0] > 1)
            return 0;
        nl = get_u16(p + 17);
        if (nl > left - ENTRY_FIXED || !name_valid(p + ENTRY_FIXED, nl))
            return 0;
        p += ENTRY_FIXED + nl;
        left -= ENTRY_FIXED + nl;
    }
    if (left != 0)
        return 0;
    m->u.list_resp.status = body[0];
    m->u.list_resp.more = body[1];
    m->u.list_resp.total = total;
    m->u.list_resp.count = count;
    m->u.list_resp.entries = body + TA_PROTO_LIST_HEAD_LEN;
    m->u.list_resp.entries_len = n - TA_PROTO_LIST_HEAD_LEN;
    return 1;
}

int ta_proto_list_next(const ta_msg *m, size_t *pos, ta_proto_dirent *e)
{
    const unsigned char *p;
    size_t left, nl;

    if (m->type != TA_MSG_LIST_RESP || *pos >= m->u.list_resp.entries_len)
        return 0;
    p = m->u.list_resp.entries + *pos;
    left = m->u.list_resp.entries_len - *pos;
    if (left < ENTRY_FIXED || (nl = get_u16(p + 17)) > left - ENTRY_FIXED)
        return 0; /* not after a successful decode */
    e->is_dir = p[0];
    e->size = get_u64(p + 1);
    e->mtime = (int64_t)get_u64(p + 9);
    e->name = (const char *)p + ENTRY_FIXED;
    e->name_len = nl;
    *pos += ENTRY_FIXED + nl;
    return 1;
}

/* The message is wiped first, so on success no byte of an earlier message (an earlier, longer
 * password) survives in it, and on failure it holds nothing. */
ta_proto_status ta_proto_decode(const unsigned char *buf, size_t len, ta_msg *m, size_t *consumed)
{
    size_t flen;
    ta_proto_status st = ta_proto_frame_len(buf, len, &flen);
    const unsigned char *body;
    int ok;

    ta_msg_wipe(m);
    *consumed = 0;
    if (st != TA_PROTO_OK)
        return st;
    if (flen > len)
        return TA_PROTO_NEED_MORE;
    body = buf + TA_PROTO_HEADER_LEN;
    m->type = buf[3];
    m->id = get_u32(buf + 4);
    if (m->type == TA_MSG_OPEN_RESP)
        ok = decode_open_resp(body, flen - TA_PROTO_HEADER_LEN, m);
    else if (m->type == TA_MSG_LIST_RESP)
        ok = decode_list_resp(body, flen - TA_PROTO_HEADER_LEN, m);
    else
        ok = decode_by_schema(schema_of(m->type), body, flen - TA_PROTO_HEADER_LEN, m);
    *consumed = flen;
    if (!ok) {
        ta_msg_wipe(m);
        return TA_PROTO_MALFORMED;
    }
    return TA_PROTO_OK;
}

ta_proto_error ta_proto_error_for(ta_proto_status st)
{
    switch (st) {
    case TA_PROTO_BAD_VERSION:
        return TA_PROTO_ERR_BAD_VERSION;
    case TA_PROTO_BAD_TYPE:
        return TA_PROTO_ERR_BAD_TYPE;
    case TA_PROTO_TOO_LARGE:
        return TA_PROTO_ERR_TOO_LARGE;
    case TA_PROTO_BAD_MAGIC:
    case TA_PROTO_NEED_MORE:
    case TA_PROTO_MALFORMED:
        return TA_PROTO_ERR_MALFORMED;
    default:
        return TA_PROTO_ERR_INTERNAL;
    }
}

/* Check the room for a frame of body_len bytes and write its header; the caller writes the
 * body only after this said yes, so a refused encode leaves buf untouched. */
static ta_proto_status start_frame(unsigned char type, uint32_t id, size_t body_len,
                                   unsigned char *buf, size_t cap, size_t *len)
{
    if (cap < TA_PROTO_HEADER_LEN || body_len > cap - TA_PROTO_HEADER_LEN)
        return TA_PROTO_NO_ROOM;
    buf[0] = 'T';
    buf[1] = 'A';
    buf[2] = TA_PROTO_VERSION;
    buf[3] = type;
    put_u32(buf + 4, id);
    put_u32(buf + 8, (uint32_t)body_len);
    *len = TA_PROTO_HEADER_LEN + body_len;
    return TA_PROTO_OK;
}

/* The bytes a field takes on the wire, or 0 when its value breaks the decoder's rules. */
static size_t field_size(const ta_msg *m, const field *f)
{
    if (f->kind == F_STR) {
        const char *s = (const char *)m + f->off;
        size_t n = strnlen(s, (size_t)f->max + 1);
        return string_valid(f, (const unsigned char *)s, n) ? 2 + n : 0;
    }
    uint64_t v = load_int(m, f);
    return v >= f->min && v <= f->max ? int_width(f->kind) : 0;
}

static unsigned char *put_field(unsigned char *p, const ta_msg *m, const field *f)
{
    uint64_t v;

    if (f->kind == F_STR) {
        const char *s = (const char *)m + f->off;
        size_t n = strlen(s); /* field_size checked it is within f->max */
        put_u16(p, (uint16_t)n);
        memcpy(p + 2, s, n);
        return p + 2 + n;
    }
    v = load_int(m, f);
    switch (f->kind) {
    case F_U8:
        p[0] = (unsigned char)v;
        break;
    case F_U16:
        put_u16(p, (uint16_t)v);
        break;
    case F_U32:
        put_u32(p, (uint32_t)v);
        break;
    default:
        put_u64(p, v);
        break;
    }
    return p + int_width(f->kind);
}

/* Every field is held to the decoder's rules before a byte is written. */
ta_proto_status ta_proto_encode(const ta_msg *m, unsigned char *buf, size_t cap, size_t *len)
{
    const schema *s = schema_of(m->type);
    size_t body_len = 0;
    unsigned char *p;
    ta_proto_status st;

    *len = 0;
    if (s == NULL || (s->check && !s->check(m)))
        return TA_PROTO_MALFORMED;
    for (size_t i = 0; i < s->n; i++) {
        size_t n = field_size(m, &s->f[i]);
        if (n == 0)
            return TA_PROTO_MALFORMED;
        body_len += n;
    }
    st = start_frame(m->type, m->id, body_len, buf, cap, len);
    if (st != TA_PROTO_OK)
        return st;
    p = buf + TA_PROTO_HEADER_LEN;
    for (size_t i = 0; i < s->n; i++)
        p = put_field(p, m, &s->f[i]);
    return TA_PROTO_OK;
}

int ta_proto_set_string(char *dst, size_t cap, const char *src, size_t n)
{
    if (cap == 0 || n >= cap || (n > 0 && memchr(src, '\0', n) != NULL))
        return -1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return 0;
}

ta_proto_status ta_proto_encode_error(uint32_t id, int code, unsigned char *buf, size_t cap,
                                      size_t *len)
{
    ta_msg m;

    memset(&m, 0, sizeof(m));
    m.type = TA_MSG_ERROR;
    m.id = id;
    m.u.error.code = (uint8_t)code;
    return ta_proto_encode(&m, buf, cap, len);
}

ta_proto_status ta_proto_encode_open_resp(uint32_t id, int status, const ta_file_info *info,
                                          unsigned char *buf, size_t cap, size_t *len)
{
    static const ta_file_info none;
    const ta_file_info *fi = info ? info : &none;
    unsigned char *p = buf + TA_PROTO_HEADER_LEN;
    ta_proto_status st;

    *len = 0;
    if (status < 0 || status > TA_PROTO_FILE_STATUS_MAX || !file_info_valid(status, fi))
        return TA_PROTO_MALFORMED;
    st = start_frame(TA_MSG_OPEN_RESP, id, TA_PROTO_OPEN_RESP_LEN, buf, cap, len);
    if (st != TA_PROTO_OK)
        return st;
    p[0] = (unsigned char)status;
    put_u32(p + 1, fi->mode);
    put_u64(p + 5, fi->size);
    put_u64(p + 13, (uint64_t)fi->mtime_sec);
    put_u32(p + 21, fi->mtime_nsec);
    put_u64(p + 25, fi->ino);
    put_u64(p + 33, fi->dev);
    return TA_PROTO_OK;
}

/* The header and a listing head of no entries, fixed up by ta_proto_list_end. */
ta_proto_status ta_proto_list_begin(ta_proto_list_writer *w, uint32_t id, int status,
                                    uint32_t total, unsigned char *buf, size_t cap)
{
    size_t len = 0;
    ta_proto_status st;

    memset(w, 0, sizeof(*w));
    if (status < 0 || !list_head_valid((unsigned)status, 0, total, 0))
        return TA_PROTO_MALFORMED;
    if (cap > TA_PROTO_MAX_LIST_FRAME)
        cap = TA_PROTO_MAX_LIST_FRAME;
    st = start_frame(TA_MSG_LIST_RESP, id, TA_PROTO_LIST_HEAD_LEN, buf, cap, &len);
    if (st != TA_PROTO_OK)
        return st;
    buf[TA_PROTO_HEADER_LEN] = (unsigned char)status;
    buf[TA_PROTO_HEADER_LEN + 1] = 0;
    put_u32(buf + TA_PROTO_HEADER_LEN + 2, total);
    put_u32(buf + TA_PROTO_HEADER_LEN + 6, 0);
    w->buf = buf;
    w->cap = cap;
    w->len = len;
    w->total = total;
    w->status = (uint8_t)status;
    return TA_PROTO_OK;
}

/* Entries belong to a directory's listing only, no more of them than its total; a name is
 * checked before a byte is written. */
ta_proto_status ta_proto_list_add(ta_proto_list_writer *w, int is_dir, uint64_t size, int64_t mtime,
                                  const char *name, size_t name_len)
{
    unsigned char *p;

    if (w->buf == NULL || w->status != TA_CONFINE_IS_DIR || w->count >= w->total || name == NULL ||
        !name_valid((const unsigned char *)name, name_len))
        return TA_PROTO_MALFORMED;
    if (ENTRY_FIXED + name_len > w->cap - w->len)
        return TA_PROTO_NO_ROOM;
    p = w->buf + w->len;
    p[0] = is_dir ? 1 : 0;
    put_u64(p + 1, size);
    put_u64(p + 9, (uint64_t)mtime);
    put_u16(p + 17, (uint16_t)name_len);
    memcpy(p + ENTRY_FIXED, name, name_len);
    w->len += ENTRY_FIXED + name_len;
    w->count++;
    return TA_PROTO_OK;
}

ta_proto_status ta_proto_list_end(ta_proto_list_writer *w, int more, size_t *len)
{
    *len = 0;
    if (w->buf == NULL || more < 0 ||
        !list_head_valid(w->status, (unsigned)more, w->total, w->count))
        return TA_PROTO_MALFORMED;
    w->buf[TA_PROTO_HEADER_LEN + 1] = (unsigned char)more;
    put_u32(w->buf + TA_PROTO_HEADER_LEN + 6, w->count);
    put_u32(w->buf + 8, (uint32_t)(w->len - TA_PROTO_HEADER_LEN));
    *len = w->len;
    return TA_PROTO_OK;
}

void ta_msg_wipe(ta_msg *m)
{
    OPENSSL_cleanse(m, sizeof(*m));
}

void ta_file_info_from_stat(const struct stat *st, ta_file_info *fi)
{
    fi->mode = (uint32_t)st->st_mode;
    fi->size = (uint64_t)st->st_size;
    fi->mtime_sec = (int64_t)st->st_mtim.tv_sec;
    fi->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
    fi->ino = (uint64_t)st->st_ino;
    fi->dev = (uint64_t)st->st_dev;
}
