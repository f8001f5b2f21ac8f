/* The worker's side of a listing (ta_helper_list, src/wire/ta_helper_client.c) against a helper
 * that says what each test makes it say: a fake on a thread of this process takes the
 * connections from a hub as the helper does and answers each LIST_REQ from a script, in frames
 * written with the codec's own writer. A listing comes whole, in one request, however many
 * frames it takes; an answer that does not add up (a total that changes, fewer or more
 * entries than the window, another request's id, a connection that ends early) is no answer,
 * and its connection is dropped, never kept with frames of it for the next request. */
#include "unit.h"
#include "ta_filestatus.h"
#include "ta_helper_client.h"
#include "ta_io.h"
#include "ta_proto.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#define FAKE_CONNS 8
#define FAKE_TOTAL 7 /* the fake directory: n000 .. n006 */
#define FAKE_FRAME 2 /* entries a frame of the fake's holds at most */
#define TIMEOUT_MS 3000

/* How the fake answers the next LIST_REQ. */
typedef enum {
    SAY_LISTING,       /* the window, right, in frames of FAKE_FRAME entries */
    SAY_FORBIDDEN,     /* the status alone */
    SAY_TOO_LARGE,     /* the status alone */
    SAY_TOTAL_CHANGES, /* the second frame with another total */
    SAY_TOO_FEW,       /* one entry short, the last frame says no more */
    SAY_TOO_MANY,      /* one entry more than the window */
    SAY_OTHER_ID,      /* the second frame for another request */
    SAY_AND_HANG_UP,   /* the first frame says more, then the connection ends */
} fake_script;

static struct {
    int hub[2];
    pthread_t thread;
    atomic_int stop, conns, script;
} fake;

/* Frames of entries [from, to) of the fake directory, as the script says. 0 or -1. */
static int fake_frames(int s, uint32_t id, uint32_t from, uint32_t to, fake_script how)
{
    unsigned char buf[4096];
    ta_proto_list_writer w;
    size_t len = 0;
    uint32_t i = from, frame = 0;

    if (how == SAY_TOO_FEW && to > from)
        to--;
    if (how == SAY_TOO_MANY && to < FAKE_TOTAL)
        to++;
    do {
        uint32_t total = how == SAY_TOTAL_CHANGES && frame == 1 ? FAKE_TOTAL + 1 : FAKE_TOTAL;
        uint32_t fid = how == SAY_OTHER_ID && frame == 1 ? id + 1 : id;
        int more;

        if (ta_proto_list_begin(&w, fid, TA_CONFINE_IS_DIR, total, buf, sizeof(buf)) != 0)
            return -1;
        for (int k = 0; k < FAKE_FRAME && i < to; k++, i++) {
            char name[8];

            snprintf(name, sizeof(name), "n%03u", i);
            if (ta_proto_list_add(&w, (int)(i & 1), i * 10, 1700000000 + i, name, 4) != 0)
                return -1;
        }
        more = i < to;
        if (ta_proto_list_end(&w, more, &len) != 0 || ta_send_all(s, buf, len) != 0)
            return -1;
        if (how == SAY_AND_HANG_UP && more)
            return -1; /* the caller closes the connection */
        frame++;
    } while (i < to);
    return 0;
}

/* Answer one request on s as the script says. 0, or -1 to end the connection. */
static int fake_answer(int s, const ta_msg *m)
{
    fake_script how = (fake_script)atomic_load(&fake.script);
    uint64_t from = m->u.file_req.offset, limit = m->u.file_req.limit, to;
    unsigned char buf[64];
    ta_proto_list_writer w;
    size_t len = 0;

    if (m->type != TA_MSG_LIST_REQ)
        return -1;
    if (how == SAY_FORBIDDEN || how == SAY_TOO_LARGE) {
        int st = how == SAY_FORBIDDEN ? TA_CONFINE_FORBIDDEN : TA_CONFINE_TOO_LARGE;

        return ta_proto_list_begin(&w, m->id, st, 0, buf, sizeof(buf)) == 0 &&
                       ta_proto_list_end(&w, 0, &len) == 0 && ta_send_all(s, buf, len) == 0
                   ? 0
                   : -1;
    }
    if (from > FAKE_TOTAL)
        from = FAKE_TOTAL;
    to = limit == 0 || from + limit > FAKE_TOTAL ? FAKE_TOTAL : from + limit;
    return fake_frames(s, m->id, (uint32_t)from, (uint32_t)to, how);
}

