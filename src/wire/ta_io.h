/* Socket I/O shared by the helper and its client. */
#ifndef TA_IO_H
#define TA_IO_H

#include <stddef.h>

/* Send all n bytes on a socket, across short writes and EINTR, without SIGPIPE. 0 or -1. */
int ta_send_all(int fd, const unsigned char *p, size_t n);

/* The monotonic clock in milliseconds, for ta_send_all_until's deadline. */
long long ta_io_now_ms(void);

/* ta_send_all, done by deadline (ta_io_now_ms's clock): the socket is written without
 * blocking and waited for at most until then, so that a peer that reads slowly, however
 * steadily, cannot stretch the send. 0, or -1 (errno ETIMEDOUT when the deadline passed). */
int ta_send_all_until(int fd, const unsigned char *p, size_t n, long long deadline);

/* The same, with fd (unless -1) passed as SCM_RIGHTS along with the first bytes, so that the
 * descriptor arrives with the start of its frame. The caller still owns fd. 0 or -1. */
int ta_send_frame_fd(int sock, const unsigned char *p, size_t n, int fd);

/* Receive exactly one frame into buf[0..cap) within timeout_ms (for the whole frame), and at
 * most one descriptor sent with it, opened close-on-exec in *fd (-1 when none came). Only the
 * frame's own bytes are read, never the start of the next one, so that a descriptor is never
 * taken with the wrong frame. 0 and the frame's length in *flen; -1 (and *fd -1, every
 * descriptor that came closed) on timeout, end of stream, a bad header, a frame larger than
 * cap, a second descriptor or any other ancillary data. The frame is only framed, not decoded:
 * a caller that finds it malformed must close *fd. */
int ta_recv_frame_fd(int sock, int timeout_ms, unsigned char *buf, size_t cap, size_t *flen,
                     int *fd);

/* The answer to the one request outstanding on a blocking socket whose SO_RCVTIMEO bounds the
 * wait: one frame (and at most one descriptor) read with as few calls as possible, as no
 * other frame can follow it. 0, or -1 (any descriptor that came is closed) with errno EAGAIN
 * when the wait passed without a byte (the caller may wait again), else another errno. */
int ta_recv_answer_fd(int sock, unsigned char *buf, size_t cap, size_t *flen, int *fd);

/* Connections through a hub (a SOCK_SEQPACKET socket whose other end the helper reads): make
 * a stream socket pair, send one end over the hub as one byte TA_HUB_CONNECT with that one
 * descriptor, wait at most timeout_ms for the helper's TA_HUB_ACCEPTED on the other end, and
 * return that end (close-on-exec), or -1 (errno ETIMEDOUT: no helper is reading the hub, as
 * while one is restarted; ECONNREFUSED: it refused the connection). The wait lets a worker
 * answer 503 at once when there is no helper, instead of holding a request for the whole
 * answer timeout. */
#define TA_HUB_CONNECT 'C'
#define TA_HUB_ACCEPTED 'A'
int ta_hub_connect(int hub, int timeout_ms);

/* The helper took conn: tell its client (one byte, never waiting). 0 or -1. */
int ta_hub_ack(int conn);

/* The helper's side: take one message off the hub without waiting. 1 and the connection's
 * socket in *conn (close-on-exec); 0 when nothing was there or a malformed message was refused
 * (its descriptors closed); -1 when the hub failed or every sender has gone. */
int ta_hub_accept(int hub, int *conn);

#endif
