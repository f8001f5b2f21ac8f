/* The helper's log: lines in Apache's own error-log format, appended to the error log the
 * parent handed over (or to syslog when Apache logs there), so administrators and the
 * test suite read one log. Every message starts with its own TA id. */
#ifndef TA_HLOG_H
#define TA_HLOG_H

/* Levels, as syslog's. */
#define TA_LOG_ERR 3
#define TA_LOG_WARNING 4
#define TA_LOG_NOTICE 5
#define TA_LOG_INFO 6
#define TA_LOG_DEBUG 7

/* fd: the error log (kept open; -1 for syslog); max_level: the most verbose level written. */
void ta_hlog_init(int fd, int max_level);

/* 1 when a message at level would be written (to skip building one that would not). */
int ta_hlog_enabled(int level);

/* One line. Control characters in the text are written as '?', so that nothing a request
 * carries can forge a line. */
void ta_hlog(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Lines a client can cause at will (one per request) are written TA_HLOG_BURST times a second
 * per kind at most, the next one written saying how many were left out. */
#define TA_HLOG_BURST 100
typedef enum {
    TA_HLOG_AUTH,
    TA_HLOG_THROTTLED,
    TA_HLOG_BAD_TOKEN,
    TA_HLOG_MINT_REFUSED,
    TA_HLOG_FILE,
    TA_HLOG_KINDS
} ta_hlog_kind;

void ta_hlog_limited(ta_hlog_kind kind, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
