/* The scrubber prefilter's scan in C: which anchors each string of an event holds.
 *
 * rules_engine/scrub/prefilter.py defines the anchors and holds the same scan in Python
 * (PythonScanner); the tests check that both find the same anchors in every string.
 *
 *   AnchorScanner(literals, runs, folds)
 *     literals: [(text, caseless, bit)]   ASCII text every match holds
 *     runs:     [(chars, digits, min_length, counted, count_digits, min_count, bit)]
 *     folds:    {char: ascii letter}      non-ASCII characters caseless literals fold
 *   AnchorScanner.scan(texts) -> {index of a string: bitmask of the anchors it holds}
 *
 * Literals: a bitmap of the (case-folded) first two characters of every literal of two
 * characters or more, tested at each position; only where it is set are the literals starting
 * with that pair compared (folded, or as written). One-character literals are a table lookup.
 * No step depends on the one before, so the scan runs at a few cycles a character; the
 * literals of a large catalogue only add bits to the bitmap and entries to its buckets.
 * Runs: per character, a table of the runs (classes) it is in; work is done only where a run
 * opens or closes, or at a character it counts (Unicode decimal digits are read with
 * Py_UNICODE_ISDECIMAL, as re's \d reads them).
 *
 * Portable C99 (a compiler builtin where there is one, with a plain fallback).
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define ASCII 128
#define OTHER ASCII /* the symbol of every character that folds to no ASCII character */
#define SYMBOLS (ASCII + 1)
#define MAX_RUNS 64
#define MAX_FOLDS 64

