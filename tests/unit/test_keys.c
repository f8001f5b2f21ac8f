/* The key file (SPEC §2, TokenAuthKeyFile): "KID [ALG] SECRET" lines, comments and blank
 * lines; KID is 1-64 of A-Za-z0-9._-; ALG is HS256 (also when absent) or EdDSA; an HS256 SECRET
 * is unpadded base64url of at least 32 bytes whose decoded bytes are the HMAC key, an EdDSA
 * SECRET the base64url of the 32-byte Ed25519 seed; the first key signs. Refusals name the
 * line, never the secret. Loaded PUBLIC, an EdDSA key keeps only its public half. */
#include "unit.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <valgrind/valgrind.h>

static char tmpdir[64];

/* "KID SECRET\n" with an nbytes secret of seed, appended to buf. */
static void add_key_line(char *buf, size_t size, const char *kid, int seed, size_t nbytes)
{
    char *b64 = malloc(nbytes / 3 * 4 + 8);

    assert_non_null(b64);
    ut_secret_b64(seed, nbytes, b64);
    snprintf(buf + strlen(buf), size - strlen(buf), "%s %s\n", kid, b64);
    free(b64);
}

/* Parse text; err receives the message. */
static ta_keys_status parse(const char *text, size_t len, char *err)
{
    ta_keyset *ks = NULL;
    ta_keys_status st;

    err[0] = '\0';
    st = ta_keys_parse(text, len, TA_KEYS_PRIVATE, &ks, err, UT_ERR_BUF);
    if (st == TA_KEYS_OK)
        assert_non_null(ks);
    else
        assert_null(ks);
    ta_keyset_free(ks);
    return st;
}

static ta_keys_status parse_str(const char *text, char *err)
{
    return parse(text, strlen(text), err);
}

/* A refusal of text with status want whose message names "line N". */
static void assert_refused_at_line(const char *text, ta_keys_status want, unsigned line)
{
    char err[UT_ERR_BUF], tag[32];

    assert_keys_status(parse_str(text, err), want);
    snprintf(tag, sizeof(tag), "line %u:", line);
    if (strstr(err, tag) == NULL)
        fail_msg("message \"%s\" does not name %s", err, tag);
}

/* A valid 32-byte key line for kid. */
static void good_line(char *buf, size_t size, const char *kid)
{
    add_key_line(buf, size, kid, 1, UT_SECRET_LEN);
}

static void test_keys_one_line_gives_one_key(void **state)
{
    char text[256] = "";
    ta_keyset *ks;

    (void)state;
    good_line(text, sizeof(text), "k1");
    ks = ut_keyset_parse(text);
    assert_int_equal(ta_keyset_count(ks), 1);
    assert_string_equal(ta_key_kid(ta_keyset_at(ks, 0)), "k1");
    assert_null(ta_keyset_at(ks, 1));
    ta_keyset_free(ks);
}

/* The decoded bytes, not the base64url text, are the HMAC key. */
static void test_keys_mac_is_hmac_sha256_under_decoded_secret(void **state)
{
    static const char data[] = "header.payload";
    unsigned char secret[UT_SECRET_LEN], want[EVP_MAX_MD_SIZE], got[TA_MAC_LEN];
    unsigned wantlen = 0;
    ta_keyset *ks = ut_keyset_one("k1", 7);

    (void)state;
    ut_secret(7, secret, sizeof(secret));
    HMAC(EVP_sha256(), secret, sizeof(secret), (const unsigned char *)data, strlen(data), want,
         &wantlen);
    assert_int_equal(ta_key_mac(ta_keyset_at(ks, 0), data, strlen(data), got), 0);
    assert_int_equal(wantlen, TA_MAC_LEN);
    assert_memory_equal(got, want, TA_MAC_LEN);
    ta_keyset_free(ks);
}

static void test_keys_comments_and_blank_lines_are_ignored(void **state)
{
    char text[512] = "# rotation: newest first\n\n   \n\t# indented comment\n";
    ta_keyset *ks;

    (void)state;
    good_line(text, sizeof(text), "new");
    strcat(text, "\n# old key, still verifies\n");
    add_key_line(text, sizeof(text), "old", 2, UT_SECRET_LEN);
    strcat(text, "\n");
    ks = ut_keyset_parse(text);
    assert_int_equal(ta_keyset_count(ks), 2);
    assert_string_equal(ta_key_kid(ta_keyset_at(ks, 0)), "new");
    assert_string_equal(ta_key_kid(ta_keyset_at(ks, 1)), "old");
    ta_keyset_free(ks);
}

static void test_keys_crlf_line_endings_are_accepted(void **state)
{
    char a[128] = "", b[128] = "", text[512];
    ta_keyset *ks;

    (void)state;
    good_line(a, sizeof(a), "k1");
    add_key_line(b, sizeof(b), "k2", 2, UT_SECRET_LEN);
    a[strlen(a) - 1] = '\0';
    b[strlen(b) - 1] = '\0';
    snprintf(text, sizeof(text), "# comment\r\n\r\n%s\r\n%s\r\n", a, b);
    ks = ut_keyset_parse(text);
    assert_int_equal(ta_keyset_count(ks), 2);
    assert_string_equal(ta_key_kid(ta_keyset_at(ks, 1)), "k2");
    ta_keyset_free(ks);
}

static void test_keys_last_line_without_newline_is_accepted(void **state)
{
    char text[128] = "";
    ta_keyset *ks;

    (void)state;
    good_line(text, sizeof(text), "k1");
    text[strlen(text) - 1] = '\0';
    ks = ut_keyset_parse(text);
    assert_int_equal(ta_keyset_count(ks), 1);
    ta_keyset_free(ks);
}

static void test_keys_fields_may_be_separated_by_tabs_and_spaces(void **state)
{
    char b64[64], text[160];
    ta_keyset *ks;

    (void)state;
    ut_secret_b64(1, UT_SECRET_LEN, b64);
    snprintf(text, sizeof(text), "  k1 \t  %s \t\n", b64);
    ks = ut_keyset_parse(text);
    assert_string_equal(ta_key_kid(ta_keyset_at(ks, 0)), "k1");
    ta_keyset_free(ks);
}

