/* The scrubber prefilter's scan in C: which anchors each string of an event holds.
 *
 * rules_engine/scrub/prefilter.py defines the anchors and holds the same scan in Python
 * (PythonScanner); the tests check that both find the same anchors in every string.
 *
 *   AnchorScanner(literals, runs, folds, probes)
 *     literals: [(text, caseless, anchor)]   ASCII text every match holds
 *     runs:     [(chars, digits, min_length, counted, count_digits, min_count, anchor)]
 *     folds:    {char: ascii letter}         non-ASCII characters caseless literals fold
 *     probes:   [(probe, [[anchor, ...], ...])]   a probe holds when each group has an anchor
 *   AnchorScanner.scan(texts) -> {index of a string: bitmask of the probes it holds}
 *
 * Literals: keyed by their first (up to) four case-folded characters. At a character that starts
 * one (a table lookup), the keys of the next one to four characters are tested in a bitmap of
 * hashed keys; only where a bit is set are the literals of that key compared (folded, or as
 * written). No step depends on the one before but within a position, so the scan runs at a few
 * cycles a character; a large catalogue only sets more bits and fills more buckets.
 * Runs: followed at the characters they count only (see count_runs); Unicode decimal digits are
 * read with Py_UNICODE_ISDECIMAL, as re's \d reads them.
 *
 * Portable C99 (a compiler builtin where there is one, with a plain fallback).
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#if defined(_MSC_VER)
#include <intrin.h> /* _BitScanForward64 is an intrinsic only once declared */
#endif

#define ASCII 128
#define OTHER ASCII /* the symbol of every character that folds to no ASCII character */
#define SYMBOLS (ASCII + 1)
#define MAX_RUNS 64
#define MAX_FOLDS 64
#define KEY_CHARS 4
#define KEY_BITS 65536
#define BUCKETS 4096

typedef struct {
    Py_UCS1 *text; /* as written */
    uint32_t key;
    Py_ssize_t length;
    int caseless;
    Py_ssize_t bit;
} Literal;

typedef struct {
    Py_ssize_t min_length, min_count;
    Py_ssize_t bit;
} Run;

typedef struct {
    PyObject_HEAD
    /* literals by key (see key_of): a bitmap of hashed keys, and buckets of literal indexes */
    uint64_t key_bits[KEY_BITS / 64];
    int32_t bucket_start[BUCKETS + 1];
    int32_t *bucket;
    unsigned char longest_key[ASCII]; /* by folded first character: the longest key, 0 if none */
    uint64_t single_bits[ASCII / 64];  /* folded characters that are a literal of their own */
    uint64_t pair_bits[ASCII * ASCII / 64]; /* the folded first two characters of longer literals */
    Literal *literals;
    Py_ssize_t literal_count;
    Run runs[MAX_RUNS];
    int run_count;
    uint64_t run_classes[ASCII], run_counted[ASCII], digit_runs, counted_digit_runs;
    Py_UCS4 fold_from[MAX_FOLDS];
    unsigned char fold_to[MAX_FOLDS];
    int fold_count;
    unsigned char fold_ascii[ASCII];
    unsigned char interesting[ASCII]; /* may start a literal, or counted by a run */
    unsigned char stops[ASCII];       /* a literal of its own, or counted by a run */
    Py_ssize_t anchor_words;  /* 64-bit words of a set of anchors */
    uint64_t *hits;           /* the anchors one string holds */
    Py_ssize_t probe_count;
    PyObject **probe_masks;   /* per probe: the int 1 << its bit */
    Py_ssize_t *group_start;  /* per probe: its first group; then the end */
    uint64_t *groups;         /* each group: the set of its anchors */
    int built;
} Scanner;

static inline int
fold(const Scanner *s, Py_UCS4 c)
{
    if (c < ASCII)
        return s->fold_ascii[c];
    for (int i = 0; i < s->fold_count; i++)
        if (s->fold_from[i] == c)
            return s->fold_to[i];
    return OTHER;
}

/* ------------------------------------------------------------------ building */

