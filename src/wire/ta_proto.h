/* The helper protocol (SPEC §6), version 2: what Apache's workers and the privileged helper say
 * to each other over their Unix stream socket. Every message in both directions is one frame:
 *
 *   0-1  magic 'T' 'A'        4-7   request id, uint32 big-endian (echoed in the answer)
 *   2    version (2)          8-11  body length, uint32 big-endian, at most TA_PROTO_MAX_BODY
 *   3    type                 12-   body                  (TA_PROTO_MAX_LIST_BODY for LIST_RESP)
 *
 * Version 2 is the one in which the worker is an untrusted client: a file request carries the
 * token and a location, never a user name, a directory or policy flags, and the helper decides
 * everything else from its own copy of the configuration. Version 1 frames are refused
 * (bad_version): they asked the helper to believe the worker.
 *
 * The helper is privileged, so decoding is one strict function: every length is checked
 * against what is left before it is used, every field against its limit and character class,
 * and a frame has exactly one accepted encoding (the encoders write it). No allocation. */
#ifndef TA_PROTO_H
#define TA_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define TA_PROTO_VERSION 2
#define TA_PROTO_HEADER_LEN 12
#define TA_PROTO_MAX_BODY 16384
#define TA_PROTO_MAX_FRAME (TA_PROTO_HEADER_LEN + TA_PROTO_MAX_BODY)
/* A directory listing is the one message that needs more: it alone may reach 1 MiB, which the
 * header check enforces by type. Requests stay within TA_PROTO_MAX_BODY, so the helper never
 * reads more than TA_PROTO_MAX_FRAME from a client. */
#define TA_PROTO_MAX_LIST_BODY (1024 * 1024)
#define TA_PROTO_MAX_LIST_FRAME (TA_PROTO_HEADER_LEN + TA_PROTO_MAX_LIST_BODY)

/* String fields: a uint16 big-endian length and the bytes, no NUL among them. */
#define TA_PROTO_SERVICE_MAX 64    /* 1..64 of A-Za-z0-9._- (a PAM service name) */
#define TA_PROTO_USER_MAX 256      /* 1..256, no control characters */
#define TA_PROTO_PASSWORD_MAX 1024 /* 0..1024 */
#define TA_PROTO_RHOST_MAX 64      /* 0..64 of 0x21-0x7e: an IPv4/IPv6 address text */
#define TA_PROTO_TOKEN_MAX 4095    /* a compact JWS of base64url and dots: SPEC's "under 4 KiB" */
#define TA_PROTO_PATH_MAX 4096     /* 0..4096, no control characters */
#define TA_PROTO_SCOPE_MAX 2048    /* 1..2048, no control characters (TA_SCOPE_MAX) */
#define TA_PROTO_WHY_MAX 255       /* a PAM verdict's log line, no control characters */
#define TA_PROTO_TIGHTEN_OWNER_ONLY 0x01 /* the worker's TokenAuthOwnerOnly is On */
#define TA_PROTO_TIGHTEN_HIDE 0x02       /* the worker's TokenAuthHidden is deny */
#define TA_PROTO_TIGHTEN_ALL 0x03
#define TA_PROTO_SERVERS_MAX 0xffffu /* virtual hosts the helper can tell apart */

/* OPEN_RESP: status uint8 (a ta_confine_status), mode uint32, size uint64, mtime_sec int64,
 * mtime_nsec uint32, ino uint64, dev uint64, all big-endian. With TA_CONFINE_OK the mode is a
 * regular file's and the open descriptor travels with the frame (SCM_RIGHTS); with
 * TA_CONFINE_IS_DIR it is a directory's and no descriptor comes; with any other status every
 * field after it is 0. */
#define TA_PROTO_OPEN_RESP_LEN 41
#define TA_PROTO_FILE_STATUS_MAX 7 /* TA_CONFINE_BAD_TOKEN, the last status of an open */