static void test_keys_find_matches_whole_kid_only(void **state)
{
    ta_keyset *ks = ut_keyset_one("k1", 1);

    (void)state;
    assert_non_null(ta_keyset_find(ks, "k1", 2));
    assert_non_null(ta_keyset_find(ks, "k1x", 2)); /* kid need not be terminated */
    assert_null(ta_keyset_find(ks, "k", 1));
    assert_null(ta_keyset_find(ks, "k1x", 3));
    assert_null(ta_keyset_find(ks, "K1", 2));
    ta_keyset_free(ks);
}

static void test_keys_line_with_one_field_refused(void **state)
{
    char text[256] = "";

    (void)state;
    good_line(text, sizeof(text), "k1");
    strcat(text, "k2\n");
    assert_refused_at_line(text, TA_KEYS_SYNTAX, 2);
}

/* "KID SECRET extra" is read as "KID ALG SECRET" with the secret in the ALG field. */
static void test_keys_line_with_three_fields_and_no_alg_refused(void **state)
{
    char text[256] = "# keys\n";

    (void)state;
    good_line(text, sizeof(text), "k1");
    text[strlen(text) - 1] = '\0';
    strcat(text, " extra\n");
    assert_refused_at_line(text, TA_KEYS_BAD_ALG, 2);
}

static void test_keys_line_with_four_fields_refused(void **state)
{
    char b64[64], text[256];

    (void)state;
    ut_secret_b64(1, UT_SECRET_LEN, b64);
    snprintf(text, sizeof(text), "# keys\nk1 HS256 %s extra\n", b64);
    assert_refused_at_line(text, TA_KEYS_SYNTAX, 2);
}

static void test_keys_trailing_comment_on_key_line_refused(void **state)
{
    char text[256] = "";

    (void)state;
    good_line(text, sizeof(text), "k1");
    text[strlen(text) - 1] = '\0';
    strcat(text, " # main key\n");
    assert_refused_at_line(text, TA_KEYS_SYNTAX, 1);
}

static void test_keys_kid_with_bad_characters_refused(void **state)
{
    static const char *const bad[] = {"k/1", "k:1", "k@1", "k+1", "k=1", "k\xc3\xa9", "k\"1"};

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[256] = "\n\n";
        good_line(text, sizeof(text), bad[i]);
        assert_refused_at_line(text, TA_KEYS_BAD_KID, 3);
    }
}

static void test_keys_kid_of_all_allowed_characters_accepted(void **state)
{
    char text[256] = "";
    ta_keyset *ks;

    (void)state;
    good_line(text, sizeof(text), "Az09._-");
    ks = ut_keyset_parse(text);
    assert_string_equal(ta_key_kid(ta_keyset_at(ks, 0)), "Az09._-");
    ta_keyset_free(ks);
}

static void test_keys_kid_of_64_characters_accepted(void **state)
{
    char kid[65], text[256] = "";
    ta_keyset *ks;

    (void)state;
    memset(kid, 'k', 64);
    kid[64] = '\0';
    good_line(text, sizeof(text), kid);
    ks = ut_keyset_parse(text);
    assert_string_equal(ta_key_kid(ta_keyset_at(ks, 0)), kid);
    ta_keyset_free(ks);
}

static void test_keys_kid_of_65_characters_refused(void **state)
{
    char kid[66], text[256] = "";

    (void)state;
    memset(kid, 'k', 65);
    kid[65] = '\0';
    good_line(text, sizeof(text), kid);
    assert_refused_at_line(text, TA_KEYS_BAD_KID, 1);
}

static void test_keys_secret_with_standard_base64_characters_refused(void **state)
{
    char b64[64], text[256];

    (void)state;
    ut_secret_b64(1, UT_SECRET_LEN, b64);
    b64[5] = '+';
    snprintf(text, sizeof(text), "# c\nk1 %s\n", b64);
    assert_refused_at_line(text, TA_KEYS_BAD_SECRET, 2);
    b64[5] = '/';
    snprintf(text, sizeof(text), "# c\nk1 %s\n", b64);
    assert_refused_at_line(text, TA_KEYS_BAD_SECRET, 2);
}

static void test_keys_padded_secret_refused(void **state)
{
    char b64[64], text[256];

    (void)state;
    ut_secret_b64(1, UT_SECRET_LEN, b64); /* 32 bytes: 43 characters, one '=' when padded */
    assert_int_equal(strlen(b64), 43);
    snprintf(text, sizeof(text), "k1 %s=\n", b64);
    assert_refused_at_line(text, TA_KEYS_BAD_SECRET, 1);
}

/* 43 characters carry 258 bits for 256: the last two must be zero. */
static void test_keys_secret_with_nonzero_trailing_bits_refused(void **state)
{
    char b64[64], text[256];
    const char *abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    (void)state;
    ut_secret_b64(1, UT_SECRET_LEN, b64);
    b64[42] = abc[(strchr(abc, b64[42]) - abc) | 1];
    snprintf(text, sizeof(text), "k1 %s\n", b64);
    assert_refused_at_line(text, TA_KEYS_BAD_SECRET, 1);
}

static void test_keys_secret_of_31_bytes_refused(void **state)
{
    char text[256] = "";

    (void)state;
    add_key_line(text, sizeof(text), "k1", 1, 31);
    assert_refused_at_line(text, TA_KEYS_SHORT_SECRET, 1);
}

static void test_keys_secret_of_32_bytes_accepted(void **state)
{
    char text[256] = "";
    ta_keyset *ks;

    (void)state;
    add_key_line(text, sizeof(text), "k1", 1, 32);
    ks = ut_keyset_parse(text);
    assert_int_equal(ta_keyset_count(ks), 1);
    ta_keyset_free(ks);
}

static void test_keys_secret_of_1024_bytes_accepted(void **state)
{
    char text[2048] = "";
    ta_keyset *ks;

    (void)state;
    add_key_line(text, sizeof(text), "k1", 1, TA_SECRET_MAX);
    ks = ut_keyset_parse(text);
    assert_int_equal(ta_keyset_count(ks), 1);
    ta_keyset_free(ks);
}

/* TA_SECRET_MAX is "decoded secret bytes, at most", and the message says so. */
static void test_keys_secret_of_1025_bytes_refused(void **state)
{
    char text[2048] = "";

    (void)state;
    add_key_line(text, sizeof(text), "k1", 1, TA_SECRET_MAX + 1);
    assert_refused_at_line(text, TA_KEYS_BAD_SECRET, 1);
}

