/* libFuzzer target: the helper protocol codec, version 2 (src/wire/ta_proto.c, SPEC §6). Every
 * input is used twice.
 *
 * As a stream: the input, copied to a heap buffer of exactly its length, is decoded frame after
 * frame as the helper reads its socket. Invariants: decode agrees with ta_proto_frame_len (same
 * header verdict, consumed equal to the frame length, NEED_MORE exactly when the frame is longer
 * than what is left), consumed never exceeds what is left, a refused message holds only zeros,
 * a decoded message obeys the rules restated in tests/unit/proto_spec.h (limits, classes, the
 * rules between fields) and re-encodes to exactly the bytes it came from (one encoding per
 * message; a LIST_RESP through the entry-by-entry writer, from the entries its iterator yields,
 * which must be exactly count), one byte less of it is NEED_MORE, no frame is longer than its
 * type's limit, and every refusal can be answered with an ERROR that decodes back.
 *
 * As a message built from the model: a type, then per field a selector that aims at the edges
 * (lowest, highest, one beyond each, the width's maximum, or input bytes), and the string bytes,
 * cleaned into the field's class or left raw. The frame is built by hand; the decoder accepts it
 * exactly when the model says it is valid and then yields the same fields; the encoder, given
 * the same values, agrees, writes the same bytes and needs room for all of them; the body cut
 * short anywhere is MALFORMED, read from an exact heap buffer so ASan sees any read past it. */
#include "fuzz.h"
#include "../unit/proto_spec.h"
#include "ta_proto.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STR_ROOM 4098 /* the longest field (path, 4096) and one beyond, and a spare */

/* Take the next byte of input, or 0 when it is used up. */
static unsigned char next_byte(const uint8_t **p, size_t *left)
{
    if (*left == 0)
        return 0;
    (*left)--;
    return *(*p)++;
}

static uint64_t next_be(const uint8_t **p, size_t *left, size_t n)
{
    uint64_t v = 0;

    for (size_t i = 0; i < n; i++)
        v = v << 8 | next_byte(p, left);
    return v;
}

/* --- the stream ------------------------------------------------------------------------------ */

/* A LIST_RESP written again from what the iterator gives back. */
static ta_proto_status reencode_list(const ta_msg *m, unsigned char *out, size_t n, size_t *len)
{
    ta_proto_list_writer w;
    ta_proto_dirent e;
    size_t pos = 0;
    uint32_t seen = 0;

    CHECK(ta_proto_list_begin(&w, m->id, m->u.list_resp.status, m->u.list_resp.total, out, n) ==
          TA_PROTO_OK);
    while (ta_proto_list_next(m, &pos, &e)) {
        CHECK(e.name_len >= 1 && e.name_len <= TA_PROTO_NAME_MAX);
        CHECK(memchr(e.name, '/', e.name_len) == NULL && memchr(e.name, 0, e.name_len) == NULL);
        CHECK(!(e.name[0] == '.' && (e.name_len == 1 || (e.name_len == 2 && e.name[1] == '.'))));
        CHECK(ta_proto_list_add(&w, e.is_dir, e.size, e.mtime, e.name, e.name_len) == TA_PROTO_OK);
        seen++;
    }
    CHECK(seen == m->u.list_resp.count && pos == m->u.list_resp.entries_len);
    CHECK(seen <= m->u.list_resp.total && m->u.list_resp.total <= TA_PROTO_LIST_TOTAL_MAX);
    CHECK(!m->u.list_resp.more || (seen > 0 && m->u.list_resp.status == 1));
    return ta_proto_list_end(&w, m->u.list_resp.more, len);
}

/* A decoded message of a table type obeys the model: every string NUL-terminated within its
 * array, and the values valid. */
static void check_obeys_model(const ta_msg *m)
{
    const ps_type *t = ps_type_of(m->type);
    ps_value v[PS_FIELDS_MAX];

    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n; i++)
        if (t->f[i].kind == PS_STR)
            CHECK(memchr((const unsigned char *)m + t->f[i].off, 0, t->f[i].cap) != NULL);
    ps_from_msg(t, m, v);
    CHECK(ps_valid(t, v));
}

