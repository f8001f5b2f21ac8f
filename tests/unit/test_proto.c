/* Unit tests for the helper protocol codec (src/wire/ta_proto.c, SPEC §6).
 *
 * Frames under test are built byte by byte by ut_frame and ut_auth_body below, not by the
 * encoders, so the decoder tests do not lean on the code they check. Every decode reads from a
 * heap copy of exactly the frame's length, so valgrind sees any read past len. */
#include "unit.h"
#include "ta_proto.h"

#include <sys/stat.h>

#define UT_ID 0x01020304u

#define assert_proto_status(got, want)                                                             \
    do {                                                                                           \
        ta_proto_status got_ = (got), want_ = (want);                                              \
        if (got_ != want_)                                                                         \
            fail_msg("proto status %s, expected %s", ta_proto_status_name(got_),                   \
                     ta_proto_status_name(want_));                                                 \
    } while (0)

/* A frame built by hand: header fields as given, then body. */
typedef struct {
    unsigned char b[TA_PROTO_MAX_FRAME + 64];
    size_t len;
} ut_frame_t;

static void ut_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void ut_frame(ut_frame_t *f, unsigned char type, uint32_t id, const void *body, size_t n)
{
    assert_true(n <= sizeof(f->b) - 12);
    f->b[0] = 'T';
    f->b[1] = 'A';
    f->b[2] = 1;
    f->b[3] = type;
    ut_be32(f->b + 4, id);
    ut_be32(f->b + 8, (uint32_t)n);
    if (n)
        memcpy(f->b + 12, body, n);
    f->len = 12 + n;
}

/* Append one length-prefixed field of n bytes to body. */
static size_t ut_field(unsigned char *body, size_t at, const void *s, size_t n)
{
    body[at] = (unsigned char)(n >> 8);
    body[at + 1] = (unsigned char)n;
    memcpy(body + at + 2, s, n);
    return at + 2 + n;
}

/* An AUTH_REQ body of four fields with explicit lengths (so a field may hold a NUL). */
static size_t ut_auth_body(unsigned char *body, const char *service, size_t sn, const char *user,
                           size_t un, const char *password, size_t pn, const char *rhost, size_t rn)
{
    size_t at = ut_field(body, 0, service, sn);

    at = ut_field(body, at, user, un);
    at = ut_field(body, at, password, pn);
    return ut_field(body, at, rhost, rn);
}

/* An AUTH_REQ frame of C-string fields. */
static void ut_auth_frame(ut_frame_t *f, const char *service, const char *user,
                          const char *password, const char *rhost)
{
    static unsigned char body[TA_PROTO_MAX_BODY];
    size_t n = ut_auth_body(body, service, strlen(service), user, strlen(user), password,
                            strlen(password), rhost, strlen(rhost));

    ut_frame(f, 1, UT_ID, body, n);
}

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

/* The frame is refused with want, and the message it was decoded into holds nothing. */
static void assert_refused(const ut_frame_t *f, ta_proto_status want)
{
    ta_msg *m = malloc(sizeof(*m));
    size_t consumed = 99;

    assert_non_null(m);
    memset(m, 0xa5, sizeof(*m));
    assert_proto_status(ut_decode(f->b, f->len, m, &consumed), want);
    assert_true(ut_all_zero(m, sizeof(*m)));
    assert_int_equal(consumed, want == TA_PROTO_MALFORMED ? f->len : 0);
    free(m);
}

static void assert_auth_refused(const char *service, size_t sn, const char *user, size_t un,
                                const char *password, size_t pn, const char *rhost, size_t rn)
{
    static unsigned char body[TA_PROTO_MAX_BODY];
    static ut_frame_t f;

    ut_frame(&f, 1, UT_ID, body,
             ut_auth_body(body, service, sn, user, un, password, pn, rhost, rn));
    assert_refused(&f, TA_PROTO_MALFORMED);
}

/* The encoder refuses these fields as MALFORMED, writing nothing. */
static void assert_encode_refused(const char *service, const char *user, size_t un,
                                  const char *password, size_t pn, const char *rhost)
{
    unsigned char buf[2048];
    size_t len = 77;

    memset(buf, 0xee, sizeof(buf));
    assert_proto_status(ta_proto_encode_auth_req(UT_ID, service, user, un, password, pn, rhost, buf,
                                                 sizeof(buf), &len),
                        TA_PROTO_MALFORMED);
    assert_int_equal(len, 0);
    assert_true(buf[0] == 0xee && buf[sizeof(buf) - 1] == 0xee);
}

/* --- round trips --------------------------------------------------------------------------- */

static void test_proto_auth_req_round_trips(void **state)
{
    unsigned char buf[TA_PROTO_MAX_FRAME];
    ut_frame_t f;
    ta_msg m;
    size_t len = 0, consumed = 0;

    (void)state;
    assert_proto_status(ta_proto_encode_auth_req(UT_ID, "tokenauth", "alice", 5, "s3cret pw", 9,
                                                 "192.0.2.1", buf, sizeof(buf), &len),
                        TA_PROTO_OK);
    ut_auth_frame(&f, "tokenauth", "alice", "s3cret pw", "192.0.2.1");
    assert_int_equal(len, f.len);
    assert_memory_equal(buf, f.b, len); /* the encoder writes exactly the specified bytes */

    assert_proto_status(ut_decode(buf, len, &m, &consumed), TA_PROTO_OK);
    assert_int_equal(consumed, len);
    assert_int_equal(m.type, TA_MSG_AUTH_REQ);
    assert_int_equal(m.id, UT_ID);
    assert_string_equal(m.u.auth_req.service, "tokenauth");
    assert_string_equal(m.u.auth_req.user, "alice");
    assert_string_equal(m.u.auth_req.password, "s3cret pw");
    assert_string_equal(m.u.auth_req.rhost, "192.0.2.1");
    ta_msg_wipe(&m);
}

/* Every field at its longest, and the bytes each class allows at its edges. */
static void test_proto_auth_req_round_trips_longest_fields(void **state)
{
    static char service[65], user[257], password[1025], rhost[65];
    static unsigned char buf[TA_PROTO_MAX_FRAME];
    static ta_msg m;
    size_t len = 0, consumed = 0;

    (void)state;
    memset(service, 'a', 64);
    memcpy(service, "Az09._-", 7);
    for (size_t i = 0; i < 256; i++)
        user[i] = (char)(0x20 + i % 0x5f); /* 0x20..0x7e */
    user[255] = (char)0xc3;                /* UTF-8 bytes are fine in a user name */
    for (size_t i = 0; i < 1024; i++)
        password[i] = (char)(1 + i % 255); /* every byte but NUL, control characters too */
    memset(rhost, '~', 64);
    rhost[0] = '!';
    rhost[1] = ':';
    assert_proto_status(ta_proto_encode_auth_req(7, service, user, 256, password, 1024, rhost, buf,
                                                 sizeof(buf), &len),
                        TA_PROTO_OK);
    assert_int_equal(len, 12 + 8 + 64 + 256 + 1024 + 64);
    assert_proto_status(ut_decode(buf, len, &m, &consumed), TA_PROTO_OK);
    assert_int_equal(consumed, len);
    assert_string_equal(m.u.auth_req.service, service);
    assert_memory_equal(m.u.auth_req.user, user, 257);
    assert_memory_equal(m.u.auth_req.password, password, 1025);
    assert_string_equal(m.u.auth_req.rhost, rhost);
    ta_msg_wipe(&m);
}

static void test_proto_auth_req_round_trips_empty_password_and_rhost(void **state)
{
    unsigned char buf[64];
    ta_msg m;
    size_t len = 0, consumed = 0;

    (void)state;
    assert_proto_status(ta_proto_encode_auth_req(0, "s", "u", 1, "", 0, "", buf, sizeof(buf), &len),
                        TA_PROTO_OK);
    assert_int_equal(len, 12 + 8 + 2);
    assert_proto_status(ut_decode(buf, len, &m, &consumed), TA_PROTO_OK);
    assert_int_equal(m.id, 0);
    assert_string_equal(m.u.auth_req.user, "u");
    assert_string_equal(m.u.auth_req.password, "");
    assert_string_equal(m.u.auth_req.rhost, "");
}