static int
read_bit(PyObject *item, Py_ssize_t *bit, Py_ssize_t *highest)
{
    *bit = PyLong_AsSsize_t(item);
    if (*bit == -1 && PyErr_Occurred())
        return -1;
    if (*bit < 0 || *bit > 1 << 20) {
        PyErr_SetString(PyExc_ValueError, "an anchor bit is out of range");
        return -1;
    }
    if (*bit > *highest)
        *highest = *bit;
    return 0;
}

static int
ascii_text(PyObject *text, const char *what)
{
    if (!PyUnicode_Check(text) || !PyUnicode_IS_ASCII(text) || PyUnicode_GET_LENGTH(text) == 0) {
        PyErr_Format(PyExc_ValueError, "%s must be non-empty ASCII text", what);
        return -1;
    }
    if (memchr(PyUnicode_1BYTE_DATA(text), 0, PyUnicode_GET_LENGTH(text)) != NULL) {
        PyErr_Format(PyExc_ValueError, "%s cannot hold NUL", what);
        return -1;
    }
    return 0;
}

static int
read_literals(Scanner *s, PyObject *literals, Py_ssize_t *highest)
{
    PyObject *items = PySequence_Fast(literals, "literals must be a sequence");
    if (items == NULL)
        return -1;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(items);
    s->literals = PyMem_Calloc(count ? count : 1, sizeof(Literal));
    if (s->literals == NULL) {
        Py_DECREF(items);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(items, i);
        PyObject *text;
        int caseless;
        PyObject *bit;
        if (!PyTuple_Check(item) || !PyArg_ParseTuple(item, "UpO", &text, &caseless, &bit) ||
            ascii_text(text, "a literal") < 0) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "a literal is (text, caseless, bit)");
            Py_DECREF(items);
            return -1;
        }
        Literal *literal = &s->literals[i];
        literal->length = PyUnicode_GET_LENGTH(text);
        literal->caseless = caseless;
        literal->text = PyMem_Malloc(literal->length);
        s->literal_count = i + 1; /* freed from here on */
        if (literal->text == NULL) {
            Py_DECREF(items);
            PyErr_NoMemory();
            return -1;
        }
        memcpy(literal->text, PyUnicode_1BYTE_DATA(text), literal->length);
        if (read_bit(bit, &literal->bit, highest) < 0) {
            Py_DECREF(items);
            return -1;
        }
    }
    Py_DECREF(items);
    return 0;
}

static int
read_runs(Scanner *s, PyObject *runs, Py_ssize_t *highest)
{
    PyObject *items = PySequence_Fast(runs, "runs must be a sequence");
    if (items == NULL)
        return -1;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(items);
    if (count > MAX_RUNS) {
        Py_DECREF(items);
        PyErr_Format(PyExc_ValueError, "at most %d runs", MAX_RUNS);
        return -1;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(items, i), *chars, *counted, *bit;
        int digits, count_digits;
        Run *run = &s->runs[i];
        if (!PyTuple_Check(item) ||
            !PyArg_ParseTuple(item, "UpnUpnO", &chars, &digits, &run->min_length, &counted, &count_digits,
                              &run->min_count, &bit) ||
            ascii_text(chars, "a run's class") < 0 || read_bit(bit, &run->bit, highest) < 0) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "a run is (chars, digits, min_length, counted, count_digits, "
                                                 "min_count, bit)");
            Py_DECREF(items);
            return -1;
        }
        if (PyUnicode_GET_LENGTH(counted) && ascii_text(counted, "a run's counted characters") < 0) {
            Py_DECREF(items);
            return -1;
        }
        uint64_t flag = (uint64_t)1 << i;
        const Py_UCS1 *members = PyUnicode_1BYTE_DATA(chars);
        for (Py_ssize_t j = 0; j < PyUnicode_GET_LENGTH(chars); j++)
            s->run_classes[members[j]] |= flag;
        const Py_UCS1 *counts = PyUnicode_1BYTE_DATA(counted);
        for (Py_ssize_t j = 0; j < PyUnicode_GET_LENGTH(counted); j++)
            s->run_counted[counts[j]] |= flag;
        if (digits) {
            s->digit_runs |= flag;
            for (int digit = '0'; digit <= '9'; digit++)
                s->run_classes[digit] |= flag;
        }
        if (count_digits) {
            s->counted_digit_runs |= flag;
            for (int digit = '0'; digit <= '9'; digit++)
                s->run_counted[digit] |= flag;
        }
        s->run_count = (int)i + 1;
    }
    Py_DECREF(items);
    return 0;
}

