/* The PAM check: a conversation that gives the password once and nothing else, the two PAM
 * calls, and what their return codes mean to a login handler. */
#include "ta_pam.h"
#include "ta_proto.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_appl.h>
#include <openssl/crypto.h>

#define SERVICE_MAX 64 /* as the helper protocol allows */
#define NOTE_MAX 128   /* one module message or refused prompt, as kept for the log */

/* What the conversation needs, and what it saw for the log. It holds no secret bytes: the
 * only copy of the password we make is the answer handed to PAM. */
typedef struct {
    const char *password;   /* the caller's buffer */
    int answered;           /* the one hidden prompt we answer has had its answer */
    char refused[NOTE_MAX]; /* the first prompt we refused to answer */
    char note[NOTE_MAX];    /* the first message a module showed (error or info) */
    int delay_noted;        /* libpam called our PAM_FAIL_DELAY function */
    int delay_asked;        /* ... with a delay: a module asked for one */
} conv_state;

static const char *const status_names[] = {
    [TA_PAM_OK] = "ok",
    [TA_PAM_BAD_CREDENTIALS] = "bad_credentials",
    [TA_PAM_ACCOUNT_REFUSED] = "account_refused",
    [TA_PAM_UNAVAILABLE] = "unavailable",
};

const char *ta_pam_status_name(ta_pam_status st)
{
    if ((size_t)st < sizeof(status_names) / sizeof(status_names[0]) && status_names[st])
        return status_names[st];
    return "unknown";
}

/* Keep the first text of its kind for the log: trailing blanks dropped, cut to fit, control
 * characters (a module's newlines, or anything meant to forge a log line) shown as '?'. */