/* One request from connection *s, answered; the connection closed (-1) when it ends. */
static void fake_serve(int *s)
{
    unsigned char buf[TA_PROTO_MAX_FRAME];
    size_t flen = 0, used = 0;
    ta_msg m;
    int fd = -1;

    if (ta_recv_frame_fd(*s, 1000, buf, sizeof(buf), &flen, &fd) != 0 ||
        ta_proto_decode(buf, flen, &m, &used) != TA_PROTO_OK || fake_answer(*s, &m) != 0) {
        close(*s);
        *s = -1;
    }
    if (fd >= 0)
        close(fd);
}

/* The fake helper: connections from the hub, each request answered as the script says. */
static void *fake_main(void *arg)
{
    int conn[FAKE_CONNS];

    (void)arg;
    for (int i = 0; i < FAKE_CONNS; i++)
        conn[i] = -1;
    while (!atomic_load(&fake.stop)) {
        struct pollfd p[FAKE_CONNS + 1] = {{.fd = fake.hub[1], .events = POLLIN}};
        int c = -1;

        for (int i = 0; i < FAKE_CONNS; i++)
            p[i + 1] = (struct pollfd){.fd = conn[i], .events = POLLIN};
        if (poll(p, FAKE_CONNS + 1, 50) <= 0)
            continue;
        if ((p[0].revents & POLLIN) && ta_hub_accept(fake.hub[1], &c) == 1) {
            for (int i = 0; i < FAKE_CONNS && c >= 0; i++)
                if (conn[i] < 0 && ta_hub_ack(c) == 0) {
                    conn[i] = c;
                    c = -1;
                    atomic_fetch_add(&fake.conns, 1);
                }
            if (c >= 0)
                close(c);
        }
        for (int i = 0; i < FAKE_CONNS; i++)
            if (conn[i] >= 0 && (p[i + 1].revents & (POLLIN | POLLHUP)))
                fake_serve(&conn[i]);
    }
    for (int i = 0; i < FAKE_CONNS; i++)
        if (conn[i] >= 0)
            close(conn[i]);
    return NULL;
}

static int setup(void **state)
{
    (void)state;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fake.hub) != 0)
        return -1;
    atomic_store(&fake.stop, 0);
    atomic_store(&fake.conns, 0);
    atomic_store(&fake.script, SAY_LISTING);
    ta_helper_client_init(fake.hub[0]);
    return pthread_create(&fake.thread, NULL, fake_main, NULL) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ta_helper_forget_connection();
    atomic_store(&fake.stop, 1);
    pthread_join(fake.thread, NULL);
    close(fake.hub[0]);
    close(fake.hub[1]);
    ta_helper_client_init(-1);
    return 0;
}

/* The window [offset, offset + limit) as the fake says it; the names, comma-separated, in
 * names (may be NULL), and the total. */
static int list(uint32_t offset, uint32_t limit, char *names, size_t cap, unsigned long *total)
{
    char err[256] = "";
    ta_listing *l = (ta_listing *)&err; /* must be set to NULL or a listing */
    const ta_list_entry *e;
    int st = ta_helper_list(TIMEOUT_MS, 0, 0, "a.b.c", "/d/", offset, limit, &l, err, sizeof(err));

    if (names)
        names[0] = '\0';
    if (st != TA_CONFINE_IS_DIR) {
        assert_null(l);
        return st;
    }
    *total = ta_listing_total(l);
    while ((e = ta_listing_next(l)) != NULL && names) {
        if (names[0])
            strncat(names, ",", cap - strlen(names) - 1);
        strncat(names, e->name, cap - strlen(names) - 1);
    }
    ta_listing_free(l);
    return st;
}

