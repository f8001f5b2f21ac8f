/* Unit tests for the helper protocol codec, version 2 (src/wire/ta_proto.c, SPEC §6).
 *
 * The rules are restated in proto_spec.h (each type's fields, limits, character classes and the
 * rules between fields) and frames are built by hand from it, not by the encoders, so the
 * decoder tests do not lean on the code they check. Every decode reads from a heap copy of
 * exactly the frame's length, so valgrind sees any read past len. The table-driven tests walk
 * every field of every type at and beyond each limit and through all 256 byte values, decode
 * and encode alike; the named tests after them pin the cases the SPEC spells out. */
#include "unit.h"
#include "proto_spec.h"
#include "ta_filestatus.h"
#include "ta_pam.h"
#include "ta_proto.h"

#include <sys/stat.h>

#define UT_ID 0x01020304u
#define UT_BUF (TA_PROTO_MAX_FRAME + 8192)

#define assert_proto_status(got, want)                                                             \
    do {                                                                                           \
        ta_proto_status got_ = (got), want_ = (want);                                              \
        if (got_ != want_)                                                                         \
            fail_msg("proto status %s, expected %s", ta_proto_status_name(got_),                   \
                     ta_proto_status_name(want_));                                                 \
    } while (0)

/* Decode buf[0..len) from an exact heap copy. */
static ta_proto_status ut_decode(const unsigned char *buf, size_t len, ta_msg *m, size_t *consumed)
{
    unsigned char *copy = malloc(len ? len : 1);
    ta_proto_status st;

    assert_non_null(copy);
    memcpy(copy, buf, len);
    st = ta_proto_decode(copy, len, m, consumed);
    free(copy);
    return st;
}

static int ut_all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;

    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

/* The frame is refused with want, the message holds nothing, and consumed is the frame's
 * length for MALFORMED (its framing is sound) and 0 otherwise. */
static void assert_refused(const unsigned char *buf, size_t len, ta_proto_status want)
{
    ta_msg *m = malloc(sizeof(*m));
    size_t consumed = 99;

    assert_non_null(m);
    memset(m, 0xa5, sizeof(*m));
    assert_proto_status(ut_decode(buf, len, m, &consumed), want);
    assert_true(ut_all_zero(m, sizeof(*m)));
    assert_int_equal(consumed, want == TA_PROTO_MALFORMED ? len : 0);
    free(m);
}

/* Values of fields, for the tables below. */
#define I(x)                                                                                       \
    {                                                                                              \
        (uint64_t)(x), NULL, 0                                                                     \
    }
#define S(x)                                                                                       \
    {                                                                                              \
        0, (const unsigned char *)(x), sizeof(x) - 1                                               \
    }

/* Valid messages of every type, several per type where the rules between fields differ. */
typedef struct {
    uint8_t type;
    ps_value v[PS_FIELDS_MAX];
} ut_base;

static const ut_base ut_bases[] = {
    {TA_MSG_AUTH_REQ, {I(0), S("/login"), S("alice"), S("s3cret pw"), S("192.0.2.1")}},
    {TA_MSG_AUTH_REQ, {I(65534), S("/"), S("b"), S(""), S("")}},
    {TA_MSG_AUTH_RESP, {I(TA_AUTH_OK), I(1000), I(1700003600), I(0), S("aaa.bbb.ccc")}},
    {TA_MSG_AUTH_RESP, {I(TA_AUTH_OK), I(0), I(1), I(0), S("t")}}, /* root is a real answer */
    {TA_MSG_AUTH_RESP, {I(TA_AUTH_BAD_CREDENTIALS), I(0), I(0), I(0), S("")}},
    {TA_MSG_AUTH_RESP, {I(TA_AUTH_ACCOUNT_REFUSED), I(0), I(0), I(0), S("")}},
    {TA_MSG_AUTH_RESP, {I(TA_AUTH_UNAVAILABLE), I(0), I(0), I(0), S("")}},
    {TA_MSG_AUTH_RESP, {I(TA_AUTH_THROTTLED), I(0), I(0), I(30), S("")}},
    {TA_MSG_OPEN_REQ, {I(0), I(0), S("hdr.pay.sig"), S("/files/a/b.txt")}},
    {TA_MSG_OPEN_REQ, {I(7), I(3), S("t"), S("/")}},
    {TA_MSG_LIST_REQ, {I(1), I(1), I(0), I(0), S("eyJ.eyJ.sig-_"), S("/files/")}},
    {TA_MSG_LIST_REQ, {I(65534), I(3), I(4000), I(1000), S("t"), S("/f/d/")}},
    {TA_MSG_MINT_REQ, {I(0), I(2), I(0), S("hdr.pay.sig"), S("/files/a/")}},
    {TA_MSG_MINT_REQ, {I(2), I(3), I(3600), S("x"), S("/f")}},
    {TA_MSG_MINT_RESP, {I(TA_MINT_OK), I(1700000100), S("x.y.z")}},
    {TA_MSG_MINT_RESP, {I(TA_MINT_REFUSED), I(0), S("")}},
    {TA_MSG_MINT_RESP, {I(TA_MINT_BAD_REQUEST), I(0), S("")}},
    {TA_MSG_MINT_RESP, {I(TA_MINT_UNAVAILABLE), I(0), S("")}},
    {TA_MSG_PAM_REQ, {S("tokenauth"), S("alice"), S("pw"), S("::1")}},
    {TA_MSG_PAM_REQ, {S("t"), S("b"), S(""), S("")}},
    {TA_MSG_PAM_RESP, {I(0), I(0), S("")}},
    {TA_MSG_PAM_RESP, {I(3), I(1), S("pam_authenticate: Authentication failure")}},
    {TA_MSG_ERROR, {I(TA_PROTO_ERR_MALFORMED)}},
    {TA_MSG_ERROR, {I(TA_PROTO_ERR_FORBIDDEN)}},
};
#define UT_NBASES (sizeof(ut_bases) / sizeof(ut_bases[0]))

/* Whether the codec took a case as the model says it must: the decoder (of the frame built by
 * hand) and the encoder (of the same values, where a ta_msg can hold them) accept exactly what
 * the rules accept; what they accept round-trips to the same bytes and fields; what they
 * refuse leaves nothing behind. A valid frame with a byte more, or one less, is MALFORMED;
 * the encoder needs room for the whole frame. what names the case in a failure. */
static void ut_check(const ps_type *t, const ps_value *v, const char *what)
{
    static unsigned char frame[UT_BUF], enc[UT_BUF];
    static ta_msg m, m2;
    ps_value got[PS_FIELDS_MAX];
    int valid = ps_valid(t, v);
    size_t len = ps_build(t, UT_ID, v, frame, sizeof(frame) - 1), consumed = 0, elen = 7;
    ta_proto_status st;

    assert_true(len > 0);
    memset(&m, 0xa5, sizeof(m));
    st = ut_decode(frame, len, &m, &consumed);
    if (st != (valid ? TA_PROTO_OK : TA_PROTO_MALFORMED))
        fail_msg("%s %s: decode %s, the rules say %s", t->name, what, ta_proto_status_name(st),
                 valid ? "valid" : "malformed");
    assert_int_equal(consumed, len);
    if (valid) {
        assert_int_equal(m.type, t->type);
        assert_int_equal(m.id, UT_ID);
        ps_from_msg(t, &m, got);
        if (!ps_same(t, got, v))
            fail_msg("%s %s: decoded fields differ from the frame's", t->name, what);
    }
    else if (!ut_all_zero(&m, sizeof(m)))
        fail_msg("%s %s: a refused decode left bytes in the message", t->name, what);

    if (ps_to_msg(t, UT_ID, v, &m2) == 0) {
        memset(enc, 0xee, len + 1);
        st = ta_proto_encode(&m2, enc, sizeof(enc), &elen);
        if (st != (valid ? TA_PROTO_OK : TA_PROTO_MALFORMED))
            fail_msg("%s %s: encode %s, the rules say %s", t->name, what, ta_proto_status_name(st),
                     valid ? "valid" : "malformed");
        if (valid && (elen != len || memcmp(enc, frame, len) != 0))
            fail_msg("%s %s: the encoder wrote other bytes than the frame", t->name, what);
        if (!valid && (elen != 0 || enc[0] != 0xee || enc[len] != 0xee))
            fail_msg("%s %s: a refused encode wrote something", t->name, what);
        if (valid) {
            memset(enc, 0xee, len);
            assert_proto_status(ta_proto_encode(&m2, enc, len - 1, &elen), TA_PROTO_NO_ROOM);
            assert_int_equal(elen, 0);
            assert_int_equal(enc[0], 0xee);
        }
    }
    if (!valid)
        return;
    /* one byte more in the body (the length says so), or one less */
    frame[len] = 'a';
    ps_put_be(frame + 8, len + 1 - TA_PROTO_HEADER_LEN, 4);
    assert_refused(frame, len + 1, TA_PROTO_MALFORMED);
    if (len > TA_PROTO_HEADER_LEN) {
        ps_put_be(frame + 8, len - 1 - TA_PROTO_HEADER_LEN, 4);
        assert_refused(frame, len - 1, TA_PROTO_MALFORMED);
    }
}

/* A byte of field f's class, to fill strings that test lengths. */
static unsigned char ut_filler(const ps_field *f)
{
    return f->cls == PS_RHOST ? ':' : 'a';
}

/* --- every type, every field, every edge ----------------------------------------------------- */

static void test_proto_every_type_round_trips(void **state)
{
    int seen[256] = {0};

    (void)state;
    for (size_t b = 0; b < UT_NBASES; b++) {
        const ps_type *t = ps_type_of(ut_bases[b].type);

        assert_non_null(t);
        assert_true(ps_valid(t, ut_bases[b].v));
        ut_check(t, ut_bases[b].v, "base message");
        seen[t->type] = 1;
    }
    for (size_t i = 0; i < PS_NTYPES; i++) /* no type without a base */
        assert_true(seen[ps_types[i].type]);
}

