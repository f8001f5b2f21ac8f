/* The tokenauth command-line tool (SPEC §7): keygen, jwks, mint, inspect. */
#include "ta_b64.h"
#include "ta_jwks.h"
#include "ta_keys.h"
#include "ta_token.h"
#include "ta_user.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#define DEFAULT_ISSUER "tokenauth"
#define DEFAULT_SESSION_TTL 86400
#define DEFAULT_URL_TTL 300
#define KEYGEN_BYTES 32 /* an Ed25519 seed, or an HMAC secret of the minimum length */

static int usage(void)
{
    fputs("usage: tokenauth keygen [--alg EdDSA|HS256]\n"
          "       tokenauth jwks --key-file F\n"
          "       tokenauth mint --key-file F --user U [--issuer ISS] [--ttl S]\n"
          "                      [--kind url|share --scope PATH]\n"
          "       tokenauth inspect [--key-file F] [--issuer ISS] TOKEN\n"
          "\n"
          "keygen prints a new key line for the key file: \"KID EdDSA SEED\" (the default), or\n"
          "\"KID SECRET\" for --alg HS256. jwks prints the public keys of a key file as a JWK\n"
          "Set. mint signs with the first key of the file; inspect says how a token is signed\n"
          "and whether it verifies.\n",
          stderr);
    return 2;
}

/* A KID that sorts by date, with a random tag so that two keys of one day differ. */
static int new_kid(char *kid, size_t n)
{
    unsigned char tag[3];
    char tagenc[TA_B64URL_BUFSIZE(sizeof(tag))], date[16];
    time_t now = time(NULL);
    struct tm tm;

    if (RAND_bytes(tag, sizeof(tag)) != 1 || gmtime_r(&now, &tm) == NULL ||
        strftime(date, sizeof(date), "%Y%m%d", &tm) == 0)
        return -1;
    ta_b64url_encode(tag, sizeof(tag), tagenc);
    return snprintf(kid, n, "k%s-%s", date, tagenc) < (int)n ? 0 : -1;
}

/* keygen: 32 random bytes are both a whole Ed25519 seed and an HMAC secret of the minimum
 * length. An HS256 line is written without ALG: every version of the module reads that as
 * HS256, older ones read nothing else, and a key file is often shared by servers that are
 * upgraded one at a time. */
static int cmd_keygen(int argc, char **argv)
{
    unsigned char secret[KEYGEN_BYTES];
    char enc[TA_B64URL_BUFSIZE(sizeof(secret))], kid[TA_KID_MAX + 1];
    ta_alg alg = TA_ALG_EDDSA;
    int rc = 1;

    if (argc == 2 && strcmp(argv[0], "--alg") == 0)
        alg = ta_alg_parse(argv[1], strlen(argv[1]));
    if ((argc != 0 && argc != 2) || alg == TA_ALG_NONE)
        return usage();
    if (RAND_priv_bytes(secret, sizeof(secret)) != 1 || new_kid(kid, sizeof(kid)) != 0) {
        fputs("tokenauth: no randomness available\n", stderr);
        return 1;
    }
    ta_b64url_encode(secret, sizeof(secret), enc);
    if (alg == TA_ALG_EDDSA)
        rc = printf("%s EdDSA %s\n", kid, enc) < 0;
    else
        rc = printf("%s %s\n", kid, enc) < 0;
    OPENSSL_cleanse(secret, sizeof(secret));
    OPENSSL_cleanse(enc, sizeof(enc));
    return rc;
}

/* Parse a positive number of seconds. */
static int parse_seconds(const char *s, long long *out)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v <= 0 || v > TA_TIME_MAX / 2)
        return -1;
    *out = v;
    return 0;
}

/* The keys of path, with private keys only when the command signs. */
static ta_keyset *load_keys(const char *path, ta_keys_mode mode)
{
    char err[256];
    ta_keyset *ks = NULL;
    ta_keys_status st = ta_keys_load(path, 0, mode, &ks, err, sizeof(err));

    if (st != TA_KEYS_OK)
        fprintf(stderr, "tokenauth: %s: %s\n", path, err);
    return ks;
}

typedef struct {
    const char *key_file, *user, *issuer, *ttl, *kind, *scope, *token;
} cli_args;