static void test_keys_secret_of_1026_bytes_refused(void **state)
{
    char text[2048] = "";

    (void)state;
    add_key_line(text, sizeof(text), "k1", 1, TA_SECRET_MAX + 2);
    assert_refused_at_line(text, TA_KEYS_BAD_SECRET, 1);
}

static void test_keys_duplicate_kid_refused(void **state)
{
    char text[512] = "";

    (void)state;
    good_line(text, sizeof(text), "k1");
    add_key_line(text, sizeof(text), "k2", 2, UT_SECRET_LEN);
    add_key_line(text, sizeof(text), "k1", 3, UT_SECRET_LEN);
    assert_refused_at_line(text, TA_KEYS_DUP_KID, 3);
}

static void test_keys_more_than_256_keys_refused(void **state)
{
    size_t size = (TA_KEYS_MAX + 1) * 64;
    char *text = calloc(1, size);
    char kid[16];

    (void)state;
    assert_non_null(text);
    for (int i = 0; i <= TA_KEYS_MAX; i++) {
        snprintf(kid, sizeof(kid), "k%d", i);
        add_key_line(text, size, kid, i, UT_SECRET_LEN);
    }
    assert_refused_at_line(text, TA_KEYS_TOO_MANY, TA_KEYS_MAX + 1);
    free(text);
}

static void test_keys_empty_file_refused(void **state)
{
    char err[UT_ERR_BUF];

    (void)state;
    assert_keys_status(parse("", 0, err), TA_KEYS_EMPTY);
}

static void test_keys_file_of_only_comments_refused(void **state)
{
    char err[UT_ERR_BUF];

    (void)state;
    assert_keys_status(parse_str("# no keys yet\n\n   \n", err), TA_KEYS_EMPTY);
}

static void test_keys_nul_byte_refused(void **state)
{
    char text[256] = "";
    char err[UT_ERR_BUF];
    size_t len;

    (void)state;
    good_line(text, sizeof(text), "k1");
    len = strlen(text);
    memcpy(text + len, "#\0x\n", 4);
    assert_keys_status(parse(text, len + 4, err), TA_KEYS_SYNTAX);
}

/* A valid key followed by comment lines up to exactly size bytes. */
static char *padded_key_text(size_t size)
{
    char *text = malloc(size + 1);
    size_t len;

    assert_non_null(text);
    text[0] = '\0';
    good_line(text, size + 1, "k1");
    len = strlen(text);
    memset(text + len, '#', size - len);
    for (size_t i = len + 79; i < size; i += 80)
        text[i] = '\n';
    text[size] = '\0';
    return text;
}

static void test_keys_file_of_64_KiB_accepted(void **state)
{
    char *text = padded_key_text(TA_KEYFILE_MAX);
    char err[UT_ERR_BUF];

    (void)state;
    assert_keys_status(parse(text, TA_KEYFILE_MAX, err), TA_KEYS_OK);
    free(text);
}

static void test_keys_file_over_64_KiB_refused(void **state)
{
    char *text = padded_key_text(TA_KEYFILE_MAX + 1);
    char err[UT_ERR_BUF];

    (void)state;
    assert_keys_status(parse(text, TA_KEYFILE_MAX + 1, err), TA_KEYS_TOO_LARGE);
    free(text);
}

/* Each refusal of a line that holds a secret: the message has neither the secret nor a
 * recognisable piece of it. */
static void test_keys_error_message_never_contains_the_secret(void **state)
{
    char secret[2048], piece[9];
    char text[4096], err[UT_ERR_BUF];
    const char *const formats[] = {
        "k1 %s extra\n", /* three fields */
        "%s\n",          /* one field */
        "k/1 %s\n",      /* bad KID */
        "k1 %s=\n",      /* padded */
        "k1 %s+\n",      /* not base64url */
        "k1 %s k1\n",    /* three fields, secret in the middle */
    };

    (void)state;
    ut_secret_b64(9, UT_SECRET_LEN, secret);
    memcpy(piece, secret + 10, 8);
    piece[8] = '\0';
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        snprintf(text, sizeof(text), formats[i], secret);
        assert_int_not_equal(parse_str(text, err), TA_KEYS_OK);
        assert_true(strstr(err, "line 1") != NULL);
        if (strstr(err, piece))
            fail_msg("message for \"%s\" leaks the secret: %s", formats[i], err);
    }
    /* short, overlong and duplicate: the secret of the refused line stays out too */
    ut_secret_b64(9, 31, secret);
    memcpy(piece, secret + 10, 8);
    snprintf(text, sizeof(text), "k1 %s\n", secret);
    assert_keys_status(parse_str(text, err), TA_KEYS_SHORT_SECRET);
    assert_null(strstr(err, piece));
    ut_secret_b64(9, 1100, secret);
    memcpy(piece, secret + 10, 8);
    snprintf(text, sizeof(text), "k1 %s\n", secret);
    assert_keys_status(parse_str(text, err), TA_KEYS_BAD_SECRET);
    assert_null(strstr(err, piece));
    text[0] = '\0';
    good_line(text, sizeof(text), "k1");
    ut_secret_b64(9, UT_SECRET_LEN, secret);
    memcpy(piece, secret + 10, 8);
    snprintf(text + strlen(text), sizeof(text) - strlen(text), "k1 %s\n", secret);
    assert_keys_status(parse_str(text, err), TA_KEYS_DUP_KID);
    assert_null(strstr(err, piece));
}

/* --- ta_keys_load: the file itself ------------------------------------------------------ */

/* tmpdir/name holding a valid key line, with this mode. Returns the path (static buffer). */
static const char *write_key_file(const char *name, mode_t mode)
{
    static char path[128];
    char text[256] = "";
    int fd;

    good_line(text, sizeof(text), "k1");
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(fchmod(fd, mode), 0);
    assert_int_equal(close(fd), 0);
    return path;
}