/* Each integer at its lowest and highest value, one beyond each, 0, 1 and the most its width
 * holds. */
static void test_proto_every_integer_field_at_its_limits(void **state)
{
    (void)state;
    for (size_t b = 0; b < UT_NBASES; b++) {
        const ps_type *t = ps_type_of(ut_bases[b].type);

        for (size_t i = 0; i < t->n; i++) {
            const ps_field *f = &t->f[i];
            uint64_t vals[7] = {f->lo, f->hi, f->lo - 1, f->hi + 1, ps_width_max(f->kind), 0, 1};
            char what[96];

            if (f->kind == PS_STR)
                continue;
            for (size_t k = 0; k < 7; k++) {
                ps_value v[PS_FIELDS_MAX];

                if ((k == 2 && f->lo == 0) || (k == 3 && f->hi == ps_width_max(f->kind)))
                    continue;
                memcpy(v, ut_bases[b].v, sizeof(v));
                v[i].v = vals[k];
                snprintf(what, sizeof(what), "(base %zu) %s = %llu", b, f->name,
                         (unsigned long long)vals[k]);
                ut_check(t, v, what);
            }
        }
    }
}

/* Each string at its shortest and longest length and one beyond each; one beyond the longest
 * fills the field's whole array in a ta_msg, which the encoder must refuse without reading
 * past it. */
static void test_proto_every_string_field_at_its_length_limits(void **state)
{
    static unsigned char text[70000];

    (void)state;
    for (size_t b = 0; b < UT_NBASES; b++) {
        const ps_type *t = ps_type_of(ut_bases[b].type);

        for (size_t i = 0; i < t->n; i++) {
            const ps_field *f = &t->f[i];
            size_t lens[4] = {(size_t)f->lo, (size_t)f->hi, (size_t)f->lo - 1, (size_t)f->hi + 1};
            char what[96];

            if (f->kind != PS_STR)
                continue;
            assert_int_equal(f->cap, f->hi + 1); /* room for the longest and its NUL */
            memset(text, ut_filler(f), f->hi + 2);
            for (size_t k = 0; k < 4; k++) {
                ps_value v[PS_FIELDS_MAX];

                if (k == 2 && f->lo == 0)
                    continue;
                memcpy(v, ut_bases[b].v, sizeof(v));
                v[i].s = text;
                v[i].n = lens[k];
                snprintf(what, sizeof(what), "(base %zu) %s of %zu bytes", b, f->name, lens[k]);
                ut_check(t, v, what);
            }
        }
    }
}

/* Every byte value, at the start, in the middle and at the end of every string field: accepted
 * exactly when the field's class has it. */
static void test_proto_every_string_field_takes_exactly_its_character_class(void **state)
{
    (void)state;
    for (size_t b = 0; b < UT_NBASES; b++) {
        const ps_type *t = ps_type_of(ut_bases[b].type);

        for (size_t i = 0; i < t->n; i++) {
            const ps_field *f = &t->f[i];
            unsigned char s[3];
            char what[96];

            if (f->kind != PS_STR)
                continue;
            for (unsigned c = 0; c < 256; c++) {
                for (size_t at = 0; at < 3; at++) {
                    ps_value v[PS_FIELDS_MAX];

                    memset(s, ut_filler(f), sizeof(s));
                    s[at] = (unsigned char)c;
                    memcpy(v, ut_bases[b].v, sizeof(v));
                    v[i].s = s;
                    v[i].n = sizeof(s);
                    snprintf(what, sizeof(what), "(base %zu) %s with byte 0x%02x at %zu", b,
                             f->name, c, at);
                    ut_check(t, v, what);
                }
            }
        }
    }
}

/* The classes at their edges, spelled out (the table test above covers every byte). */
static void test_proto_character_classes_at_their_edges(void **state)
{
    (void)state;
    assert_true(ps_char_ok(PS_TEXT, 0x20) && !ps_char_ok(PS_TEXT, 0x1f));
    assert_true(ps_char_ok(PS_TEXT, 0x7e) && !ps_char_ok(PS_TEXT, 0x7f) &&
                ps_char_ok(PS_TEXT, 0x80) && ps_char_ok(PS_TEXT, 0xff));
    assert_true(ps_char_ok(PS_RHOST, 0x21) && !ps_char_ok(PS_RHOST, 0x20));
    assert_true(ps_char_ok(PS_RHOST, 0x7e) && !ps_char_ok(PS_RHOST, 0x7f) &&
                !ps_char_ok(PS_RHOST, 0x80));
    assert_true(ps_char_ok(PS_PASSWORD, 0x01) && !ps_char_ok(PS_PASSWORD, 0));
    assert_true(ps_char_ok(PS_TOKEN, '-') && ps_char_ok(PS_TOKEN, '_') &&
                ps_char_ok(PS_TOKEN, '.') && !ps_char_ok(PS_TOKEN, '+') &&
                !ps_char_ok(PS_TOKEN, '/') && !ps_char_ok(PS_TOKEN, '='));
    assert_true(ps_char_ok(PS_SERVICE, '.') && !ps_char_ok(PS_SERVICE, '/') &&
                !ps_char_ok(PS_SERVICE, ' '));
}

/* --- the rules between fields ------------------------------------------------------------- */

/* An AUTH_RESP of these fields: accepted or not, by decoder and encoder alike. */
static void assert_auth_resp(int ok, uint64_t result, uint64_t uid, uint64_t exp, uint64_t retry,
                             const char *token)
{
    const ps_type *t = ps_type_of(TA_MSG_AUTH_RESP);
    ps_value v[PS_FIELDS_MAX] = {
        I(result), I(uid), I(exp), I(retry), {0, (const unsigned char *)token, strlen(token)}};

    assert_int_equal(ps_valid(t, v), ok);
    ut_check(t, v, "auth_resp");
}

/* A refusal carries no token, no uid and no expiry: nothing a worker would have to decide to
 * ignore. OK must carry a token and an expiry (uid 0 is root, a real answer). */
static void test_proto_auth_resp_token_uid_and_expiry_only_with_ok(void **state)
{
    (void)state;
    assert_auth_resp(1, TA_AUTH_OK, 1000, 1700003600, 0, "a.b.c");
    assert_auth_resp(1, TA_AUTH_OK, 0, 1, 0, "a.b.c");
    assert_auth_resp(0, TA_AUTH_OK, 1000, 1700003600, 0, ""); /* OK without a token */
    assert_auth_resp(0, TA_AUTH_OK, 1000, 0, 0, "a.b.c");     /* OK without an expiry */
    for (uint64_t r = TA_AUTH_BAD_CREDENTIALS; r <= TA_AUTH_UNAVAILABLE; r++) {
        assert_auth_resp(1, r, 0, 0, 0, "");
        assert_auth_resp(0, r, 0, 0, 0, "a.b.c");
        assert_auth_resp(0, r, 1000, 0, 0, "");
        assert_auth_resp(0, r, 0, 1700003600, 0, "");
    }
    assert_auth_resp(0, TA_AUTH_THROTTLED, 0, 0, 30, "a.b.c");
    assert_auth_resp(0, TA_AUTH_THROTTLED, 1000, 0, 30, "");
    assert_auth_resp(0, TA_AUTH_THROTTLED, 0, 1700003600, 30, "");
}

/* retry_after is there exactly when the answer is THROTTLED, and never 0 then. */
static void test_proto_auth_resp_retry_after_exactly_with_throttled(void **state)
{
    (void)state;
    assert_auth_resp(1, TA_AUTH_THROTTLED, 0, 0, 1, "");
    assert_auth_resp(1, TA_AUTH_THROTTLED, 0, 0, UINT32_MAX, "");
    assert_auth_resp(0, TA_AUTH_THROTTLED, 0, 0, 0, "");
    assert_auth_resp(0, TA_AUTH_OK, 1000, 1700003600, 30, "a.b.c");
    for (uint64_t r = TA_AUTH_BAD_CREDENTIALS; r <= TA_AUTH_UNAVAILABLE; r++)
        assert_auth_resp(0, r, 0, 0, 1, "");
    assert_auth_resp(0, 5, 0, 0, 0, ""); /* no such result */
}

static void assert_mint_resp(int ok, uint64_t status, uint64_t exp, const char *token)
{
    const ps_type *t = ps_type_of(TA_MSG_MINT_RESP);
    ps_value v[PS_FIELDS_MAX] = {
        I(status), I(exp), {0, (const unsigned char *)token, strlen(token)}};

    assert_int_equal(ps_valid(t, v), ok);
    ut_check(t, v, "mint_resp");
}

static void test_proto_mint_resp_token_only_with_ok(void **state)
{
    (void)state;
    assert_mint_resp(1, TA_MINT_OK, 1700000100, "x.y.z");
    assert_mint_resp(0, TA_MINT_OK, 1700000100, "");
    assert_mint_resp(0, TA_MINT_OK, 0, "x.y.z");
    for (uint64_t s = TA_MINT_REFUSED; s <= TA_MINT_UNAVAILABLE; s++) {
        assert_mint_resp(1, s, 0, "");
        assert_mint_resp(0, s, 0, "x.y.z");
        assert_mint_resp(0, s, 1700000100, "");
    }
    assert_mint_resp(0, 4, 0, "");
}

/* --- versions, types, framing --------------------------------------------------------------- */

/* Version 1 asked the helper to believe the worker's user, subdir and policy flags: its frames
 * are refused from the header, however sound their v1 body. */