/* Options shared by mint and inspect; the one positional argument goes to a->token. */
static int parse_args(int argc, char **argv, cli_args *a)
{
    for (int i = 0; i < argc; i++) {
        const char **slot = NULL;
        if (strcmp(argv[i], "--key-file") == 0)
            slot = &a->key_file;
        else if (strcmp(argv[i], "--user") == 0)
            slot = &a->user;
        else if (strcmp(argv[i], "--issuer") == 0)
            slot = &a->issuer;
        else if (strcmp(argv[i], "--ttl") == 0)
            slot = &a->ttl;
        else if (strcmp(argv[i], "--kind") == 0)
            slot = &a->kind;
        else if (strcmp(argv[i], "--scope") == 0)
            slot = &a->scope;
        else if (argv[i][0] != '-' && a->token == NULL) {
            a->token = argv[i];
            continue;
        }
        if (slot == NULL || i + 1 >= argc) {
            fprintf(stderr, "tokenauth: unexpected argument %s\n", argv[i]);
            return -1;
        }
        *slot = argv[++i];
    }
    return 0;
}

/* Fill claims for mint from the arguments and the user database. */
static int mint_claims(const cli_args *a, ta_claims *c)
{
    ta_user u;
    long long ttl;

    memset(c, 0, sizeof(*c));
    c->kind = a->kind ? ta_kind_parse(a->kind) : TA_KIND_SESSION;
    if (c->kind == TA_KIND_NONE || (a->kind && c->kind == TA_KIND_SESSION)) {
        fputs("tokenauth: --kind must be url or share\n", stderr);
        return -1;
    }
    if ((c->kind == TA_KIND_SESSION) != (a->scope == NULL) ||
        (a->scope && (strlen(a->scope) > TA_SCOPE_MAX || !ta_scope_valid(a->scope)))) {
        fputs("tokenauth: --kind and --scope go together; the scope is an absolute URL path\n",
              stderr);
        return -1;
    }
    if (a->scope)
        memcpy(c->scope, a->scope, strlen(a->scope) + 1);
    ttl = c->kind == TA_KIND_SESSION ? DEFAULT_SESSION_TTL : DEFAULT_URL_TTL;
    if (a->ttl && parse_seconds(a->ttl, &ttl) != 0) {
        fputs("tokenauth: --ttl takes a positive number of seconds\n", stderr);
        return -1;
    }
    if (strlen(a->user) > TA_SUB_MAX || !ta_sub_valid(a->user) ||
        ta_user_lookup(a->user, &u) != TA_USER_OK) {
        fprintf(stderr, "tokenauth: no such user: %s\n", a->user);
        return -1;
    }
    memcpy(c->sub, a->user, strlen(a->user) + 1);
    c->uid = u.uid;
    c->iat = (long long)time(NULL);
    c->exp = c->iat + ttl;
    return 0;
}

static int cmd_mint(int argc, char **argv)
{
    cli_args a = {0};
    ta_claims c;
    ta_keyset *ks;
    char tok[TA_TOKEN_MAX_LEN + 1];
    ta_token_status st;

    if (parse_args(argc, argv, &a) != 0 || a.key_file == NULL || a.user == NULL || a.token)
        return usage();
    if (mint_claims(&a, &c) != 0)
        return 1;
    if ((ks = load_keys(a.key_file, TA_KEYS_PRIVATE)) == NULL)
        return 1;
    st = ta_token_issue(ks, a.issuer ? a.issuer : DEFAULT_ISSUER, &c, tok, sizeof(tok));
    ta_keyset_free(ks);
    if (st != TA_TOKEN_OK) {
        fprintf(stderr, "tokenauth: cannot mint: %s\n", ta_token_status_name(st));
        return 1;
    }
    puts(tok);
    OPENSSL_cleanse(tok, sizeof(tok));
    return 0;
}

/* Print one decoded part, pretty when it is JSON; otherwise with control characters shown
 * as '?', since the token may come from anyone and this goes to a terminal. */
static void print_part(const char *label, const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    char *pretty = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

    printf("%s: ", label);
    if (pretty)
        fputs(pretty, stdout);
    else
        for (const unsigned char *p = (const unsigned char *)text; *p; p++)
            putchar(*p < 0x20 || *p == 0x7f ? '?' : *p);
    putchar('\n');
    free(pretty);
    json_decref(j);
}