static ta_keys_status load(const char *path, int require_root_owner, char *err)
{
    ta_keyset *ks = NULL;
    ta_keys_status st;

    err[0] = '\0';
    st = ta_keys_load(path, require_root_owner, TA_KEYS_PUBLIC, &ks, err, UT_ERR_BUF);
    if (st == TA_KEYS_OK)
        assert_int_equal(ta_keyset_count(ks), 1);
    else
        assert_null(ks);
    ta_keyset_free(ks);
    return st;
}

static void assert_mode_refused(mode_t mode)
{
    char err[UT_ERR_BUF];
    const char *path = write_key_file("keys", mode);

    assert_keys_status(load(path, 0, err), TA_KEYS_INSECURE_MODE);
    unlink(path);
}

static void test_keys_load_refuses_mode_0644(void **state)
{
    (void)state;
    assert_mode_refused(0644);
}

static void test_keys_load_refuses_mode_0640(void **state)
{
    (void)state;
    assert_mode_refused(0640);
}

static void test_keys_load_refuses_mode_0620(void **state)
{
    (void)state;
    assert_mode_refused(0620);
}

static void test_keys_load_refuses_mode_0604(void **state)
{
    (void)state;
    assert_mode_refused(0604);
}

static void test_keys_load_refuses_mode_0602(void **state)
{
    (void)state;
    assert_mode_refused(0602);
}

static void test_keys_load_accepts_mode_0600(void **state)
{
    char err[UT_ERR_BUF];
    const char *path = write_key_file("keys", 0600);

    (void)state;
    assert_keys_status(load(path, 1, err), TA_KEYS_OK);
    unlink(path);
}

static void test_keys_load_accepts_mode_0400(void **state)
{
    char err[UT_ERR_BUF];
    const char *path = write_key_file("keys", 0400);

    (void)state;
    assert_keys_status(load(path, 1, err), TA_KEYS_OK);
    unlink(path);
}

static void test_keys_load_refuses_non_root_owner_when_asked(void **state)
{
    char err[UT_ERR_BUF];
    const char *path = write_key_file("keys", 0600);

    (void)state;
    if (geteuid() != 0) {
        unlink(path);
        skip();
    }
    assert_int_equal(chown(path, 65534, 65534), 0);
    assert_keys_status(load(path, 1, err), TA_KEYS_NOT_ROOT_OWNED);
    unlink(path);
}

static void test_keys_load_accepts_non_root_owner_when_not_asked(void **state)
{
    char err[UT_ERR_BUF];
    const char *path = write_key_file("keys", 0600);

    (void)state;
    if (geteuid() != 0) {
        unlink(path);
        skip();
    }
    assert_int_equal(chown(path, 65534, 65534), 0);
    assert_keys_status(load(path, 0, err), TA_KEYS_OK);
    unlink(path);
}

static void test_keys_load_refuses_missing_file(void **state)
{
    char err[UT_ERR_BUF], path[128];

    (void)state;
    snprintf(path, sizeof(path), "%s/absent", tmpdir);
    assert_keys_status(load(path, 0, err), TA_KEYS_OPEN_FAILED);
}

static void test_keys_load_refuses_directory(void **state)
{
    char err[UT_ERR_BUF], path[128];

    (void)state;
    snprintf(path, sizeof(path), "%s/dir", tmpdir);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_keys_status(load(path, 0, err), TA_KEYS_NOT_REGULAR);
    rmdir(path);
}

static void test_keys_load_refuses_fifo(void **state)
{
    char err[UT_ERR_BUF], path[128];

    (void)state;
    snprintf(path, sizeof(path), "%s/fifo", tmpdir);
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_keys_status(load(path, 0, err), TA_KEYS_NOT_REGULAR);
    unlink(path);
}

static void test_keys_load_refuses_file_over_64_KiB(void **state)
{
    char err[UT_ERR_BUF], path[128];
    char *text = padded_key_text(TA_KEYFILE_MAX + 1);
    int fd;

    (void)state;
    snprintf(path, sizeof(path), "%s/big", tmpdir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, TA_KEYFILE_MAX + 1), TA_KEYFILE_MAX + 1);
    close(fd);
    assert_keys_status(load(path, 0, err), TA_KEYS_TOO_LARGE);
    unlink(path);
    free(text);
}

