/* libFuzzer target: the helper protocol codec (src/wire/ta_proto.c, SPEC §6). Every input is used
 * twice.
 *
 * As a stream: the input, copied to a heap buffer of exactly its length, is decoded frame after
 * frame as the helper reads its socket. Invariants: decode agrees with ta_proto_frame_len (same
 * header verdict, consumed equal to the frame length, NEED_MORE exactly when the frame is longer
 * than what is left), consumed never exceeds what is left, a refused message holds only zeros,
 * a decoded message re-encodes to exactly the bytes it came from (one encoding per message;
 * a LIST_RESP through the entry-by-entry writer, from the entries its iterator yields, which
 * must be exactly count), one byte less of it is NEED_MORE, no frame is longer than its type's
 * limit, and every refusal can be answered with an ERROR_RESP that decodes back.
 *
 * As an AUTH_REQ: a flags byte, an id, a cut point and four field lengths (up to one past each
 * limit), then the field bytes. Flags bit 0 cleans the bytes into each field's character class,
 * bit 1 keeps the lengths within the limits (both: a valid request), bit 2 also cuts the body
 * short. A frame built by hand from these fields is accepted by the decoder exactly when the
 * rules of SPEC §6, restated here, say it is valid, and then yields the same fields; the encoder
 * accepts the same requests and writes the same bytes; a cut body is MALFORMED, read from an
 * exact heap buffer so ASan sees any read past its end. */
#include "fuzz.h"
#include "ta_proto.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const size_t field_max[4] = {TA_PROTO_SERVICE_MAX, TA_PROTO_USER_MAX, TA_PROTO_PASSWORD_MAX,
                                    TA_PROTO_RHOST_MAX};

/* SPEC §6 field rules, restated independently of the codec. */
static int char_ok(int field, unsigned char c)
{
    switch (field) {
    case 0:
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
    case 1:
        return c >= 0x20 && c != 0x7f;
    case 2:
        return c != 0;
    default:
        return c >= 0x21 && c <= 0x7e;
    }
}

static int field_ok(int field, const unsigned char *s, size_t n)
{
    if (n > field_max[field] || (n == 0 && field < 2))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!char_ok(field, s[i]))
            return 0;
    return 1;
}

/* A LIST_RESP written again from what the iterator gives back. */
static ta_proto_status reencode_list(const ta_msg *m, unsigned char *out, size_t n, size_t *len)
{
    ta_proto_list_writer w;
    ta_proto_dirent e;
    size_t pos = 0;
    uint32_t seen = 0;

    CHECK(ta_proto_list_begin(&w, m->id, m->u.list_resp.status, out, n) == TA_PROTO_OK);
    while (ta_proto_list_next(m, &pos, &e)) {
        CHECK(e.name_len >= 1 && e.name_len <= TA_PROTO_NAME_MAX);
        CHECK(memchr(e.name, '/', e.name_len) == NULL && memchr(e.name, 0, e.name_len) == NULL);
        CHECK(ta_proto_list_add(&w, e.is_dir, e.size, e.mtime, e.name, e.name_len) == TA_PROTO_OK);
        seen++;
    }
    CHECK(seen == m->u.list_resp.count && pos == m->u.list_resp.entries_len);
    return ta_proto_list_end(&w, m->u.list_resp.truncated, len);
}