static void test_proto_auth_resp_round_trips_every_result(void **state)
{
    static const int results[] = {TA_AUTH_OK, TA_AUTH_BAD_CREDENTIALS, TA_AUTH_ACCOUNT_REFUSED,
                                  TA_AUTH_UNAVAILABLE};
    unsigned char buf[32];
    ta_msg m;
    size_t len, consumed;

    (void)state;
    for (size_t i = 0; i < sizeof(results) / sizeof(results[0]); i++) {
        uint32_t uid = results[i] == TA_AUTH_OK ? 0xfffffffeu : 0;
        ut_frame_t f;
        unsigned char body[5] = {(unsigned char)results[i]};

        ut_be32(body + 1, uid);
        ut_frame(&f, 2, 0xffffffffu, body, sizeof(body));
        assert_proto_status(
            ta_proto_encode_auth_resp(0xffffffffu, results[i], uid, buf, sizeof(buf), &len),
            TA_PROTO_OK);
        assert_int_equal(len, f.len);
        assert_memory_equal(buf, f.b, len);
        assert_proto_status(ut_decode(buf, len, &m, &consumed), TA_PROTO_OK);
        assert_int_equal(consumed, len);
        assert_int_equal(m.type, TA_MSG_AUTH_RESP);
        assert_int_equal(m.id, 0xffffffffu);
        assert_int_equal(m.u.auth_resp.result, results[i]);
        assert_int_equal(m.u.auth_resp.uid, uid);
    }
}

/* uid 0 is root, a real answer: OK with uid 0 is accepted. */
static void test_proto_auth_resp_ok_with_uid_zero_round_trips(void **state)
{
    unsigned char buf[32];
    ta_msg m;
    size_t len, consumed;

    (void)state;
    assert_proto_status(ta_proto_encode_auth_resp(1, TA_AUTH_OK, 0, buf, sizeof(buf), &len),
                        TA_PROTO_OK);
    assert_proto_status(ut_decode(buf, len, &m, &consumed), TA_PROTO_OK);
    assert_int_equal(m.u.auth_resp.result, TA_AUTH_OK);
    assert_int_equal(m.u.auth_resp.uid, 0);
}

static void test_proto_error_round_trips_every_code(void **state)
{
    unsigned char buf[32];
    ta_msg m;
    size_t len, consumed;

    (void)state;
    for (int code = TA_PROTO_ERR_MALFORMED; code <= TA_PROTO_ERR_INTERNAL; code++) {
        ut_frame_t f;
        unsigned char body = (unsigned char)code;

        ut_frame(&f, 0x7f, 42, &body, 1);
        assert_proto_status(ta_proto_encode_error(42, code, buf, sizeof(buf), &len), TA_PROTO_OK);
        assert_int_equal(len, 13);
        assert_memory_equal(buf, f.b, len);
        assert_proto_status(ut_decode(buf, len, &m, &consumed), TA_PROTO_OK);
        assert_int_equal(m.type, TA_MSG_ERROR);
        assert_int_equal(m.id, 42);
        assert_int_equal(m.u.error.code, code);
        assert_string_not_equal(ta_proto_error_name(code), "unknown");
    }
}

/* Several requests in flight share one stream: frames are decoded one after another. */
static void test_proto_decodes_back_to_back_frames(void **state)
{
    unsigned char buf[256];
    size_t a, b, c, off = 0, consumed, flen;
    ta_msg m;

    (void)state;
    assert_proto_status(
        ta_proto_encode_auth_req(1, "svc", "bob", 3, "pw", 2, "::1", buf, sizeof(buf), &a),
        TA_PROTO_OK);
    assert_proto_status(
        ta_proto_encode_error(2, TA_PROTO_ERR_INTERNAL, buf + a, sizeof(buf) - a, &b), TA_PROTO_OK);
    assert_proto_status(
        ta_proto_encode_auth_resp(3, TA_AUTH_OK, 1000, buf + a + b, sizeof(buf) - a - b, &c),
        TA_PROTO_OK);
    for (uint32_t id = 1; id <= 3; id++) {
        assert_proto_status(ta_proto_frame_len(buf + off, a + b + c - off, &flen), TA_PROTO_OK);
        assert_proto_status(ta_proto_decode(buf + off, a + b + c - off, &m, &consumed),
                            TA_PROTO_OK);
        assert_int_equal(consumed, flen);
        assert_int_equal(m.id, id);
        off += consumed;
    }
    assert_int_equal(off, a + b + c);
    assert_string_equal(ta_auth_result_name(m.u.auth_resp.result), "ok");
    assert_int_equal(m.u.auth_resp.uid, 1000);
}

/* --- the header ---------------------------------------------------------------------------- */

static void test_proto_frame_len_reads_header_only(void **state)
{
    ut_frame_t f;
    size_t flen = 0;

    (void)state;
    ut_frame(&f, 1, UT_ID, NULL, 0);
    ut_be32(f.b + 8, TA_PROTO_MAX_BODY); /* the body is not there; the header is enough */
    assert_proto_status(ta_proto_frame_len(f.b, 12, &flen), TA_PROTO_OK);
    assert_int_equal(flen, TA_PROTO_MAX_FRAME);
    assert_int_equal(ta_proto_request_id(f.b, 12), UT_ID);
    assert_int_equal(ta_proto_request_id(f.b, 11), 0);
}

static void test_proto_refuses_bad_magic(void **state)
{
    ut_frame_t f;
    size_t flen = 5;

    (void)state;
    ut_auth_frame(&f, "svc", "alice", "pw", "");
    f.b[0] = 't';
    assert_refused(&f, TA_PROTO_BAD_MAGIC);
    assert_proto_status(ta_proto_frame_len(f.b, f.len, &flen), TA_PROTO_BAD_MAGIC);
    assert_int_equal(flen, 0);
    f.b[0] = 'T';
    f.b[1] = 'B';
    assert_refused(&f, TA_PROTO_BAD_MAGIC);
    memcpy(f.b, "GET / HTTP/1.0\r\n\r\n", 18); /* someone talking HTTP to the socket */
    assert_refused(&f, TA_PROTO_BAD_MAGIC);
}

static void test_proto_refuses_version_2_and_0(void **state)
{
    ut_frame_t f;

    (void)state;
    ut_auth_frame(&f, "svc", "alice", "pw", "");
    f.b[2] = 2;
    assert_refused(&f, TA_PROTO_BAD_VERSION);
    f.b[2] = 0;
    assert_refused(&f, TA_PROTO_BAD_VERSION);
}

/* Type 0 and anything else unknown. */
static void test_proto_refuses_unknown_types(void **state)
{
    static const unsigned char types[] = {0, 7, 8, 0x7e, 0x80, 0xff};
    ut_frame_t f;

    (void)state;
    for (size_t i = 0; i < sizeof(types); i++) {
        ut_frame(&f, types[i], UT_ID, "\x01", 1);
        assert_refused(&f, TA_PROTO_BAD_TYPE);
    }
}

/* 16384 is the largest body; 16385 is refused from the header alone, before the body is read. */
static void test_proto_refuses_body_length_16385(void **state)
{
    ut_frame_t f;
    size_t flen;

    (void)state;
    ut_frame(&f, 1, UT_ID, NULL, 0);
    ut_be32(f.b + 8, TA_PROTO_MAX_BODY + 1);
    assert_refused(&f, TA_PROTO_TOO_LARGE);
    assert_proto_status(ta_proto_frame_len(f.b, 12, &flen), TA_PROTO_TOO_LARGE);
    ut_be32(f.b + 8, 0xffffffffu);
    assert_refused(&f, TA_PROTO_TOO_LARGE);
}