static void test_keys_load_reports_line_of_a_bad_key(void **state)
{
    char err[UT_ERR_BUF], path[128];
    const char text[] = "# keys\n\nk1 tooshort\n";
    int fd;

    (void)state;
    snprintf(path, sizeof(path), "%s/bad", tmpdir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    assert_keys_status(load(path, 0, err), TA_KEYS_SHORT_SECRET);
    assert_non_null(strstr(err, "line 3:"));
    assert_null(strstr(err, "tooshort"));
    unlink(path);
}

/* --- algorithms: HS256 and EdDSA --------------------------------------------------------- */

/* RFC 8037 Appendix A: the Ed25519 private key d, its public key x, and the JWS of A.4. */
#define RFC8037_D "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
#define RFC8037_X "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
#define RFC8037_INPUT "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
#define RFC8037_SIG                                                                                \
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"

/* The one key of text, parsed in mode. */
static const ta_key *only_key(ta_keyset **ks, const char *text, ta_keys_mode mode)
{
    *ks = ut_keyset_parse_mode(text, mode);
    assert_int_equal(ta_keyset_count(*ks), 1);
    return ta_keyset_at(*ks, 0);
}

static void test_keys_line_without_alg_is_hs256(void **state)
{
    char text[256] = "";
    ta_keyset *ks;

    (void)state;
    good_line(text, sizeof(text), "k1");
    assert_int_equal(ta_key_alg(only_key(&ks, text, TA_KEYS_PRIVATE)), TA_ALG_HS256);
    assert_int_equal(ta_keyset_signing_alg(ks), TA_ALG_HS256);
    ta_keyset_free(ks);
}

/* "KID HS256 SECRET" is the same key as "KID SECRET": the same MAC. */
static void test_keys_explicit_hs256_is_the_same_key(void **state)
{
    char b64[64], text[256];
    unsigned char a[TA_MAC_LEN], b[TA_MAC_LEN];
    ta_keyset *ks1 = ut_keyset_one("k1", 3), *ks2;

    (void)state;
    ut_secret_b64(3, UT_SECRET_LEN, b64);
    snprintf(text, sizeof(text), "k1\tHS256 %s\n", b64);
    assert_int_equal(ta_key_alg(only_key(&ks2, text, TA_KEYS_PUBLIC)), TA_ALG_HS256);
    assert_int_equal(ta_key_mac(ta_keyset_at(ks1, 0), "x", 1, a), 0);
    assert_int_equal(ta_key_mac(ta_keyset_at(ks2, 0), "x", 1, b), 0);
    assert_memory_equal(a, b, TA_MAC_LEN);
    ta_keyset_free(ks1);
    ta_keyset_free(ks2);
}

static void test_keys_eddsa_line_gives_an_eddsa_key(void **state)
{
    char text[256];
    ta_keyset *ks;
    const ta_key *k;

    (void)state;
    ut_eddsa_line("ed1", 5, text, sizeof(text));
    k = only_key(&ks, text, TA_KEYS_PRIVATE);
    assert_string_equal(ta_key_kid(k), "ed1");
    assert_int_equal(ta_key_alg(k), TA_ALG_EDDSA);
    assert_int_equal(ta_keyset_signing_alg(ks), TA_ALG_EDDSA);
    assert_true(ta_key_can_sign(k));
    assert_int_equal(ta_key_sig_len(k), TA_ED25519_SIG_LEN);
    ta_keyset_free(ks);
}

/* The public key is what OpenSSL derives from the seed on its own. */
static void test_keys_eddsa_public_key_is_derived_from_the_seed(void **state)
{
    char text[256];
    unsigned char want[32], got[32];
    ta_keyset *ks;

    (void)state;
    ut_eddsa_line("ed1", 5, text, sizeof(text));
    ut_ed25519_public(5, want);
    assert_int_equal(ta_key_public(only_key(&ks, text, TA_KEYS_PUBLIC), got), 0);
    assert_memory_equal(got, want, 32);
    ta_keyset_free(ks);
}

static void test_keys_hs256_key_has_no_public_key(void **state)
{
    unsigned char pub[32];
    ta_keyset *ks = ut_keyset_one("k1", 1);

    (void)state;
    assert_int_equal(ta_key_public(ta_keyset_at(ks, 0), pub), -1);
    ta_keyset_free(ks);
}

static void test_keys_alg_names(void **state)
{
    (void)state;
    assert_string_equal(ta_alg_name(TA_ALG_HS256), "HS256");
    assert_string_equal(ta_alg_name(TA_ALG_EDDSA), "EdDSA");
    assert_null(ta_alg_name(TA_ALG_NONE));
    assert_int_equal(ta_alg_parse("EdDSA", 5), TA_ALG_EDDSA);
    assert_int_equal(ta_alg_parse("HS256", 5), TA_ALG_HS256);
    assert_int_equal(ta_alg_parse("EdDSAx", 5), TA_ALG_EDDSA); /* s need not be terminated */
    assert_int_equal(ta_alg_parse("eddsa", 5), TA_ALG_NONE);
    assert_int_equal(ta_alg_parse("Ed25519", 7), TA_ALG_NONE);
    assert_int_equal(ta_alg_parse("none", 4), TA_ALG_NONE);
    assert_int_equal(ta_alg_parse("HS25", 4), TA_ALG_NONE);
}

/* ALG is exactly "HS256" or "EdDSA"; whatever else stands there is never echoed. */
static void test_keys_unknown_alg_refused(void **state)
{
    static const char *const bad[] = {"eddsa",   "EDDSA", "hs256",  "none",     "RS256",
                                      "Ed25519", "HS512", "EdDSA,", "\"EdDSA\""};
    char b64[64], text[256], err[UT_ERR_BUF];

    (void)state;
    ut_secret_b64(1, UT_SECRET_LEN, b64);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(text, sizeof(text), "\nk1 %s %s\n", bad[i], b64);
        assert_refused_at_line(text, TA_KEYS_BAD_ALG, 2);
        assert_keys_status(parse_str(text, err), TA_KEYS_BAD_ALG);
        if (strstr(err, bad[i]))
            fail_msg("message names the field: %s", err);
    }
}

static void test_keys_eddsa_seed_of_31_or_33_bytes_refused(void **state)
{
    char b64[128], text[256], err[UT_ERR_BUF];

    (void)state;
    ut_secret_b64(1, 31, b64);
    snprintf(text, sizeof(text), "# c\nk1 EdDSA %s\n", b64);
    assert_refused_at_line(text, TA_KEYS_BAD_SEED, 2);
    assert_keys_status(parse_str(text, err), TA_KEYS_BAD_SEED);
    assert_non_null(strstr(err, "exactly 32 bytes"));
    assert_non_null(strstr(err, "not 31"));
    ut_secret_b64(1, 33, b64);
    snprintf(text, sizeof(text), "k1 EdDSA %s\n", b64);
    assert_refused_at_line(text, TA_KEYS_BAD_SEED, 1);
    ut_secret_b64(1, 64, b64); /* an expanded 64-byte private key is not a seed either */
    snprintf(text, sizeof(text), "k1 EdDSA %s\n", b64);
    assert_refused_at_line(text, TA_KEYS_BAD_SEED, 1);
}

static void test_keys_eddsa_seed_not_base64url_refused(void **state)
{
    char b64[64], text[256];

    (void)state;
    ut_secret_b64(1, UT_SECRET_LEN, b64);
    snprintf(text, sizeof(text), "k1 EdDSA %s=\n", b64);
    assert_refused_at_line(text, TA_KEYS_BAD_SECRET, 1);
    b64[3] = '+';
    snprintf(text, sizeof(text), "k1 EdDSA %s\n", b64);
    assert_refused_at_line(text, TA_KEYS_BAD_SECRET, 1);
}

/* A 32-byte HS256 secret is fine; the same bytes are an EdDSA seed only when ALG says so. */
static void test_keys_duplicate_kid_across_algorithms_refused(void **state)
{
    char text[512] = "", line[256];

    (void)state;
    good_line(text, sizeof(text), "k1");
    ut_eddsa_line("k1", 2, line, sizeof(line));
    strcat(text, line);
    assert_refused_at_line(text, TA_KEYS_DUP_KID, 2);
}