static void keep_first(char *dst, const char *kind, const char *text)
{
    size_t n;

    if (dst[0] != '\0')
        return;
    if (text == NULL)
        text = "";
    n = strnlen(text, NOTE_MAX);
    while (n > 0 && isspace((unsigned char)text[n - 1]))
        n--;
    snprintf(dst, NOTE_MAX, "%s\"%.*s\"", kind, (int)n, text);
    for (char *p = dst; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
}

/* Free the responses of one conversation call, wiping any password copy first. PAM's rule:
 * when the conversation fails, it frees what it allocated; PAM frees nothing. */
static void free_responses(struct pam_response *r, int n)
{
    for (int i = 0; i < n; i++) {
        if (r[i].resp != NULL) {
            OPENSSL_cleanse(r[i].resp, strlen(r[i].resp));
            free(r[i].resp);
        }
    }
    free(r);
}

/* One message. The first hidden prompt gets the password; any other prompt (a second hidden
 * one such as "New password:", a visible one such as a user name or a one-time code, a binary
 * prompt) fails the conversation: we never guess what a module wants, and no login may hang
 * waiting for input that nobody will type. Messages are for a user at a terminal; we keep the
 * first for the log and go on. */
static int answer(conv_state *cs, const struct pam_message *m, struct pam_response *r)
{
    if (m == NULL)
        return PAM_CONV_ERR;
    switch (m->msg_style) {
    case PAM_PROMPT_ECHO_OFF:
        if (cs->answered) {
            keep_first(cs->refused, "second hidden prompt ", m->msg);
            return PAM_CONV_ERR;
        }
        /* the asking module owns the copy; libpam's pam_get_authtok (pam_unix and most
         * modules) wipes it once it is PAM_AUTHTOK, which pam_end wipes in turn */
        r->resp = strdup(cs->password);
        if (r->resp == NULL)
            return PAM_BUF_ERR;
        r->resp_retcode = 0;
        cs->answered = 1;
        return PAM_SUCCESS;
    case PAM_ERROR_MSG:
    case PAM_TEXT_INFO:
        keep_first(cs->note, "", m->msg);
        return PAM_SUCCESS;
    case PAM_PROMPT_ECHO_ON:
        keep_first(cs->refused, "visible prompt ", m->msg);
        return PAM_CONV_ERR;
    default: {
        char kind[32];

        snprintf(kind, sizeof(kind), "prompt of style %d ", m->msg_style);
        keep_first(cs->refused, kind, NULL); /* a binary prompt is no text */
        return PAM_CONV_ERR;
    }
    }
}

/* PAM_FAIL_DELAY: libpam calls this at the end of pam_authenticate instead of sleeping, with
 * the delay it drew for the largest request of the stack's modules (0: nobody asked). We only
 * note whether one was asked for: the helper waits, for every refusal alike, also for those
 * that come after pam_authenticate succeeded (ta_delay.h). libpam hands us the conversation's
 * appdata. */
static void note_fail_delay(int retval, unsigned usec, void *appdata)
{
    conv_state *cs = appdata;

    (void)retval;
    if (cs == NULL)
        return;
    cs->delay_noted = 1;
    if (usec > 0)
        cs->delay_asked = 1;
}

/* PAM's conversation callback (Linux-PAM passes msg as an array of pointers). On success the
 * responses belong to PAM; on any failure nothing we allocated is left behind. */
static int converse(int num_msg, const struct pam_message **msg, struct pam_response **resp,
                    void *appdata)
{
    conv_state *cs = appdata;
    struct pam_response *r;

    if (resp == NULL)
        return PAM_CONV_ERR;
    *resp = NULL;
    if (cs == NULL || msg == NULL || num_msg <= 0 || num_msg > PAM_MAX_NUM_MSG)
        return PAM_CONV_ERR;
    r = calloc((size_t)num_msg, sizeof(*r));
    if (r == NULL)
        return PAM_BUF_ERR;
    for (int i = 0; i < num_msg; i++) {
        int rc = answer(cs, msg[i], &r[i]);

        if (rc != PAM_SUCCESS) {
            free_responses(r, num_msg);
            return rc;
        }
    }
    *resp = r;
    return PAM_SUCCESS;
}

/* Write one log line into why: the step and PAM's words for its code, then what the
 * conversation kept. Returns st, so that callers can say and return in one statement. */
static ta_pam_status say(ta_pam_status st, char *why, size_t whylen, const conv_state *cs,
                         const char *fmt, ...)
{
    va_list ap;
    size_t n;

    if (why == NULL || whylen == 0)
        return st;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    n = strlen(why);
    if (cs != NULL && cs->refused[0] != '\0' && n < whylen)
        n += (size_t)snprintf(why + n, whylen - n, "; refused %s", cs->refused);
    if (cs != NULL && cs->note[0] != '\0' && n < whylen)
        snprintf(why + n, whylen - n, "; module said %s", cs->note);
    return st;
}

/* pam_authenticate's refusals. Everything a password check can say about the account is one
 * answer, so that no caller can tell an unknown user from a wrong password; a policy refusal
 * here (pam_access, pam_nologin in the auth stack) may come before the password was even
 * looked at, so it is no ACCOUNT_REFUSED either. A prompt we refused means the stack wants
 * more than a password (a second factor): that user cannot log in here. Anything else is PAM
 * or a module failing. */
static ta_pam_status auth_refusal(int rc, const conv_state *cs)
{
    switch (rc) {
    case PAM_AUTH_ERR:
    case PAM_USER_UNKNOWN:
    case PAM_MAXTRIES:
    case PAM_CRED_INSUFFICIENT:
    case PAM_PERM_DENIED:
        return TA_PAM_BAD_CREDENTIALS;
    default:
        return cs->refused[0] != '\0' ? TA_PAM_BAD_CREDENTIALS : TA_PAM_UNAVAILABLE;
    }
}

/* pam_acct_mgmt's refusals, after the password was accepted. Debian's common-account jumps
 * over pam_deny only on success, so an expired account comes back as pam_deny's
 * PAM_AUTH_ERR rather than pam_unix's PAM_ACCT_EXPIRED: both are the account being refused. */
static ta_pam_status acct_refusal(int rc, const conv_state *cs)
{
    switch (rc) {
    case PAM_ACCT_EXPIRED:
    case PAM_NEW_AUTHTOK_REQD:
    case PAM_AUTHTOK_EXPIRED:
    case PAM_PERM_DENIED:
    case PAM_AUTH_ERR:
    case PAM_USER_UNKNOWN:
        return TA_PAM_ACCOUNT_REFUSED;
    default:
        return cs->refused[0] != '\0' ? TA_PAM_ACCOUNT_REFUSED : TA_PAM_UNAVAILABLE;
    }
}

/* The two PAM calls on a started handle; *last gets the last PAM code for pam_end.
 * PAM_DISALLOW_NULL_AUTHTOK on both: Debian's common-auth has pam_unix "nullok", which would
 * let an account without a password in with any answer; the flag overrides it. After success
 * the account must still be the one asked for: a module that maps names (PAM_USER changed)
 * would otherwise get a token issued for a user PAM did not check. We ask for no credentials
 * and open no session: this is a password check, not a login shell. */
static ta_pam_status authenticate_and_vet(pam_handle_t *h, const char *user, const char *rhost,
                                          conv_state *cs, int *last, char *why, size_t whylen)
{
    const void *item = NULL;
    int rc;

    /* without it libpam would sleep here, after a failed password only */
    rc = *last = pam_set_item(h, PAM_FAIL_DELAY, (const void *)note_fail_delay);
    if (rc != PAM_SUCCESS)
        return say(TA_PAM_UNAVAILABLE, why, whylen, NULL, "pam_set_item(PAM_FAIL_DELAY): %s",
                   pam_strerror(h, rc));
    if (rhost != NULL && rhost[0] != '\0') {
        rc = *last = pam_set_item(h, PAM_RHOST, rhost);
        if (rc != PAM_SUCCESS)
            return say(TA_PAM_UNAVAILABLE, why, whylen, NULL, "pam_set_item(PAM_RHOST): %s",
                       pam_strerror(h, rc));
    }
    rc = *last = pam_authenticate(h, PAM_DISALLOW_NULL_AUTHTOK);
    if (rc != PAM_SUCCESS)
        return say(auth_refusal(rc, cs), why, whylen, cs, "pam_authenticate: %s",
                   pam_strerror(h, rc));
    rc = *last = pam_acct_mgmt(h, PAM_DISALLOW_NULL_AUTHTOK);
    if (rc != PAM_SUCCESS)
        return say(acct_refusal(rc, cs), why, whylen, cs, "pam_acct_mgmt: %s", pam_strerror(h, rc));
    rc = pam_get_item(h, PAM_USER, &item);
    if (rc != PAM_SUCCESS || item == NULL)
        return say(TA_PAM_UNAVAILABLE, why, whylen, cs, "pam_get_item(PAM_USER): %s",
                   pam_strerror(h, rc));
    if (strcmp(item, user) != 0)
        return say(TA_PAM_ACCOUNT_REFUSED, why, whylen, cs,
                   "PAM changed the user name: name mapping is not supported");
    return say(TA_PAM_OK, why, whylen, cs, "authenticated");
}

/* An empty user name would make PAM prompt for one, and an empty password is never right
 * (and is what an LDAP stack may take for an anonymous bind): both are refused before PAM is
 * asked. One handle per attempt, so nothing of one login (items, module data, a fail delay)
 * can leak into the next. */
ta_pam_status ta_pam_check(const char *service, const char *user, const char *password,
                           const char *rhost, int *fail_delay, char *why, size_t whylen)
{
    conv_state cs;
    struct pam_conv conv = {converse, &cs};
    pam_handle_t *h = NULL;
    ta_pam_status st;
    int rc, last;

    if (fail_delay != NULL)
        *fail_delay = 1;
    if (why != NULL && whylen > 0)
        why[0] = '\0';
    if (!ta_pam_service_valid(service))
        return say(TA_PAM_UNAVAILABLE, why, whylen, NULL, "invalid PAM service name");
    if (user == NULL || user[0] == '\0')
        return say(TA_PAM_BAD_CREDENTIALS, why, whylen, NULL, "empty user name");
    if (password == NULL || password[0] == '\0')
        return say(TA_PAM_BAD_CREDENTIALS, why, whylen, NULL, "empty password");

    memset(&cs, 0, sizeof(cs));
    cs.password = password;
    rc = pam_start(service, user, &conv, &h);
    if (rc != PAM_SUCCESS) /* Linux-PAM has freed the handle and left h NULL */
        return say(TA_PAM_UNAVAILABLE, why, whylen, NULL, "pam_start: %s", pam_strerror(h, rc));
    last = PAM_SUCCESS;
    st = authenticate_and_vet(h, user, rhost, &cs, &last, why, whylen);
    if (fail_delay != NULL && cs.delay_noted && !cs.delay_asked)
        *fail_delay = 0; /* the stack says "nodelay" */
    /* pam_end wipes PAM's copy of the password (PAM_AUTHTOK) and runs the modules' cleanup */
    rc = pam_end(h, last);
    if (rc != PAM_SUCCESS && st == TA_PAM_OK)
        st = say(TA_PAM_UNAVAILABLE, why, whylen, NULL, "pam_end: %s", pam_strerror(NULL, rc));
    return st;
}