static int
read_folds(Scanner *s, PyObject *folds)
{
    for (int c = 0; c < ASCII; c++)
        s->fold_ascii[c] = (unsigned char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    if (!PyDict_Check(folds)) {
        PyErr_SetString(PyExc_TypeError, "folds must be a dict");
        return -1;
    }
    PyObject *from, *to;
    Py_ssize_t position = 0;
    while (PyDict_Next(folds, &position, &from, &to)) {
        if (s->fold_count == MAX_FOLDS || !PyUnicode_Check(from) || PyUnicode_GET_LENGTH(from) != 1 ||
            !PyUnicode_Check(to) || PyUnicode_GET_LENGTH(to) != 1 || PyUnicode_READ_CHAR(to, 0) >= ASCII) {
            PyErr_SetString(PyExc_ValueError, "folds map single characters to ASCII ones");
            return -1;
        }
        s->fold_from[s->fold_count] = PyUnicode_READ_CHAR(from, 0);
        s->fold_to[s->fold_count++] = s->fold_ascii[PyUnicode_READ_CHAR(to, 0)];
    }
    return 0;
}

/* The key of ``count`` folded characters (1 to KEY_CHARS): the characters and their count. */
static inline uint32_t
add_to_key(uint32_t key, int position, int folded)
{
    return (key & 0x0FFFFFFFu) | ((uint32_t)folded << (7 * position)) | ((uint32_t)(position + 1) << 28);
}

static inline uint32_t
hash_key(uint32_t key)
{
    return key * 2654435761u; /* Knuth's multiplicative hash: the top bits are well mixed */
}

static inline int
has_key(const Scanner *s, uint32_t key)
{
    uint32_t bit = hash_key(key) >> 16;
    return s->key_bits[bit / 64] >> (bit % 64) & 1;
}

static inline uint32_t
bucket_of_key(uint32_t key)
{
    return hash_key(key) >> 20;
}

static int
build_buckets(Scanner *s)
{
    s->bucket = PyMem_Calloc(s->literal_count ? s->literal_count : 1, sizeof(int32_t));
    int32_t filled[BUCKETS] = {0};
    if (s->bucket == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < s->literal_count; i++) {
        Literal *literal = &s->literals[i];
        uint32_t key = 0;
        int count = literal->length < KEY_CHARS ? (int)literal->length : KEY_CHARS;
        for (int k = 0; k < count; k++)
            key = add_to_key(key, k, fold(s, literal->text[k]));
        literal->key = key;
        uint32_t bit = hash_key(key) >> 16;
        s->key_bits[bit / 64] |= (uint64_t)1 << (bit % 64);
        s->bucket_start[bucket_of_key(key) + 1]++;
        int first = fold(s, literal->text[0]);
        if (count > s->longest_key[first])
            s->longest_key[first] = (unsigned char)count;
        if (count == 1)
            s->single_bits[first / 64] |= (uint64_t)1 << (first % 64);
        else {
            int pair = first * ASCII + fold(s, literal->text[1]);
            s->pair_bits[pair / 64] |= (uint64_t)1 << (pair % 64);
        }
    }
    for (int b = 1; b <= BUCKETS; b++)
        s->bucket_start[b] += s->bucket_start[b - 1];
    for (Py_ssize_t i = 0; i < s->literal_count; i++) {
        uint32_t b = bucket_of_key(s->literals[i].key);
        s->bucket[s->bucket_start[b] + filled[b]++] = (int32_t)i;
    }
    for (int c = 0; c < ASCII; c++) {
        int folded = s->fold_ascii[c];
        s->interesting[c] = (unsigned char)(s->longest_key[folded] || s->run_counted[c]);
        s->stops[c] = (unsigned char)((s->single_bits[folded / 64] >> (folded % 64) & 1) || s->run_counted[c]);
    }
    return 0;
}

/* The probes: each one's groups as sets of anchors, and its bit as an int. */
static int
read_probes(Scanner *s, PyObject *probes, Py_ssize_t highest)
{
    s->anchor_words = highest / 64 + 1;
    s->hits = PyMem_Calloc(s->anchor_words, sizeof(uint64_t));
    PyObject *items = PySequence_Fast(probes, "probes must be a sequence");
    if (s->hits == NULL || items == NULL) {
        Py_XDECREF(items);
        if (!PyErr_Occurred())
            PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t count = PySequence_Fast_GET_SIZE(items), total = 0;
    s->probe_masks = PyMem_Calloc(count ? count : 1, sizeof(PyObject *));
    s->group_start = PyMem_Calloc(count + 1, sizeof(Py_ssize_t));
    int status = -1;
    if (s->probe_masks == NULL || s->group_start == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t p = 0; p < count; p++) {
        PyObject *item = PySequence_Fast_GET_ITEM(items, p), *bit, *groups;
        if (!PyTuple_Check(item) || !PyArg_ParseTuple(item, "OO!", &bit, &PyList_Type, &groups)) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "a probe is (bit, [[anchor, ...], ...])");
            goto done;
        }
        total += PyList_GET_SIZE(groups);
        s->group_start[p + 1] = total;
    }
    s->groups = PyMem_Calloc((total ? total : 1) * s->anchor_words, sizeof(uint64_t));
    if (s->groups == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t p = 0; p < count; p++) {
        PyObject *item = PySequence_Fast_GET_ITEM(items, p);
        PyObject *groups = PyTuple_GET_ITEM(item, 1);
        Py_ssize_t unused = -1;
        PyObject *one = PyLong_FromLong(1);
        s->probe_masks[p] = one ? PyNumber_Lshift(one, PyTuple_GET_ITEM(item, 0)) : NULL;
        Py_XDECREF(one);
        s->probe_count = p + 1; /* released from here on */
        if (s->probe_masks[p] == NULL)
            goto done;
        for (Py_ssize_t g = 0; g < PyList_GET_SIZE(groups); g++) {
            uint64_t *group = s->groups + (s->group_start[p] + g) * s->anchor_words;
            PyObject *anchors = PySequence_Fast(PyList_GET_ITEM(groups, g), "a group is a list of anchors");
            if (anchors == NULL)
                goto done;
            for (Py_ssize_t a = 0; a < PySequence_Fast_GET_SIZE(anchors); a++) {
                Py_ssize_t anchor;
                if (read_bit(PySequence_Fast_GET_ITEM(anchors, a), &anchor, &unused) < 0 || anchor > highest) {
                    if (!PyErr_Occurred())
                        PyErr_SetString(PyExc_ValueError, "a group names an anchor that is not there");
                    Py_DECREF(anchors);
                    goto done;
                }
                group[anchor / 64] |= (uint64_t)1 << (anchor % 64);
            }
            Py_DECREF(anchors);
        }
    }
    status = 0;
done:
    Py_DECREF(items);
    return status;
}