/* A whole body of the largest size is read, and refused for what it holds, not its size. */
static void test_proto_body_of_16384_bytes_is_framed_then_refused_as_malformed(void **state)
{
    static unsigned char body[TA_PROTO_MAX_BODY];
    static ut_frame_t f;

    (void)state;
    memset(body, 'x', sizeof(body));
    ut_frame(&f, 1, UT_ID, body, sizeof(body));
    assert_refused(&f, TA_PROTO_MALFORMED);
}

static void test_proto_truncated_header_needs_more(void **state)
{
    ut_frame_t f;
    size_t flen = 5;

    (void)state;
    ut_auth_frame(&f, "svc", "alice", "pw", "10.0.0.1");
    for (size_t n = 0; n < 12; n++) {
        ut_frame_t g = f;

        g.len = n;
        assert_refused(&g, TA_PROTO_NEED_MORE);
        assert_proto_status(ta_proto_frame_len(f.b, n, &flen), TA_PROTO_NEED_MORE);
        assert_int_equal(flen, 0);
    }
}

static void test_proto_truncated_body_needs_more(void **state)
{
    ut_frame_t f;
    size_t flen;

    (void)state;
    ut_auth_frame(&f, "svc", "alice", "pw", "10.0.0.1");
    for (size_t n = 12; n < f.len; n++) {
        ut_frame_t g = f;

        g.len = n;
        assert_proto_status(ta_proto_frame_len(g.b, n, &flen), TA_PROTO_OK);
        assert_int_equal(flen, f.len);
        assert_refused(&g, TA_PROTO_NEED_MORE);
    }
}

/* A field length that points past the end of the body (but not past the buffer: a second
 * frame follows, and the decoder must not wander into it). */
static void test_proto_refuses_field_length_past_body(void **state)
{
    unsigned char body[64];
    ut_frame_t f;
    size_t n = ut_auth_body(body, "svc", 3, "alice", 5, "pw", 2, "", 0);

    (void)state;
    body[n - 1] = 1; /* rhost claims one byte the body does not have */
    ut_frame(&f, 1, UT_ID, body, n);
    memcpy(f.b + f.len, "1", 1);
    f.len += 1;
    assert_proto_status(ut_decode(f.b, f.len, &(ta_msg){0}, &(size_t){0}), TA_PROTO_MALFORMED);

    body[0] = 0xff; /* service claims 65283 bytes */
    ut_frame(&f, 1, UT_ID, body, n);
    assert_refused(&f, TA_PROTO_MALFORMED);
    ut_frame(&f, 1, UT_ID, body, 1); /* half a length */
    assert_refused(&f, TA_PROTO_MALFORMED);
}

/* The same at the very end of the buffer: one or two bytes claimed past the end of the body
 * (valgrind sees any read of them, as each decode reads an exact heap copy). */
static void test_proto_refuses_last_field_longer_than_rest_of_buffer(void **state)
{
    unsigned char body[64];
    ut_frame_t f;
    size_t n = ut_auth_body(body, "svc", 3, "alice", 5, "pw", 2, "::", 2);

    (void)state;
    for (unsigned extra = 1; extra <= 2; extra++) {
        body[n - 3] = (unsigned char)(2 + extra);
        ut_frame(&f, 1, UT_ID, body, n);
        assert_refused(&f, TA_PROTO_MALFORMED);
    }
    body[n - 3] = 2;
    ut_frame(&f, 1, UT_ID, body, n);
    assert_proto_status(ut_decode(f.b, f.len, &(ta_msg){0}, &(size_t){0}), TA_PROTO_OK);
}

static void test_proto_refuses_missing_fields(void **state)
{
    unsigned char body[64];
    ut_frame_t f;
    size_t n = ut_auth_body(body, "svc", 3, "alice", 5, "pw", 2, "", 0);

    (void)state;
    ut_frame(&f, 1, UT_ID, body, n - 2); /* no rhost */
    assert_refused(&f, TA_PROTO_MALFORMED);
    ut_frame(&f, 1, UT_ID, body, 0);
    assert_refused(&f, TA_PROTO_MALFORMED);
}

static void test_proto_refuses_trailing_byte_in_body(void **state)
{
    unsigned char body[64];
    ut_frame_t f;
    size_t n = ut_auth_body(body, "svc", 3, "alice", 5, "pw", 2, "", 0);

    (void)state;
    body[n] = 0;
    ut_frame(&f, 1, UT_ID, body, n + 1);
    assert_refused(&f, TA_PROTO_MALFORMED);
}

static void test_proto_refuses_user_with_control_character(void **state)
{
    (void)state;
    assert_auth_refused("svc", 3, "ali\nce", 6, "pw", 2, "", 0);
    assert_auth_refused("svc", 3, "ali\x1f", 4, "pw", 2, "", 0);
    assert_auth_refused("svc", 3, "ali\x7f", 4, "pw", 2, "", 0);
}

static void test_proto_refuses_user_with_nul(void **state)
{
    (void)state;
    assert_auth_refused("svc", 3, "root\0x", 6, "pw", 2, "", 0);
    assert_encode_refused("svc", "root\0x", 6, "pw", 2, "");
}

static void test_proto_refuses_user_of_257_bytes(void **state)
{
    char user[257];

    (void)state;
    memset(user, 'u', sizeof(user));
    assert_auth_refused("svc", 3, user, 257, "pw", 2, "", 0);
    assert_encode_refused("svc", user, 257, "pw", 2, "");
}

static void test_proto_refuses_empty_user(void **state)
{
    (void)state;
    assert_auth_refused("svc", 3, "", 0, "pw", 2, "", 0);
    assert_encode_refused("svc", "", 0, "pw", 2, "");
}

static void test_proto_refuses_service_with_slash(void **state)
{
    (void)state;
    assert_auth_refused("../x/y", 6, "alice", 5, "pw", 2, "", 0);
    assert_encode_refused("../x/y", "alice", 5, "pw", 2, "");
    assert_encode_refused("a b", "alice", 5, "pw", 2, "");
}

static void test_proto_refuses_empty_or_65_byte_service(void **state)
{
    char service[66];

    (void)state;
    memset(service, 's', 65);
    service[65] = '\0';
    assert_auth_refused("", 0, "alice", 5, "pw", 2, "", 0);
    assert_auth_refused(service, 65, "alice", 5, "pw", 2, "", 0);
    assert_encode_refused("", "alice", 5, "pw", 2, "");
    assert_encode_refused(service, "alice", 5, "pw", 2, "");
}

static void test_proto_refuses_password_of_1025_bytes(void **state)
{
    char password[1025];

    (void)state;
    memset(password, 'p', sizeof(password));
    assert_auth_refused("svc", 3, "alice", 5, password, 1025, "", 0);
    assert_encode_refused("svc", "alice", 5, password, 1025, "");
}

/* A password cut at a NUL would be checked as a shorter password: refused, not truncated. */
static void test_proto_refuses_password_with_nul(void **state)
{
    (void)state;
    assert_auth_refused("svc", 3, "alice", 5, "pw\0rest", 7, "", 0);
    assert_encode_refused("svc", "alice", 5, "pw\0rest", 7, "");
}

static void test_proto_refuses_rhost_with_space(void **state)
{
    (void)state;
    assert_auth_refused("svc", 3, "alice", 5, "pw", 2, "10.0.0.1 x", 10);
    assert_auth_refused("svc", 3, "alice", 5, "pw", 2, "::1\x80", 4);
    assert_encode_refused("svc", "alice", 5, "pw", 2, "10.0.0.1 x");
    assert_encode_refused("svc", "alice", 5, "pw", 2, "::1\t");
}

static void test_proto_refuses_rhost_of_65_bytes(void **state)
{
    char rhost[66];

    (void)state;
    memset(rhost, '1', 65);
    rhost[65] = '\0';
    assert_auth_refused("svc", 3, "alice", 5, "pw", 2, rhost, 65);
    assert_encode_refused("svc", "alice", 5, "pw", 2, rhost);
}

