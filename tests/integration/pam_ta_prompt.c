/* pam_ta_prompt.so: a PAM module for the tests only. It talks to the application's conversation
 * the way real modules can (a second password prompt, a visible prompt, several messages in
 * one call), so that tests/integration/test_pam_core.py can check what ta_pam_check answers.
 *
 *   auth    required /path/pam_ta_prompt.so [batch] [expect=TEXT] [user=NAME] STYLE:TEXT...
 *   account required /path/pam_ta_prompt.so ...
 *
 * STYLE is off (a hidden prompt), on (a visible prompt), err or info (messages). Each message
 * is its own conversation call, or all go in one call with "batch". The module returns what
 * the conversation returned, or PAM_AUTH_ERR when expect= is given and the answer to the first
 * hidden prompt differs; else PAM_SUCCESS. user= sets PAM_USER, as a module that maps login
 * names would. */
#include <stdlib.h>
#include <string.h>

#include <security/pam_modules.h>

#define MAX_MSG 8

/* Wipe and free a conversation's answers (the module owns them once the call succeeded). */
static void drop(struct pam_response *r, int n)
{
    if (r == NULL)
        return;
    for (int i = 0; i < n; i++) {
        if (r[i].resp != NULL) {
            explicit_bzero(r[i].resp, strlen(r[i].resp));
            free(r[i].resp);
        }
    }
    free(r);
}

/* Ask the conversation about msgs[0..n); check the first hidden answer against expect. */
static int ask(const struct pam_conv *conv, const struct pam_message **msgs, int n,
               const char *expect)
{
    struct pam_response *r = NULL;
    int rc = conv->conv(n, msgs, &r, conv->appdata_ptr);

    if (rc != PAM_SUCCESS)
        return rc; /* the conversation freed its own answers */
    for (int i = 0; i < n && expect != NULL; i++) {
        if (msgs[i]->msg_style == PAM_PROMPT_ECHO_OFF) {
            if (r == NULL || r[i].resp == NULL || strcmp(r[i].resp, expect) != 0)
                rc = PAM_AUTH_ERR;
            break;
        }
    }
    drop(r, n);
    return rc;
}

static int style_of(const char *arg, size_t len)
{
    if (len == 3 && strncmp(arg, "off", 3) == 0)
        return PAM_PROMPT_ECHO_OFF;
    if (len == 2 && strncmp(arg, "on", 2) == 0)
        return PAM_PROMPT_ECHO_ON;
    if (len == 3 && strncmp(arg, "err", 3) == 0)
        return PAM_ERROR_MSG;
    if (len == 4 && strncmp(arg, "info", 4) == 0)
        return PAM_TEXT_INFO;
    return -1;
}

static int run(pam_handle_t *pamh, int argc, const char **argv)
{
    struct pam_message m[MAX_MSG];
    const struct pam_message *mp[MAX_MSG];
    const void *item = NULL;
    const char *expect = NULL;
    int n = 0, batch = 0, rc;

    rc = pam_get_item(pamh, PAM_CONV, &item);
    if (rc != PAM_SUCCESS || item == NULL)
        return PAM_SYSTEM_ERR;
    for (int i = 0; i < argc; i++) {
        const char *colon = strchr(argv[i], ':');

        if (strcmp(argv[i], "batch") == 0) {
            batch = 1;
        }
        else if (strncmp(argv[i], "expect=", 7) == 0) {
            expect = argv[i] + 7;
        }
        else if (strncmp(argv[i], "user=", 5) == 0) {
            rc = pam_set_item(pamh, PAM_USER, argv[i] + 5);
            if (rc != PAM_SUCCESS)
                return rc;
        }
        else if (colon != NULL && n < MAX_MSG) {
            m[n].msg_style = style_of(argv[i], (size_t)(colon - argv[i]));
            m[n].msg = colon + 1;
            if (m[n].msg_style < 0)
                return PAM_SERVICE_ERR;
            mp[n] = &m[n];
            n++;
        }
        else {
            return PAM_SERVICE_ERR;
        }
    }
    if (batch)
        return n > 0 ? ask(item, mp, n, expect) : PAM_SUCCESS;
    for (int i = 0; i < n; i++) {
        rc = ask(item, &mp[i], 1, m[i].msg_style == PAM_PROMPT_ECHO_OFF ? expect : NULL);
        if (rc != PAM_SUCCESS)
            return rc;
        if (m[i].msg_style == PAM_PROMPT_ECHO_OFF)
            expect = NULL; /* only the first hidden prompt is the password */
    }
    return PAM_SUCCESS;
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)flags;
    return run(pamh, argc, argv);
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)pamh;
    (void)flags;
    (void)argc;
    (void)argv;
    return PAM_SUCCESS;
}

PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)flags;
    return run(pamh, argc, argv);
}