/* LIST_RESP: status uint8, more uint8 (0 or 1), total uint32, count uint32, then count entries:
 * type uint8 (0 file, 1 directory), size uint64, mtime int64, name (uint16 length 1..255 and
 * the bytes: no NUL, no '/', not "." or ".."). The status is the helper's verdict on the path:
 * TA_CONFINE_IS_DIR carries the listing; anything else (TA_CONFINE_OK: a regular file, list
 * nothing; TA_CONFINE_TOO_LARGE: too many entries to sort) has more, total and count 0.
 *
 * One LIST_REQ is answered by one or more LIST_RESP frames with its id, in order: every one
 * but the last says more 1 and carries at least one entry, the last says more 0. total is the
 * number of entries the whole directory lists (the same in every frame); the entries are those
 * of the sorted listing (by name, bytewise) from the request's offset on, limit of them at
 * most (all the rest with limit 0), so their count over all frames is known before the first
 * one: min(limit, total - offset), or 0 when offset >= total. */
#define TA_PROTO_LIST_HEAD_LEN 10
#define TA_PROTO_LIST_ENTRY_MIN 20 /* type, size, mtime, length and a one-byte name */
#define TA_PROTO_NAME_MAX 255
#define TA_PROTO_LIST_STATUS_MAX 8 /* TA_CONFINE_TOO_LARGE: LIST_RESP's last status */
#define TA_PROTO_LIST_TOTAL_MAX                                                                    \
    1000000u /* a listing counts no more entries than this: the                                    \
              * helper refuses a larger one (too_large), and a                                     \
              * LIST_REQ's limit is at most this */
/* The most entries one frame can hold. */
#define TA_PROTO_LIST_MAX_ENTRIES                                                                  \
    ((TA_PROTO_MAX_LIST_BODY - TA_PROTO_LIST_HEAD_LEN) / TA_PROTO_LIST_ENTRY_MIN)

/* Message types. The body of each, in wire order:
 *   AUTH_REQ   server u16, path (the login URL), user, password, rhost
 *   AUTH_RESP  result u8, uid u32, expires_at u64, retry_after u32, token (only with OK)
 *   OPEN_REQ   server u16, tighten u8, token, path (the whole URL path)
 *   LIST_REQ   server u16, tighten u8, offset u32, limit u32 (0..TA_PROTO_LIST_TOTAL_MAX; 0: to
 *              the end), token, path (a directory's URL path: it ends in '/')
 *   OPEN_RESP, LIST_RESP  above
 *   MINT_REQ   server u16, kind u8 (url/share), ttl u64 (0: the default where the scope lies),
 *              session token, scope
 *   MINT_RESP  status u8, expires_at u64, token (only with OK)
 *   PAM_REQ    service, user, password, rhost    (the helper to its PAM process only)
 *   PAM_RESP   status u8 (a ta_pam_status), delay u8 (0 or 1), why  (the PAM process to the
 *              helper only)
 *   ERROR      code u8
 * server is the virtual host (0 the main server, then Apache's virtual hosts in order). The
 * worker names a virtual host and a URL path and nothing else: the helper holds its own copy of
 * every <Location> section's settings and works out, as Apache does, which apply to the path. */
typedef enum {
    TA_MSG_AUTH_REQ = 1,
    TA_MSG_AUTH_RESP = 2,
    TA_MSG_OPEN_REQ = 3,
    TA_MSG_OPEN_RESP = 4,
    TA_MSG_LIST_REQ = 5,
    TA_MSG_LIST_RESP = 6,
    TA_MSG_MINT_REQ = 8,
    TA_MSG_MINT_RESP = 9,
    TA_MSG_PAM_REQ = 10,
    TA_MSG_PAM_RESP = 11,
    TA_MSG_ERROR = 0x7f,
} ta_msg_type;

/* What the helper says about an opened file: its fstat, as OPEN_RESP carries it. */
typedef struct {
    uint32_t mode;
    uint64_t size;
    int64_t mtime_sec;
    uint32_t mtime_nsec; /* < 1000000000 */
    uint64_t ino;
    uint64_t dev;
} ta_file_info;

/* What OPEN_RESP says of a file, from its fstat. */
void ta_file_info_from_stat(const struct stat *st, ta_file_info *fi);

/* One entry of a decoded listing; name points into the frame and is not NUL-terminated. */
typedef struct {
    int is_dir;
    uint64_t size;
    int64_t mtime;
    const char *name;
    size_t name_len;
} ta_proto_dirent;

/* The helper's verdict on a login (AUTH_RESP result). */
typedef enum {
    TA_AUTH_OK = 0,
    TA_AUTH_BAD_CREDENTIALS = 1, /* PAM refused: unknown user or wrong password */
    TA_AUTH_ACCOUNT_REFUSED = 2, /* pam_acct_mgmt refused (expired, locked), or an account the
                                  * helper does not serve */
    TA_AUTH_UNAVAILABLE = 3,     /* PAM or the helper failed: answer 503, not 401 */
    TA_AUTH_THROTTLED = 4,       /* too many failures for this name: retry_after seconds */
} ta_auth_result;

