/* The tokenauth command-line tool (SPEC §7): keygen, mint, inspect. */
#include "ta_b64.h"
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

static int usage(void)
{
    fputs("usage: tokenauth keygen\n"
          "       tokenauth mint --key-file F --user U [--issuer ISS] [--ttl S]\n"
          "                      [--kind url|share --scope PATH]\n"
          "       tokenauth inspect [--key-file F] [--issuer ISS] TOKEN\n",
          stderr);
    return 2;
}

/* keygen: "KID SECRET" with 32 random bytes and a KID that sorts by date. */
static int cmd_keygen(void)
{
    unsigned char secret[32], tag[3];
    char enc[TA_B64URL_BUFSIZE(sizeof(secret))], tagenc[TA_B64URL_BUFSIZE(sizeof(tag))];
    char date[16];
    time_t now = time(NULL);
    struct tm tm;

    if (RAND_bytes(secret, sizeof(secret)) != 1 || RAND_bytes(tag, sizeof(tag)) != 1) {
        fputs("tokenauth: no randomness available\n", stderr);
        return 1;
    }
    ta_b64url_encode(secret, sizeof(secret), enc);
    ta_b64url_encode(tag, sizeof(tag), tagenc);
    if (gmtime_r(&now, &tm) == NULL || strftime(date, sizeof(date), "%Y%m%d", &tm) == 0) {
        fputs("tokenauth: cannot read the clock\n", stderr);
        return 1;
    }
    printf("k%s-%s %s\n", date, tagenc, enc);
    OPENSSL_cleanse(secret, sizeof(secret));
    OPENSSL_cleanse(enc, sizeof(enc));
    return 0;
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

static ta_keyset *load_keys(const char *path)
{
    char err[256];
    ta_keyset *ks = NULL;
    ta_keys_status st = ta_keys_load(path, 0, &ks, err, sizeof(err));

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
    if ((ks = load_keys(a.key_file)) == NULL)
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

/* Print one decoded part, pretty when it is JSON. */
static void print_part(const char *label, const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    char *pretty = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

    printf("%s: %s\n", label, pretty ? pretty : text);
    free(pretty);
    json_decref(j);
}

static int cmd_inspect(int argc, char **argv)
{
    cli_args a = {0};
    char *hdr, *pay;
    ta_keyset *ks;
    ta_claims c;
    ta_token_status st;

    if (parse_args(argc, argv, &a) != 0 || a.token == NULL || a.user || a.ttl || a.kind || a.scope)
        return usage();
    if (ta_token_decode_unverified(a.token, strlen(a.token), &hdr, &pay) != 0) {
        puts("verifies: no (malformed)");
        return 1;
    }
    print_part("header", hdr);
    print_part("claims", pay);
    free(hdr);
    free(pay);
    if (a.key_file == NULL) {
        puts("verifies: not checked (no --key-file)");
        return 0;
    }
    if ((ks = load_keys(a.key_file)) == NULL)
        return 1;
    st = ta_token_verify(ks, a.issuer ? a.issuer : DEFAULT_ISSUER, a.token, strlen(a.token),
                         (long long)time(NULL), &c);
    ta_keyset_free(ks);
    if (st != TA_TOKEN_OK) {
        printf("verifies: no (%s)\n", ta_token_status_name(st));
        return 1;
    }
    puts("verifies: yes");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    if (strcmp(argv[1], "keygen") == 0 && argc == 2)
        return cmd_keygen();
    if (strcmp(argv[1], "mint") == 0)
        return cmd_mint(argc - 2, argv + 2);
    if (strcmp(argv[1], "inspect") == 0)
        return cmd_inspect(argc - 2, argv + 2);
    return usage();
}
