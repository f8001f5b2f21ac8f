/* Tokens: compact JWS, EdDSA (Ed25519) or HS256 (SPEC §3). Issue and verify; each acceptance
 * rule is a named check with its own status so the access checker can log why a token was
 * refused. Nothing here needs jansson to issue, nor (built with -DTA_NO_JANSSON) to verify
 * the tokens we issue: see ta_jobject.h. */
#ifndef TA_TOKEN_H
#define TA_TOKEN_H

#include <stddef.h>
#include "ta_keys.h"

#define TA_TOKEN_MAX_LEN 4095 /* "under 4 KiB" */
#define TA_SUB_MAX 256
#define TA_JTI_MIN 22 /* 128 bits in base64url */
#define TA_JTI_MAX 128
#define TA_SCOPE_MAX 2048
#define TA_ISSUER_MAX 256
#define TA_IAT_LEEWAY 60               /* seconds an iat may lie in the future */
#define TA_TIME_MAX 9007199254740992LL /* 2^53 */

typedef enum {
    TA_KIND_NONE = 0,
    TA_KIND_SESSION,
    TA_KIND_URL,
    TA_KIND_SHARE,
} ta_kind;

/* Why a token was refused. The first group is decided by ta_token_verify alone; the second
 * by checks that need the request or the system (ta_token_check_request and the glue). */
typedef enum {
    TA_TOKEN_OK = 0,
    TA_TOKEN_TOO_LONG,
    TA_TOKEN_MALFORMED,  /* not three non-empty dot-separated parts; a part that is not strict
                          * base64url fails as that part (header, payload or MAC) */
    TA_TOKEN_BAD_HEADER, /* header not a JSON object, duplicate keys, bad typ/kid, crit */
    TA_TOKEN_BAD_ALG,    /* alg is neither HS256 nor EdDSA, or not the algorithm of the key that
                          * kid names */
    TA_TOKEN_UNKNOWN_KID,
    TA_TOKEN_BAD_MAC,     /* the signature does not verify (the HMAC, or the Ed25519 signature) */
    TA_TOKEN_BAD_PAYLOAD, /* claims not a JSON object, or duplicate keys */
    TA_TOKEN_BAD_ISSUER,
    TA_TOKEN_BAD_SUBJECT,
    TA_TOKEN_BAD_UID,
    TA_TOKEN_BAD_TIME, /* iat/exp/nbf missing or not integers in [0, 2^53] */
    TA_TOKEN_EXPIRED,
    TA_TOKEN_FUTURE_IAT,
    TA_TOKEN_BAD_JTI,
    TA_TOKEN_BAD_KIND,
    TA_TOKEN_BAD_SCOPE, /* scope missing, present on a session, or not a clean path */
    TA_TOKEN_NO_MEMORY,
    TA_TOKEN_INTERNAL,
    TA_TOKEN_NO_SIGNING_KEY, /* issue: the first key is an EdDSA key loaded TA_KEYS_PUBLIC */
    /* request-level refusals */
    TA_TOKEN_REPEATED,      /* one source held more than one token */
    TA_TOKEN_QUERY_SESSION, /* a session token in the query without TokenAuthQuerySessions */
    TA_TOKEN_OUT_OF_SCOPE,
    TA_TOKEN_BAD_METHOD, /* url/share tokens allow GET and HEAD only */
    TA_TOKEN_UNKNOWN_USER,
    TA_TOKEN_UID_MISMATCH,
    TA_TOKEN_REVOKED,
    TA_TOKEN_SYSTEM_ACCOUNT, /* uid below TokenAuthMinUID: root and system accounts */
    TA_TOKEN_STATUS_COUNT
} ta_token_status;

typedef struct {
    char kid[TA_KID_MAX + 1];
    char sub[TA_SUB_MAX + 1];
    unsigned long uid;
    long long iat;
    long long exp;
    char jti[TA_JTI_MAX + 1];
    ta_kind kind;
    char scope[TA_SCOPE_MAX + 1]; /* "" for session tokens */
    char sid[TA_JTI_MAX + 1];     /* url tokens: the jti of the session that minted them, or "" */
} ta_claims;