static void test_keys_eddsa_refusals_never_contain_the_seed(void **state)
{
    static const char *const formats[] = {
        "k1 EdDSA %s extra\n", "k1 eddsa %s\n",  "k/1 EdDSA %s\n",
        "k1 EdDSA %s=\n",      "k1 EdDSA %sA\n", "k1 %s EdDSA\n",
    };
    char seed[64], piece[9], text[512], err[UT_ERR_BUF];

    (void)state;
    ut_secret_b64(9, UT_SECRET_LEN, seed);
    memcpy(piece, seed + 10, 8);
    piece[8] = '\0';
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        snprintf(text, sizeof(text), formats[i], seed);
        assert_int_not_equal(parse_str(text, err), TA_KEYS_OK);
        if (strstr(err, piece))
            fail_msg("message for \"%s\" leaks the seed: %s", formats[i], err);
    }
}

/* Mixed files: each line keeps its own algorithm, in file order; the first signs. */
static void test_keys_mixed_file_keeps_each_algorithm(void **state)
{
    char text[512] = "# newest first\n", line[256];
    ta_keyset *ks;

    (void)state;
    ut_eddsa_line("ed", 1, line, sizeof(line));
    strcat(text, line);
    add_key_line(text, sizeof(text), "hs", 2, UT_SECRET_LEN);
    ut_eddsa_line("ed-old", 3, line, sizeof(line));
    strcat(text, line);
    ks = ut_keyset_parse_mode(text, TA_KEYS_PUBLIC);
    assert_int_equal(ta_keyset_count(ks), 3);
    assert_int_equal(ta_key_alg(ta_keyset_at(ks, 0)), TA_ALG_EDDSA);
    assert_int_equal(ta_key_alg(ta_keyset_at(ks, 1)), TA_ALG_HS256);
    assert_int_equal(ta_key_alg(ta_keyset_at(ks, 2)), TA_ALG_EDDSA);
    assert_int_equal(ta_keyset_signing_alg(ks), TA_ALG_EDDSA);
    assert_ptr_equal(ta_keyset_find(ks, "ed-old", 6), ta_keyset_at(ks, 2));
    ta_keyset_free(ks);
    assert_int_equal(ta_keyset_signing_alg(NULL), TA_ALG_NONE);
}

/* The header cached for each key names the key's own algorithm. */
#define HDR_ED1 "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"ed1\"}"
#define HDR_HS1 "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"hs1\"}"
static void test_keys_header_names_the_key_algorithm(void **state)
{
    char text[512] = "", line[256], want[128];
    size_t len;
    const char *h;
    ta_keyset *ks;

    (void)state;
    ut_eddsa_line("ed1", 1, line, sizeof(line));
    strcat(text, line);
    good_line(text, sizeof(text), "hs1");
    ks = ut_keyset_parse_mode(text, TA_KEYS_PUBLIC);
    h = ta_key_header_b64(ta_keyset_at(ks, 0), &len);
    ut_b64url(HDR_ED1, strlen(HDR_ED1), want);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(h, want, len);
    h = ta_key_header_b64(ta_keyset_at(ks, 1), &len);
    ut_b64url(HDR_HS1, strlen(HDR_HS1), want);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(h, want, len);
    ta_keyset_free(ks);
}

/* RFC 8037 A.1-A.5: the seed d gives the public key x, and signing A.4's input gives A.4's
 * signature exactly (Ed25519 signatures are deterministic). */
static void test_keys_eddsa_matches_rfc8037_appendix_a(void **state)
{
    unsigned char pub[32], sig[TA_SIG_MAX], want[TA_SIG_MAX + 3];
    char x[64];
    size_t siglen = 0, wantlen = 0;
    ta_keyset *ks;
    const ta_key *k = only_key(&ks, "rfc EdDSA " RFC8037_D "\n", TA_KEYS_PRIVATE);

    (void)state;
    assert_int_equal(ta_key_public(k, pub), 0);
    ut_b64url(pub, sizeof(pub), x);
    assert_string_equal(x, RFC8037_X);
    assert_int_equal(ta_key_sign(k, RFC8037_INPUT, strlen(RFC8037_INPUT), sig, &siglen), 0);
    assert_int_equal(siglen, TA_ED25519_SIG_LEN);
    assert_int_equal(
        ta_b64url_decode(RFC8037_SIG, strlen(RFC8037_SIG), want, sizeof(want), &wantlen), 0);
    assert_int_equal(wantlen, TA_ED25519_SIG_LEN);
    assert_memory_equal(sig, want, TA_ED25519_SIG_LEN);
    assert_int_equal(ta_key_verify(k, RFC8037_INPUT, strlen(RFC8037_INPUT), want, wantlen), 1);
    ta_keyset_free(ks);
}

/* A PUBLIC key set verifies the RFC's signature, and cannot make one. */
static void test_keys_public_eddsa_key_verifies_but_cannot_sign(void **state)
{
    unsigned char sig[TA_SIG_MAX], want[TA_SIG_MAX + 3];
    size_t siglen = 0, wantlen = 0;
    ta_keyset *ks;
    const ta_key *k = only_key(&ks, "rfc EdDSA " RFC8037_D "\n", TA_KEYS_PUBLIC);

    (void)state;
    assert_false(ta_key_can_sign(k));
    assert_int_equal(ta_key_sign(k, "data", 4, sig, &siglen), -1);
    assert_int_equal(
        ta_b64url_decode(RFC8037_SIG, strlen(RFC8037_SIG), want, sizeof(want), &wantlen), 0);
    assert_int_equal(ta_key_verify(k, RFC8037_INPUT, strlen(RFC8037_INPUT), want, wantlen), 1);
    want[10] ^= 1;
    assert_int_equal(ta_key_verify(k, RFC8037_INPUT, strlen(RFC8037_INPUT), want, wantlen), 0);
    want[10] ^= 1;
    assert_int_equal(ta_key_verify(k, RFC8037_INPUT, strlen(RFC8037_INPUT) - 1, want, wantlen), 0);
    assert_int_equal(ta_key_verify(k, RFC8037_INPUT, strlen(RFC8037_INPUT), want, 63), 0);
    assert_int_equal(ta_key_verify(k, RFC8037_INPUT, strlen(RFC8037_INPUT), want, 32), 0);
    ta_keyset_free(ks);
}