/* The helper's verdict on a mint (MINT_RESP status). */
typedef enum {
    TA_MINT_OK = 0,
    TA_MINT_REFUSED = 1,     /* the session token does not allow minting (invalid, revoked,
                              * not a session token) */
    TA_MINT_BAD_REQUEST = 2, /* scope outside the location, ttl over its maximum, bad kind */
    TA_MINT_UNAVAILABLE = 3,
} ta_mint_result;

/* Why the helper refused a frame (ERROR code). */
typedef enum {
    TA_PROTO_ERR_MALFORMED = 1,
    TA_PROTO_ERR_BAD_VERSION = 2,
    TA_PROTO_ERR_BAD_TYPE = 3,
    TA_PROTO_ERR_TOO_LARGE = 4,
    TA_PROTO_ERR_INTERNAL = 5,
    TA_PROTO_ERR_FORBIDDEN = 6, /* a request this peer may not make */
} ta_proto_error;

typedef enum ta_proto_status {
    TA_PROTO_OK = 0,
    TA_PROTO_NEED_MORE,   /* not a whole frame yet: read more */
    TA_PROTO_BAD_MAGIC,   /* not our protocol at all */
    TA_PROTO_BAD_VERSION, /* our protocol, another version */
    TA_PROTO_BAD_TYPE,    /* unknown or reserved type */
    TA_PROTO_TOO_LARGE,   /* body length over the type's limit (ta_proto_body_limit) */
    TA_PROTO_MALFORMED,   /* a sound header, but a body that breaks a rule */
    TA_PROTO_NO_ROOM,     /* encode buffer too small */
} ta_proto_status;

/* One message. Strings are NUL-terminated and hold no NUL of their own, so strlen() gives
 * back each field's length. Passwords and tokens are secrets: ta_msg_wipe when done. */
typedef struct ta_msg {
    uint8_t type; /* ta_msg_type */
    uint32_t id;
    union {
        struct {
            uint16_t server;
            char path[TA_PROTO_PATH_MAX + 1];
            char user[TA_PROTO_USER_MAX + 1];
            char password[TA_PROTO_PASSWORD_MAX + 1];
            char rhost[TA_PROTO_RHOST_MAX + 1];
        } auth_req;
        struct {
            uint8_t result; /* ta_auth_result */
            uint32_t uid;   /* 0 unless TA_AUTH_OK */
            uint64_t expires_at;
            uint32_t retry_after; /* 0 unless TA_AUTH_THROTTLED */
            char token[TA_PROTO_TOKEN_MAX + 1];
        } auth_resp;
        struct {
            uint16_t server;
            uint8_t tighten; /* TA_PROTO_TIGHTEN_*: the worker's own policy, which the helper
                              * may only add to its own (a <Directory> or <LocationMatch>
                              * setting the helper's copy cannot model), never relax */
            uint32_t offset; /* LIST_REQ only: the window of the sorted listing wanted, */
            uint32_t limit;  /* limit entries from offset on (0: all from offset on) */
            char token[TA_PROTO_TOKEN_MAX + 1];
            char path[TA_PROTO_PATH_MAX + 1];
        } file_req; /* OPEN_REQ and LIST_REQ */
        struct {
            uint16_t server;
            uint8_t kind; /* ta_kind: TA_KIND_URL or TA_KIND_SHARE */
            uint64_t ttl;
            char token[TA_PROTO_TOKEN_MAX + 1];
            char scope[TA_PROTO_SCOPE_MAX + 1];
        } mint_req;
        struct {
            uint8_t status; /* ta_mint_result */
            uint64_t expires_at;
            char token[TA_PROTO_TOKEN_MAX + 1];
        } mint_resp;
        struct {
            char service[TA_PROTO_SERVICE_MAX + 1];
            char user[TA_PROTO_USER_MAX + 1];
            char password[TA_PROTO_PASSWORD_MAX + 1];
            char rhost[TA_PROTO_RHOST_MAX + 1];
        } pam_req;
        struct {
            uint8_t status; /* ta_pam_status */
            uint8_t delay;  /* 1: a refusal waits the failure delay; 0: the PAM stack asked
                             * for none (ta_pam_check's fail_delay) */
            char why[TA_PROTO_WHY_MAX + 1];
        } pam_resp;
        struct {
            uint8_t status; /* ta_confine_status */
            ta_file_info info;
        } open_resp;
        struct {
            uint8_t status; /* ta_confine_status */
            uint8_t more;   /* 1: another LIST_RESP of this answer follows */
            uint32_t total; /* entries in the whole listing */
            uint32_t count; /* entries in this frame */
            /* the entries, checked, still in the frame: read them with ta_proto_list_next
             * while the frame's buffer lives */
            const unsigned char *entries;
            size_t entries_len;
        } list_resp;
        struct {
            uint8_t code; /* ta_proto_error */
        } error;
    } u;
} ta_msg;