static void test_proto_version_1_frames_are_bad_version(void **state)
{
    /* v1 AUTH_REQ: service, user, password, rhost */
    static const unsigned char auth_v1[] = {'T', 'A', 1,   1,   0,   0,   0,   1,   0, 0,
                                            0,   18,  0,   3,   's', 'v', 'c', 0,   5, 'a',
                                            'l', 'i', 'c', 'e', 0,   2,   'p', 'w', 0, 0};
    /* v1 OPEN_REQ: flags (owner-only, hidden allowed), user, subdir, path */
    static const unsigned char open_v1[] = {'T', 'A', 1,   3, 0, 0,   0,   2,   0,  0,
                                            0,   17,  3,   0, 3, 'b', 'o', 'b', 0,  3,
                                            'w', 'w', 'w', 0, 4, '.', 's', 's', 'h'};
    size_t flen = 7;

    (void)state;
    assert_int_equal(sizeof(auth_v1), 12 + 18);
    assert_int_equal(sizeof(open_v1), 12 + 17);
    assert_refused(auth_v1, sizeof(auth_v1), TA_PROTO_BAD_VERSION);
    assert_refused(open_v1, sizeof(open_v1), TA_PROTO_BAD_VERSION);
    assert_proto_status(ta_proto_frame_len(open_v1, 12, &flen), TA_PROTO_BAD_VERSION);
    assert_int_equal(flen, 0);
    assert_int_equal(ta_proto_error_for(TA_PROTO_BAD_VERSION), TA_PROTO_ERR_BAD_VERSION);
}

static void test_proto_other_versions_are_bad_version(void **state)
{
    static const unsigned char versions[] = {0, 1, 3, 0x7f, 0xff};
    unsigned char f[64];
    size_t len = ps_build(ps_type_of(TA_MSG_ERROR), 1, ut_bases[UT_NBASES - 1].v, f, sizeof(f));

    (void)state;
    for (size_t i = 0; i < sizeof(versions); i++) {
        f[2] = versions[i];
        assert_refused(f, len, TA_PROTO_BAD_VERSION);
    }
    f[2] = TA_PROTO_VERSION;
    assert_proto_status(ut_decode(f, len, &(ta_msg){0}, &(size_t){0}), TA_PROTO_OK);
}

/* The messages between the helper and its PAM process decode like any other (that a worker may
 * not send them is the helper's table, not the codec). */
static void test_proto_pam_types_decode(void **state)
{
    static const unsigned char req[] = {'T', 'A', 2,   TA_MSG_PAM_REQ,
                                        0,   0,   0,   9,
                                        0,   0,   0,   27,
                                        0,   9,   't', 'o',
                                        'k', 'e', 'n', 'a',
                                        'u', 't', 'h', 0,
                                        5,   'a', 'l', 'i',
                                        'c', 'e', 0,   2,
                                        'p', 'w', 0,   3,
                                        ':', ':', '1'};
    static const unsigned char resp[] = {'T', 'A', 2, TA_MSG_PAM_RESP,        0, 0, 0, 9,   0,
                                         0,   0,   7, TA_PAM_BAD_CREDENTIALS, 1, 0, 3, 'b', 'a',
                                         'd'};
    unsigned char enc[64];
    size_t consumed = 0, len = 0;
    ta_msg m;

    (void)state;
    assert_int_equal(sizeof(req), 12 + 27);
    assert_proto_status(ut_decode(req, sizeof(req), &m, &consumed), TA_PROTO_OK);
    assert_int_equal(m.type, TA_MSG_PAM_REQ);
    assert_int_equal(m.id, 9);
    assert_string_equal(m.u.pam_req.service, "tokenauth");
    assert_string_equal(m.u.pam_req.user, "alice");
    assert_string_equal(m.u.pam_req.password, "pw");
    assert_string_equal(m.u.pam_req.rhost, "::1");
    assert_proto_status(ta_proto_encode(&m, enc, sizeof(enc), &len), TA_PROTO_OK);
    assert_int_equal(len, sizeof(req));
    assert_memory_equal(enc, req, len);
    ta_msg_wipe(&m);

    assert_proto_status(ut_decode(resp, sizeof(resp), &m, &consumed), TA_PROTO_OK);
    assert_int_equal(m.type, TA_MSG_PAM_RESP);
    assert_int_equal(m.u.pam_resp.status, TA_PAM_BAD_CREDENTIALS);
    assert_int_equal(m.u.pam_resp.delay, 1);
    assert_string_equal(m.u.pam_resp.why, "bad");
    assert_string_equal(ta_msg_type_name(TA_MSG_PAM_REQ), "pam_req");
    assert_string_equal(ta_msg_type_name(TA_MSG_PAM_RESP), "pam_resp");
}

/* Every type this version does not define, reserved ones included. */
static void test_proto_unknown_types_are_bad_type(void **state)
{
    unsigned char f[16];

    (void)state;
    for (unsigned type = 0; type < 256; type++) {
        int known =
            ps_type_of(type) != NULL || type == TA_MSG_OPEN_RESP || type == TA_MSG_LIST_RESP;
        size_t flen = 9;

        ps_frame(f, TA_PROTO_VERSION, (uint8_t)type, UT_ID, (const unsigned char *)"\x01", 1);
        if (known) {
            assert_proto_status(ta_proto_frame_len(f, 13, &flen), TA_PROTO_OK);
            continue;
        }
        assert_proto_status(ta_proto_frame_len(f, 13, &flen), TA_PROTO_BAD_TYPE);
        assert_int_equal(flen, 0);
        assert_refused(f, 13, TA_PROTO_BAD_TYPE);
        assert_string_equal(ta_msg_type_name((int)type), "unknown");
    }
    assert_int_equal(ta_proto_error_for(TA_PROTO_BAD_TYPE), TA_PROTO_ERR_BAD_TYPE);
}

/* A body with a byte after its last field, for every type (the schema types, OPEN_RESP and
 * LIST_RESP). One encoding per message. */
static void test_proto_trailing_bytes_are_malformed(void **state)
{
    static unsigned char f[UT_BUF];
    unsigned char open[TA_PROTO_HEADER_LEN + TA_PROTO_OPEN_RESP_LEN + 1];
    unsigned char list[TA_PROTO_HEADER_LEN + TA_PROTO_LIST_HEAD_LEN + 1];
    ta_proto_list_writer w;
    size_t len;

    (void)state;
    for (size_t b = 0; b < UT_NBASES; b++) {
        const ps_type *t = ps_type_of(ut_bases[b].type);

        for (unsigned extra = 1; extra <= 3; extra++) {
            len = ps_build(t, UT_ID, ut_bases[b].v, f, sizeof(f));
            memset(f + len, 0, extra);
            ps_put_be(f + 8, len + extra - TA_PROTO_HEADER_LEN, 4);
            assert_refused(f, len + extra, TA_PROTO_MALFORMED);
        }
    }
    assert_proto_status(
        ta_proto_encode_open_resp(1, TA_CONFINE_NOT_FOUND, NULL, open, sizeof(open), &len),
        TA_PROTO_OK);
    open[len] = 0;
    ps_put_be(open + 8, TA_PROTO_OPEN_RESP_LEN + 1, 4);
    assert_refused(open, len + 1, TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_list_begin(&w, 1, TA_CONFINE_IS_DIR, 0, list, sizeof(list)),
                        TA_PROTO_OK);
    assert_proto_status(ta_proto_list_end(&w, 0, &len), TA_PROTO_OK);
    list[len] = 0;
    ps_put_be(list + 8, TA_PROTO_LIST_HEAD_LEN + 1, 4);
    assert_refused(list, len + 1, TA_PROTO_MALFORMED);
}

/* Every body cut short, at every byte: a missing field or half of one is MALFORMED, never a
 * message with a default value. */
static void test_proto_every_cut_body_is_malformed(void **state)
{
    static unsigned char f[UT_BUF];

    (void)state;
    for (size_t b = 0; b < UT_NBASES; b++) {
        const ps_type *t = ps_type_of(ut_bases[b].type);
        size_t len = ps_build(t, UT_ID, ut_bases[b].v, f, sizeof(f));

        for (size_t n = TA_PROTO_HEADER_LEN; n < len; n++) {
            ps_put_be(f + 8, n - TA_PROTO_HEADER_LEN, 4);
            assert_refused(f, n, TA_PROTO_MALFORMED);
        }
    }
}

/* A string length that reaches past the body, though not past the buffer: a second frame
 * follows, and the decoder must not take its bytes. The next frame then decodes on its own. */
static void test_proto_field_length_past_body_does_not_read_the_next_frame(void **state)
{
    const ps_type *t = ps_type_of(TA_MSG_OPEN_REQ);
    ps_value v[PS_FIELDS_MAX] = {I(0), I(2), S("a.b.c"), S("/files/x")};
    unsigned char buf[256];
    size_t a = ps_build(t, 1, v, buf, sizeof(buf)), b, consumed = 0;
    ta_msg m;

    (void)state;
    b = ps_build(t, 2, v, buf + a, sizeof(buf) - a);
    buf[a - 9] = 9; /* the path claims 9 bytes, 8 are in its body: the 9th is the next 'T' */
    assert_proto_status(ut_decode(buf, a + b, &m, &consumed), TA_PROTO_MALFORMED);
    assert_int_equal(consumed, a);
    assert_proto_status(ut_decode(buf + consumed, b, &m, &consumed), TA_PROTO_OK);
    assert_int_equal(m.id, 2);
    assert_string_equal(m.u.file_req.path, "/files/x");
}

