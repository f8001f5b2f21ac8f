/* The "return" check of the login handler (SPEC §4): an open redirect is a phishing tool. */
#include "ta_redirect.h"

#include <string.h>

#define RETURN_MAX 2048

int ta_local_path_valid(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > RETURN_MAX || s[0] != '/' || memmem(s, strcspn(s, "?#"), "//", 2) != NULL)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f || c == '\\')
            return 0;
    }
    /* a leading dot-segment ("/./", "/../") can collapse into "//" once a browser or proxy
     * normalises it: refuse it rather than reason about every normaliser */
    if (strncmp(s, "/./", 3) == 0 || strncmp(s, "/../", 4) == 0)
        return 0;
    /* nor "%2e" (an encoded dot) anywhere: a URL parser decodes it into a dot-segment */
    for (size_t i = 0; i + 2 < n; i++)
        if (s[i] == '%' && s[i + 1] == '2' && (s[i + 2] == 'e' || s[i + 2] == 'E'))
            return 0;
    return 1;
}
