/* The helper protocol (SPEC §6), version 1: what Apache's workers and the privileged helper say
 * to each other over their Unix stream socket. Every message in both directions is one frame:
 *
 *   0-1  magic 'T' 'A'        4-7   request id, uint32 big-endian (echoed in the answer)
 *   2    version (1)          8-11  body length, uint32 big-endian, at most TA_PROTO_MAX_BODY
 *   3    type                 12-   body
 *
 * The helper is privileged, so decoding is one strict function: every length is checked
 * against what is left before it is used, every field against its limit and character class,
 * and a frame has exactly one accepted encoding (the encoders write it). No allocation. */
#ifndef TA_PROTO_H
#define TA_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define TA_PROTO_VERSION 1
#define TA_PROTO_HEADER_LEN 12
#define TA_PROTO_MAX_BODY 16384
#define TA_PROTO_MAX_FRAME (TA_PROTO_HEADER_LEN + TA_PROTO_MAX_BODY)

/* AUTH_REQ fields, in this order, each a uint16 big-endian length and the bytes. */
#define TA_PROTO_SERVICE_MAX 64    /* 1..64 of A-Za-z0-9._- (a PAM service name) */
#define TA_PROTO_USER_MAX 256      /* 1..256, no control characters, no NUL */
#define TA_PROTO_PASSWORD_MAX 1024 /* 0..1024, no NUL */
#define TA_PROTO_RHOST_MAX 64      /* 0..64 of 0x21-0x7e: an IPv4/IPv6 address text */
#define TA_PROTO_AUTH_RESP_LEN 5   /* result uint8, uid uint32 big-endian */
#define TA_PROTO_ERROR_LEN 1       /* code uint8 */

/* Message types; 3-6 (OPEN_REQ, OPEN_RESP, LIST_REQ, LIST_RESP) are reserved for the file
 * half of the helper and refused as TA_PROTO_BAD_TYPE until it exists. */
typedef enum {
    TA_MSG_AUTH_REQ = 1,
    TA_MSG_AUTH_RESP = 2,
    TA_MSG_ERROR = 0x7f,
} ta_msg_type;

/* The helper's verdict on a login (AUTH_RESP result). */
typedef enum {
    TA_AUTH_OK = 0,
    TA_AUTH_BAD_CREDENTIALS = 1, /* pam_authenticate refused: unknown user or wrong password */
    TA_AUTH_ACCOUNT_REFUSED = 2, /* pam_acct_mgmt refused: expired, locked */
    TA_AUTH_UNAVAILABLE = 3,     /* PAM itself failed: answer 503, not 401 */
} ta_auth_result;

/* Why the helper refused a frame (ERROR_RESP code). */
typedef enum {
    TA_PROTO_ERR_MALFORMED = 1,
    TA_PROTO_ERR_BAD_VERSION = 2,
    TA_PROTO_ERR_BAD_TYPE = 3,
    TA_PROTO_ERR_TOO_LARGE = 4,
    TA_PROTO_ERR_INTERNAL = 5,
} ta_proto_error;

typedef enum ta_proto_status {
    TA_PROTO_OK = 0,
    TA_PROTO_NEED_MORE,   /* not a whole frame yet: read more */
    TA_PROTO_BAD_MAGIC,   /* not our protocol at all */
    TA_PROTO_BAD_VERSION, /* our protocol, another version */
    TA_PROTO_BAD_TYPE,    /* unknown or reserved type */
    TA_PROTO_TOO_LARGE,   /* body length over TA_PROTO_MAX_BODY */
    TA_PROTO_MALFORMED,   /* a sound header, but a body that breaks a rule */
    TA_PROTO_NO_ROOM,     /* encode buffer too small */
} ta_proto_status;

/* One decoded message. The strings are NUL-terminated and hold no NUL of their own, so
 * strlen() gives back each field's length. The password is a secret: ta_msg_wipe when done. */
typedef struct ta_msg {
    uint8_t type; /* ta_msg_type */
    uint32_t id;
    union {
        struct {
            char service[TA_PROTO_SERVICE_MAX + 1];
            char user[TA_PROTO_USER_MAX + 1];
            char password[TA_PROTO_PASSWORD_MAX + 1];
            char rhost[TA_PROTO_RHOST_MAX + 1];
        } auth_req;
        struct {
            uint8_t result; /* ta_auth_result */
            uint32_t uid;   /* 0 unless TA_AUTH_OK */
        } auth_resp;
        struct {
            uint8_t code; /* ta_proto_error */
        } error;
    } u;
} ta_msg;

/* Stable lower-case names for logs ("bad_version", "account_refused", "too_large");
 * "unknown" for a value outside the enum. */
const char *ta_proto_status_name(ta_proto_status st);
const char *ta_auth_result_name(int result);
const char *ta_proto_error_name(int code);

/* Check the header in buf[0..len) (magic, version, a known type, the body length limit) and set
 * *frame_len to the length of the whole frame. NEED_MORE while fewer than
 * TA_PROTO_HEADER_LEN bytes are there; the body is not looked at. */
ta_proto_status ta_proto_frame_len(const unsigned char *buf, size_t len, size_t *frame_len);

/* Decode exactly one frame from the start of buf[0..len) into *m, strictly. On OK, *consumed
 * is the frame's length (more frames may follow in buf). On any other status *m is wiped and
 * holds nothing. *consumed is then the frame's length for MALFORMED (the framing is sound, so
 * a server may answer the one request and go on; the skipped bytes may hold a password) and
 * 0 otherwise (NEED_MORE, or a header that leaves the stream without trustworthy framing). */
ta_proto_status ta_proto_decode(const unsigned char *buf, size_t len, ta_msg *m, size_t *consumed);

/* The request id of the frame at buf, to answer one that was refused; 0 while fewer than
 * TA_PROTO_HEADER_LEN bytes are there. */
uint32_t ta_proto_request_id(const unsigned char *buf, size_t len);

/* The ERROR_RESP code that answers a decode failure: a frame that is not ours, or not whole
 * when the peer stopped sending, is MALFORMED; OK and NO_ROOM are no decode failure
 * (INTERNAL). */
ta_proto_error ta_proto_error_for(ta_proto_status st);

/* Encoders write one frame into buf[0..cap) and set *len; they refuse (MALFORMED) whatever
 * ta_proto_decode would refuse, so we never send what the other side must reject, and write
 * nothing at all unless the whole frame fits (NO_ROOM). *len is 0 on failure.
 *
 * User and password come with lengths: they arrive in a request body where %00 or \u0000
 * can hide a NUL, and a C string would silently cut the password there. Service and rhost
 * come from the configuration and the connection, as C strings. */
ta_proto_status ta_proto_encode_auth_req(uint32_t id, const char *service, const char *user,
                                         size_t user_len, const char *password, size_t password_len,
                                         const char *rhost, unsigned char *buf, size_t cap,
                                         size_t *len);
ta_proto_status ta_proto_encode_auth_resp(uint32_t id, int result, uint32_t uid, unsigned char *buf,
                                          size_t cap, size_t *len);
ta_proto_status ta_proto_encode_error(uint32_t id, int code, unsigned char *buf, size_t cap,
                                      size_t *len);

/* OPENSSL_cleanse the whole message: it may hold a password. */
void ta_msg_wipe(ta_msg *m);

#endif
