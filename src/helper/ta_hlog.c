/* The helper's log lines. One write(2) per line on an O_APPEND descriptor, so the lines of the
 * helper's threads and of Apache's processes never interleave within a line. */
#include "ta_hlog.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 1024

static int log_fd = -1;
static pthread_mutex_t limit_lock = PTHREAD_MUTEX_INITIALIZER;
static time_t limit_at[TA_HLOG_KINDS];
static unsigned limit_written[TA_HLOG_KINDS];
static unsigned long limit_skipped[TA_HLOG_KINDS];
static int log_max = TA_LOG_INFO;

static const char *const level_names[] = {"emerg", "alert",  "crit", "error",
                                          "warn",  "notice", "info", "debug"};

void ta_hlog_init(int fd, int max_level)
{
    log_fd = fd;
    log_max = max_level;
    if (fd < 0)
        openlog("tokenauth-helper", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int ta_hlog_enabled(int level)
{
    return level <= log_max;
}

/* "[Sun Dec 06 09:15:59.123456 2026] [tokenauth:info] [pid 1:tid 2] " as Apache writes it. */
static int prefix(char *buf, size_t cap, int level)
{
    struct timeval tv;
    struct tm tm;
    char when[64];

    gettimeofday(&tv, NULL);
    if (localtime_r(&tv.tv_sec, &tm) == NULL ||
        strftime(when, sizeof(when), "%a %b %d %H:%M:%S", &tm) == 0)
        when[0] = '\0';
    return snprintf(buf, cap, "[%s.%06ld %d] [tokenauth:%s] [pid %ld:tid %ld] ", when,
                    (long)tv.tv_usec, tm.tm_year + 1900, level_names[level], (long)getpid(),
                    (long)syscall(SYS_gettid));
}

void ta_hlog(int level, const char *fmt, ...)
{
    char line[LINE_MAX_BYTES];
    va_list ap;
    int n = 0, m;

    if (level < 0 || level > TA_LOG_DEBUG || !ta_hlog_enabled(level))
        return;
    if (log_fd >= 0 && (n = prefix(line, sizeof(line), level)) < 0)
        return;
    if ((size_t)n >= sizeof(line) - 2)
        n = 0;
    va_start(ap, fmt);
    m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0)
        return;
    n = (size_t)(n + m) >= sizeof(line) - 1 ? (int)sizeof(line) - 2 : n + m;
    for (int i = 0; i < n; i++)
        if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
            line[i] = '?';
    if (log_fd < 0) {
        line[n] = '\0';
        syslog(level, "%s", line);
        return;
    }
    line[n++] = '\n';
    if (write(log_fd, line, (size_t)n) < 0)
        return; /* nowhere left to say so */
}

void ta_hlog_limited(ta_hlog_kind kind, int level, const char *fmt, ...)
{
    char msg[LINE_MAX_BYTES];
    time_t now = time(NULL);
    unsigned long skipped = 0;
    va_list ap;
    int write_it = 0;

    if ((unsigned)kind >= TA_HLOG_KINDS || !ta_hlog_enabled(level))
        return;
    pthread_mutex_lock(&limit_lock);
    if (limit_at[kind] != now) {
        skipped = limit_skipped[kind];
        limit_at[kind] = now;
        limit_written[kind] = 0;
        limit_skipped[kind] = 0;
    }
    if (limit_written[kind] < TA_HLOG_BURST) {
        write_it = 1;
        limit_written[kind]++;
    }
    else
        limit_skipped[kind]++;
    pthread_mutex_unlock(&limit_lock);
    if (!write_it)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (skipped)
        ta_hlog(level, "%s (and %lu more like it left out before)", msg, skipped);
    else
        ta_hlog(level, "%s", msg);
}