static int
Scanner_init(Scanner *s, PyObject *args, PyObject *kwargs)
{
    PyObject *literals, *runs, *folds, *probes;
    static char *keywords[] = {"literals", "runs", "folds", "probes", NULL};
    if (s->built) {
        PyErr_SetString(PyExc_RuntimeError, "AnchorScanner is already built");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOO", keywords, &literals, &runs, &folds, &probes))
        return -1;
    Py_ssize_t highest = -1;
    if (read_folds(s, folds) < 0 || read_literals(s, literals, &highest) < 0 || read_runs(s, runs, &highest) < 0 ||
        build_buckets(s) < 0 || read_probes(s, probes, highest) < 0)
        return -1;
    s->built = 1;
    return 0;
}

/* ------------------------------------------------------------------ scanning */

static inline void
hit(Scanner *s, Py_ssize_t bit)
{
    s->hits[bit / 64] |= (uint64_t)1 << (bit % 64);
}

/* Whether ``literal`` is at ``start`` (folded or as written). */
static inline int
literal_at(const Scanner *s, const Literal *literal, int kind, const void *data, Py_ssize_t length,
           Py_ssize_t start)
{
    if (length - start < literal->length)
        return 0;
    for (Py_ssize_t k = 0; k < literal->length; k++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, start + k);
        if (literal->caseless ? fold(s, c) != fold(s, literal->text[k]) : c != literal->text[k])
            return 0;
    }
    return 1;
}