static void test_proto_refuses_null_fields_in_encoder(void **state)
{
    (void)state;
    assert_encode_refused(NULL, "alice", 5, "pw", 2, "");
    assert_encode_refused("svc", NULL, 0, "pw", 2, "");
    assert_encode_refused("svc", "alice", 5, NULL, 0, "");
    assert_encode_refused("svc", "alice", 5, "pw", 2, NULL);
}

static void test_proto_refuses_auth_resp_of_4_or_6_bytes(void **state)
{
    static const unsigned char body[6] = {0, 0, 0, 3, 0xe8, 0};
    ut_frame_t f;

    (void)state;
    ut_frame(&f, 2, UT_ID, body, 4);
    assert_refused(&f, TA_PROTO_MALFORMED);
    ut_frame(&f, 2, UT_ID, body, 6);
    assert_refused(&f, TA_PROTO_MALFORMED);
    ut_frame(&f, 2, UT_ID, body, 0);
    assert_refused(&f, TA_PROTO_MALFORMED);
    ut_frame(&f, 2, UT_ID, body, 5);
    assert_proto_status(ut_decode(f.b, f.len, &(ta_msg){0}, &(size_t){0}), TA_PROTO_OK);
}

static void test_proto_refuses_auth_result_4(void **state)
{
    unsigned char body[5] = {4, 0, 0, 0, 0}, buf[32];
    ut_frame_t f;
    size_t len = 9;

    (void)state;
    ut_frame(&f, 2, UT_ID, body, 5);
    assert_refused(&f, TA_PROTO_MALFORMED);
    body[0] = 0xff;
    ut_frame(&f, 2, UT_ID, body, 5);
    assert_refused(&f, TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_encode_auth_resp(UT_ID, 4, 0, buf, sizeof(buf), &len),
                        TA_PROTO_MALFORMED);
    assert_int_equal(len, 0);
    assert_proto_status(ta_proto_encode_auth_resp(UT_ID, -1, 0, buf, sizeof(buf), &len),
                        TA_PROTO_MALFORMED);
}

/* A refusal that names a uid is contradictory: refused both ways. */
static void test_proto_refuses_uid_with_failed_result(void **state)
{
    unsigned char body[5] = {TA_AUTH_BAD_CREDENTIALS, 0, 0, 0, 1}, buf[32];
    ut_frame_t f;
    size_t len;

    (void)state;
    ut_frame(&f, 2, UT_ID, body, 5);
    assert_refused(&f, TA_PROTO_MALFORMED);
    assert_proto_status(
        ta_proto_encode_auth_resp(UT_ID, TA_AUTH_UNAVAILABLE, 1000, buf, sizeof(buf), &len),
        TA_PROTO_MALFORMED);
}

static void test_proto_refuses_bad_error_frames(void **state)
{
    static const unsigned char body[2] = {1, 1};
    unsigned char bad = 6, buf[32];
    ut_frame_t f;
    size_t len;

    (void)state;
    ut_frame(&f, 0x7f, UT_ID, body, 0);
    assert_refused(&f, TA_PROTO_MALFORMED);
    ut_frame(&f, 0x7f, UT_ID, body, 2);
    assert_refused(&f, TA_PROTO_MALFORMED);
    ut_frame(&f, 0x7f, UT_ID, &bad, 1);
    assert_refused(&f, TA_PROTO_MALFORMED);
    bad = 0;
    ut_frame(&f, 0x7f, UT_ID, &bad, 1);
    assert_refused(&f, TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_encode_error(UT_ID, 0, buf, sizeof(buf), &len),
                        TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_encode_error(UT_ID, 6, buf, sizeof(buf), &len),
                        TA_PROTO_MALFORMED);
}

/* --- encoders: room ------------------------------------------------------------------------ */

/* One byte short of the frame is NO_ROOM and nothing is written; exactly enough is fine. */
static void test_proto_encoders_need_room_for_whole_frame(void **state)
{
    unsigned char buf[64];
    size_t len = 5, need = 12 + 8 + 3 + 5 + 2 + 3;

    (void)state;
    memset(buf, 0xee, sizeof(buf));
    assert_proto_status(
        ta_proto_encode_auth_req(1, "svc", "alice", 5, "pw", 2, "::1", buf, need - 1, &len),
        TA_PROTO_NO_ROOM);
    assert_int_equal(len, 0);
    assert_true(buf[0] == 0xee && buf[need - 2] == 0xee);
    assert_proto_status(
        ta_proto_encode_auth_req(1, "svc", "alice", 5, "pw", 2, "::1", buf, need, &len),
        TA_PROTO_OK);
    assert_int_equal(len, need);

    assert_proto_status(ta_proto_encode_auth_resp(1, TA_AUTH_OK, 5, buf, 16, &len),
                        TA_PROTO_NO_ROOM);
    assert_proto_status(ta_proto_encode_auth_resp(1, TA_AUTH_OK, 5, buf, 17, &len), TA_PROTO_OK);
    assert_proto_status(ta_proto_encode_error(1, TA_PROTO_ERR_MALFORMED, buf, 12, &len),
                        TA_PROTO_NO_ROOM);
    assert_proto_status(ta_proto_encode_error(1, TA_PROTO_ERR_MALFORMED, buf, 0, &len),
                        TA_PROTO_NO_ROOM);
    assert_proto_status(ta_proto_encode_error(1, TA_PROTO_ERR_MALFORMED, buf, 13, &len),
                        TA_PROTO_OK);
}

/* --- secrets ------------------------------------------------------------------------------- */

static void test_proto_msg_wipe_zeroes_password(void **state)
{
    unsigned char buf[128];
    ta_msg *m = malloc(sizeof(*m));
    size_t len, consumed;

    (void)state;
    assert_non_null(m);
    assert_proto_status(
        ta_proto_encode_auth_req(1, "svc", "alice", 5, "hunter2", 7, "", buf, sizeof(buf), &len),
        TA_PROTO_OK);
    assert_proto_status(ta_proto_decode(buf, len, m, &consumed), TA_PROTO_OK);
    assert_string_equal(m->u.auth_req.password, "hunter2");
    ta_msg_wipe(m);
    assert_true(ut_all_zero(m->u.auth_req.password, sizeof(m->u.auth_req.password)));
    assert_true(ut_all_zero(m, sizeof(*m)));
    free(m);
}

/* Decoding into a message that held a longer password leaves none of it behind. */
static void test_proto_decode_leaves_no_earlier_password(void **state)
{
    unsigned char buf[128];
    ta_msg m;
    size_t len, consumed;

    (void)state;
    assert_proto_status(ta_proto_encode_auth_req(1, "svc", "alice", 5, "longer-secret", 13, "", buf,
                                                 sizeof(buf), &len),
                        TA_PROTO_OK);
    assert_proto_status(ta_proto_decode(buf, len, &m, &consumed), TA_PROTO_OK);
    assert_proto_status(
        ta_proto_encode_auth_req(2, "svc", "bob", 3, "ab", 2, "", buf, sizeof(buf), &len),
        TA_PROTO_OK);
    assert_proto_status(ta_proto_decode(buf, len, &m, &consumed), TA_PROTO_OK);
    assert_string_equal(m.u.auth_req.password, "ab");
    assert_true(ut_all_zero(m.u.auth_req.password + 2, sizeof(m.u.auth_req.password) - 2));
    ta_msg_wipe(&m);
}

/* --- file requests (OPEN_REQ, LIST_REQ) ---------------------------------------------------- */

/* A file request body: flags, then user, subdir and path with explicit lengths. */
static size_t ut_file_body(unsigned char *body, unsigned char flags, const char *user, size_t un,
                           const char *subdir, size_t sn, const char *path, size_t pn)
{
    size_t at;

    body[0] = flags;
    at = ut_field(body, 1, user, un);
    at = ut_field(body, at, subdir, sn);
    return ut_field(body, at, path, pn);
}

