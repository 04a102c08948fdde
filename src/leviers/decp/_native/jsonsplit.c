/*
 * Record splitter for large JSON documents (see leviers/decp/scanner.py for the contract and
 * the pure-numpy reference implementation it must agree with).
 *
 * One pass over a chunk, carrying state between chunks. Outside selected arrays it stops at
 * every structural character (the document's skeleton, walked by Python). Inside a selected
 * array it records where each object item starts and ends, blanks the commas between items
 * (so consecutive records are contiguous JSON texts) and stops at the array's closing bracket.
 *
 * Built by hatch_build.py into a shared library loaded with ctypes: no Python C API.
 */
#include <stdint.h>

typedef struct {
    int64_t depth;         /* nesting depth after the last byte processed */
    int64_t record_depth;  /* depth inside the active selected array, 0 when none */
    int64_t items;         /* items opened at record level in the active array */
    int64_t separators;    /* commas at record level in the active array */
    int32_t in_string;
    int32_t escape;        /* previous byte was an unescaped backslash inside a string */
} leviers_scan_state;

enum { EV_NONE = 0, EV_SKELETON = 1, EV_ARRAY_END = 2, EV_FULL = 3, EV_UNDERFLOW = 4 };

/*
 * Scan buf[from, n). Returns the index where it stopped (n when the chunk is exhausted) and sets
 * *event. Record starts/ends (end = index after '}') are appended to starts/ends up to cap.
 */
int64_t leviers_scan(uint8_t *buf, int64_t n, int64_t from, leviers_scan_state *st,
                     int64_t *starts, int64_t *ends, int64_t cap,
                     int64_t *nstarts, int64_t *nends, int32_t *event)
{
    int64_t depth = st->depth;
    const int64_t rd = st->record_depth;
    int32_t in_string = st->in_string, escape = st->escape;
    int64_t ns = *nstarts, ne = *nends;
    int64_t i = from;
    *event = EV_NONE;
    for (; i < n; i++) {
        uint8_t c = buf[i];
        if (in_string) {
            if (escape) { escape = 0; }
            else if (c == '\\') { escape = 1; }
            else if (c == '"') { in_string = 0; }
            continue;
        }
        switch (c) {
        case '"':
            in_string = 1;
            break;
        case '{': case '[':
            if (rd == 0) { *event = EV_SKELETON; goto done; }
            depth++;
            if (depth == rd + 1) {
                st->items++;
                if (c == '{') {
                    if (ns >= cap) { depth--; st->items--; *event = EV_FULL; goto done; }
                    starts[ns++] = i;
                }
            }
            break;
        case '}': case ']':
            if (rd == 0) { *event = EV_SKELETON; goto done; }
            depth--;
            if (depth < rd) { *event = EV_ARRAY_END; goto done; }
            if (depth == rd && c == '}') {
                if (ne >= cap) { depth++; *event = EV_FULL; goto done; }
                ends[ne++] = i + 1;
            }
            break;
        case ',':
            if (rd != 0 && depth == rd) { st->separators++; buf[i] = ' '; }
            break;
        default:
            break;
        }
    }
done:
    st->depth = depth;
    st->in_string = in_string;
    st->escape = escape;
    *nstarts = ns;
    *nends = ne;
    return i;
}
