/* The helper protocol codec (SPEC §6). Decoder and encoders share one table of field rules, so
 * what one side may send is exactly what the other accepts. */
#include "ta_proto.h"
#include "ta_filestatus.h"

#include <string.h>
#include <sys/stat.h>
#include <openssl/crypto.h>

#define NFIELDS 4      /* service, user, password, rhost */
#define NFILE_FIELDS 3 /* user, subdir, path */
#define ENTRY_FIXED 19 /* a listing entry before its name: type, size, mtime, name length */
#define NSEC_PER_SEC 1000000000u

_Static_assert(TA_PROTO_FILE_STATUS_MAX == TA_CONFINE_ERROR, "OPEN/LIST status is ta_confine's");
_Static_assert(TA_PROTO_LIST_ENTRY_MIN == ENTRY_FIXED + 1, "a name has at least one byte");
/* every request, the longest file request included, fits the helper's TA_PROTO_MAX_FRAME */
_Static_assert(1 + 6 + TA_PROTO_USER_MAX + TA_PROTO_SUBDIR_MAX + TA_PROTO_PATH_MAX <=
                   TA_PROTO_MAX_BODY,
               "file requests fit TA_PROTO_MAX_BODY");

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

/* OPEN_REQ and LIST_REQ, after the flags byte. The subdir and path reach the confined open
 * and debug logs: no control characters there either; '/' and UTF-8 are theirs to judge. */