/* HS256 keys sign in both modes: verifying an HMAC needs the secret anyway. */
static void test_keys_public_hs256_key_still_signs(void **state)
{
    char text[256] = "";
    unsigned char sig[TA_SIG_MAX];
    size_t siglen = 0;
    ta_keyset *ks;
    const ta_key *k;

    (void)state;
    good_line(text, sizeof(text), "k1");
    k = only_key(&ks, text, TA_KEYS_PUBLIC);
    assert_true(ta_key_can_sign(k));
    assert_int_equal(ta_key_sign(k, "data", 4, sig, &siglen), 0);
    assert_int_equal(siglen, TA_MAC_LEN);
    assert_int_equal(ta_key_verify(k, "data", 4, sig, siglen), 1);
    sig[0] ^= 0x80;
    assert_int_equal(ta_key_verify(k, "data", 4, sig, siglen), 0);
    assert_int_equal(ta_key_verify(k, "data", 4, sig, 31), 0);
    ta_keyset_free(ks);
}

/* An EdDSA key is never an HMAC key. */
static void test_keys_eddsa_key_gives_no_mac(void **state)
{
    char text[256];
    unsigned char mac[TA_MAC_LEN];
    ta_keyset *ks;

    (void)state;
    ut_eddsa_line("ed1", 4, text, sizeof(text));
    assert_int_equal(ta_key_mac(only_key(&ks, text, TA_KEYS_PRIVATE), "x", 1, mac), -1);
    ta_keyset_free(ks);
}

/* Any mode other than PRIVATE keeps no more than PUBLIC does. */
static void test_keys_unknown_mode_keeps_only_the_public_half(void **state)
{
    char text[256];
    ta_keyset *ks;

    (void)state;
    ut_eddsa_line("ed1", 4, text, sizeof(text));
    assert_false(ta_key_can_sign(only_key(&ks, text, (ta_keys_mode)0)));
    ta_keyset_free(ks);
    assert_false(ta_key_can_sign(only_key(&ks, text, (ta_keys_mode)77)));
    ta_keyset_free(ks);
}

/* --- no copy of a seed survives a PUBLIC load --------------------------------------------- */

#define MASK 0xa5 /* needles are kept masked, so that the scan never finds its own copy */

/* The known secret of seed, masked, without an unmasked copy on the way. */
static void masked_seed(int seed, unsigned char *out)
{
    for (size_t i = 0; i < UT_SECRET_LEN; i++)
        out[i] = (unsigned char)((i * 37u + (unsigned)seed * 101u + 11u) ^ MASK);
}

/* 1 when the masked needle occurs in buf[0..n). */
static int has_masked(const unsigned char *buf, size_t n, const unsigned char *needle, size_t len)
{
    for (size_t i = 0; i + len <= n; i++) {
        size_t j = 0;
        while (j < len && (unsigned char)(buf[i + j] ^ MASK) == needle[j])
            j++;
        if (j == len)
            return 1;
    }
    return 0;
}

/* Scan one mapping [lo, hi) of our own memory through /proc/self/mem, in overlapping chunks;
 * mappings the kernel will not read are skipped. */
static int region_has(int mem, unsigned long lo, unsigned long hi, unsigned char *chunk, size_t cap,
                      const unsigned char *needle, size_t len)
{
    for (unsigned long at = lo; at < hi; at += cap - len) {
        size_t want = hi - at < cap ? hi - at : cap;
        ssize_t got = pread(mem, chunk, want, (off_t)at);
        if (got <= 0)
            return 0;
        if (has_masked(chunk, (size_t)got, needle, len))
            return 1;
        if (hi - at <= cap)
            break;
    }
    return 0;
}

/* 1 when the masked needle occurs anywhere in this process's readable memory. */
static int memory_has(const unsigned char *needle, size_t len)
{
    size_t cap = 1 << 20;
    unsigned char *chunk =
        mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    FILE *maps = fopen("/proc/self/maps", "r");
    int mem = open("/proc/self/mem", O_RDONLY | O_CLOEXEC), found = 0;
    char line[512], perms[8];
    unsigned long lo, hi;

    assert_true(chunk != MAP_FAILED && maps != NULL && mem >= 0);
    while (!found && fgets(line, sizeof(line), maps)) {
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[0] != 'r' ||
            strstr(line, "[vvar]") || strstr(line, "[vsyscall]"))
            continue;
        found = region_has(mem, lo, hi, chunk, cap, needle, len);
    }
    memset(chunk, 0, cap);
    munmap(chunk, cap);
    fclose(maps);
    close(mem);
    return found;
}

/* A key file holding "ed EdDSA <seed>", written from a page we wipe at once; its path. */
static const char *write_eddsa_file(int seed, unsigned char *b64_needle)
{
    static char path[128];
    char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char *raw = (unsigned char *)page + 2048;
    size_t n;
    int fd;

    assert_true(page != MAP_FAILED);
    masked_seed(seed, raw);
    for (size_t i = 0; i < UT_SECRET_LEN; i++)
        raw[i] ^= MASK;
    memcpy(page, "ed EdDSA ", 9);
    n = 9 + ut_b64url(raw, UT_SECRET_LEN, page + 9);
    for (size_t i = 9; i < n; i++)
        b64_needle[i - 9] = (unsigned char)(page[i] ^ MASK);
    page[n++] = '\n';
    snprintf(path, sizeof(path), "%s/eddsa", tmpdir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, page, n), (ssize_t)n);
    close(fd);
    memset(page, 0, 4096);
    munmap(page, 4096);
    return path;
}

/* Neither the seed nor its base64url text is anywhere in memory after a PUBLIC load, while
 * a PRIVATE load (the positive control: the scanner does find a seed that is there) keeps the
 * seed, until the key set is freed. */