/* Several requests in flight share one stream: frames are decoded one after another. */
static void test_proto_decodes_back_to_back_frames(void **state)
{
    static unsigned char buf[UT_BUF];
    size_t off = 0, total = 0, consumed, flen;
    ta_msg m;

    (void)state;
    for (size_t b = 0; b < UT_NBASES; b++)
        total += ps_build(ps_type_of(ut_bases[b].type), (uint32_t)b, ut_bases[b].v, buf + total,
                          sizeof(buf) - total);
    for (size_t b = 0; b < UT_NBASES; b++) {
        assert_proto_status(ta_proto_frame_len(buf + off, total - off, &flen), TA_PROTO_OK);
        assert_proto_status(ta_proto_decode(buf + off, total - off, &m, &consumed), TA_PROTO_OK);
        assert_int_equal(consumed, flen);
        assert_int_equal(m.id, b);
        assert_int_equal(m.type, ut_bases[b].type);
        off += consumed;
    }
    assert_int_equal(off, total);
}

static void test_proto_frame_len_reads_header_only(void **state)
{
    unsigned char f[12];
    size_t flen = 0;

    (void)state;
    ps_frame(f, TA_PROTO_VERSION, TA_MSG_OPEN_REQ, UT_ID, NULL, 0);
    ps_put_be(f + 8, TA_PROTO_MAX_BODY, 4); /* the body is not there; the header is enough */
    assert_proto_status(ta_proto_frame_len(f, 12, &flen), TA_PROTO_OK);
    assert_int_equal(flen, TA_PROTO_MAX_FRAME);
    assert_int_equal(ta_proto_request_id(f, 12), UT_ID);
    assert_int_equal(ta_proto_request_id(f, 11), 0);
}

static void test_proto_refuses_bad_magic(void **state)
{
    unsigned char f[64];
    size_t len = ps_build(ps_type_of(TA_MSG_ERROR), 1, ut_bases[UT_NBASES - 1].v, f, sizeof(f));
    size_t flen = 5;

    (void)state;
    f[0] = 't';
    assert_refused(f, len, TA_PROTO_BAD_MAGIC);
    assert_proto_status(ta_proto_frame_len(f, len, &flen), TA_PROTO_BAD_MAGIC);
    assert_int_equal(flen, 0);
    f[0] = 'T';
    f[1] = 'B';
    assert_refused(f, len, TA_PROTO_BAD_MAGIC);
    memcpy(f, "GET / HTTP/1.0\r\n\r\n", 18); /* someone talking HTTP to the socket */
    assert_refused(f, 18, TA_PROTO_BAD_MAGIC);
    assert_int_equal(ta_proto_error_for(TA_PROTO_BAD_MAGIC), TA_PROTO_ERR_MALFORMED);
}

/* 16384 is the largest body of every type but LIST_RESP; 16385 is refused from the header
 * alone, before the body is read. */
static void test_proto_refuses_body_length_over_the_limit(void **state)
{
    unsigned char f[12];
    size_t flen;

    (void)state;
    for (size_t i = 0; i < PS_NTYPES; i++) {
        ps_frame(f, TA_PROTO_VERSION, ps_types[i].type, UT_ID, NULL, 0);
        assert_int_equal(ta_proto_body_limit(ps_types[i].type), TA_PROTO_MAX_BODY);
        ps_put_be(f + 8, TA_PROTO_MAX_BODY, 4);
        assert_proto_status(ta_proto_frame_len(f, 12, &flen), TA_PROTO_OK);
        ps_put_be(f + 8, TA_PROTO_MAX_BODY + 1, 4);
        assert_proto_status(ta_proto_frame_len(f, 12, &flen), TA_PROTO_TOO_LARGE);
        assert_refused(f, 12, TA_PROTO_TOO_LARGE);
        ps_put_be(f + 8, 0xffffffffu, 4);
        assert_refused(f, 12, TA_PROTO_TOO_LARGE);
    }
    f[3] = TA_MSG_OPEN_RESP;
    ps_put_be(f + 8, TA_PROTO_MAX_BODY + 1, 4);
    assert_refused(f, 12, TA_PROTO_TOO_LARGE);
}

/* A whole body of the largest size is read, and refused for what it holds, not its size. */
static void test_proto_body_of_16384_bytes_is_framed_then_refused_as_malformed(void **state)
{
    static unsigned char f[TA_PROTO_MAX_FRAME];

    (void)state;
    memset(f, 'x', sizeof(f));
    ps_frame(f, TA_PROTO_VERSION, TA_MSG_OPEN_REQ, UT_ID, f + 12, TA_PROTO_MAX_BODY);
    assert_refused(f, sizeof(f), TA_PROTO_MALFORMED);
}

static void test_proto_truncated_frames_need_more(void **state)
{
    static unsigned char f[UT_BUF];
    size_t len = ps_build(ps_type_of(TA_MSG_AUTH_REQ), UT_ID, ut_bases[0].v, f, sizeof(f));
    size_t flen = 5;

    (void)state;
    for (size_t n = 0; n < len; n++) {
        assert_refused(f, n, TA_PROTO_NEED_MORE);
        assert_proto_status(ta_proto_frame_len(f, n, &flen),
                            n < 12 ? TA_PROTO_NEED_MORE : TA_PROTO_OK);
        assert_int_equal(flen, n < 12 ? 0 : len);
    }
    assert_int_equal(ta_proto_error_for(TA_PROTO_NEED_MORE), TA_PROTO_ERR_MALFORMED);
}

/* --- the encoder ---------------------------------------------------------------------------- */

/* ta_proto_encode writes the types of the table; the file answers have encoders of their own,
 * and an unknown type is no message at all. */
static void test_proto_encode_refuses_types_without_a_field_table(void **state)
{
    unsigned char buf[64];
    ta_msg m;

    (void)state;
    for (unsigned type = 0; type < 256; type++) {
        size_t len = 9;

        if (ps_type_of(type) != NULL)
            continue;
        memset(&m, 0, sizeof(m));
        m.type = (uint8_t)type;
        memset(buf, 0xee, sizeof(buf));
        assert_proto_status(ta_proto_encode(&m, buf, sizeof(buf), &len), TA_PROTO_MALFORMED);
        assert_int_equal(len, 0);
        assert_int_equal(buf[0], 0xee);
    }
}

/* A string field filled to its last byte holds no NUL: it is one byte too long, and the
 * encoder says so without reading past the array (valgrind and ASan would see that). */
static void test_proto_encode_refuses_a_string_filling_its_array(void **state)
{
    ta_msg *m = malloc(sizeof(*m));
    unsigned char *buf = malloc(UT_BUF);
    size_t len = 9;

    (void)state;
    assert_non_null(m);
    assert_non_null(buf);
    memset(m, 0, sizeof(*m));
    m->type = TA_MSG_OPEN_REQ;
    memcpy(m->u.file_req.token, "a.b.c", 6);
    memset(m->u.file_req.path, '/', sizeof(m->u.file_req.path));
    assert_proto_status(ta_proto_encode(m, buf, UT_BUF, &len), TA_PROTO_MALFORMED);
    assert_int_equal(len, 0);
    m->u.file_req.path[TA_PROTO_PATH_MAX] = '\0';
    assert_proto_status(ta_proto_encode(m, buf, UT_BUF, &len), TA_PROTO_OK);
    assert_int_equal(len, 12 + 2 + 1 + 2 + 5 + 2 + TA_PROTO_PATH_MAX);
    free(buf);
    free(m);
}

/* An error answer for every code this version has, and none for another. */
static void test_proto_encode_error_writes_every_code(void **state)
{
    unsigned char buf[32];
    size_t len, consumed;
    ta_msg m;

    (void)state;
    for (int code = 0; code <= 8; code++) {
        int ok = code >= TA_PROTO_ERR_MALFORMED && code <= TA_PROTO_ERR_FORBIDDEN;

        assert_proto_status(ta_proto_encode_error(42, code, buf, sizeof(buf), &len),
                            ok ? TA_PROTO_OK : TA_PROTO_MALFORMED);
        if (!ok)
            continue;
        assert_int_equal(len, 13);
        assert_memory_equal(buf, "TA\x02\x7f\0\0\0\x2a\0\0\0\x01", 12);
        assert_int_equal(buf[12], code);
        assert_proto_status(ut_decode(buf, len, &m, &consumed), TA_PROTO_OK);
        assert_int_equal(m.u.error.code, code);
    }
    assert_proto_status(ta_proto_encode_error(1, TA_PROTO_ERR_MALFORMED, buf, 12, &len),
                        TA_PROTO_NO_ROOM);
    assert_proto_status(ta_proto_encode_error(1, TA_PROTO_ERR_MALFORMED, buf, 0, &len),
                        TA_PROTO_NO_ROOM);
}

/* --- ta_proto_set_string -------------------------------------------------------------------- */

/* A %00 or \u0000 in a request would otherwise cut a password short without anybody noticing. */
static void test_proto_set_string_refuses_nul(void **state)
{
    char dst[16];

    (void)state;
    memset(dst, 'x', sizeof(dst));
    assert_int_equal(ta_proto_set_string(dst, sizeof(dst), "pw\0rest", 7), -1);
    assert_int_equal(ta_proto_set_string(dst, sizeof(dst), "\0", 1), -1);
    assert_int_equal(ta_proto_set_string(dst, sizeof(dst), "abc\0", 4), -1);
    assert_int_equal(ta_proto_set_string(dst, sizeof(dst), "pw\0rest", 2), 0); /* before it */
    assert_string_equal(dst, "pw");
}

static void test_proto_set_string_refuses_overlong(void **state)
{
    char dst[4] = "zzz", src[8] = "abcdefg";

    (void)state;
    assert_int_equal(ta_proto_set_string(dst, sizeof(dst), src, 4), -1); /* no room for NUL */
    assert_string_equal(dst, "zzz");                                     /* left as it was */
    assert_int_equal(ta_proto_set_string(dst, sizeof(dst), src, 7), -1);
    assert_int_equal(ta_proto_set_string(dst, 0, src, 0), -1);
    assert_int_equal(ta_proto_set_string(dst, sizeof(dst), src, 3), 0);
    assert_string_equal(dst, "abc");
    assert_int_equal(ta_proto_set_string(dst, sizeof(dst), src, 0), 0);
    assert_string_equal(dst, "");
    assert_int_equal(ta_proto_set_string(dst, 1, src, 0), 0);
}