static void assert_file_req_refused(unsigned char flags, const char *user, size_t un,
                                    const char *subdir, size_t sn, const char *path, size_t pn)
{
    static unsigned char body[TA_PROTO_MAX_BODY];
    static ut_frame_t f;
    size_t n = ut_file_body(body, flags, user, un, subdir, sn, path, pn);

    ut_frame(&f, TA_MSG_OPEN_REQ, UT_ID, body, n);
    assert_refused(&f, TA_PROTO_MALFORMED);
    ut_frame(&f, TA_MSG_LIST_REQ, UT_ID, body, n);
    assert_refused(&f, TA_PROTO_MALFORMED);
}

/* The encoder refuses the request as MALFORMED for both types, writing nothing. */
static void assert_file_encode_refused(unsigned flags, const char *user, const char *subdir,
                                       const char *path)
{
    static unsigned char buf[TA_PROTO_MAX_FRAME];
    static const int types[] = {TA_MSG_OPEN_REQ, TA_MSG_LIST_REQ};

    for (size_t i = 0; i < 2; i++) {
        size_t len = 77;

        memset(buf, 0xee, sizeof(buf));
        assert_proto_status(ta_proto_encode_file_req(types[i], UT_ID, flags, user, subdir, path,
                                                     buf, sizeof(buf), &len),
                            TA_PROTO_MALFORMED);
        assert_int_equal(len, 0);
        assert_true(buf[0] == 0xee && buf[sizeof(buf) - 1] == 0xee);
    }
}

static void test_proto_open_req_round_trips(void **state)
{
    unsigned char buf[256], body[128];
    ut_frame_t f;
    ta_msg m;
    size_t len = 0, consumed = 0;

    (void)state;
    assert_proto_status(ta_proto_encode_file_req(TA_MSG_OPEN_REQ, UT_ID, TA_PROTO_FILE_OWNER_ONLY,
                                                 "alice", "public_html", "a/b.jpg", buf,
                                                 sizeof(buf), &len),
                        TA_PROTO_OK);
    ut_frame(&f, 3, UT_ID, body,
             ut_file_body(body, 1, "alice", 5, "public_html", 11, "a/b.jpg", 7));
    assert_int_equal(len, f.len);
    assert_memory_equal(buf, f.b, len);

    assert_proto_status(ut_decode(buf, len, &m, &consumed), TA_PROTO_OK);
    assert_int_equal(consumed, len);
    assert_int_equal(m.type, TA_MSG_OPEN_REQ);
    assert_int_equal(m.id, UT_ID);
    assert_int_equal(m.u.file_req.flags, TA_PROTO_FILE_OWNER_ONLY);
    assert_string_equal(m.u.file_req.user, "alice");
    assert_string_equal(m.u.file_req.subdir, "public_html");
    assert_string_equal(m.u.file_req.path, "a/b.jpg");
}

/* Every field at its longest, both flags, UTF-8; and the empty path (the subdir itself). */
static void test_proto_list_req_round_trips_longest_and_empty_path(void **state)
{
    static char user[257], subdir[256], path[4097];
    static unsigned char buf[TA_PROTO_MAX_FRAME];
    static ta_msg m;
    size_t len = 0, consumed = 0;

    (void)state;
    memset(user, 'u', 256);
    memset(subdir, 's', 255);
    for (size_t i = 0; i < 4096; i++)
        path[i] = (char)(0x20 + i % 0xe0); /* 0x20..0xff but 0x7f: ... */
    for (size_t i = 0; i < 4096; i++)
        if ((unsigned char)path[i] == 0x7f)
            path[i] = '/';
    subdir[0] = (char)0xc3;
    subdir[1] = (char)0xa9;
    assert_proto_status(ta_proto_encode_file_req(TA_MSG_LIST_REQ, 9, TA_PROTO_FILE_FLAGS, user,
                                                 subdir, path, buf, sizeof(buf), &len),
                        TA_PROTO_OK);
    assert_int_equal(len, 12 + 1 + 6 + 256 + 255 + 4096);
    assert_proto_status(ut_decode(buf, len, &m, &consumed), TA_PROTO_OK);
    assert_int_equal(m.type, TA_MSG_LIST_REQ);
    assert_int_equal(m.u.file_req.flags, 3);
    assert_string_equal(m.u.file_req.user, user);
    assert_string_equal(m.u.file_req.subdir, subdir);
    assert_string_equal(m.u.file_req.path, path);

    assert_proto_status(
        ta_proto_encode_file_req(TA_MSG_LIST_REQ, 9, 0, "bob", "www", "", buf, sizeof(buf), &len),
        TA_PROTO_OK);
    assert_int_equal(len, 12 + 1 + 6 + 3 + 3);
    assert_proto_status(ut_decode(buf, len, &m, &consumed), TA_PROTO_OK);
    assert_string_equal(m.u.file_req.path, "");
    assert_int_equal(m.u.file_req.flags, 0);
}

/* A flag this version does not know must not be silently ignored: bits 2-7 are refused. */
static void test_proto_file_req_refuses_unknown_flag_bits(void **state)
{
    (void)state;
    for (unsigned bit = 2; bit < 8; bit++) {
        assert_file_req_refused((unsigned char)(1u << bit), "alice", 5, "www", 3, "a", 1);
        assert_file_encode_refused(1u << bit, "alice", "www", "a");
    }
    assert_file_encode_refused(0x100, "alice", "www", "a");
}

static void test_proto_file_req_refuses_control_characters(void **state)
{
    (void)state;
    assert_file_req_refused(0, "ali\nce", 6, "www", 3, "a", 1);
    assert_file_req_refused(0, "alice", 5, "w\tw", 3, "a", 1);
    assert_file_req_refused(0, "alice", 5, "www", 3, "a\x7f", 2);
    assert_file_req_refused(0, "alice", 5, "www", 3, "a\r\nb", 4);
    assert_file_req_refused(0, "alice", 5, "www", 3, "\x1b[31m", 5);
    assert_file_encode_refused(0, "ali\nce", "www", "a");
    assert_file_encode_refused(0, "alice", "w\x01w", "a");
    assert_file_encode_refused(0, "alice", "www", "a\nb");
}

/* A NUL would cut the path short where the helper takes it as a C string. */
static void test_proto_file_req_refuses_nul(void **state)
{
    (void)state;
    assert_file_req_refused(0, "alice", 5, "www", 3, "a.txt\0.jpg", 10);
    assert_file_req_refused(0, "alice", 5, "w\0w", 3, "a", 1);
    assert_file_req_refused(0, "root\0x", 6, "www", 3, "a", 1);
}

static void test_proto_file_req_refuses_lengths_outside_limits(void **state)
{
    static char user[258], subdir[257], path[4098];

    (void)state;
    memset(user, 'u', 257);
    memset(subdir, 's', 256);
    memset(path, 'p', 4097);
    assert_file_req_refused(0, "", 0, "www", 3, "a", 1);
    assert_file_req_refused(0, user, 257, "www", 3, "a", 1);
    assert_file_req_refused(0, "alice", 5, "", 0, "a", 1);
    assert_file_req_refused(0, "alice", 5, subdir, 256, "a", 1);
    assert_file_req_refused(0, "alice", 5, "www", 3, path, 4097);
    assert_file_encode_refused(0, "", "www", "a");
    assert_file_encode_refused(0, "alice", "", "a");
    user[257] = subdir[256] = path[4097] = '\0';
    assert_file_encode_refused(0, user, "www", "a");
    assert_file_encode_refused(0, "alice", subdir, "a");
    assert_file_encode_refused(0, "alice", "www", path);
    assert_file_encode_refused(0, NULL, "www", "a");
    assert_file_encode_refused(0, "alice", NULL, "a");
    assert_file_encode_refused(0, "alice", "www", NULL);
}

