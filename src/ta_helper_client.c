/* One connection per request: logins are rare, and a fresh connection never carries a
 * half-read answer of an earlier request. */
#include "ta_helper_client.h"
#include "ta_io.h"
#include "ta_proto.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

/* A helper being replaced (graceful restart) is back once its predecessor has drained:
 * retry for longer than that rather than answer 503. */
#define CONNECT_TRIES 80
#define CONNECT_PAUSE_MS 100

static void pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int helper_connect(const char *path, char *err, size_t errlen)
{
    struct sockaddr_un sa;

    memset(&sa, 0, sizeof(sa));
    if (strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(err, errlen, "socket path too long");
        return -1;
    }
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    for (int i = 0; i < CONNECT_TRIES; i++) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            break;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
            return fd;
        close(fd);
        if (errno != ECONNREFUSED && errno != ENOENT && errno != EAGAIN)
            break;
        pause_ms(CONNECT_PAUSE_MS);
    }
    snprintf(err, errlen, "cannot reach the helper at %s: %s", path, strerror(errno));
    return -1;
}

/* Read one whole answer frame within timeout_ms. */
static int read_answer(int fd, int timeout_ms, unsigned char *buf, size_t cap, size_t *flen)
{
    size_t have = 0;

    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ta_proto_status st = ta_proto_frame_len(buf, have, flen);
        ssize_t r;

        if (st == TA_PROTO_OK && have >= *flen)
            return 0;
        if ((st != TA_PROTO_OK && st != TA_PROTO_NEED_MORE) || have == cap)
            return -1;
        if (poll(&p, 1, timeout_ms) <= 0)
            return -1;
        r = recv(fd, buf + have, cap - have, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        have += (size_t)r;
    }
}

int ta_helper_auth(const char *socket_path, int timeout_ms, const char *service, const char *user,
                   const char *password, const char *rhost, unsigned long *uid, char *err,
                   size_t errlen)
{
    unsigned char req[TA_PROTO_MAX_FRAME], ans[TA_PROTO_HEADER_LEN + 64];
    size_t rlen = 0, alen = 0, used = 0;
    uint32_t id;
    ta_msg m;
    int fd, result = TA_AUTH_UNAVAILABLE;

    *uid = 0;
    if (RAND_bytes((unsigned char *)&id, sizeof(id)) != 1)
        id = (uint32_t)getpid();
    if (ta_proto_encode_auth_req(id, service, user, strlen(user), password, strlen(password), rhost,
                                 req, sizeof(req), &rlen) != TA_PROTO_OK) {
        OPENSSL_cleanse(req, sizeof(req));
        /* a user name or password that no account can have is a failed login; a service or
         * client address we cannot send is our problem, and must not look like one */
        if (ta_proto_encode_auth_req(id, service, "x", 1, "", 0, rhost, req, sizeof(req), &rlen) !=
            TA_PROTO_OK) {
            snprintf(err, errlen, "service or client address not sendable to the helper");
            return TA_AUTH_UNAVAILABLE;
        }
        snprintf(err, errlen, "user name or password outside the protocol's limits");
        return TA_AUTH_BAD_CREDENTIALS;
    }
    fd = helper_connect(socket_path, err, errlen);
    if (fd >= 0) {
        if (ta_send_all(fd, req, rlen) != 0 || read_answer(fd, timeout_ms, ans, sizeof(ans), &alen))
            snprintf(err, errlen, "no answer from the helper");
        else if (ta_proto_decode(ans, alen, &m, &used) != TA_PROTO_OK || m.id != id ||
                 m.type != TA_MSG_AUTH_RESP)
            snprintf(err, errlen, "the helper answered something unexpected");
        else {
            result = m.u.auth_resp.result;
            *uid = m.u.auth_resp.uid;
        }
        close(fd);
    }
    OPENSSL_cleanse(req, sizeof(req));
    return result;
}
