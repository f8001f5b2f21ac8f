/* libFuzzer target: the PAM service file reader that decides whether refused logins of a
 * service wait the failure delay (src/helper/ta_pamconf.c).
 *
 * Invariants: any bytes are judged without reading outside them; "no delay" is only ever the
 * answer when the text holds the word nodelay; appending a line that names pam_faildelay always
 * turns the delay back on, whatever came before (an unterminated comment, a control field
 * never closed, NUL bytes). */
#include "fuzz.h"
#include "ta_pamconf.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *t = (const char *)data;
    static const char tail[] = "\nauth optional pam_faildelay.so delay=1\n";
    char *more;
    int r = ta_pam_text_nodelay(t, size);

    CHECK(r == 0 || r == 1);
    if (r)
        CHECK(memmem(t, size, "nodelay", 7) != NULL);
    more = malloc(size + sizeof(tail));
    CHECK(more != NULL);
    memcpy(more, t, size);
    memcpy(more + size, tail, sizeof(tail) - 1);
    CHECK(ta_pam_text_nodelay(more, size + sizeof(tail) - 1) == 0);
    free(more);
    return 0;
}