static const struct field_rule file_fields[NFILE_FIELDS] = {
    {1, TA_PROTO_USER_MAX, user_char},
    {1, TA_PROTO_SUBDIR_MAX, user_char},
    {0, TA_PROTO_PATH_MAX, user_char},
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
    return (type >= TA_MSG_AUTH_REQ && type <= TA_MSG_LIST_RESP) || type == TA_MSG_ERROR;
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

/* Flags with no unknown bit (a newer worker's option must not be silently ignored), then
 * three fields in fixed order and nothing after the last. */
static int decode_file_req(const unsigned char *body, size_t n, ta_msg *m)
{
    char *const out[NFILE_FIELDS] = {m->u.file_req.user, m->u.file_req.subdir, m->u.file_req.path};

    if (n < 1 || (body[0] & ~TA_PROTO_FILE_FLAGS) != 0)
        return 0;
    m->u.file_req.flags = body[0];
    body++;
    n--;
    for (size_t i = 0; i < NFILE_FIELDS; i++)
        if (!take_field(&body, &n, &file_fields[i], out[i]))
            return 0;
    return n == 0;
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

/* The count is checked against the room for that many of the shortest entries before the
 * walk, every entry in full during it, and the entries must end exactly with the body. */
static int decode_list_resp(const unsigned char *body, size_t n, ta_msg *m)
{
    const unsigned char *p = body + TA_PROTO_LIST_HEAD_LEN;
    size_t left;
    uint32_t count;

    if (n < TA_PROTO_LIST_HEAD_LEN || body[0] > TA_PROTO_FILE_STATUS_MAX || body[1] > 1)
        return 0;
    count = get_u32(body + 2);
    left = n - TA_PROTO_LIST_HEAD_LEN;
    if (body[0] != TA_CONFINE_IS_DIR && (body[1] != 0 || count != 0))
        return 0;
    if (count > left / TA_PROTO_LIST_ENTRY_MIN)
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
    m->u.list_resp.truncated = body[1];
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
    switch (m->type) {
    case TA_MSG_AUTH_REQ:
        ok = decode_auth_req(body, flen - TA_PROTO_HEADER_LEN, m);
        break;
    case TA_MSG_AUTH_RESP:
        ok = decode_auth_resp(body, flen - TA_PROTO_HEADER_LEN, m);
        break;
    case TA_MSG_OPEN_REQ:
    case TA_MSG_LIST_REQ:
        ok = decode_file_req(body, flen - TA_PROTO_HEADER_LEN, m);
        break;
    case TA_MSG_OPEN_RESP:
        ok = decode_open_resp(body, flen - TA_PROTO_HEADER_LEN, m);
        break;
    case TA_MSG_LIST_RESP:
        ok = decode_list_resp(body, flen - TA_PROTO_HEADER_LEN, m);
        break;
    default:
        ok = decode_error(body, flen - TA_PROTO_HEADER_LEN, m);
        break;
    }
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

ta_proto_status ta_proto_encode_file_req(int type, uint32_t id, unsigned flags, const char *user,
                                         const char *subdir, const char *path, unsigned char *buf,
                                         size_t cap, size_t *len)
{
    const char *val[NFILE_FIELDS] = {user, subdir, path};
    size_t vlen[NFILE_FIELDS], body_len = 1;
    unsigned char *p;
    ta_proto_status st;

    *len = 0;
    if ((type != TA_MSG_OPEN_REQ && type != TA_MSG_LIST_REQ) || (flags & ~TA_PROTO_FILE_FLAGS))
        return TA_PROTO_MALFORMED;
    for (size_t i = 0; i < NFILE_FIELDS; i++) {
        if (val[i] == NULL)
            return TA_PROTO_MALFORMED;
        vlen[i] = strnlen(val[i], file_fields[i].max + 1);
        if (!field_valid(&file_fields[i], (const unsigned char *)val[i], vlen[i]))
            return TA_PROTO_MALFORMED;
        body_len += 2 + vlen[i];
    }
    st = start_frame((unsigned char)type, id, body_len, buf, cap, len);
    if (st != TA_PROTO_OK)
        return st;
    p = buf + TA_PROTO_HEADER_LEN;
    *p++ = (unsigned char)flags;
    for (size_t i = 0; i < NFILE_FIELDS; i++) {
        put_u16(p, (uint16_t)vlen[i]);
        memcpy(p + 2, val[i], vlen[i]);
        p += 2 + vlen[i];
    }
    return TA_PROTO_OK;
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
                                    unsigned char *buf, size_t cap)
{
    size_t len = 0;
    ta_proto_status st;

    memset(w, 0, sizeof(*w));
    if (status < 0 || status > TA_PROTO_FILE_STATUS_MAX)
        return TA_PROTO_MALFORMED;
    if (cap > TA_PROTO_MAX_LIST_FRAME)
        cap = TA_PROTO_MAX_LIST_FRAME;
    st = start_frame(TA_MSG_LIST_RESP, id, TA_PROTO_LIST_HEAD_LEN, buf, cap, &len);
    if (st != TA_PROTO_OK)
        return st;
    buf[TA_PROTO_HEADER_LEN] = (unsigned char)status;
    buf[TA_PROTO_HEADER_LEN + 1] = 0;
    put_u32(buf + TA_PROTO_HEADER_LEN + 2, 0);
    w->buf = buf;
    w->cap = cap;
    w->len = len;
    w->status = (uint8_t)status;
    return TA_PROTO_OK;
}

/* Entries belong to a directory's listing only; a name is checked before a byte is written. */
ta_proto_status ta_proto_list_add(ta_proto_list_writer *w, int is_dir, uint64_t size, int64_t mtime,
                                  const char *name, size_t name_len)
{
    unsigned char *p;

    if (w->buf == NULL || w->status != TA_CONFINE_IS_DIR || name == NULL ||
        !name_valid((const unsigned char *)name, name_len))
        return TA_PROTO_MALFORMED;
    if (ENTRY_FIXED + name_len > w->cap - w->len || w->count == UINT32_MAX)
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

ta_proto_status ta_proto_list_end(ta_proto_list_writer *w, int truncated, size_t *len)
{
    *len = 0;
    if (w->buf == NULL || (truncated != 0 && truncated != 1) ||
        (truncated && w->status != TA_CONFINE_IS_DIR))
        return TA_PROTO_MALFORMED;
    w->buf[TA_PROTO_HEADER_LEN + 1] = (unsigned char)truncated;
    put_u32(w->buf + TA_PROTO_HEADER_LEN + 2, w->count);
    put_u32(w->buf + 8, (uint32_t)(w->len - TA_PROTO_HEADER_LEN));
    *len = w->len;
    return TA_PROTO_OK;
}

void ta_msg_wipe(ta_msg *m)
{
    OPENSSL_cleanse(m, sizeof(*m));
}