/* --- secrets ------------------------------------------------------------------------------- */

static void test_proto_msg_wipe_zeroes_password(void **state)
{
    unsigned char buf[128];
    ta_msg *m = malloc(sizeof(*m));
    size_t len, consumed;

    (void)state;
    assert_non_null(m);
    len = ps_build(ps_type_of(TA_MSG_AUTH_REQ), 1, ut_bases[0].v, buf, sizeof(buf));
    assert_proto_status(ta_proto_decode(buf, len, m, &consumed), TA_PROTO_OK);
    assert_string_equal(m->u.auth_req.password, "s3cret pw");
    ta_msg_wipe(m);
    assert_true(ut_all_zero(m, sizeof(*m)));
    free(m);
}

/* Decoding into a message that held a longer password leaves none of it behind. */
static void test_proto_decode_leaves_no_earlier_password(void **state)
{
    const ps_type *t = ps_type_of(TA_MSG_PAM_REQ);
    ps_value a[PS_FIELDS_MAX] = {S("svc"), S("alice"), S("longer-secret"), S("")};
    ps_value b[PS_FIELDS_MAX] = {S("svc"), S("bob"), S("ab"), S("")};
    unsigned char buf[128];
    size_t len, consumed;
    ta_msg m;

    (void)state;
    len = ps_build(t, 1, a, buf, sizeof(buf));
    assert_proto_status(ta_proto_decode(buf, len, &m, &consumed), TA_PROTO_OK);
    len = ps_build(t, 2, b, buf, sizeof(buf));
    assert_proto_status(ta_proto_decode(buf, len, &m, &consumed), TA_PROTO_OK);
    assert_string_equal(m.u.pam_req.password, "ab");
    assert_true(ut_all_zero(m.u.pam_req.password + 2, sizeof(m.u.pam_req.password) - 2));
    ta_msg_wipe(&m);
}

/* --- OPEN_RESP ------------------------------------------------------------------------------ */

static void ut_open_resp_body(unsigned char body[41], unsigned status, uint32_t mode, uint64_t size,
                              int64_t mtime, uint32_t nsec, uint64_t ino, uint64_t dev)
{
    body[0] = (unsigned char)status;
    ps_put_be(body + 1, mode, 4);
    ps_put_be(body + 5, size, 8);
    ps_put_be(body + 13, (uint64_t)mtime, 8);
    ps_put_be(body + 21, nsec, 4);
    ps_put_be(body + 25, ino, 8);
    ps_put_be(body + 33, dev, 8);
}

static void assert_open_resp_refused(unsigned status, uint32_t mode, uint64_t size, int64_t mtime,
                                     uint32_t nsec, uint64_t ino, uint64_t dev)
{
    unsigned char body[41], f[64], buf[64];
    ta_file_info fi = {mode, size, mtime, nsec, ino, dev};
    size_t len = 3;

    ut_open_resp_body(body, status, mode, size, mtime, nsec, ino, dev);
    assert_refused(f, ps_frame(f, 2, TA_MSG_OPEN_RESP, UT_ID, body, sizeof(body)),
                   TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_encode_open_resp(UT_ID, (int)status, &fi, buf, sizeof(buf), &len),
                        TA_PROTO_MALFORMED);
    assert_int_equal(len, 0);
}

static void test_proto_open_resp_round_trips_file_and_directory(void **state)
{
    const ta_file_info file = {S_IFREG | 0640, 0xfedcba9876543210ull, -1,
                               999999999,      0x0102030405060708ull, 0xffffffffffffffffull};
    const ta_file_info dir = {S_IFDIR | 01777, 4096, 1700000000, 0, 2, 0x801};
    const ta_file_info *fi[2] = {&file, &dir};
    unsigned char buf[64], body[41], f[64];
    ta_msg m;
    size_t len, consumed, flen;

    (void)state;
    for (int st = 0; st < 2; st++) {
        ut_open_resp_body(body, (unsigned)st, fi[st]->mode, fi[st]->size, fi[st]->mtime_sec,
                          fi[st]->mtime_nsec, fi[st]->ino, fi[st]->dev);
        flen = ps_frame(f, 2, TA_MSG_OPEN_RESP, UT_ID, body, sizeof(body));
        assert_proto_status(ta_proto_encode_open_resp(UT_ID, st, fi[st], buf, sizeof(buf), &len),
                            TA_PROTO_OK);
        assert_int_equal(len, 12 + TA_PROTO_OPEN_RESP_LEN);
        assert_int_equal(len, flen);
        assert_memory_equal(buf, f, len);
        assert_proto_status(ut_decode(buf, len, &m, &consumed), TA_PROTO_OK);
        assert_int_equal(m.type, TA_MSG_OPEN_RESP);
        assert_int_equal(m.u.open_resp.status, st);
        assert_int_equal(m.u.open_resp.info.mode, fi[st]->mode);
        assert_true(m.u.open_resp.info.size == fi[st]->size);
        assert_true(m.u.open_resp.info.mtime_sec == fi[st]->mtime_sec);
        assert_int_equal(m.u.open_resp.info.mtime_nsec, fi[st]->mtime_nsec);
        assert_true(m.u.open_resp.info.ino == fi[st]->ino);
        assert_true(m.u.open_resp.info.dev == fi[st]->dev);
    }
}

/* A refusal carries its status and nothing else; bad_token (7) is the last status. */
static void test_proto_open_resp_round_trips_every_refusal(void **state)
{
    static const unsigned char zeros[40];
    unsigned char buf[64];
    ta_msg m;
    size_t len, consumed;

    (void)state;
    assert_int_equal(TA_PROTO_FILE_STATUS_MAX, TA_CONFINE_BAD_TOKEN);
    for (int st = TA_CONFINE_NOT_FOUND; st <= TA_CONFINE_BAD_TOKEN; st++) {
        assert_proto_status(ta_proto_encode_open_resp(7, st, NULL, buf, sizeof(buf), &len),
                            TA_PROTO_OK);
        assert_int_equal(len, 53);
        assert_int_equal(buf[12], st);
        assert_memory_equal(buf + 13, zeros, sizeof(zeros));
        assert_proto_status(ut_decode(buf, len, &m, &consumed), TA_PROTO_OK);
        assert_int_equal(m.u.open_resp.status, st);
        assert_int_equal(m.u.open_resp.info.mode, 0);
    }
    /* OK and IS_DIR need their file information; there is no status 8 */
    assert_proto_status(ta_proto_encode_open_resp(7, 0, NULL, buf, sizeof(buf), &len),
                        TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_encode_open_resp(7, 1, NULL, buf, sizeof(buf), &len),
                        TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_encode_open_resp(7, 8, NULL, buf, sizeof(buf), &len),
                        TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_encode_open_resp(7, -1, NULL, buf, sizeof(buf), &len),
                        TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_encode_open_resp(7, 2, NULL, buf, 52, &len), TA_PROTO_NO_ROOM);
}

static void test_proto_open_resp_refuses_contradictions(void **state)
{
    (void)state;
    assert_open_resp_refused(0, S_IFDIR | 0755, 1, 1, 0, 1, 1);          /* OK with a directory */
    assert_open_resp_refused(1, S_IFREG | 0644, 1, 1, 0, 1, 1);          /* IS_DIR with a file */
    assert_open_resp_refused(0, S_IFIFO | 0644, 0, 1, 0, 1, 1);          /* a FIFO is never OK */
    assert_open_resp_refused(0, S_IFLNK | 0777, 0, 1, 0, 1, 1);          /* nor a symlink */
    assert_open_resp_refused(0, 0644, 0, 1, 0, 1, 1);                    /* no file type at all */
    assert_open_resp_refused(0, S_IFREG | 0x10000, 0, 1, 0, 1, 1);       /* bits beyond st_mode */
    assert_open_resp_refused(0, S_IFREG | 0644, 0, 1, 1000000000, 1, 1); /* nsec overflow */
    assert_open_resp_refused(2, 0, 0, 0, 0, 0, 1);                       /* NOT_FOUND with a dev */
    assert_open_resp_refused(3, S_IFREG | 0644, 0, 0, 0, 0, 0);          /* FORBIDDEN with a mode */
    assert_open_resp_refused(6, 0, 1, 0, 0, 0, 0);                       /* ERROR with a size */
    assert_open_resp_refused(7, 0, 0, 0, 0, 1, 0);                       /* BAD_TOKEN with an ino */
    assert_open_resp_refused(4, 0, 0, -1, 0, 0, 0);
    assert_open_resp_refused(5, 0, 0, 0, 1, 0, 0);
    assert_open_resp_refused(8, 0, 0, 0, 0, 0, 0); /* no such status */
    assert_open_resp_refused(0xff, 0, 0, 0, 0, 0, 0);
}

static void test_proto_open_resp_refuses_40_or_42_bytes(void **state)
{
    unsigned char body[42] = {0}, f[64];

    (void)state;
    ut_open_resp_body(body, 2, 0, 0, 0, 0, 0, 0);
    assert_refused(f, ps_frame(f, 2, TA_MSG_OPEN_RESP, UT_ID, body, 40), TA_PROTO_MALFORMED);
    assert_refused(f, ps_frame(f, 2, TA_MSG_OPEN_RESP, UT_ID, body, 42), TA_PROTO_MALFORMED);
    assert_refused(f, ps_frame(f, 2, TA_MSG_OPEN_RESP, UT_ID, body, 0), TA_PROTO_MALFORMED);
    assert_proto_status(
        ut_decode(f, ps_frame(f, 2, TA_MSG_OPEN_RESP, UT_ID, body, 41), &(ta_msg){0}, &(size_t){0}),
        TA_PROTO_OK);
}