static void test_proto_file_req_refuses_bad_framing_of_fields(void **state)
{
    unsigned char body[64];
    ut_frame_t f;
    size_t n = ut_file_body(body, 0, "alice", 5, "www", 3, "a/b", 3);

    (void)state;
    body[n] = 'x'; /* a trailing byte */
    ut_frame(&f, TA_MSG_OPEN_REQ, UT_ID, body, n + 1);
    assert_refused(&f, TA_PROTO_MALFORMED);
    ut_frame(&f, TA_MSG_OPEN_REQ, UT_ID, body, n - 3 - 2); /* no path field */
    assert_refused(&f, TA_PROTO_MALFORMED);
    ut_frame(&f, TA_MSG_OPEN_REQ, UT_ID, body, n - 1); /* path one byte short */
    assert_refused(&f, TA_PROTO_MALFORMED);
    ut_frame(&f, TA_MSG_LIST_REQ, UT_ID, body, 1); /* flags alone */
    assert_refused(&f, TA_PROTO_MALFORMED);
    ut_frame(&f, TA_MSG_LIST_REQ, UT_ID, body, 0);
    assert_refused(&f, TA_PROTO_MALFORMED);
    body[1] = 0xff; /* user claims 65280+ bytes */
    ut_frame(&f, TA_MSG_OPEN_REQ, UT_ID, body, n);
    assert_refused(&f, TA_PROTO_MALFORMED);
}

/* Only OPEN_REQ and LIST_REQ are file requests; the encoder refuses any other type. */
static void test_proto_file_req_encoder_refuses_other_types(void **state)
{
    unsigned char buf[64];
    size_t len = 5;

    (void)state;
    for (int type = 0; type < 0x80; type++)
        if (type != TA_MSG_OPEN_REQ && type != TA_MSG_LIST_REQ)
            assert_proto_status(
                ta_proto_encode_file_req(type, 1, 0, "a", "b", "c", buf, sizeof(buf), &len),
                TA_PROTO_MALFORMED);
    assert_proto_status(
        ta_proto_encode_file_req(TA_MSG_OPEN_REQ, 1, 0, "a", "b", "c", buf, 12 + 1 + 6 + 2, &len),
        TA_PROTO_NO_ROOM);
    assert_int_equal(len, 0);
    assert_proto_status(
        ta_proto_encode_file_req(TA_MSG_OPEN_REQ, 1, 0, "a", "b", "c", buf, 12 + 1 + 6 + 3, &len),
        TA_PROTO_OK);
}

/* --- OPEN_RESP ------------------------------------------------------------------------------ */

static void ut_be64(unsigned char *p, uint64_t v)
{
    ut_be32(p, (uint32_t)(v >> 32));
    ut_be32(p + 4, (uint32_t)v);
}

static void ut_open_resp_body(unsigned char body[41], unsigned status, uint32_t mode, uint64_t size,
                              int64_t mtime, uint32_t nsec, uint64_t ino, uint64_t dev)
{
    body[0] = (unsigned char)status;
    ut_be32(body + 1, mode);
    ut_be64(body + 5, size);
    ut_be64(body + 13, (uint64_t)mtime);
    ut_be32(body + 21, nsec);
    ut_be64(body + 25, ino);
    ut_be64(body + 33, dev);
}