/* 1 when s can name a PAM service: 1..64 of A-Za-z0-9._-, not starting with a dot (a file
 * name under /etc/pam.d). The configuration is checked with it, and the PAM process holds
 * every request to it. */
int ta_pam_service_valid(const char *s);

/* Stable lower-case names for logs ("bad_version", "account_refused", "too_large");
 * "unknown" for a value outside the enum. */
const char *ta_proto_status_name(ta_proto_status st);
const char *ta_auth_result_name(int result);
const char *ta_mint_result_name(int result);
const char *ta_msg_type_name(int type);
const char *ta_proto_error_name(int code);

/* The largest body a frame of this type may have: TA_PROTO_MAX_LIST_BODY for LIST_RESP,
 * TA_PROTO_MAX_BODY for every other type. */
size_t ta_proto_body_limit(unsigned type);

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

/* Encode m (type, id and the fields of its type) as one frame into buf[0..cap) and set *len.
 * Every field is held to the decoder's own rules first, so we never send what the other side
 * must reject, and nothing is written unless the whole frame fits (NO_ROOM). *len is 0 on
 * failure. For every type but OPEN_RESP and LIST_RESP, which have encoders of their own. */
ta_proto_status ta_proto_encode(const ta_msg *m, unsigned char *buf, size_t cap, size_t *len);

/* Copy src[0..n) into a string field of capacity cap (its array size): -1 when it does not
 * fit or holds a NUL (a %00 or \u0000 in a request body would otherwise cut a password short
 * without anybody noticing), else 0. */
int ta_proto_set_string(char *dst, size_t cap, const char *src, size_t n);

/* An ERROR frame for a refused request. */
ta_proto_status ta_proto_encode_error(uint32_t id, int code, unsigned char *buf, size_t cap,
                                      size_t *len);

/* info may be NULL for a status other than TA_CONFINE_OK and TA_CONFINE_IS_DIR. */
ta_proto_status ta_proto_encode_open_resp(uint32_t id, int status, const ta_file_info *info,
                                          unsigned char *buf, size_t cap, size_t *len);

/* A LIST_RESP frame is written entry by entry, so that a helper can fill the body up to its
 * limit and go on in the next frame: begin (with the listing's total), add (NO_ROOM when the
 * entry does not fit, and nothing of it written: end this frame with more 1 and put it in the
 * next), end. The frame is valid only after end. The writer never goes past
 * TA_PROTO_MAX_LIST_FRAME, whatever cap is, nor writes a frame the decoder refuses (a count
 * over the total, more 1 without an entry). */
typedef struct {
    unsigned char *buf;
    size_t cap, len;
    uint32_t count, total;
    uint8_t status;
} ta_proto_list_writer;

ta_proto_status ta_proto_list_begin(ta_proto_list_writer *w, uint32_t id, int status,
                                    uint32_t total, unsigned char *buf, size_t cap);
ta_proto_status ta_proto_list_add(ta_proto_list_writer *w, int is_dir, uint64_t size, int64_t mtime,
                                  const char *name, size_t name_len);
ta_proto_status ta_proto_list_end(ta_proto_list_writer *w, int more, size_t *len);

/* Read a decoded LIST_RESP's entries in order: *pos starts at 0; 1 and the next entry in *e,
 * or 0 after the last one. */
int ta_proto_list_next(const ta_msg *m, size_t *pos, ta_proto_dirent *e);

/* OPENSSL_cleanse the whole message: it may hold a password. */
void ta_msg_wipe(ta_msg *m);

#endif
