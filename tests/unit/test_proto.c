/* Unit tests for the helper protocol codec (src/ta_proto.c, SPEC §6).
 *
 * Frames under test are built byte by byte by ut_frame and ut_auth_body below, not by the
 * encoders, so the decoder tests do not lean on the code they check. Every decode reads from a
 * heap copy of exactly the frame's length, so valgrind sees any read past len. */
#include "unit.h"
#include "ta_proto.h"

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

/* Type 0, the reserved file types 3-6 and anything else unknown. */
static void test_proto_refuses_unknown_and_reserved_types(void **state)
{
    static const unsigned char types[] = {0, 3, 4, 5, 6, 7, 0x7e, 0x80, 0xff};
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
        cmocka_unit_test(test_proto_refuses_unknown_and_reserved_types),
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
        cmocka_unit_test(test_proto_error_for_maps_each_failure),
        cmocka_unit_test(test_proto_names_are_distinct_and_unknown_outside_enum),
    };

    return cmocka_run_group_tests_name("proto", tests, NULL, NULL);
}
