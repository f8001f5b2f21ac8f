/* The helper protocol codec (SPEC §6). Decoder and encoders share one table of field rules, so
 * what one side may send is exactly what the other accepts. */
#include "ta_proto.h"

#include <string.h>
#include <openssl/crypto.h>

#define NFIELDS 4 /* service, user, password, rhost */

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
};

static const char *const error_names[] = {
    [TA_PROTO_ERR_MALFORMED] = "malformed", [TA_PROTO_ERR_BAD_VERSION] = "bad_version",
    [TA_PROTO_ERR_BAD_TYPE] = "bad_type",   [TA_PROTO_ERR_TOO_LARGE] = "too_large",
    [TA_PROTO_ERR_INTERNAL] = "internal",
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

static uint16_t get_u16(const unsigned char *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
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

/* A PAM service name is a file name under /etc/pam.d: no '/', no "..", nothing odd. */
static int service_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
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

struct field_rule {
    size_t min, max;
    int (*ok)(unsigned char c);
};

/* The AUTH_REQ body, in wire order. */
static const struct field_rule auth_fields[NFIELDS] = {
    {1, TA_PROTO_SERVICE_MAX, service_char},
    {1, TA_PROTO_USER_MAX, user_char},
    {0, TA_PROTO_PASSWORD_MAX, password_char},
    {0, TA_PROTO_RHOST_MAX, rhost_char},
};

static int field_valid(const struct field_rule *r, const unsigned char *s, size_t n)
{
    if (n < r->min || n > r->max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!r->ok(s[i]))
            return 0;
    return 1;
}

/* Only the types this version defines; reserved ones are refused until they are defined, so
 * a helper never half-understands a request. */
static int type_known(unsigned char type)
{
    return type == TA_MSG_AUTH_REQ || type == TA_MSG_AUTH_RESP || type == TA_MSG_ERROR;
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
    if (body > TA_PROTO_MAX_BODY)
        return TA_PROTO_TOO_LARGE;
    *frame_len = TA_PROTO_HEADER_LEN + (size_t)body;
    return TA_PROTO_OK;
}

uint32_t ta_proto_request_id(const unsigned char *buf, size_t len)
{
    return len < TA_PROTO_HEADER_LEN ? 0 : get_u32(buf + 4);
}

/* Take one length-prefixed field off the front of *p (with *left bytes remaining) into out,
 * which has room for r->max bytes and a NUL. The length is checked against what is left
 * before anything is read. */
static int take_field(const unsigned char **p, size_t *left, const struct field_rule *r, char *out)
{
    size_t n;

    if (*left < 2)
        return 0;
    n = get_u16(*p);
    if (n > *left - 2 || !field_valid(r, *p + 2, n))
        return 0;
    memcpy(out, *p + 2, n);
    out[n] = '\0';
    *p += 2 + n;
    *left -= 2 + n;
    return 1;
}

/* Four fields in fixed order and nothing after the last, so every request has one encoding. */
static int decode_auth_req(const unsigned char *body, size_t n, ta_msg *m)
{
    char *const out[NFIELDS] = {m->u.auth_req.service, m->u.auth_req.user, m->u.auth_req.password,
                                m->u.auth_req.rhost};

    for (size_t i = 0; i < NFIELDS; i++)
        if (!take_field(&body, &n, &auth_fields[i], out[i]))
            return 0;
    return n == 0;
}

/* A uid with a refusal would be a contradiction the worker must not have to interpret. */
static int decode_auth_resp(const unsigned char *body, size_t n, ta_msg *m)
{
    if (n != TA_PROTO_AUTH_RESP_LEN || body[0] > TA_AUTH_UNAVAILABLE)
        return 0;
    m->u.auth_resp.result = body[0];
    m->u.auth_resp.uid = get_u32(body + 1);
    return body[0] == TA_AUTH_OK || m->u.auth_resp.uid == 0;
}

static int decode_error(const unsigned char *body, size_t n, ta_msg *m)
{
    if (n != TA_PROTO_ERROR_LEN || body[0] < TA_PROTO_ERR_MALFORMED ||
        body[0] > TA_PROTO_ERR_INTERNAL)
        return 0;
    m->u.error.code = body[0];
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
    if (m->type == TA_MSG_AUTH_REQ)
        ok = decode_auth_req(body, flen - TA_PROTO_HEADER_LEN, m);
    else if (m->type == TA_MSG_AUTH_RESP)
        ok = decode_auth_resp(body, flen - TA_PROTO_HEADER_LEN, m);
    else
        ok = decode_error(body, flen - TA_PROTO_HEADER_LEN, m);
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

/* Every field is checked against the decoder's own rules before a byte is written. */
ta_proto_status ta_proto_encode_auth_req(uint32_t id, const char *service, const char *user,
                                         size_t user_len, const char *password, size_t password_len,
                                         const char *rhost, unsigned char *buf, size_t cap,
                                         size_t *len)
{
    const char *val[NFIELDS] = {service, user, password, rhost};
    size_t vlen[NFIELDS] = {0, user_len, password_len, 0};
    size_t body_len = 0;
    unsigned char *p;
    ta_proto_status st;

    *len = 0;
    for (size_t i = 0; i < NFIELDS; i++) {
        if (val[i] == NULL)
            return TA_PROTO_MALFORMED;
        if (i == 0 || i == 3)
            vlen[i] = strnlen(val[i], auth_fields[i].max + 1);
        if (!field_valid(&auth_fields[i], (const unsigned char *)val[i], vlen[i]))
            return TA_PROTO_MALFORMED;
        body_len += 2 + vlen[i];
    }
    st = start_frame(TA_MSG_AUTH_REQ, id, body_len, buf, cap, len);
    if (st != TA_PROTO_OK)
        return st;
    p = buf + TA_PROTO_HEADER_LEN;
    for (size_t i = 0; i < NFIELDS; i++) {
        put_u16(p, (uint16_t)vlen[i]);
        memcpy(p + 2, val[i], vlen[i]);
        p += 2 + vlen[i];
    }
    return TA_PROTO_OK;
}

ta_proto_status ta_proto_encode_auth_resp(uint32_t id, int result, uint32_t uid, unsigned char *buf,
                                          size_t cap, size_t *len)
{
    ta_proto_status st;

    *len = 0;
    if (result < TA_AUTH_OK || result > TA_AUTH_UNAVAILABLE || (result != TA_AUTH_OK && uid != 0))
        return TA_PROTO_MALFORMED;
    st = start_frame(TA_MSG_AUTH_RESP, id, TA_PROTO_AUTH_RESP_LEN, buf, cap, len);
    if (st != TA_PROTO_OK)
        return st;
    buf[TA_PROTO_HEADER_LEN] = (unsigned char)result;
    put_u32(buf + TA_PROTO_HEADER_LEN + 1, uid);
    return TA_PROTO_OK;
}

ta_proto_status ta_proto_encode_error(uint32_t id, int code, unsigned char *buf, size_t cap,
                                      size_t *len)
{
    ta_proto_status st;

    *len = 0;
    if (code < TA_PROTO_ERR_MALFORMED || code > TA_PROTO_ERR_INTERNAL)
        return TA_PROTO_MALFORMED;
    st = start_frame(TA_MSG_ERROR, id, TA_PROTO_ERROR_LEN, buf, cap, len);
    if (st != TA_PROTO_OK)
        return st;
    buf[TA_PROTO_HEADER_LEN] = (unsigned char)code;
    return TA_PROTO_OK;
}

void ta_msg_wipe(ta_msg *m)
{
    OPENSSL_cleanse(m, sizeof(*m));
}