/* Encode m again; it must give back exactly frame[0..n). */
static void check_reencodes(const ta_msg *m, const unsigned char *frame, size_t n)
{
    unsigned char *out = malloc(n);
    size_t len = 0;
    ta_proto_status st;

    CHECK(out != NULL);
    if (m->type == TA_MSG_OPEN_REQ || m->type == TA_MSG_LIST_REQ)
        st = ta_proto_encode_file_req(m->type, m->id, m->u.file_req.flags, m->u.file_req.user,
                                      m->u.file_req.subdir, m->u.file_req.path, out, n, &len);
    else if (m->type == TA_MSG_OPEN_RESP)
        st = ta_proto_encode_open_resp(m->id, m->u.open_resp.status, &m->u.open_resp.info, out, n,
                                       &len);
    else if (m->type == TA_MSG_LIST_RESP)
        st = reencode_list(m, out, n, &len);
    else if (m->type == TA_MSG_AUTH_REQ)
        st = ta_proto_encode_auth_req(m->id, m->u.auth_req.service, m->u.auth_req.user,
                                      strlen(m->u.auth_req.user), m->u.auth_req.password,
                                      strlen(m->u.auth_req.password), m->u.auth_req.rhost, out, n,
                                      &len);
    else if (m->type == TA_MSG_AUTH_RESP)
        st = ta_proto_encode_auth_resp(m->id, m->u.auth_resp.result, m->u.auth_resp.uid, out, n,
                                       &len);
    else
        st = ta_proto_encode_error(m->id, m->u.error.code, out, n, &len);
    CHECK(st == TA_PROTO_OK);
    CHECK(len == n);
    CHECK(memcmp(out, frame, n) == 0);
    free(out);
}

/* A refused frame can always be answered, and the answer decodes to what was sent. */
static void check_answerable(const unsigned char *buf, size_t len, ta_proto_status st)
{
    unsigned char out[TA_PROTO_HEADER_LEN + TA_PROTO_ERROR_LEN];
    uint32_t id = ta_proto_request_id(buf, len);
    int code = ta_proto_error_for(st);
    size_t n = 0, consumed = 0;
    ta_msg m;

    CHECK(code != TA_PROTO_ERR_INTERNAL);
    CHECK(ta_proto_encode_error(id, code, out, sizeof(out), &n) == TA_PROTO_OK);
    CHECK(n == sizeof(out));
    CHECK(ta_proto_decode(out, n, &m, &consumed) == TA_PROTO_OK);
    CHECK(consumed == n && m.type == TA_MSG_ERROR && m.id == id && m.u.error.code == code);
}

/* One frame at buf[0..left); returns how many bytes it took (0: stop reading). */
static size_t check_one_frame(const unsigned char *buf, size_t left, ta_msg *m)
{
    size_t flen = 12345, consumed = 12345, shorter;
    ta_proto_status hst = ta_proto_frame_len(buf, left, &flen);
    ta_proto_status st = ta_proto_decode(buf, left, m, &consumed);

    CHECK(st <= TA_PROTO_MALFORMED);
    CHECK(strcmp(ta_proto_status_name(st), "unknown") != 0);
    CHECK(consumed <= left);
    if (hst != TA_PROTO_OK) {
        CHECK(st == hst && flen == 0 && consumed == 0);
        CHECK(hst != TA_PROTO_NEED_MORE || left < TA_PROTO_HEADER_LEN);
    }
    else {
        CHECK(flen >= TA_PROTO_HEADER_LEN &&
              flen <= TA_PROTO_HEADER_LEN + ta_proto_body_limit(buf[3]));
        CHECK(buf[3] == TA_MSG_LIST_RESP || flen <= TA_PROTO_MAX_FRAME);
        CHECK((st == TA_PROTO_NEED_MORE) == (flen > left));
        CHECK(consumed == (st == TA_PROTO_NEED_MORE ? 0 : flen));
    }
    if (st != TA_PROTO_OK) {
        CHECK(all_zero(m, sizeof(*m)));
        if (st != TA_PROTO_NEED_MORE)
            check_answerable(buf, left, st);
        return st == TA_PROTO_MALFORMED ? consumed : 0;
    }
    CHECK(m->id == ta_proto_request_id(buf, left));
    check_reencodes(m, buf, consumed);
    CHECK(ta_proto_decode(buf, consumed - 1, m, &shorter) == TA_PROTO_NEED_MORE);
    CHECK(shorter == 0 && all_zero(m, sizeof(*m)));
    return consumed;
}