/* A stable lower-case name for logs ("expired", "bad_mac"). */
const char *ta_token_status_name(ta_token_status st);

/* "session", "url", "share"; NULL for TA_KIND_NONE. */
const char *ta_kind_name(ta_kind k);
/* Parse a kind name; TA_KIND_NONE when unknown. */
ta_kind ta_kind_parse(const char *s);

/* 1 when s is an acceptable username in a token: the login name rule (ta_login_name_valid of
 * ta_user.h), so that no token names an account that could not log in. TA_SUB_MAX bounds what
 * is read before the rule is applied. */
int ta_sub_valid(const char *s);

/* 1 when s is an acceptable scope: an absolute URL path of at most TA_SCOPE_MAX bytes with no
 * control characters, no '?', '#' or '\\', no empty, "." or ".." segment. (A scope must also
 * be UTF-8 to be issued: ta_token_issue checks that.) */
int ta_scope_valid(const char *s);

/* 1 when path equals scope, or lies below it when scope ends in '/'. */
int ta_scope_covers(const char *scope, const char *path);

/* 1 when s is an acceptable jti (or sid): 22..128 URL-safe characters, at least 128 bits. */
int ta_jti_valid(const char *s);

/* Where a url or share token's request is resolved (SPEC §6: beneath its scope). The scope's
 * directory is the scope itself when it ends in '/', else the folder the scope's file is in.
 * path is the request path, which scope must cover; base is where the part of path below the
 * root (the home location: ~user/subdir) begins, so that path + base is that part. On success
 * (0), path[base .. base + *dir_len) is the scope's directory below the root, without its
 * trailing '/' (*dir_len 0: the scope's directory is the root, or above it), and path + *rest_at
 * is the rest of the request, to resolve beneath that directory. -1 when scope is not absolute
 * or does not cover path, base lies past its end, or the directory's name would be empty or
 * begin with '/'. */
int ta_scope_split(const char *scope, const char *path, size_t base, size_t *dir_len,
                   size_t *rest_at);

/* Fill jti with a fresh random id (TA_JTI_MIN characters). 0 or -1. */
int ta_token_new_jti(char jti[TA_JTI_MAX + 1]);

/* Sign claims with the first key of ks, by that key's algorithm (TA_TOKEN_NO_SIGNING_KEY when
 * the key set holds only its public half). c->kid is ignored; an empty c->jti gets a random
 * one. issuer and jti must be well-formed UTF-8 (TA_TOKEN_INTERNAL otherwise), and so must the
 * scope (TA_TOKEN_BAD_SCOPE). out gets a NUL-terminated token of at most TA_TOKEN_MAX_LEN
 * bytes. */
ta_token_status ta_token_issue(const ta_keyset *ks, const char *issuer, const ta_claims *c,
                               char *out, size_t outlen);

/* Verify token[0..len) and decode its claims into *c (zeroed on failure). now is Unix time. */
ta_token_status ta_token_verify(const ta_keyset *ks, const char *issuer, const char *token,
                                size_t len, long long now, ta_claims *c);

/* ta_token_verify with one rule left out: an expired token is accepted, with *expired set
 * (0 otherwise; also 0 on any refusal). Every other rule holds, signature and iat included.
 * For revoking a link (mod_tokenauth/ta_logout.c), where an expired token needs no more than
 * to be recognised as the caller's own; never for authenticating a request. */
ta_token_status ta_token_verify_any_expiry(const ta_keyset *ks, const char *issuer,
                                           const char *token, size_t len, long long now,
                                           ta_claims *c, int *expired);

/* The scope and method rules for url/share tokens (session tokens pass). path is the
 * normalised request path. */
ta_token_status ta_token_check_request(const ta_claims *c, const char *path, int is_get_or_head);

/* 1 when token has the shape of a compact JWS whose header names one of the keys of ks (its
 * signature is not checked): a token of ours, which no other code should see. */
int ta_token_names_our_key(const ta_keyset *ks, const char *token, size_t len);

/* Decode the header and claims of a token without verifying anything (for `inspect`).
 * *header and *payload are malloc'd, NUL-terminated; free with free(). 0 or -1. */
int ta_token_decode_unverified(const char *token, size_t len, char **header, char **payload);

#endif