/* --- LIST_REQ ------------------------------------------------------------------------------- */

/* A listing request carries its window after the policy bits: offset any 32-bit number, limit
 * 0 (all the rest) to 1000000; an OPEN_REQ carries none, whatever its message holds. */
static void test_proto_list_req_carries_a_window(void **state)
{
    unsigned char buf[256], open_a[256], open_b[256];
    size_t len = 0, la = 0, lb = 0, consumed = 0;
    ta_msg m, d;

    (void)state;
    memset(&m, 0, sizeof(m));
    m.type = TA_MSG_LIST_REQ;
    m.id = 7;
    m.u.file_req.offset = UINT32_MAX;
    m.u.file_req.limit = TA_PROTO_LIST_TOTAL_MAX;
    memcpy(m.u.file_req.token, "a.b.c", 6);
    memcpy(m.u.file_req.path, "/d/", 4);
    assert_proto_status(ta_proto_encode(&m, buf, sizeof(buf), &len), TA_PROTO_OK);
    assert_int_equal(len, 12 + 2 + 1 + 4 + 4 + 2 + 5 + 2 + 3);
    assert_memory_equal(buf + 15, "\xff\xff\xff\xff\x00\x0f\x42\x40", 8);
    assert_proto_status(ut_decode(buf, len, &d, &consumed), TA_PROTO_OK);
    assert_true(d.u.file_req.offset == UINT32_MAX && d.u.file_req.limit == 1000000);
    m.u.file_req.limit = TA_PROTO_LIST_TOTAL_MAX + 1;
    assert_proto_status(ta_proto_encode(&m, buf, sizeof(buf), &len), TA_PROTO_MALFORMED);
    buf[22] = 0x41; /* the frame above with limit 1000001 */
    assert_refused(buf, 12 + 2 + 1 + 4 + 4 + 2 + 5 + 2 + 3, TA_PROTO_MALFORMED);

    m.type = TA_MSG_OPEN_REQ;
    assert_proto_status(ta_proto_encode(&m, open_a, sizeof(open_a), &la), TA_PROTO_OK);
    m.u.file_req.offset = m.u.file_req.limit = 0;
    assert_proto_status(ta_proto_encode(&m, open_b, sizeof(open_b), &lb), TA_PROTO_OK);
    assert_int_equal(la, lb);
    assert_memory_equal(open_a, open_b, la);
}

/* --- LIST_RESP ------------------------------------------------------------------------------ */

/* A listing built by hand into a heap buffer: header, status, more, total, count, entries. */
typedef struct {
    unsigned char *b;
    size_t len;
} ut_list_t;

static void ut_list_start(ut_list_t *l, unsigned status, unsigned more, uint32_t total,
                          uint32_t count)
{
    l->b = malloc(TA_PROTO_MAX_LIST_FRAME + 64);
    assert_non_null(l->b);
    ps_frame(l->b, 2, TA_MSG_LIST_RESP, UT_ID, NULL, 0);
    l->b[12] = (unsigned char)status;
    l->b[13] = (unsigned char)more;
    ps_put_be(l->b + 14, total, 4);
    ps_put_be(l->b + 18, count, 4);
    l->len = 22;
}

static void ut_list_entry(ut_list_t *l, unsigned type, uint64_t size, int64_t mtime,
                          const char *name, size_t nl)
{
    unsigned char *p = l->b + l->len;

    p[0] = (unsigned char)type;
    ps_put_be(p + 1, size, 8);
    ps_put_be(p + 9, (uint64_t)mtime, 8);
    ps_put_be(p + 17, nl, 2);
    memcpy(p + 19, name, nl);
    l->len += 19 + nl;
}

/* Set the body length from what was written, decode, free; the status. */
static ta_proto_status ut_list_decode(ut_list_t *l, ta_msg *m)
{
    size_t consumed = 0;
    ta_proto_status st;

    ps_put_be(l->b + 8, l->len - 12, 4);
    st = ut_decode(l->b, l->len, m, &consumed);
    assert_int_equal(consumed, st == TA_PROTO_MALFORMED || st == TA_PROTO_OK ? l->len : 0);
    free(l->b);
    l->b = NULL;
    return st;
}

static void assert_list_refused(ut_list_t *l)
{
    ta_msg *m = malloc(sizeof(*m));

    assert_non_null(m);
    memset(m, 0xa5, sizeof(*m));
    assert_proto_status(ut_list_decode(l, m), TA_PROTO_MALFORMED);
    assert_true(ut_all_zero(m, sizeof(*m)));
    free(m);
}

/* A listing of one entry named name (nl bytes). */
static void assert_list_name_refused(const char *name, size_t nl)
{
    ut_list_t l;

    ut_list_start(&l, 1, 0, 1, 1);
    ut_list_entry(&l, 0, 1, 1, name, nl);
    assert_list_refused(&l);
}

static void test_proto_list_resp_round_trips(void **state)
{
    static char longest[256];
    unsigned char *buf = malloc(TA_PROTO_MAX_LIST_FRAME);
    ta_proto_list_writer w;
    ta_proto_dirent e;
    ut_list_t l;
    ta_msg m;
    size_t len = 0, consumed = 0, pos = 0;

    (void)state;
    assert_non_null(buf);
    memset(longest, 'n', 255);
    longest[0] = '.'; /* a dot-file is a name like any other here */
    assert_proto_status(ta_proto_list_begin(&w, UT_ID, 1, 70000, buf, TA_PROTO_MAX_LIST_FRAME),
                        TA_PROTO_OK);
    assert_proto_status(ta_proto_list_add(&w, 0, 12345, -5, "a.jpg", 5), TA_PROTO_OK);
    assert_proto_status(ta_proto_list_add(&w, 1, 4096, 1700000000, "sub dir", 7), TA_PROTO_OK);
    assert_proto_status(ta_proto_list_add(&w, 0, UINT64_MAX, INT64_MIN, longest, 255), TA_PROTO_OK);
    assert_proto_status(ta_proto_list_add(&w, 0, 0, 0, "\xc3\xa9\n", 3), TA_PROTO_OK);
    assert_proto_status(ta_proto_list_end(&w, 1, &len), TA_PROTO_OK);

    ut_list_start(&l, 1, 1, 70000, 4);
    ut_list_entry(&l, 0, 12345, -5, "a.jpg", 5);
    ut_list_entry(&l, 1, 4096, 1700000000, "sub dir", 7);
    ut_list_entry(&l, 0, UINT64_MAX, INT64_MIN, longest, 255);
    ut_list_entry(&l, 0, 0, 0, "\xc3\xa9\n", 3);
    ps_put_be(l.b + 8, l.len - 12, 4);
    assert_int_equal(len, l.len);
    assert_memory_equal(buf, l.b, len);
    free(l.b);

    assert_proto_status(ut_decode(buf, len, &m, &consumed), TA_PROTO_OK);
    assert_int_equal(consumed, len);
    assert_int_equal(m.type, TA_MSG_LIST_RESP);
    assert_int_equal(m.u.list_resp.status, 1);
    assert_int_equal(m.u.list_resp.more, 1);
    assert_int_equal(m.u.list_resp.total, 70000);
    assert_int_equal(m.u.list_resp.count, 4);
    /* the entries point into the frame: read them from buf, which still lives */
    assert_proto_status(ta_proto_decode(buf, len, &m, &consumed), TA_PROTO_OK);
    assert_true(ta_proto_list_next(&m, &pos, &e));
    assert_int_equal(e.is_dir, 0);
    assert_true(e.size == 12345 && e.mtime == -5);
    assert_int_equal(e.name_len, 5);
    assert_memory_equal(e.name, "a.jpg", 5);
    assert_true(ta_proto_list_next(&m, &pos, &e));
    assert_int_equal(e.is_dir, 1);
    assert_memory_equal(e.name, "sub dir", 7);
    assert_true(ta_proto_list_next(&m, &pos, &e));
    assert_true(e.size == UINT64_MAX && e.mtime == INT64_MIN && e.name_len == 255);
    assert_true(ta_proto_list_next(&m, &pos, &e));
    assert_int_equal(e.name_len, 3);
    assert_false(ta_proto_list_next(&m, &pos, &e));
    assert_false(ta_proto_list_next(&m, &pos, &e));
    free(buf);
}

/* An empty directory; an empty page past the end of a listing (a total, no entries); a regular
 * file (OK: nothing listed); a refusal (the status alone), bad_token and too_large included. */
static void test_proto_list_resp_round_trips_without_entries(void **state)
{
    static const int statuses[] = {1, 1, 0, 2, 3, 4, 5, 6, 7, 8};
    unsigned char buf[64];
    ta_proto_list_writer w;
    ta_proto_dirent e;
    ta_msg m;
    size_t len, consumed, pos = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        uint32_t total = i == 1 ? 42 : 0;

        assert_proto_status(ta_proto_list_begin(&w, 5, statuses[i], total, buf, sizeof(buf)),
                            TA_PROTO_OK);
        assert_proto_status(ta_proto_list_end(&w, 0, &len), TA_PROTO_OK);
        assert_int_equal(len, 22);
        assert_memory_equal(buf, "TA\x02\x06\0\0\0\x05\0\0\0\x0a", 12);
        assert_proto_status(ut_decode(buf, len, &m, &consumed), TA_PROTO_OK);
        assert_int_equal(m.u.list_resp.status, statuses[i]);
        assert_int_equal(m.u.list_resp.count, 0);
        assert_int_equal(m.u.list_resp.total, total);
        assert_int_equal(m.u.list_resp.more, 0);
        pos = 0;
        assert_false(ta_proto_list_next(&m, &pos, &e));
    }
}