/* The input as a stream of frames, read from a heap buffer of exactly its size. */
static void fuzz_stream(const uint8_t *data, size_t size)
{
    unsigned char *buf = malloc(size ? size : 1);
    ta_msg *m = malloc(sizeof(*m));
    size_t off = 0, took;

    CHECK(buf != NULL && m != NULL);
    memcpy(buf, data, size);
    do {
        took = check_one_frame(buf + off, size - off, m);
        off += took;
    } while (took > 0 && off < size);
    ta_msg_wipe(m);
    free(m);
    free(buf);
}

/* Take the next byte of input, or 0 when it is used up. */
static unsigned char next_byte(const uint8_t **p, size_t *left)
{
    if (*left == 0)
        return 0;
    (*left)--;
    return *(*p)++;
}

/* Map any byte into field's character class. */
static unsigned char clean(int field, unsigned char c)
{
    static const char service_abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";

    if (field == 0)
        return (unsigned char)service_abc[c % (sizeof(service_abc) - 1)];
    if (field == 1)
        return c < 0x20 || c == 0x7f ? (unsigned char)(c | 0x40) & 0x7e : c;
    if (field == 2)
        return c ? c : 1;
    return (unsigned char)(0x21 + c % 94);
}

/* The fields of an AUTH_REQ taken from the input: flags bit 0 cleans the bytes into each
 * field's class, bit 1 keeps the lengths within the limits (otherwise they reach one past). */
static void take_fields(const uint8_t **data, size_t *size, unsigned char flags,
                        unsigned char field[4][TA_PROTO_PASSWORD_MAX + 2], size_t n[4])
{
    for (int f = 0; f < 4; f++) {
        unsigned v = (unsigned)next_byte(data, size) << 8 | next_byte(data, size);

        n[f] = v % (field_max[f] + 2);
        if ((flags & 2) && n[f] > field_max[f])
            n[f] = field_max[f];
        if ((flags & 2) && f < 2 && n[f] == 0)
            n[f] = 1;
    }
    for (int f = 0; f < 4; f++) {
        for (size_t i = 0; i < n[f]; i++) {
            unsigned char c = next_byte(data, size);
            field[f][i] = (flags & 1) ? clean(f, c) : c;
        }
        field[f][n[f]] = '\0';
    }
}

/* Our own encoding of an AUTH_REQ frame into raw; returns its length. */
static size_t build_frame(uint32_t id, unsigned char field[4][TA_PROTO_PASSWORD_MAX + 2],
                          const size_t n[4], unsigned char *raw)
{
    size_t at = TA_PROTO_HEADER_LEN, body;

    for (int f = 0; f < 4; f++) {
        raw[at] = (unsigned char)(n[f] >> 8);
        raw[at + 1] = (unsigned char)n[f];
        memcpy(raw + at + 2, field[f], n[f]);
        at += 2 + n[f];
    }
    body = at - TA_PROTO_HEADER_LEN;
    memcpy(raw, "TA\x01\x01", 4);
    raw[4] = (unsigned char)(id >> 24);
    raw[5] = (unsigned char)(id >> 16);
    raw[6] = (unsigned char)(id >> 8);
    raw[7] = (unsigned char)id;
    raw[8] = raw[9] = 0;
    raw[10] = (unsigned char)(body >> 8);
    raw[11] = (unsigned char)body;
    return at;
}

/* Decode raw[0..len) from a heap copy of exactly len bytes. */
static ta_proto_status decode_exact(const unsigned char *raw, size_t len, ta_msg *m,
                                    size_t *consumed)
{
    unsigned char *copy = malloc(len);
    ta_proto_status st;

    CHECK(copy != NULL);
    memcpy(copy, raw, len);
    st = ta_proto_decode(copy, len, m, consumed);
    free(copy);
    return st;
}