typedef struct {
    Py_UCS1 *text; /* as written */
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
    /* literals of two characters or more, bucketed by their folded first two characters */
    uint64_t pair_bits[ASCII * ASCII / 64];
    int32_t *bucket_start; /* ASCII * ASCII + 1 offsets into bucket */
    int32_t *bucket;       /* literal indexes */
    uint64_t single_bits[ASCII / 64]; /* folded characters that are a literal of their own */
    Literal *literals;
    Py_ssize_t literal_count;
    Run runs[MAX_RUNS];
    int run_count;
    uint64_t run_classes[ASCII], run_counted[ASCII], digit_runs, counted_digit_runs;
    Py_UCS4 fold_from[MAX_FOLDS];
    unsigned char fold_to[MAX_FOLDS];
    int fold_count;
    unsigned char fold_ascii[ASCII];
    PyObject **bits; /* anchor bit -> the int 1 << bit */
    Py_ssize_t bit_count;
    uint64_t *hits; /* the anchors one string holds, a bit per anchor */
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

/* The buckets of the literals by their folded first two characters (a one-character literal:
 * its folded character and NUL, which no literal holds). */
static int
bucket_of(const Scanner *s, const Literal *literal)
{
    return fold(s, literal->text[0]) * ASCII + (literal->length > 1 ? fold(s, literal->text[1]) : 0);
}

static int
build_buckets(Scanner *s)
{
    s->bucket_start = PyMem_Calloc(ASCII * ASCII + 1, sizeof(int32_t));
    s->bucket = PyMem_Calloc(s->literal_count ? s->literal_count : 1, sizeof(int32_t));
    int32_t *filled = PyMem_Calloc(ASCII * ASCII, sizeof(int32_t));
    if (s->bucket_start == NULL || s->bucket == NULL || filled == NULL) {
        PyMem_Free(filled);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < s->literal_count; i++)
        s->bucket_start[bucket_of(s, &s->literals[i]) + 1]++;
    for (int pair = 1; pair <= ASCII * ASCII; pair++)
        s->bucket_start[pair] += s->bucket_start[pair - 1];
    for (Py_ssize_t i = 0; i < s->literal_count; i++) {
        int pair = bucket_of(s, &s->literals[i]);
        s->bucket[s->bucket_start[pair] + filled[pair]++] = (int32_t)i;
        if (s->literals[i].length > 1)
            s->pair_bits[pair / 64] |= (uint64_t)1 << (pair % 64);
        else
            s->single_bits[pair / ASCII / 64] |= (uint64_t)1 << (pair / ASCII % 64);
    }
    PyMem_Free(filled);
    return 0;
}

static int
make_bits(Scanner *s, Py_ssize_t highest)
{
    s->bit_count = highest + 1;
    s->bits = PyMem_Calloc(s->bit_count, sizeof(PyObject *));
    s->hits = PyMem_Calloc((s->bit_count + 63) / 64, sizeof(uint64_t));
    if (s->bits == NULL || s->hits == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    PyObject *one = PyLong_FromLong(1);
    if (one == NULL)
        return -1;
    for (Py_ssize_t bit = 0; bit < s->bit_count; bit++) {
        PyObject *shift = PyLong_FromSsize_t(bit);
        s->bits[bit] = shift ? PyNumber_Lshift(one, shift) : NULL;
        Py_XDECREF(shift);
        if (s->bits[bit] == NULL) {
            Py_DECREF(one);
            return -1;
        }
    }
    Py_DECREF(one);
    return 0;
}

static int
Scanner_init(Scanner *s, PyObject *args, PyObject *kwargs)
{
    PyObject *literals, *runs, *folds;
    static char *keywords[] = {"literals", "runs", "folds", NULL};
    if (s->built) {
        PyErr_SetString(PyExc_RuntimeError, "AnchorScanner is already built");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO", keywords, &literals, &runs, &folds))
        return -1;
    Py_ssize_t highest = -1;
    if (read_folds(s, folds) < 0 || read_literals(s, literals, &highest) < 0 || read_runs(s, runs, &highest) < 0 ||
        build_buckets(s) < 0 || make_bits(s, highest) < 0)
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

/* The literals of the bucket of ``pair`` found at ``start``. */
static void
match_bucket(Scanner *s, int pair, int kind, const void *data, Py_ssize_t length, Py_ssize_t start, int *found)
{
    for (int32_t j = s->bucket_start[pair]; j < s->bucket_start[pair + 1]; j++) {
        const Literal *literal = &s->literals[s->bucket[j]];
        if (literal_at(s, literal, kind, data, length, start)) {
            hit(s, literal->bit);
            *found = 1;
        }
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

typedef struct {
    uint64_t open;               /* runs the current character is in */
    Py_ssize_t start[MAX_RUNS];  /* where each open run started */
    Py_ssize_t counted[MAX_RUNS];
    int found;
} Runs;

/* Runs in ``closing`` end before ``end``: mark those long enough and holding enough. */
static inline void
close_runs(Scanner *s, Runs *runs, uint64_t closing, Py_ssize_t end)
{
    while (closing) {
        int r = lowest_bit(closing);
        closing &= closing - 1;
        if (end - runs->start[r] >= s->runs[r].min_length && runs->counted[r] >= s->runs[r].min_count) {
            hit(s, s->runs[r].bit);
            runs->found = 1;
        }
    }
}

/* One character of the runs: the classes it is in and those it counts for. Work is done only
 * where a run opens or closes, and for counted characters. */
static inline void
step_runs(Scanner *s, Runs *runs, uint64_t classes, uint64_t counted, Py_ssize_t i)
{
    uint64_t opening = classes & ~runs->open, closing = runs->open & ~classes;
    if (closing)
        close_runs(s, runs, closing, i);
    while (opening) {
        int r = lowest_bit(opening);
        opening &= opening - 1;
        runs->start[r] = i;
        runs->counted[r] = 0;
    }
    counted &= classes;
    while (counted) {
        int r = lowest_bit(counted);
        counted &= counted - 1;
        runs->counted[r]++;
    }
    runs->open = classes;
}

/* Scan one string of one kind (a constant where this is inlined, so that PyUnicode_READ is a
 * plain load); return whether it holds an anchor (marked in s->hits). */
static inline int
scan_kind(Scanner *s, const int kind, const void *data, Py_ssize_t length)
{
    const unsigned char *fold_ascii = s->fold_ascii;
    const uint64_t *run_classes = s->run_classes, *run_counted = s->run_counted, *pair_bits = s->pair_bits;
    const uint64_t *single_bits = s->single_bits;
    Runs runs;
    runs.open = 0;
    runs.found = 0;
    int previous = OTHER; /* the folded character before */
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        uint64_t classes = 0, counted = 0;
        int folded;
        if (c < ASCII) {
            folded = fold_ascii[c];
            classes = run_classes[c];
            counted = run_counted[c];
        } else {
            folded = fold(s, c);
            if (kind != PyUnicode_1BYTE_KIND && s->digit_runs && Py_UNICODE_ISDECIMAL(c)) {
                classes = s->digit_runs;
                counted = s->counted_digit_runs;
            }
        }
        if (folded != OTHER) {
            if (single_bits[folded / 64] >> (folded % 64) & 1)
                match_bucket(s, folded * ASCII, kind, data, length, i, &runs.found);
            int pair = previous * ASCII + folded;
            if (previous != OTHER && pair_bits[pair / 64] >> (pair % 64) & 1)
                match_bucket(s, pair, kind, data, length, i - 1, &runs.found);
        }
        previous = folded;
        if ((classes ^ runs.open) | counted)
            step_runs(s, &runs, classes, counted, i);
    }
    if (runs.open)
        close_runs(s, &runs, runs.open, length);
    return runs.found;
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

/* The anchors marked in s->hits as an int, and s->hits cleared. */
static PyObject *
take_hits(Scanner *s)
{
    PyObject *mask = PyLong_FromLong(0);
    for (Py_ssize_t word = 0; word < (s->bit_count + 63) / 64; word++) {
        uint64_t bits = s->hits[word];
        s->hits[word] = 0;
        for (int b = 0; bits && mask != NULL; b++, bits >>= 1) {
            if (bits & 1) {
                PyObject *joined = PyNumber_Or(mask, s->bits[word * 64 + b]);
                Py_SETREF(mask, joined);
            }
        }
    }
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
        PyObject *mask = take_hits(s);
        PyObject *index = mask ? PyLong_FromSsize_t(i) : NULL;
        if (index == NULL || PyDict_SetItem(found, index, mask) < 0)
            Py_CLEAR(found);
        Py_XDECREF(index);
        Py_XDECREF(mask);
    }
    if (found == NULL && s->hits != NULL)
        memset(s->hits, 0, ((s->bit_count + 63) / 64) * sizeof(uint64_t));
    Py_DECREF(items);
    return found;
}

static void
Scanner_dealloc(Scanner *s)
{
    PyMem_Free(s->bucket_start);
    PyMem_Free(s->bucket);
    for (Py_ssize_t i = 0; i < s->literal_count; i++)
        PyMem_Free(s->literals[i].text);
    PyMem_Free(s->literals);
    if (s->bits != NULL)
        for (Py_ssize_t i = 0; i < s->bit_count; i++)
            Py_XDECREF(s->bits[i]);
    PyMem_Free(s->bits);
    PyMem_Free(s->hits);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

static PyMethodDef Scanner_methods[] = {
    {"scan", (PyCFunction)Scanner_scan, METH_O,
     "scan(texts) -> {index: bitmask of the anchors the string at index holds}, for strings holding one"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ScannerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "rules_engine.scrub._prefilter.AnchorScanner",
    .tp_basicsize = sizeof(Scanner),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "AnchorScanner(literals, runs, folds): the anchors each string holds (see prefilter.py)",
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