/* The literals of key ``key`` found at ``start``. */
static void
match_key(Scanner *s, uint32_t key, int kind, const void *data, Py_ssize_t length, Py_ssize_t start, int *found)
{
    uint32_t b = bucket_of_key(key);
    for (int32_t j = s->bucket_start[b]; j < s->bucket_start[b + 1]; j++) {
        const Literal *literal = &s->literals[s->bucket[j]];
        if (literal->key == key && literal_at(s, literal, kind, data, length, start)) {
            hit(s, literal->bit);
            *found = 1;
        }
    }
}

/* The literals starting at ``i`` with the folded character ``folded``: a one-character literal,
 * then, where the first two characters start a longer one (a bitmap), the keys of two to four. */
static inline void
match_literals(Scanner *s, int folded, int kind, const void *data, Py_ssize_t length, Py_ssize_t i, int *found)
{
    uint32_t key = add_to_key(0, 0, folded);
    if (s->single_bits[folded / 64] >> (folded % 64) & 1)
        match_key(s, key, kind, data, length, i, found);
    int longest = s->longest_key[folded];
    if (longest < 2 || i + 1 >= length)
        return;
    int second = fold(s, PyUnicode_READ(kind, data, i + 1));
    int pair = folded * ASCII + second;
    if (second == OTHER || !(s->pair_bits[pair / 64] >> (pair % 64) & 1))
        return;
    key = add_to_key(key, 1, second);
    for (int k = 2;; k++) {
        if (has_key(s, key))
            match_key(s, key, kind, data, length, i, found);
        if (k == longest || i + k >= length)
            return;
        int next = fold(s, PyUnicode_READ(kind, data, i + k));
        if (next == OTHER)
            return;
        key = add_to_key(key, k, next);
    }
}

/* The index of the lowest bit set in ``bits`` (not 0). */
static inline int
lowest_bit(uint64_t bits)
{
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_ctzll(bits);
#elif defined(_MSC_VER) && defined(_WIN64)
    unsigned long index;
    _BitScanForward64(&index, bits);
    return (int)index;
#else
    int index = 0;
    while (!(bits & 1)) {
        bits >>= 1;
        index++;
    }
    return index;
#endif
}

/* The runs (as bits) that the character at ``i`` belongs to. */
static inline uint64_t
runs_of(const Scanner *s, int kind, const void *data, Py_ssize_t i)
{
    Py_UCS4 c = PyUnicode_READ(kind, data, i);
    if (c < ASCII)
        return s->run_classes[c];
    return (kind != PyUnicode_1BYTE_KIND && Py_UNICODE_ISDECIMAL(c)) ? s->digit_runs : 0;
}

/* Runs are followed lazily, at the characters they count only (every run counts some, and
 * counted characters belong to it): at one, the characters since the last one counted are
 * checked to be in the run (else the run restarts after the last that is not), and once a run
 * has counted enough, its end is found to measure its length. Each character is checked at most
 * once per run (the check goes back from a counted character to the last one outside the run,
 * mostly the one before), so the work stays linear, and text without counted characters costs
 * nothing. */