/* The decoder accepts our frame exactly when the rules do, and gives back the same fields. */
static void check_decoder(uint32_t id, unsigned char field[4][TA_PROTO_PASSWORD_MAX + 2],
                          const size_t n[4], const unsigned char *raw, size_t len, int valid)
{
    const char *got[4];
    size_t consumed = 0;
    ta_msg m;

    CHECK(decode_exact(raw, len, &m, &consumed) == (valid ? TA_PROTO_OK : TA_PROTO_MALFORMED));
    CHECK(consumed == len);
    if (valid) {
        got[0] = m.u.auth_req.service;
        got[1] = m.u.auth_req.user;
        got[2] = m.u.auth_req.password;
        got[3] = m.u.auth_req.rhost;
        CHECK(m.type == TA_MSG_AUTH_REQ && m.id == id);
        for (int f = 0; f < 4; f++)
            CHECK(strlen(got[f]) == n[f] && memcmp(got[f], field[f], n[f]) == 0);
    }
    ta_msg_wipe(&m);
}

/* A body cut short by its own length field: whatever the cut, some field claims more than
 * is left, and the decoder must say so without reading past the (exact) buffer. */
static void check_cut_body(unsigned char *raw, size_t len, unsigned cut)
{
    size_t body = len - TA_PROTO_HEADER_LEN, consumed = 0;
    ta_msg m;

    cut %= (unsigned)body;
    raw[10] = (unsigned char)(cut >> 8);
    raw[11] = (unsigned char)cut;
    CHECK(decode_exact(raw, TA_PROTO_HEADER_LEN + cut, &m, &consumed) == TA_PROTO_MALFORMED);
    CHECK(consumed == TA_PROTO_HEADER_LEN + cut && all_zero(&m, sizeof(m)));
}

/* The encoder refuses what the rules refuse and otherwise writes our frame. It takes service
 * and rhost as C strings, so it sees them up to their first NUL. */
static void check_encoder(uint32_t id, unsigned char field[4][TA_PROTO_PASSWORD_MAX + 2],
                          const size_t n[4], const unsigned char *raw, size_t len)
{
    static unsigned char enc[TA_PROTO_MAX_FRAME];
    const char *s = (const char *)field[0], *u = (const char *)field[1];
    const char *p = (const char *)field[2], *r = (const char *)field[3];
    size_t elen = 0;
    int valid = field_ok(0, field[0], strlen(s)) && field_ok(1, field[1], n[1]) &&
                field_ok(2, field[2], n[2]) && field_ok(3, field[3], strlen(r));
    ta_proto_status st =
        ta_proto_encode_auth_req(id, s, u, n[1], p, n[2], r, enc, sizeof(enc), &elen);

    CHECK(st == (valid ? TA_PROTO_OK : TA_PROTO_MALFORMED));
    if (!valid) {
        CHECK(elen == 0);
        return;
    }
    if (strlen(s) == n[0] && strlen(r) == n[3])
        CHECK(elen == len && memcmp(enc, raw, len) == 0);
    CHECK(ta_proto_encode_auth_req(id, s, u, n[1], p, n[2], r, enc, elen - 1, &elen) ==
          TA_PROTO_NO_ROOM);
}

/* An AUTH_REQ built from the input; flags bit 2 also cuts its body short. */
static void fuzz_auth_req(const uint8_t *data, size_t size)
{
    static unsigned char field[4][TA_PROTO_PASSWORD_MAX + 2];
    static unsigned char raw[TA_PROTO_MAX_FRAME];
    unsigned char flags = next_byte(&data, &size);
    uint32_t id = (uint32_t)next_byte(&data, &size) << 24 | next_byte(&data, &size);
    unsigned cut = (unsigned)next_byte(&data, &size) << 8 | next_byte(&data, &size);
    size_t n[4], len;
    int valid = 1;

    take_fields(&data, &size, flags, field, n);
    for (int f = 0; f < 4; f++)
        valid &= field_ok(f, field[f], n[f]);
    CHECK((flags & 3) != 3 || valid);
    len = build_frame(id, field, n, raw);
    check_decoder(id, field, n, raw, len, valid);
    check_encoder(id, field, n, raw, len);
    if (flags & 4)
        check_cut_body(raw, len, cut);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_stream(data, size);
    fuzz_auth_req(data, size);
    return 0;
}