static void assert_open_resp_refused(unsigned status, uint32_t mode, uint64_t size, int64_t mtime,
                                     uint32_t nsec, uint64_t ino, uint64_t dev)
{
    unsigned char body[41], buf[64];
    ta_file_info fi = {mode, size, mtime, nsec, ino, dev};
    ut_frame_t f;
    size_t len = 3;

    ut_open_resp_body(body, status, mode, size, mtime, nsec, ino, dev);
    ut_frame(&f, TA_MSG_OPEN_RESP, UT_ID, body, sizeof(body));
    assert_refused(&f, TA_PROTO_MALFORMED);
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
    unsigned char buf[64], body[41];
    ut_frame_t f;
    ta_msg m;
    size_t len, consumed;

    (void)state;
    for (int st = 0; st < 2; st++) {
        ut_open_resp_body(body, (unsigned)st, fi[st]->mode, fi[st]->size, fi[st]->mtime_sec,
                          fi[st]->mtime_nsec, fi[st]->ino, fi[st]->dev);
        ut_frame(&f, 4, UT_ID, body, sizeof(body));
        assert_proto_status(ta_proto_encode_open_resp(UT_ID, st, fi[st], buf, sizeof(buf), &len),
                            TA_PROTO_OK);
        assert_int_equal(len, 12 + TA_PROTO_OPEN_RESP_LEN);
        assert_memory_equal(buf, f.b, len);
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

/* A refusal carries its status and nothing else. */
static void test_proto_open_resp_round_trips_every_refusal(void **state)
{
    static const unsigned char zeros[40];
    unsigned char buf[64];
    ta_msg m;
    size_t len, consumed;

    (void)state;
    for (int st = 2; st <= TA_PROTO_FILE_STATUS_MAX; st++) {
        assert_proto_status(ta_proto_encode_open_resp(7, st, NULL, buf, sizeof(buf), &len),
                            TA_PROTO_OK);
        assert_int_equal(len, 53);
        assert_int_equal(buf[12], st);
        assert_memory_equal(buf + 13, zeros, sizeof(zeros));
        assert_proto_status(ut_decode(buf, len, &m, &consumed), TA_PROTO_OK);
        assert_int_equal(m.u.open_resp.status, st);
        assert_int_equal(m.u.open_resp.info.mode, 0);
    }
    /* OK and IS_DIR need their file information */
    assert_proto_status(ta_proto_encode_open_resp(7, 0, NULL, buf, sizeof(buf), &len),
                        TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_encode_open_resp(7, 1, NULL, buf, sizeof(buf), &len),
                        TA_PROTO_MALFORMED);
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
    assert_open_resp_refused(4, 0, 0, -1, 0, 0, 0);
    assert_open_resp_refused(5, 0, 0, 0, 1, 0, 0);
    assert_open_resp_refused(2, 0, 0, 0, 0, 1, 0);
    assert_open_resp_refused(7, 0, 0, 0, 0, 0, 0); /* no such status */
    assert_open_resp_refused(0xff, 0, 0, 0, 0, 0, 0);
}

static void test_proto_open_resp_refuses_40_or_42_bytes(void **state)
{
    unsigned char body[42] = {0};
    ut_frame_t f;

    (void)state;
    ut_open_resp_body(body, 2, 0, 0, 0, 0, 0, 0);
    ut_frame(&f, TA_MSG_OPEN_RESP, UT_ID, body, 40);
    assert_refused(&f, TA_PROTO_MALFORMED);
    ut_frame(&f, TA_MSG_OPEN_RESP, UT_ID, body, 42);
    assert_refused(&f, TA_PROTO_MALFORMED);
    ut_frame(&f, TA_MSG_OPEN_RESP, UT_ID, body, 0);
    assert_refused(&f, TA_PROTO_MALFORMED);
    ut_frame(&f, TA_MSG_OPEN_RESP, UT_ID, body, 41);
    assert_proto_status(ut_decode(f.b, f.len, &(ta_msg){0}, &(size_t){0}), TA_PROTO_OK);
}

/* --- LIST_RESP ------------------------------------------------------------------------------ */

/* A listing built by hand into a heap buffer: header, status, truncated, count, entries. */
typedef struct {
    unsigned char *b;
    size_t len;
} ut_list_t;

static void ut_list_start(ut_list_t *l, unsigned status, unsigned truncated, uint32_t count)
{
    l->b = malloc(TA_PROTO_MAX_LIST_FRAME + 64);
    assert_non_null(l->b);
    memcpy(l->b, "TA\x01\x06", 4);
    ut_be32(l->b + 4, UT_ID);
    l->b[12] = (unsigned char)status;
    l->b[13] = (unsigned char)truncated;
    ut_be32(l->b + 14, count);
    l->len = 18;
}

static void ut_list_entry(ut_list_t *l, unsigned type, uint64_t size, int64_t mtime,
                          const char *name, size_t nl)
{
    unsigned char *p = l->b + l->len;

    p[0] = (unsigned char)type;
    ut_be64(p + 1, size);
    ut_be64(p + 9, (uint64_t)mtime);
    p[17] = (unsigned char)(nl >> 8);
    p[18] = (unsigned char)nl;
    memcpy(p + 19, name, nl);
    l->len += 19 + nl;
}

/* Set the body length from what was written, decode, free; the status. */
static ta_proto_status ut_list_decode(ut_list_t *l, ta_msg *m)
{
    size_t consumed = 0;
    ta_proto_status st;

    ut_be32(l->b + 8, (uint32_t)(l->len - 12));
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

    ut_list_start(&l, 1, 0, 1);
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
    assert_proto_status(ta_proto_list_begin(&w, UT_ID, 1, buf, TA_PROTO_MAX_LIST_FRAME),
                        TA_PROTO_OK);
    assert_proto_status(ta_proto_list_add(&w, 0, 12345, -5, "a.jpg", 5), TA_PROTO_OK);
    assert_proto_status(ta_proto_list_add(&w, 1, 4096, 1700000000, "sub dir", 7), TA_PROTO_OK);
    assert_proto_status(ta_proto_list_add(&w, 0, UINT64_MAX, INT64_MIN, longest, 255), TA_PROTO_OK);
    assert_proto_status(ta_proto_list_add(&w, 0, 0, 0, "\xc3\xa9\n", 3), TA_PROTO_OK);
    assert_proto_status(ta_proto_list_end(&w, 1, &len), TA_PROTO_OK);

    ut_list_start(&l, 1, 1, 4);
    ut_list_entry(&l, 0, 12345, -5, "a.jpg", 5);
    ut_list_entry(&l, 1, 4096, 1700000000, "sub dir", 7);
    ut_list_entry(&l, 0, UINT64_MAX, INT64_MIN, longest, 255);
    ut_list_entry(&l, 0, 0, 0, "\xc3\xa9\n", 3);
    ut_be32(l.b + 8, (uint32_t)(l.len - 12));
    assert_int_equal(len, l.len);
    assert_memory_equal(buf, l.b, len);
    free(l.b);

    assert_proto_status(ut_decode(buf, len, &m, &consumed), TA_PROTO_OK);
    assert_int_equal(consumed, len);
    assert_int_equal(m.type, TA_MSG_LIST_RESP);
    assert_int_equal(m.u.list_resp.status, 1);
    assert_int_equal(m.u.list_resp.truncated, 1);
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

/* An empty directory; a regular file (OK: nothing listed); a refusal (the status alone). */
static void test_proto_list_resp_round_trips_without_entries(void **state)
{
    static const int statuses[] = {1, 0, 2, 3, 4, 5, 6};
    unsigned char buf[64];
    ta_proto_list_writer w;
    ta_proto_dirent e;
    ta_msg m;
    size_t len, consumed, pos = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        assert_proto_status(ta_proto_list_begin(&w, 5, statuses[i], buf, sizeof(buf)), TA_PROTO_OK);
        assert_proto_status(ta_proto_list_end(&w, 0, &len), TA_PROTO_OK);
        assert_int_equal(len, 18);
        assert_memory_equal(buf, "TA\x01\x06\0\0\0\x05\0\0\0\x06", 12);
        assert_proto_status(ut_decode(buf, len, &m, &consumed), TA_PROTO_OK);
        assert_int_equal(m.u.list_resp.status, statuses[i]);
        assert_int_equal(m.u.list_resp.count, 0);
        assert_int_equal(m.u.list_resp.truncated, 0);
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
    assert_proto_status(ta_proto_list_begin(&w, 1, 1, buf, sizeof(buf)), TA_PROTO_OK);
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
        ut_list_start(&l, 1, 0, count);
        ut_list_entry(&l, 0, 1, 1, "a", 1);
        ut_list_entry(&l, 1, 1, 1, "b", 1);
        ut_list_entry(&l, 0, 1, 1, "c", 1);
        if (count == 3)
            assert_proto_status(ut_list_decode(&l, &m), TA_PROTO_OK);
        else
            assert_list_refused(&l);
    }
    ut_list_start(&l, 1, 0, 0xffffffffu); /* a count no body can hold: refused before the walk */
    ut_list_entry(&l, 0, 1, 1, "a", 1);
    assert_list_refused(&l);
}

static void test_proto_list_resp_refuses_bad_fixed_fields(void **state)
{
    ut_list_t l;

    (void)state;
    ut_list_start(&l, 1, 0, 1); /* entry type 2 */
    ut_list_entry(&l, 2, 1, 1, "a", 1);
    assert_list_refused(&l);
    ut_list_start(&l, 1, 2, 0); /* truncated 2 */
    assert_list_refused(&l);
    ut_list_start(&l, 7, 0, 0); /* no such status */
    assert_list_refused(&l);
    ut_list_start(&l, 0, 1, 0); /* a regular file's answer cannot be truncated */
    assert_list_refused(&l);
    ut_list_start(&l, 2, 0, 1); /* nor a refusal carry entries */
    ut_list_entry(&l, 0, 1, 1, "a", 1);
    assert_list_refused(&l);
    ut_list_start(&l, 1, 0, 0);
    l.len = 17; /* a head of 5 bytes */
    assert_list_refused(&l);
    ut_list_start(&l, 1, 0, 0);
    l.len = 12;
    assert_list_refused(&l);
}

/* A name length that reaches past the body, and an entry cut inside its fixed part. */
static void test_proto_list_resp_refuses_lengths_past_body(void **state)
{
    ut_list_t l;

    (void)state;
    ut_list_start(&l, 1, 0, 1);
    ut_list_entry(&l, 0, 1, 1, "abc", 3);
    l.len -= 1; /* the name claims 3, 2 are there */
    assert_list_refused(&l);
    ut_list_start(&l, 1, 0, 2);
    ut_list_entry(&l, 0, 1, 1, "abc", 3);
    ut_list_entry(&l, 0, 1, 1, "d", 1);
    l.len -= 5; /* the second entry ends inside its fixed part */
    assert_list_refused(&l);
    ut_list_start(&l, 1, 0, 1);
    ut_list_entry(&l, 0, 1, 1, "abc", 3);
    l.b[18 + 17] = 0xff; /* name length 65283 */
    assert_list_refused(&l);
}

/* LIST_RESP alone may be 1 MiB; every other type keeps the 16 KiB limit. */
static void test_proto_list_resp_has_its_own_body_limit(void **state)
{
    ut_frame_t f;
    size_t flen = 0;

    (void)state;
    assert_int_equal(ta_proto_body_limit(TA_MSG_LIST_RESP), 1024 * 1024);
    for (unsigned t = 1; t <= 5; t++)
        assert_int_equal(ta_proto_body_limit(t), TA_PROTO_MAX_BODY);
    assert_int_equal(ta_proto_body_limit(TA_MSG_ERROR), TA_PROTO_MAX_BODY);
    ut_frame(&f, TA_MSG_LIST_RESP, UT_ID, NULL, 0);
    ut_be32(f.b + 8, TA_PROTO_MAX_LIST_BODY);
    assert_proto_status(ta_proto_frame_len(f.b, 12, &flen), TA_PROTO_OK);
    assert_int_equal(flen, TA_PROTO_MAX_LIST_FRAME);
    ut_be32(f.b + 8, TA_PROTO_MAX_LIST_BODY + 1);
    assert_proto_status(ta_proto_frame_len(f.b, 12, &flen), TA_PROTO_TOO_LARGE);
    for (unsigned t = 1; t <= 5; t++) {
        f.b[3] = (unsigned char)t;
        ut_be32(f.b + 8, TA_PROTO_MAX_BODY + 1);
        assert_proto_status(ta_proto_frame_len(f.b, 12, &flen), TA_PROTO_TOO_LARGE);
    }
}

/* The writer fills a listing up to the limit and no further: NO_ROOM writes nothing, and what
 * was written decodes with the entries counted. */
static void test_proto_list_writer_stops_at_the_limit(void **state)
{
    static char name[256];
    unsigned char *buf = malloc(TA_PROTO_MAX_LIST_FRAME + 4096), small[18 + 19 + 3];
    ta_proto_list_writer w;
    ta_msg m;
    size_t len = 0, consumed = 0, added = 0;

    (void)state;
    assert_non_null(buf);
    memset(name, 'n', 255);
    /* a cap beyond the limit is held to it */
    assert_proto_status(ta_proto_list_begin(&w, 1, 1, buf, TA_PROTO_MAX_LIST_FRAME + 4096),
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
    assert_int_equal(added, (TA_PROTO_MAX_LIST_BODY - 6) / (19 + 255));
    assert_proto_status(ta_proto_list_add(&w, 0, 0, 0, "a", 1), TA_PROTO_OK); /* still room */
    added++;
    assert_proto_status(ta_proto_list_end(&w, 1, &len), TA_PROTO_OK);
    assert_true(len <= TA_PROTO_MAX_LIST_FRAME);
    assert_proto_status(ut_decode(buf, len, &m, &consumed), TA_PROTO_OK);
    assert_int_equal(m.u.list_resp.count, added);
    free(buf);

    assert_proto_status(ta_proto_list_begin(&w, 1, 1, small, 17), TA_PROTO_NO_ROOM);
    assert_proto_status(ta_proto_list_begin(&w, 1, 1, small, sizeof(small)), TA_PROTO_OK);
    assert_proto_status(ta_proto_list_add(&w, 0, 0, 0, "abcd", 4), TA_PROTO_NO_ROOM);
    assert_proto_status(ta_proto_list_add(&w, 0, 0, 0, "abc", 3), TA_PROTO_OK);
    assert_proto_status(ta_proto_list_add(&w, 0, 0, 0, "d", 1), TA_PROTO_NO_ROOM);
    assert_proto_status(ta_proto_list_end(&w, 1, &len), TA_PROTO_OK);
    assert_int_equal(len, sizeof(small));
}

/* Entries belong to a directory's listing only, and the writer is used in order. */
static void test_proto_list_writer_refuses_misuse(void **state)
{
    unsigned char buf[256];
    ta_proto_list_writer w;
    size_t len = 9;

    (void)state;
    assert_proto_status(ta_proto_list_begin(&w, 1, 7, buf, sizeof(buf)), TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_list_add(&w, 0, 0, 0, "a", 1), TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_list_end(&w, 0, &len), TA_PROTO_MALFORMED);
    assert_int_equal(len, 0);
    assert_proto_status(ta_proto_list_begin(&w, 1, -1, buf, sizeof(buf)), TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_list_begin(&w, 1, 0, buf, sizeof(buf)), TA_PROTO_OK);
    assert_proto_status(ta_proto_list_add(&w, 0, 0, 0, "a", 1), TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_list_end(&w, 1, &len), TA_PROTO_MALFORMED);
    assert_proto_status(ta_proto_list_begin(&w, 1, 1, buf, sizeof(buf)), TA_PROTO_OK);
    assert_proto_status(ta_proto_list_end(&w, 2, &len), TA_PROTO_MALFORMED);
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

static void test_proto_names_are_distinct_and_unknown_outside_enum(void **state)
{
    (void)state;
    for (int a = TA_PROTO_OK; a <= TA_PROTO_NO_ROOM; a++) {
        assert_string_not_equal(ta_proto_status_name((ta_proto_status)a), "unknown");
        for (int b = a + 1; b <= TA_PROTO_NO_ROOM; b++)
            assert_string_not_equal(ta_proto_status_name((ta_proto_status)a),
                                    ta_proto_status_name((ta_proto_status)b));
    }
    assert_string_equal(ta_proto_status_name((ta_proto_status)99), "unknown");
    assert_string_equal(ta_proto_status_name(TA_PROTO_NEED_MORE), "need_more");
    assert_string_equal(ta_auth_result_name(TA_AUTH_ACCOUNT_REFUSED), "account_refused");
    assert_string_equal(ta_auth_result_name(4), "unknown");
    assert_string_equal(ta_auth_result_name(-1), "unknown");
    assert_string_equal(ta_proto_error_name(TA_PROTO_ERR_TOO_LARGE), "too_large");
    assert_string_equal(ta_proto_error_name(0), "unknown");
    assert_string_equal(ta_proto_error_name(6), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proto_auth_req_round_trips),
        cmocka_unit_test(test_proto_auth_req_round_trips_longest_fields),
        cmocka_unit_test(test_proto_auth_req_round_trips_empty_password_and_rhost),
        cmocka_unit_test(test_proto_auth_resp_round_trips_every_result),
        cmocka_unit_test(test_proto_auth_resp_ok_with_uid_zero_round_trips),
        cmocka_unit_test(test_proto_error_round_trips_every_code),
        cmocka_unit_test(test_proto_decodes_back_to_back_frames),
        cmocka_unit_test(test_proto_frame_len_reads_header_only),
        cmocka_unit_test(test_proto_refuses_bad_magic),
        cmocka_unit_test(test_proto_refuses_version_2_and_0),
        cmocka_unit_test(test_proto_refuses_unknown_types),
        cmocka_unit_test(test_proto_refuses_body_length_16385),
        cmocka_unit_test(test_proto_body_of_16384_bytes_is_framed_then_refused_as_malformed),
        cmocka_unit_test(test_proto_truncated_header_needs_more),
        cmocka_unit_test(test_proto_truncated_body_needs_more),
        cmocka_unit_test(test_proto_refuses_field_length_past_body),
        cmocka_unit_test(test_proto_refuses_last_field_longer_than_rest_of_buffer),
        cmocka_unit_test(test_proto_refuses_missing_fields),
        cmocka_unit_test(test_proto_refuses_trailing_byte_in_body),
        cmocka_unit_test(test_proto_refuses_user_with_control_character),
        cmocka_unit_test(test_proto_refuses_user_with_nul),
        cmocka_unit_test(test_proto_refuses_user_of_257_bytes),
        cmocka_unit_test(test_proto_refuses_empty_user),
        cmocka_unit_test(test_proto_refuses_service_with_slash),
        cmocka_unit_test(test_proto_refuses_empty_or_65_byte_service),
        cmocka_unit_test(test_proto_refuses_password_of_1025_bytes),
        cmocka_unit_test(test_proto_refuses_password_with_nul),
        cmocka_unit_test(test_proto_refuses_rhost_with_space),
        cmocka_unit_test(test_proto_refuses_rhost_of_65_bytes),
        cmocka_unit_test(test_proto_refuses_null_fields_in_encoder),
        cmocka_unit_test(test_proto_refuses_auth_resp_of_4_or_6_bytes),
        cmocka_unit_test(test_proto_refuses_auth_result_4),
        cmocka_unit_test(test_proto_refuses_uid_with_failed_result),
        cmocka_unit_test(test_proto_refuses_bad_error_frames),
        cmocka_unit_test(test_proto_encoders_need_room_for_whole_frame),
        cmocka_unit_test(test_proto_msg_wipe_zeroes_password),
        cmocka_unit_test(test_proto_decode_leaves_no_earlier_password),
        cmocka_unit_test(test_proto_open_req_round_trips),
        cmocka_unit_test(test_proto_list_req_round_trips_longest_and_empty_path),
        cmocka_unit_test(test_proto_file_req_refuses_unknown_flag_bits),
        cmocka_unit_test(test_proto_file_req_refuses_control_characters),
        cmocka_unit_test(test_proto_file_req_refuses_nul),
        cmocka_unit_test(test_proto_file_req_refuses_lengths_outside_limits),
        cmocka_unit_test(test_proto_file_req_refuses_bad_framing_of_fields),
        cmocka_unit_test(test_proto_file_req_encoder_refuses_other_types),
        cmocka_unit_test(test_proto_open_resp_round_trips_file_and_directory),
        cmocka_unit_test(test_proto_open_resp_round_trips_every_refusal),
        cmocka_unit_test(test_proto_open_resp_refuses_contradictions),
        cmocka_unit_test(test_proto_open_resp_refuses_40_or_42_bytes),
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