typedef struct {
    Py_ssize_t start[MAX_RUNS];   /* where the current run began */
    Py_ssize_t checked[MAX_RUNS]; /* the characters up to here are in it */
    Py_ssize_t counted[MAX_RUNS];
    uint64_t done;                /* runs found, or not to look for in this string */
} Runs;

static void
count_runs(Scanner *s, Runs *runs, uint64_t counted, int kind, const void *data, Py_ssize_t length, Py_ssize_t i,
           int *found)
{
    counted &= ~runs->done;
    while (counted) {
        int r = lowest_bit(counted);
        uint64_t flag = (uint64_t)1 << r;
        counted &= counted - 1;
        if (i <= runs->checked[r])
            continue; /* inside a run already measured too short */
        /* back from ``i`` to the last character outside the run, if any since the last check */
        for (Py_ssize_t j = i - 1; j > runs->checked[r]; j--)
            if (!(runs_of(s, kind, data, j) & flag)) {
                runs->start[r] = j + 1;
                runs->counted[r] = 0;
                break;
            }
        runs->checked[r] = i;
        if (++runs->counted[r] < s->runs[r].min_count)
            continue;
        Py_ssize_t end = i + 1;
        while (end < length && (runs_of(s, kind, data, end) & flag))
            end++;
        if (end - runs->start[r] >= s->runs[r].min_length) {
            hit(s, s->runs[r].bit);
            runs->done |= flag;
            *found = 1;
        } else {
            runs->checked[r] = end - 1; /* the next run starts after ``end`` */
        }
    }
}

/* Scan one string of one kind (a constant where this is inlined, so that PyUnicode_READ is a
 * plain load); return whether it holds an anchor (marked in s->hits). Only characters that may
 * start a literal or that a run counts are looked at (``interesting``). */
static inline int
scan_kind(Scanner *s, const int kind, const void *data, Py_ssize_t length)
{
    const unsigned char *interesting = s->interesting, *fold_ascii = s->fold_ascii;
    Runs runs;
    int found = 0;
    runs.done = 0;
    for (int r = 0; r < s->run_count; r++) {
        runs.start[r] = 0;
        runs.checked[r] = -1;
        runs.counted[r] = 0;
    }
    for (Py_ssize_t i = 0; i < length; i++) {
        if (kind == PyUnicode_1BYTE_KIND) {
            /* Skip to where a literal may start or a run counts, without a branch per character
             * but the loop's: the folded pair at each position is looked up in the bitmap (no
             * character of U+0080..U+00FF folds to ASCII or is a decimal digit). */
            const Py_UCS1 *bytes = data;
            while (i + 1 < length) {
                unsigned first = bytes[i], second = bytes[i + 1];
                unsigned pair = (first < ASCII ? fold_ascii[first] : 0) * ASCII + (second < ASCII ? fold_ascii[second] : 0);
                if ((s->pair_bits[pair / 64] >> (pair % 64) & 1) | (first < ASCII && s->stops[first]))
                    break;
                i++;
            }
            if (i + 1 == length && !(bytes[i] < ASCII && s->stops[bytes[i]]))
                break;
        }
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        int folded;
        uint64_t counted;
        if (c < ASCII) {
            if (!interesting[c])
                continue;
            folded = fold_ascii[c];
            counted = s->run_counted[c];
        } else {
            folded = fold(s, c);
            counted = (kind != PyUnicode_1BYTE_KIND && s->counted_digit_runs && Py_UNICODE_ISDECIMAL(c))
                ? s->counted_digit_runs : 0;
        }
        if (folded != OTHER && s->longest_key[folded])
            match_literals(s, folded, kind, data, length, i, &found);
        if (counted)
            count_runs(s, &runs, counted, kind, data, length, i, &found);
    }
    return found;
}

static int
scan_text(Scanner *s, int kind, const void *data, Py_ssize_t length)
{
    switch (kind) {
    case PyUnicode_1BYTE_KIND:
        return scan_kind(s, PyUnicode_1BYTE_KIND, data, length);
    case PyUnicode_2BYTE_KIND:
        return scan_kind(s, PyUnicode_2BYTE_KIND, data, length);
    default:
        return scan_kind(s, PyUnicode_4BYTE_KIND, data, length);
    }
}