/* The algorithm a decoded header names, as we know it. */
static ta_alg header_alg(const char *hdr)
{
    json_t *j = json_loads(hdr, 0, NULL);
    json_t *alg = json_object_get(j, "alg");
    ta_alg a = json_is_string(alg) ? ta_alg_parse(json_string_value(alg), json_string_length(alg))
                                   : TA_ALG_NONE;

    json_decref(j);
    return a;
}

/* Print the token's parts and the algorithm its header names. 0, or -1 when malformed. */
static int show_token(const char *token, ta_alg *alg)
{
    char *hdr, *pay;

    if (ta_token_decode_unverified(token, strlen(token), &hdr, &pay) != 0)
        return -1;
    print_part("header", hdr);
    print_part("claims", pay);
    *alg = header_alg(hdr);
    printf("algorithm: %s\n", *alg == TA_ALG_EDDSA   ? "EdDSA (Ed25519 signature)"
                              : *alg == TA_ALG_HS256 ? "HS256 (HMAC-SHA256)"
                                                     : "not one we sign with");
    free(hdr);
    free(pay);
    return 0;
}

static int cmd_inspect(int argc, char **argv)
{
    cli_args a = {0};
    ta_keyset *ks;
    ta_claims c;
    ta_token_status st;
    ta_alg alg = TA_ALG_NONE;

    if (parse_args(argc, argv, &a) != 0 || a.token == NULL || a.user || a.ttl || a.kind || a.scope)
        return usage();
    if (show_token(a.token, &alg) != 0) {
        puts("verifies: no (malformed)");
        return 1;
    }
    if (a.key_file == NULL) {
        puts("verifies: not checked (no --key-file)");
        return 0;
    }
    if ((ks = load_keys(a.key_file, TA_KEYS_PUBLIC)) == NULL) /* verifying needs no secret */
        return 1;
    st = ta_token_verify(ks, a.issuer ? a.issuer : DEFAULT_ISSUER, a.token, strlen(a.token),
                         (long long)time(NULL), &c);
    ta_keyset_free(ks);
    if (st != TA_TOKEN_OK) {
        printf("verifies: no (%s)\n", ta_token_status_name(st));
        return 1;
    }
    printf("verifies: yes (%s, key %s)\n", ta_alg_name(alg), c.kid);
    return 0;
}

/* jwks: the JWK Set that tokenauth-jwks serves for this key file. */
static int cmd_jwks(int argc, char **argv)
{
    cli_args a = {0};
    ta_keyset *ks;
    char *buf = NULL;
    size_t cap, len = 0;
    int rc = 1;

    if (parse_args(argc, argv, &a) != 0 || a.key_file == NULL || a.user || a.issuer || a.ttl ||
        a.kind || a.scope || a.token)
        return usage();
    if ((ks = load_keys(a.key_file, TA_KEYS_PUBLIC)) == NULL)
        return 1;
    cap = ta_jwks_size(ks);
    if ((buf = malloc(cap)) == NULL || ta_jwks_write(ks, buf, cap, &len) != 0)
        fputs("tokenauth: cannot write the JWKS\n", stderr);
    else
        rc = printf("%s\n", buf) < 0;
    if (rc == 0 && len == sizeof("{\"keys\":[]}") - 1)
        fprintf(stderr, "tokenauth: %s holds no EdDSA key (HS256 keys are never published)\n",
                a.key_file);
    free(buf);
    ta_keyset_free(ks);
    return rc;
}

/* Run the command; a failed write to stdout (a full disk, a closed pipe) fails it too. */
static int run(int argc, char **argv)
{
    if (strcmp(argv[1], "keygen") == 0)
        return cmd_keygen(argc - 2, argv + 2);
    if (strcmp(argv[1], "jwks") == 0)
        return cmd_jwks(argc - 2, argv + 2);
    if (strcmp(argv[1], "mint") == 0)
        return cmd_mint(argc - 2, argv + 2);
    if (strcmp(argv[1], "inspect") == 0)
        return cmd_inspect(argc - 2, argv + 2);
    return usage();
}

int main(int argc, char **argv)
{
    int rc;

    if (argc < 2)
        return usage();
    rc = run(argc, argv);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("tokenauth: stdout");
        return 1;
    }
    return rc;
}