/* A name is one path component: no '/', no NUL, not "." or "..", 1..255 bytes. */
static void test_proto_list_resp_refuses_bad_names(void **state)
{
    static char name[257];
    unsigned char buf[1024];
    ta_proto_list_writer w;

    (void)state;
    memset(name, 'x', 256);
    assert_list_name_refused("a/b", 3);
    assert_list_name_refused("/", 1);
    assert_list_name_refused("..", 2);
    assert_list_name_refused(".", 1);
    assert_list_name_refused("a\0b", 3);
    assert_list_name_refused("", 0);
    assert_list_name_refused(name, 256);
    assert_proto_status(ta_proto_list_begin(&w, 1, 1, 10, buf, sizeof(buf)), TA_PROTO_OK);
    assert_proto_status(ta_proto_list_add(&w, 0, 0, 0, "a/b", 3), TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_list_add(&w, 0, 0, 0, "..", 2), TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_list_add(&w, 0, 0, 0, ".", 1), TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_list_add(&w, 0, 0, 0, "a\0b", 3), TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_list_add(&w, 0, 0, 0, "", 0), TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_list_add(&w, 0, 0, 0, name, 256), TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_list_add(&w, 0, 0, 0, NULL, 0), TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_list_add(&w, 0, 0, 0, "...", 3), TA_PROTO_OK);
    assert_int_equal(w.count, 1);
}

/* The count must be exactly the entries there: one more or one less is refused. */
static void test_proto_list_resp_refuses_count_mismatch(void **state)
{
    ut_list_t l;
    ta_msg m;

    (void)state;
    for (uint32_t count = 0; count <= 4; count++) {
        ut_list_start(&l, 1, 0, 100, count);
        ut_list_entry(&l, 0, 1, 1, "a", 1);
        ut_list_entry(&l, 1, 1, 1, "b", 1);
        ut_list_entry(&l, 0, 1, 1, "c", 1);
        if (count == 3)
            assert_proto_status(ut_list_decode(&l, &m), TA_PROTO_OK);
        else
            assert_list_refused(&l);
    }
    ut_list_start(&l, 1, 0, 1000000, 0xffffffffu); /* a count no body can hold, nor a total */
    ut_list_entry(&l, 0, 1, 1, "a", 1);
    assert_list_refused(&l);
    ut_list_start(&l, 1, 0, 1000000, 1000000); /* a count no body can hold: before the walk */
    ut_list_entry(&l, 0, 1, 1, "a", 1);
    assert_list_refused(&l);
}

/* The head's fields, and how they agree: a frame carries no more entries than the listing's
 * total, which is at most 1000000; a frame that says more follows carries an entry (so an
 * answer never has more frames than entries); a refusal carries nothing at all. */
static void test_proto_list_resp_refuses_bad_fixed_fields(void **state)
{
    ut_list_t l;
    ta_msg m;

    (void)state;
    ut_list_start(&l, 1, 0, 1, 1); /* entry type 2 */
    ut_list_entry(&l, 2, 1, 1, "a", 1);
    assert_list_refused(&l);
    ut_list_start(&l, 1, 2, 0, 0); /* more 2 */
    assert_list_refused(&l);
    ut_list_start(&l, 9, 0, 0, 0); /* no such status */
    assert_list_refused(&l);
    ut_list_start(&l, 0, 1, 0, 0); /* a regular file's answer has no more frames */
    assert_list_refused(&l);
    ut_list_start(&l, 8, 0, 5, 0); /* too_large counts nothing */
    assert_list_refused(&l);
    ut_list_start(&l, 7, 0, 0, 1); /* nor a refusal carry entries */
    ut_list_entry(&l, 0, 1, 1, "a", 1);
    assert_list_refused(&l);
    ut_list_start(&l, 7, 0, 1, 0); /* nor a total */
    assert_list_refused(&l);
    ut_list_start(&l, 1, 1, 5, 0); /* more follows, but not one entry in this frame */
    assert_list_refused(&l);
    ut_list_start(&l, 1, 0, 1, 2); /* two entries of a listing of one */
    ut_list_entry(&l, 0, 1, 1, "a", 1);
    ut_list_entry(&l, 0, 1, 1, "b", 1);
    assert_list_refused(&l);
    ut_list_start(&l, 1, 0, 1000001, 0); /* a total over the most a listing counts */
    assert_list_refused(&l);
    ut_list_start(&l, 1, 0, 1000000, 0);
    assert_proto_status(ut_list_decode(&l, &m), TA_PROTO_OK);
    ut_list_start(&l, 1, 1, 2, 1); /* the first of two frames */
    ut_list_entry(&l, 0, 1, 1, "a", 1);
    assert_proto_status(ut_list_decode(&l, &m), TA_PROTO_OK);
    assert_true(m.u.list_resp.more == 1 && m.u.list_resp.total == 2 && m.u.list_resp.count == 1);
    ut_list_start(&l, 1, 0, 0, 0);
    l.len = 21; /* a head of 9 bytes */
    assert_list_refused(&l);
    ut_list_start(&l, 1, 0, 0, 0);
    l.len = 12;
    assert_list_refused(&l);
}

/* A name length that reaches past the body, and an entry cut inside its fixed part. */
static void test_proto_list_resp_refuses_lengths_past_body(void **state)
{
    ut_list_t l;

    (void)state;
    ut_list_start(&l, 1, 0, 9, 1);
    ut_list_entry(&l, 0, 1, 1, "abc", 3);
    l.len -= 1; /* the name claims 3, 2 are there */
    assert_list_refused(&l);
    ut_list_start(&l, 1, 0, 9, 2);
    ut_list_entry(&l, 0, 1, 1, "abc", 3);
    ut_list_entry(&l, 0, 1, 1, "d", 1);
    l.len -= 5; /* the second entry ends inside its fixed part */
    assert_list_refused(&l);
    ut_list_start(&l, 1, 0, 9, 1);
    ut_list_entry(&l, 0, 1, 1, "abc", 3);
    l.b[22 + 17] = 0xff; /* name length 65283 */
    assert_list_refused(&l);
}

/* LIST_RESP alone may be 1 MiB. */
static void test_proto_list_resp_has_its_own_body_limit(void **state)
{
    unsigned char f[12];
    size_t flen = 0;

    (void)state;
    assert_int_equal(ta_proto_body_limit(TA_MSG_LIST_RESP), 1024 * 1024);
    assert_int_equal(ta_proto_body_limit(TA_MSG_OPEN_RESP), TA_PROTO_MAX_BODY);
    ps_frame(f, 2, TA_MSG_LIST_RESP, UT_ID, NULL, 0);
    ps_put_be(f + 8, TA_PROTO_MAX_LIST_BODY, 4);
    assert_proto_status(ta_proto_frame_len(f, 12, &flen), TA_PROTO_OK);
    assert_int_equal(flen, TA_PROTO_MAX_LIST_FRAME);
    ps_put_be(f + 8, TA_PROTO_MAX_LIST_BODY + 1, 4);
    assert_proto_status(ta_proto_frame_len(f, 12, &flen), TA_PROTO_TOO_LARGE);
    assert_int_equal(ta_proto_error_for(TA_PROTO_TOO_LARGE), TA_PROTO_ERR_TOO_LARGE);
}

/* The writer fills a frame up to the limit and no further: NO_ROOM writes nothing, and what
 * was written decodes with the entries counted. */
static void test_proto_list_writer_stops_at_the_limit(void **state)
{
    static char name[256];
    unsigned char *buf = malloc(TA_PROTO_MAX_LIST_FRAME + 4096), small[22 + 19 + 3];
    ta_proto_list_writer w;
    ta_msg m;
    size_t len = 0, consumed = 0, added = 0;

    (void)state;
    assert_non_null(buf);
    memset(name, 'n', 255);
    /* a cap beyond the limit is held to it */
    assert_proto_status(ta_proto_list_begin(&w, 1, 1, 1000000, buf, TA_PROTO_MAX_LIST_FRAME + 4096),
                        TA_PROTO_OK);
    for (;;) {
        ta_proto_status st;

        snprintf(name, sizeof(name), "%06zu", added);
        name[6] = 'n';
        st = ta_proto_list_add(&w, (int)(added & 1), added, (int64_t)added, name, 255);
        if (st == TA_PROTO_NO_ROOM)
            break;
        assert_proto_status(st, TA_PROTO_OK);
        added++;
    }
    assert_int_equal(added, (TA_PROTO_MAX_LIST_BODY - 10) / (19 + 255));
    assert_proto_status(ta_proto_list_add(&w, 0, 0, 0, "a", 1), TA_PROTO_OK); /* still room */
    added++;
    assert_proto_status(ta_proto_list_end(&w, 1, &len), TA_PROTO_OK);
    assert_true(len <= TA_PROTO_MAX_LIST_FRAME);
    assert_proto_status(ut_decode(buf, len, &m, &consumed), TA_PROTO_OK);
    assert_int_equal(m.u.list_resp.count, added);
    free(buf);

    assert_proto_status(ta_proto_list_begin(&w, 1, 1, 2, small, 21), TA_PROTO_NO_ROOM);
    assert_proto_status(ta_proto_list_begin(&w, 1, 1, 2, small, sizeof(small)), TA_PROTO_OK);
    assert_proto_status(ta_proto_list_add(&w, 0, 0, 0, "abcd", 4), TA_PROTO_NO_ROOM);
    assert_proto_status(ta_proto_list_add(&w, 0, 0, 0, "abc", 3), TA_PROTO_OK);
    assert_proto_status(ta_proto_list_add(&w, 0, 0, 0, "d", 1), TA_PROTO_NO_ROOM);
    assert_proto_status(ta_proto_list_end(&w, 1, &len), TA_PROTO_OK);
    assert_int_equal(len, sizeof(small));
}

/* Entries belong to a directory's listing only, no more than its total, and the writer is
 * used in order: it never writes a frame the decoder refuses. */