/* The probes whose every group holds an anchor marked in s->hits, as an int (NULL with an
 * error set, or None when there is none); s->hits is cleared. */
static PyObject *
take_probes(Scanner *s)
{
    PyObject *mask = Py_None;
    Py_INCREF(mask);
    for (Py_ssize_t p = 0; p < s->probe_count && mask != NULL; p++) {
        int holds = 1;
        for (Py_ssize_t g = s->group_start[p]; g < s->group_start[p + 1] && holds; g++) {
            const uint64_t *group = s->groups + g * s->anchor_words;
            holds = 0;
            for (Py_ssize_t w = 0; w < s->anchor_words && !holds; w++)
                holds = (group[w] & s->hits[w]) != 0;
        }
        if (holds)
            Py_SETREF(mask, mask == Py_None ? Py_NewRef(s->probe_masks[p]) : PyNumber_Or(mask, s->probe_masks[p]));
    }
    memset(s->hits, 0, s->anchor_words * sizeof(uint64_t));
    return mask;
}

static PyObject *
Scanner_scan(Scanner *s, PyObject *texts)
{
    if (!s->built) {
        PyErr_SetString(PyExc_RuntimeError, "AnchorScanner was not built");
        return NULL;
    }
    PyObject *items = PySequence_Fast(texts, "texts must be a sequence of str");
    if (items == NULL)
        return NULL;
    PyObject *found = PyDict_New();
    Py_ssize_t count = PySequence_Fast_GET_SIZE(items);
    for (Py_ssize_t i = 0; i < count && found != NULL; i++) {
        PyObject *text = PySequence_Fast_GET_ITEM(items, i);
        if (!PyUnicode_Check(text)) {
            PyErr_Format(PyExc_TypeError, "texts must be str, not %.100s", Py_TYPE(text)->tp_name);
            Py_CLEAR(found);
            break;
        }
        if (!scan_text(s, PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text)))
            continue;
        PyObject *mask = take_probes(s);
        if (mask == Py_None) {
            Py_DECREF(mask);
            continue;
        }
        PyObject *index = mask ? PyLong_FromSsize_t(i) : NULL;
        if (index == NULL || PyDict_SetItem(found, index, mask) < 0)
            Py_CLEAR(found);
        Py_XDECREF(index);
        Py_XDECREF(mask);
    }
    Py_DECREF(items);
    return found;
}

static void
Scanner_dealloc(Scanner *s)
{
    PyMem_Free(s->bucket);
    for (Py_ssize_t i = 0; i < s->literal_count; i++)
        PyMem_Free(s->literals[i].text);
    PyMem_Free(s->literals);
    if (s->probe_masks != NULL)
        for (Py_ssize_t i = 0; i < s->probe_count; i++)
            Py_XDECREF(s->probe_masks[i]);
    PyMem_Free(s->probe_masks);
    PyMem_Free(s->group_start);
    PyMem_Free(s->groups);
    PyMem_Free(s->hits);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

static PyMethodDef Scanner_methods[] = {
    {"scan", (PyCFunction)Scanner_scan, METH_O,
     "scan(texts) -> {index: bitmask of the probes the string at index holds}, for strings holding one"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ScannerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "rules_engine.scrub._prefilter.AnchorScanner",
    .tp_basicsize = sizeof(Scanner),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "AnchorScanner(literals, runs, folds, probes): the probes each string holds (see prefilter.py)",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Scanner_init,
    .tp_dealloc = (destructor)Scanner_dealloc,
    .tp_methods = Scanner_methods,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_prefilter", "The scrubber prefilter's scan in C (see prefilter.py).", -1, NULL,
};

PyMODINIT_FUNC
PyInit__prefilter(void)
{
    if (PyType_Ready(&ScannerType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&ScannerType);
    if (PyModule_AddObject(m, "AnchorScanner", (PyObject *)&ScannerType) < 0) {
        Py_DECREF(&ScannerType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
