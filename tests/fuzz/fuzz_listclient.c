/* libFuzzer target: the worker's reading of a listing answer (ta_helper_list in
 * src/wire/ta_helper_client.c), one frame or many. A fake helper on a thread of this process
 * takes the worker's connection from a hub as the real one does, reads its LIST_REQ and
 * answers with frames made from the input, each under the request's own id unless the input
 * says otherwise; then it hangs up.
 *
 * Input: offset u32, limit u32 (the window the worker asks for), then frames, each a flags
 * byte (bit 0: another request's id; bit 1: type ERROR instead of LIST_RESP; bit 2: a
 * descriptor along with it), a body length u16 and the body. Invariants: no crash or leak; the
 * answer is IS_DIR, another status of the helper's, or UNAVAILABLE; a listing holds exactly
 * its window's entries, each a single path component. */
#include "fuzz.h"
#include "ta_filestatus.h"
#include "ta_helper_client.h"
#include "ta_io.h"
#include "ta_proto.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TIMEOUT_MS 200

static int hub[2] = {-1, -1};
static pthread_t fake;
static const uint8_t *frames; /* the input's frames, for the fake's next connection */
static size_t frames_len;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;
static int accepted, served; /* connections the fake took, and finished with */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Write the input's frames for request id on s; stops at the first that cannot be sent. */
static void answer(int s, uint32_t id)
{
    unsigned char head[TA_PROTO_HEADER_LEN];
    size_t pos = 0;

    while (pos + 3 <= frames_len) {
        uint8_t flags = frames[pos];
        size_t len = (size_t)frames[pos + 1] << 8 | frames[pos + 2];

        pos += 3;
        if (len > frames_len - pos)
            len = frames_len - pos;
        head[0] = 'T';
        head[1] = 'A';
        head[2] = TA_PROTO_VERSION;
        head[3] = (flags & 2) ? TA_MSG_ERROR : TA_MSG_LIST_RESP;
        put32(head + 4, (flags & 1) ? id + 1 : id);
        put32(head + 8, (uint32_t)len);
        if ((flags & 4) ? ta_send_frame_fd(s, head, sizeof(head), open("/dev/null", O_RDONLY))
                        : ta_send_all(s, head, sizeof(head)))
            return;
        if (len > 0 && ta_send_all(s, frames + pos, len) != 0)
            return;
        pos += len;
    }
}

/* The fake helper: one connection at a time, one request each, answered from the input. */
static void *fake_main(void *unused)
{
    (void)unused;
    for (;;) {
        unsigned char req[TA_PROTO_MAX_FRAME];
        size_t flen = 0;
        int c = -1, fd = -1;

        if (ta_hub_accept(hub[1], &c) != 1)
            continue;
        pthread_mutex_lock(&lock);
        accepted++;
        pthread_mutex_unlock(&lock);
        if (ta_hub_ack(c) == 0 && ta_recv_frame_fd(c, 1000, req, sizeof(req), &flen, &fd) == 0 &&
            flen >= TA_PROTO_HEADER_LEN)
            answer(c, be32(req + 4));
        if (fd >= 0)
            close(fd);
        close(c);
        pthread_mutex_lock(&lock);
        served++;
        pthread_cond_signal(&done);
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

static void start(void)
{
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, hub) == 0);
    ta_helper_client_init(hub[0]);
    CHECK(pthread_create(&fake, NULL, fake_main, NULL) == 0);
}

static int is_component(const char *s)
{
    return s[0] != '\0' && strchr(s, '/') == NULL && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int started;
    uint32_t offset, limit;
    ta_listing *l = NULL;
    char err[256];
    int st;

    if (!started) {
        start();
        started = 1;
    }
    if (size < 8)
        return 0;
    offset = be32(data);
    limit = be32(data + 4) % (TA_PROTO_LIST_TOTAL_MAX + 1);
    pthread_mutex_lock(&lock);
    frames = data + 8;
    frames_len = size - 8;
    pthread_mutex_unlock(&lock);

    st = ta_helper_list(TIMEOUT_MS, 0, 0, "a.b.c", "/d/", offset, limit, &l, err, sizeof(err));
    ta_helper_forget_connection(); /* the fake hangs up after each answer */
    /* the next input's frames must not reach this one's connection: the fake finishes with
     * every connection it took (a request refused before connecting makes none; one that
     * connected was taken before the worker got its 'A') */
    pthread_mutex_lock(&lock);
    while (served < accepted)
        pthread_cond_wait(&done, &lock);
    pthread_mutex_unlock(&lock);

    if (st == TA_CONFINE_IS_DIR) {
        unsigned long total = ta_listing_total(l);
        size_t n = 0, want = offset < total ? total - offset : 0;
        const ta_list_entry *e;

        CHECK(l != NULL);
        if (limit != 0 && want > limit)
            want = limit;
        while ((e = ta_listing_next(l)) != NULL) {
            CHECK(is_component(e->name));
            n++;
        }
        CHECK(n == want && n == ta_listing_count(l));
    }
    else {
        CHECK(l == NULL);
        CHECK(st == TA_HELPER_UNAVAILABLE || (st >= TA_CONFINE_OK && st <= TA_CONFINE_TOO_LARGE));
    }
    ta_listing_free(l);
    return 0;
}