/* A listing of three frames comes whole for one request, in order, with the total; the kept
 * connection then serves the next request, and the one after (no new connection). */
static void test_list_client_reads_every_frame_and_keeps_its_connection(void **state)
{
    char names[256];
    unsigned long total = 0;

    (void)state;
    assert_int_equal(list(1, 5, names, sizeof(names), &total), TA_CONFINE_IS_DIR);
    assert_string_equal(names, "n001,n002,n003,n004,n005");
    assert_int_equal(total, FAKE_TOTAL);
    assert_int_equal(list(0, 0, names, sizeof(names), &total), TA_CONFINE_IS_DIR);
    assert_string_equal(names, "n000,n001,n002,n003,n004,n005,n006");
    assert_int_equal(list(6, 1000, names, sizeof(names), &total), TA_CONFINE_IS_DIR);
    assert_string_equal(names, "n006");
    assert_int_equal(list(7, 1, names, sizeof(names), &total), TA_CONFINE_IS_DIR);
    assert_string_equal(names, "");
    assert_int_equal(total, FAKE_TOTAL);
    assert_int_equal(atomic_load(&fake.conns), 1);
}

/* The helper's verdict on the path, and nothing with it; the connection stays. */
static void test_list_client_returns_the_helpers_verdict(void **state)
{
    unsigned long total = 0;

    (void)state;
    atomic_store(&fake.script, SAY_FORBIDDEN);
    assert_int_equal(list(0, 0, NULL, 0, &total), TA_CONFINE_FORBIDDEN);
    atomic_store(&fake.script, SAY_TOO_LARGE);
    assert_int_equal(list(0, 10, NULL, 0, &total), TA_CONFINE_TOO_LARGE);
    atomic_store(&fake.script, SAY_LISTING);
    assert_int_equal(list(0, 1, NULL, 0, &total), TA_CONFINE_IS_DIR);
    assert_int_equal(atomic_load(&fake.conns), 1);
}

/* Every answer that does not add up is no answer (503 for the worker), and the next request
 * goes on a new connection: nothing of the bad answer is read as the next one's. */
static void test_list_client_drops_an_answer_that_does_not_add_up(void **state)
{
    static const fake_script bad[] = {SAY_TOTAL_CHANGES, SAY_TOO_FEW, SAY_TOO_MANY, SAY_OTHER_ID,
                                      SAY_AND_HANG_UP};
    char names[256];
    unsigned long total = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int conns;

        atomic_store(&fake.script, bad[i]);
        assert_int_equal(list(0, 6, NULL, 0, &total), TA_HELPER_UNAVAILABLE);
        conns = atomic_load(&fake.conns);
        atomic_store(&fake.script, SAY_LISTING);
        assert_int_equal(list(2, 2, names, sizeof(names), &total), TA_CONFINE_IS_DIR);
        assert_string_equal(names, "n002,n003");
        assert_int_equal(atomic_load(&fake.conns), conns + 1);
    }
}

/* A window the protocol cannot carry is not sent at all. */
static void test_list_client_refuses_a_window_it_cannot_send(void **state)
{
    unsigned long total = 0;
    int conns = atomic_load(&fake.conns);

    (void)state;
    assert_int_equal(list(0, TA_PROTO_LIST_TOTAL_MAX + 1, NULL, 0, &total), TA_CONFINE_BAD_PATH);
    assert_int_equal(atomic_load(&fake.conns), conns);
    ta_listing_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_list_client_reads_every_frame_and_keeps_its_connection,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_client_returns_the_helpers_verdict, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_list_client_drops_an_answer_that_does_not_add_up,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_client_refuses_a_window_it_cannot_send, setup,
                                        teardown),
    };

    return cmocka_run_group_tests_name("helper_list", tests, NULL, NULL);
}