/* Encode m again; it must give back exactly frame[0..n). */
static void check_reencodes(const ta_msg *m, const unsigned char *frame, size_t n)
{
    unsigned char *out = malloc(n);
    size_t len = 0;
    ta_proto_status st;

    CHECK(out != NULL);
    if (m->type == TA_MSG_OPEN_RESP)
        st = ta_proto_encode_open_resp(m->id, m->u.open_resp.status, &m->u.open_resp.info, out, n,
                                       &len);
    else if (m->type == TA_MSG_LIST_RESP)
        st = reencode_list(m, out, n, &len);
    else
        st = ta_proto_encode(m, out, n, &len);
    CHECK(st == TA_PROTO_OK);
    CHECK(len == n);
    CHECK(memcmp(out, frame, n) == 0);
    free(out);
}

/* A refused frame can always be answered, and the answer decodes to what was sent. */
static void check_answerable(const unsigned char *buf, size_t len, ta_proto_status st)
{
    unsigned char out[TA_PROTO_HEADER_LEN + 1];
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
        CHECK(hst != TA_PROTO_BAD_VERSION || buf[2] != TA_PROTO_VERSION);
    }
    else {
        CHECK(buf[2] == TA_PROTO_VERSION);
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
    CHECK(m->id == ta_proto_request_id(buf, left) && m->type == buf[3]);
    check_obeys_model(m);
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

/* --- a message built from the model ----------------------------------------------------------- */

/* Map any byte into a class. */
static unsigned char clean(ps_class cls, unsigned char c)
{
    static const char service_abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
    static const char token_abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";

    switch (cls) {
    case PS_SERVICE:
        return (unsigned char)service_abc[c % (sizeof(service_abc) - 1)];
    case PS_TOKEN:
        return (unsigned char)token_abc[c % (sizeof(token_abc) - 1)];
    case PS_TEXT:
        return c < 0x20 || c == 0x7f ? (unsigned char)(0x20 + c % 0x5f) : c;
    case PS_PASSWORD:
        return c ? c : 1;
    default:
        return (unsigned char)(0x21 + c % 94);
    }
}

/* An integer aimed at the field's edges, or taken from the input. */
static uint64_t pick_int(const ps_field *f, const uint8_t **data, size_t *size)
{
    switch (next_byte(data, size) % 8) {
    case 0:
        return f->lo;
    case 1:
        return f->hi;
    case 2:
        return f->lo - 1; /* wraps for lo 0: beyond the width, the builder keeps its low bytes */
    case 3:
        return f->hi + 1;
    case 4:
        return ps_width_max(f->kind);
    case 5:
        return next_byte(data, size);
    default:
        return next_be(data, size, (size_t)f->kind) & ps_width_max(f->kind);
    }
}

/* A length aimed at the field's edges, or taken from the input (at most one beyond hi). */
static size_t pick_len(const ps_field *f, const uint8_t **data, size_t *size)
{
    switch (next_byte(data, size) % 6) {
    case 0:
        return (size_t)f->lo;
    case 1:
        return (size_t)f->hi;
    case 2:
        return f->lo ? (size_t)f->lo - 1 : 0;
    case 3:
        return (size_t)f->hi + 1;
    case 4:
        return next_byte(data, size) % 17;
    default:
        return (size_t)(next_be(data, size, 2) % (f->hi + 2));
    }
}

/* The values of one message of type t from the input; flags bit 0 cleans string bytes into
 * their class. Strings live in room. */
static void take_values(const ps_type *t, const uint8_t **data, size_t *size, unsigned flags,
                        unsigned char room[PS_FIELDS_MAX][STR_ROOM], ps_value *v)
{
    for (size_t i = 0; i < t->n; i++) {
        const ps_field *f = &t->f[i];

        memset(&v[i], 0, sizeof(v[i]));
        if (f->kind != PS_STR) {
            v[i].v = pick_int(f, data, size) & ps_width_max(f->kind);
            continue;
        }
        v[i].n = pick_len(f, data, size);
        CHECK(v[i].n < STR_ROOM);
        for (size_t k = 0; k < v[i].n; k++) {
            unsigned char c = next_byte(data, size);
            room[i][k] = (flags & 1) ? clean(f->cls, c) : c;
        }
        v[i].s = room[i];
    }
}

/* Decode raw[0..len) from a heap copy of exactly len bytes. */
static ta_proto_status decode_exact(const unsigned char *raw, size_t len, ta_msg *m,
                                    size_t *consumed)
{
    unsigned char *copy = malloc(len ? len : 1);
    ta_proto_status st;

    CHECK(copy != NULL);
    memcpy(copy, raw, len);
    st = ta_proto_decode(copy, len, m, consumed);
    free(copy);
    return st;
}

/* The decoder accepts the frame exactly when the model does, and gives back the same fields. */
static void check_decoder(const ps_type *t, uint32_t id, const ps_value *v,
                          const unsigned char *raw, size_t len, int valid, ta_msg *m)
{
    ps_value got[PS_FIELDS_MAX];
    size_t consumed = 0;

    CHECK(decode_exact(raw, len, m, &consumed) == (valid ? TA_PROTO_OK : TA_PROTO_MALFORMED));
    CHECK(consumed == len);
    if (!valid) {
        CHECK(all_zero(m, sizeof(*m)));
        return;
    }
    CHECK(m->type == t->type && m->id == id);
    ps_from_msg(t, m, got);
    CHECK(ps_same(t, got, v));
}

/* The encoder, given the same values (where a ta_msg can hold them), agrees with the model and
 * writes the same bytes, and only with room for all of them. */
static void check_encoder(const ps_type *t, uint32_t id, const ps_value *v,
                          const unsigned char *raw, size_t len, int valid, ta_msg *m,
                          unsigned char *enc)
{
    size_t elen = 7;

    if (ps_to_msg(t, id, v, m) != 0)
        return;
    CHECK(ta_proto_encode(m, enc, TA_PROTO_MAX_FRAME, &elen) ==
          (valid ? TA_PROTO_OK : TA_PROTO_MALFORMED));
    if (!valid) {
        CHECK(elen == 0);
        return;
    }
    CHECK(elen == len && memcmp(enc, raw, len) == 0);
    CHECK(ta_proto_encode(m, enc, len - 1, &elen) == TA_PROTO_NO_ROOM && elen == 0);
}

/* The body cut short by its own length field: some field claims more than is left. */
static void check_cut_body(unsigned char *raw, size_t len, unsigned cut, ta_msg *m)
{
    size_t body = len - TA_PROTO_HEADER_LEN, consumed = 0;

    if (body == 0)
        return;
    cut %= (unsigned)body;
    ps_put_be(raw + 8, cut, 4);
    CHECK(decode_exact(raw, TA_PROTO_HEADER_LEN + cut, m, &consumed) == TA_PROTO_MALFORMED);
    CHECK(consumed == TA_PROTO_HEADER_LEN + cut && all_zero(m, sizeof(*m)));
}

static void fuzz_model(const uint8_t *data, size_t size)
{
    static unsigned char room[PS_FIELDS_MAX][STR_ROOM];
    static unsigned char raw[TA_PROTO_MAX_FRAME + PS_FIELDS_MAX * 2], enc[TA_PROTO_MAX_FRAME];
    static ta_msg m;
    const ps_type *t = &ps_types[next_byte(&data, &size) % PS_NTYPES];
    unsigned flags = next_byte(&data, &size);
    uint32_t id = (uint32_t)next_be(&data, &size, 4);
    unsigned cut = (unsigned)next_be(&data, &size, 2);
    ps_value v[PS_FIELDS_MAX];
    size_t len;
    int valid;

    take_values(t, &data, &size, flags, room, v);
    valid = ps_valid(t, v);
    len = ps_build(t, id, v, raw, sizeof(raw));
    CHECK(len >= TA_PROTO_HEADER_LEN);
    if (len - TA_PROTO_HEADER_LEN > TA_PROTO_MAX_BODY)
        return; /* too long for a frame at all: the header test covers that */
    check_decoder(t, id, v, raw, len, valid, &m);
    check_encoder(t, id, v, raw, len, valid, &m, enc);
    if (valid && (flags & 2))
        check_cut_body(raw, len, cut, &m);
    ta_msg_wipe(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_stream(data, size);
    fuzz_model(data, size);
    return 0;
}