static void test_keys_public_load_leaves_no_copy_of_the_seed(void **state)
{
    unsigned char seed[UT_SECRET_LEN], text[64];
    char err[UT_ERR_BUF];
    ta_keyset *ks = NULL;
    const char *path;

    (void)state;
    if (RUNNING_ON_VALGRIND)
        skip(); /* valgrind's own memory is part of the process: scanning it proves nothing */
#ifdef __SANITIZE_ADDRESS__
    skip(); /* ASan's shadow memory is terabytes of readable mappings: no scan can read it all */
#endif
    masked_seed(42, seed);
    path = write_eddsa_file(42, text);
    assert_false(memory_has(seed, sizeof(seed)));
    assert_keys_status(ta_keys_load(path, 0, TA_KEYS_PRIVATE, &ks, err, sizeof(err)), TA_KEYS_OK);
    assert_true(memory_has(seed, sizeof(seed)));
    assert_false(memory_has(text, 43));
    ta_keyset_free(ks);
    assert_false(memory_has(seed, sizeof(seed)));
    assert_keys_status(ta_keys_load(path, 0, TA_KEYS_PUBLIC, &ks, err, sizeof(err)), TA_KEYS_OK);
    assert_false(ta_key_can_sign(ta_keyset_at(ks, 0)));
    assert_false(memory_has(seed, sizeof(seed)));
    assert_false(memory_has(text, 43));
    ta_keyset_free(ks);
    unlink(path);
}

static int make_tmpdir(void **state)
{
    (void)state;
    return ut_make_tmpdir(tmpdir, sizeof(tmpdir), "keys");
}

static int remove_tmpdir(void **state)
{
    (void)state;
    return ut_remove_tmpdir(tmpdir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_one_line_gives_one_key),
        cmocka_unit_test(test_keys_mac_is_hmac_sha256_under_decoded_secret),
        cmocka_unit_test(test_keys_comments_and_blank_lines_are_ignored),
        cmocka_unit_test(test_keys_crlf_line_endings_are_accepted),
        cmocka_unit_test(test_keys_last_line_without_newline_is_accepted),
        cmocka_unit_test(test_keys_fields_may_be_separated_by_tabs_and_spaces),
        cmocka_unit_test(test_keys_find_matches_whole_kid_only),
        cmocka_unit_test(test_keys_line_with_one_field_refused),
        cmocka_unit_test(test_keys_line_with_three_fields_and_no_alg_refused),
        cmocka_unit_test(test_keys_line_with_four_fields_refused),
        cmocka_unit_test(test_keys_trailing_comment_on_key_line_refused),
        cmocka_unit_test(test_keys_kid_with_bad_characters_refused),
        cmocka_unit_test(test_keys_kid_of_all_allowed_characters_accepted),
        cmocka_unit_test(test_keys_kid_of_64_characters_accepted),
        cmocka_unit_test(test_keys_kid_of_65_characters_refused),
        cmocka_unit_test(test_keys_secret_with_standard_base64_characters_refused),
        cmocka_unit_test(test_keys_padded_secret_refused),
        cmocka_unit_test(test_keys_secret_with_nonzero_trailing_bits_refused),
        cmocka_unit_test(test_keys_secret_of_31_bytes_refused),
        cmocka_unit_test(test_keys_secret_of_32_bytes_accepted),
        cmocka_unit_test(test_keys_secret_of_1024_bytes_accepted),
        cmocka_unit_test(test_keys_secret_of_1025_bytes_refused),
        cmocka_unit_test(test_keys_secret_of_1026_bytes_refused),
        cmocka_unit_test(test_keys_duplicate_kid_refused),
        cmocka_unit_test(test_keys_more_than_256_keys_refused),
        cmocka_unit_test(test_keys_empty_file_refused),
        cmocka_unit_test(test_keys_file_of_only_comments_refused),
        cmocka_unit_test(test_keys_nul_byte_refused),
        cmocka_unit_test(test_keys_file_of_64_KiB_accepted),
        cmocka_unit_test(test_keys_file_over_64_KiB_refused),
        cmocka_unit_test(test_keys_error_message_never_contains_the_secret),
        cmocka_unit_test(test_keys_load_refuses_mode_0644),
        cmocka_unit_test(test_keys_load_refuses_mode_0640),
        cmocka_unit_test(test_keys_load_refuses_mode_0620),
        cmocka_unit_test(test_keys_load_refuses_mode_0604),
        cmocka_unit_test(test_keys_load_refuses_mode_0602),
        cmocka_unit_test(test_keys_load_accepts_mode_0600),
        cmocka_unit_test(test_keys_load_accepts_mode_0400),
        cmocka_unit_test(test_keys_load_refuses_non_root_owner_when_asked),
        cmocka_unit_test(test_keys_load_accepts_non_root_owner_when_not_asked),
        cmocka_unit_test(test_keys_load_refuses_missing_file),
        cmocka_unit_test(test_keys_load_refuses_directory),
        cmocka_unit_test(test_keys_load_refuses_fifo),
        cmocka_unit_test(test_keys_load_refuses_file_over_64_KiB),
        cmocka_unit_test(test_keys_load_reports_line_of_a_bad_key),
        cmocka_unit_test(test_keys_line_without_alg_is_hs256),
        cmocka_unit_test(test_keys_explicit_hs256_is_the_same_key),
        cmocka_unit_test(test_keys_eddsa_line_gives_an_eddsa_key),
        cmocka_unit_test(test_keys_eddsa_public_key_is_derived_from_the_seed),
        cmocka_unit_test(test_keys_hs256_key_has_no_public_key),
        cmocka_unit_test(test_keys_alg_names),
        cmocka_unit_test(test_keys_unknown_alg_refused),
        cmocka_unit_test(test_keys_eddsa_seed_of_31_or_33_bytes_refused),
        cmocka_unit_test(test_keys_eddsa_seed_not_base64url_refused),
        cmocka_unit_test(test_keys_duplicate_kid_across_algorithms_refused),
        cmocka_unit_test(test_keys_eddsa_refusals_never_contain_the_seed),
        cmocka_unit_test(test_keys_mixed_file_keeps_each_algorithm),
        cmocka_unit_test(test_keys_header_names_the_key_algorithm),
        cmocka_unit_test(test_keys_eddsa_matches_rfc8037_appendix_a),
        cmocka_unit_test(test_keys_public_eddsa_key_verifies_but_cannot_sign),
        cmocka_unit_test(test_keys_public_hs256_key_still_signs),
        cmocka_unit_test(test_keys_eddsa_key_gives_no_mac),
        cmocka_unit_test(test_keys_unknown_mode_keeps_only_the_public_half),
        cmocka_unit_test(test_keys_public_load_leaves_no_copy_of_the_seed),
    };

    return cmocka_run_group_tests_name("keys", tests, make_tmpdir, remove_tmpdir);
}