static void test_proto_list_writer_refuses_misuse(void **state)
{
    unsigned char buf[256];
    ta_proto_list_writer w;
    size_t len = 9;

    (void)state;
    assert_proto_status(ta_proto_list_begin(&w, 1, 9, 0, buf, sizeof(buf)), TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_list_add(&w, 0, 0, 0, "a", 1), TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_list_end(&w, 0, &len), TA_PROTO_MALFORMED);
    assert_int_equal(len, 0);
    assert_proto_status(ta_proto_list_begin(&w, 1, -1, 0, buf, sizeof(buf)), TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_list_begin(&w, 1, 0, 1, buf, sizeof(buf)), TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_list_begin(&w, 1, 1, 1000001, buf, sizeof(buf)),
                        TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_list_begin(&w, 1, 0, 0, buf, sizeof(buf)), TA_PROTO_OK);
    assert_proto_status(ta_proto_list_add(&w, 0, 0, 0, "a", 1), TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_list_end(&w, 1, &len), TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_list_begin(&w, 1, 7, 0, buf, sizeof(buf)), TA_PROTO_OK);
    assert_proto_status(ta_proto_list_add(&w, 0, 0, 0, "a", 1), TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_list_begin(&w, 1, 8, 0, buf, sizeof(buf)), TA_PROTO_OK);
    assert_proto_status(ta_proto_list_end(&w, 0, &len), TA_PROTO_OK);
    assert_proto_status(ta_proto_list_begin(&w, 1, 1, 1, buf, sizeof(buf)), TA_PROTO_OK);
    assert_proto_status(ta_proto_list_end(&w, 2, &len), TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_list_end(&w, -1, &len), TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_list_end(&w, 1, &len), TA_PROTO_MALFORMED); /* more, empty */
    assert_proto_status(ta_proto_list_add(&w, 0, 0, 0, "a", 1), TA_PROTO_OK);
    assert_proto_status(ta_proto_list_add(&w, 0, 0, 0, "b", 1), TA_PROTO_MALFORMED); /* total 1 */
    assert_proto_status(ta_proto_list_end(&w, 1, &len), TA_PROTO_OK);
}

/* A listing read through ta_proto_list_next of a message that is not one yields nothing. */
static void test_proto_list_next_of_other_message_yields_nothing(void **state)
{
    unsigned char buf[64];
    ta_proto_dirent e;
    ta_msg m;
    size_t len, consumed, pos = 0;

    (void)state;
    assert_proto_status(ta_proto_encode_error(1, 1, buf, sizeof(buf), &len), TA_PROTO_OK);
    assert_proto_status(ta_proto_decode(buf, len, &m, &consumed), TA_PROTO_OK);
    assert_false(ta_proto_list_next(&m, &pos, &e));
}

/* --- names and the error mapping ----------------------------------------------------------- */

static void test_proto_error_for_maps_each_failure(void **state)
{
    (void)state;
    assert_int_equal(ta_proto_error_for(TA_PROTO_BAD_MAGIC), TA_PROTO_ERR_MALFORMED);
    assert_int_equal(ta_proto_error_for(TA_PROTO_MALFORMED), TA_PROTO_ERR_MALFORMED);
    assert_int_equal(ta_proto_error_for(TA_PROTO_NEED_MORE), TA_PROTO_ERR_MALFORMED);
    assert_int_equal(ta_proto_error_for(TA_PROTO_BAD_VERSION), TA_PROTO_ERR_BAD_VERSION);
    assert_int_equal(ta_proto_error_for(TA_PROTO_BAD_TYPE), TA_PROTO_ERR_BAD_TYPE);
    assert_int_equal(ta_proto_error_for(TA_PROTO_TOO_LARGE), TA_PROTO_ERR_TOO_LARGE);
    assert_int_equal(ta_proto_error_for(TA_PROTO_OK), TA_PROTO_ERR_INTERNAL);
    assert_int_equal(ta_proto_error_for(TA_PROTO_NO_ROOM), TA_PROTO_ERR_INTERNAL);
}

/* Every name of a table distinct and never "unknown"; "unknown" just outside it. */
static void assert_names(const char *(*name)(int), int lo, int hi)
{
    for (int a = lo; a <= hi; a++) {
        assert_string_not_equal(name(a), "unknown");
        for (int b = a + 1; b <= hi; b++)
            assert_string_not_equal(name(a), name(b));
    }
    assert_string_equal(name(lo - 1), "unknown");
    assert_string_equal(name(hi + 1), "unknown");
}

static const char *ut_status_name(int st)
{
    return ta_proto_status_name((ta_proto_status)st);
}

static void test_proto_names_are_distinct_and_unknown_outside_enum(void **state)
{
    (void)state;
    assert_names(ut_status_name, TA_PROTO_OK, TA_PROTO_NO_ROOM);
    assert_names(ta_auth_result_name, TA_AUTH_OK, TA_AUTH_THROTTLED);
    assert_names(ta_mint_result_name, TA_MINT_OK, TA_MINT_UNAVAILABLE);
    assert_names(ta_proto_error_name, TA_PROTO_ERR_MALFORMED, TA_PROTO_ERR_FORBIDDEN);
    for (size_t i = 0; i < PS_NTYPES; i++)
        assert_string_not_equal(ta_msg_type_name(ps_types[i].type), "unknown");
    assert_string_equal(ta_msg_type_name(TA_MSG_OPEN_RESP), "open_resp");
    assert_string_equal(ta_msg_type_name(TA_MSG_LIST_RESP), "list_resp");
    assert_string_equal(ta_msg_type_name(TA_MSG_MINT_REQ), "mint_req");
    assert_string_equal(ta_msg_type_name(-1), "unknown");
    assert_string_equal(ta_msg_type_name(7), "unknown");
    assert_string_equal(ta_auth_result_name(TA_AUTH_THROTTLED), "throttled");
    assert_string_equal(ta_mint_result_name(TA_MINT_BAD_REQUEST), "bad_request");
    assert_string_equal(ta_proto_error_name(TA_PROTO_ERR_FORBIDDEN), "forbidden");
    assert_string_equal(ta_proto_status_name(TA_PROTO_NEED_MORE), "need_more");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proto_every_type_round_trips),
        cmocka_unit_test(test_proto_every_integer_field_at_its_limits),
        cmocka_unit_test(test_proto_every_string_field_at_its_length_limits),
        cmocka_unit_test(test_proto_every_string_field_takes_exactly_its_character_class),
        cmocka_unit_test(test_proto_character_classes_at_their_edges),
        cmocka_unit_test(test_proto_auth_resp_token_uid_and_expiry_only_with_ok),
        cmocka_unit_test(test_proto_auth_resp_retry_after_exactly_with_throttled),
        cmocka_unit_test(test_proto_mint_resp_token_only_with_ok),
        cmocka_unit_test(test_proto_version_1_frames_are_bad_version),
        cmocka_unit_test(test_proto_other_versions_are_bad_version),
        cmocka_unit_test(test_proto_pam_types_decode),
        cmocka_unit_test(test_proto_unknown_types_are_bad_type),
        cmocka_unit_test(test_proto_trailing_bytes_are_malformed),
        cmocka_unit_test(test_proto_every_cut_body_is_malformed),
        cmocka_unit_test(test_proto_field_length_past_body_does_not_read_the_next_frame),
        cmocka_unit_test(test_proto_decodes_back_to_back_frames),
        cmocka_unit_test(test_proto_frame_len_reads_header_only),
        cmocka_unit_test(test_proto_refuses_bad_magic),
        cmocka_unit_test(test_proto_refuses_body_length_over_the_limit),
        cmocka_unit_test(test_proto_body_of_16384_bytes_is_framed_then_refused_as_malformed),
        cmocka_unit_test(test_proto_truncated_frames_need_more),
        cmocka_unit_test(test_proto_encode_refuses_types_without_a_field_table),
        cmocka_unit_test(test_proto_encode_refuses_a_string_filling_its_array),
        cmocka_unit_test(test_proto_encode_error_writes_every_code),
        cmocka_unit_test(test_proto_set_string_refuses_nul),
        cmocka_unit_test(test_proto_set_string_refuses_overlong),
        cmocka_unit_test(test_proto_msg_wipe_zeroes_password),
        cmocka_unit_test(test_proto_decode_leaves_no_earlier_password),
        cmocka_unit_test(test_proto_open_resp_round_trips_file_and_directory),
        cmocka_unit_test(test_proto_open_resp_round_trips_every_refusal),
        cmocka_unit_test(test_proto_open_resp_refuses_contradictions),
        cmocka_unit_test(test_proto_open_resp_refuses_40_or_42_bytes),
        cmocka_unit_test(test_proto_list_req_carries_a_window),
        cmocka_unit_test(test_proto_list_resp_round_trips),
        cmocka_unit_test(test_proto_list_resp_round_trips_without_entries),
        cmocka_unit_test(test_proto_list_resp_refuses_bad_names),
        cmocka_unit_test(test_proto_list_resp_refuses_count_mismatch),
        cmocka_unit_test(test_proto_list_resp_refuses_bad_fixed_fields),
        cmocka_unit_test(test_proto_list_resp_refuses_lengths_past_body),
        cmocka_unit_test(test_proto_list_resp_has_its_own_body_limit),
        cmocka_unit_test(test_proto_list_writer_stops_at_the_limit),
        cmocka_unit_test(test_proto_list_writer_refuses_misuse),
        cmocka_unit_test(test_proto_list_next_of_other_message_yields_nothing),
        cmocka_unit_test(test_proto_error_for_maps_each_failure),
        cmocka_unit_test(test_proto_names_are_distinct_and_unknown_outside_enum),
    };

    return cmocka_run_group_tests_name("proto", tests, NULL, NULL);
}
