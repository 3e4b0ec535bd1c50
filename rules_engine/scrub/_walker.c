/* The scrubber's walk over the parts of an event where no selector can match, in C.
 *
 * This is the same walk as ``Run.walk_dict``, ``Run.walk_dict_keys``, ``Run.walk_list``,
 * ``Run.walk_selected_dict``, the loop of ``Run.walk`` over a list where a selector may match,
 * and ``Run.check_subtree`` in walk.py (read those first: they are the definition, and the tests
 * run both and compare). It collects every string leaf (and every integer long enough to be a
 * card number) with its slot, steps the selector automaton through the scrubber's memo where a
 * selector may match, decides key rules per key name through the scrubber's memo, and queues
 * values under sensitive keys.
 *
 * The interface with Python is explicit, and checked when a scrubber is built (cwalk.py):
 *
 * - ``Walker`` is the base of ``CRun``, the run class of a scrubber with the C walk: its methods
 *   take the place of the Python walk's, and the run's ``nodes`` count and collections
 *   (``texts``, ``slots``, ``whole``, ...) *are* this type's fields, typed, so the two walks
 *   share them without handing anything over.
 * - ``Interface`` holds, by name, every Python function the C walk calls — the Python walk's
 *   own methods for everything uncommon (values of other types, containers under sensitive keys
 *   below a live selector, subclasses of dict, list and tuple, and every error: ``too_deep``, ``too_many``,
 *   ``exact_key``, ``place`` raise the exceptions) and the scrubber's memoized decisions — with
 *   the data every run of a scrubber shares. Its constructor checks each of them, so a renamed
 *   method fails when the scrubber is built; no name is looked up while a walk runs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <math.h>
#include <limits.h>
#include <stdint.h>

/* ------------------------------------------------------------------ the interface */

typedef struct {
    PyObject_HEAD
    /* the Python walk (unbound methods of Run, called with the run first) */
    PyObject *run_class, *place, *redact_all, *too_deep, *too_many, *changed, *check_time, *find_secrets;
    PyObject *walk_dict, *walk_list, *walk_selected_dict, *check_subtree;
    PyObject *exact_key;  /* a static method: exact_key(key) */
    PyObject *pair_decision;  /* pair_decision(run, copy of a dict): the key rules its names match */
    PyObject *pair_values;    /* the spellings of value fields a sibling may name (pairs.py) */
    PyObject *pair_names;     /* the spellings of the fields that name them */
    PyObject *pair_dict_unchanged;  /* pair_dict_unchanged(run, dict, copy, pair): the same names */
    PyObject *lone_pair_name;  /* lone_pair_name(copy of a list of two): the name of its second item, or None */
    /* the scrubber's decisions (bound methods) and memos */
    PyObject *key_decision, *harmless_keys, *step;
    PyObject *key_memo;  /* key name -> bitmask of the key rules matching it */
    PyObject *harmless;  /* active rules -> set of key names none of them match */
    PyObject *steps;     /* (selector state, key) -> step() */
    PyObject *redactions;        /* rule index -> (rule id, replace function, _meta remark type) */
    PyObject *constants;         /* rule index -> the text that replaces every value, or None */
    PyObject *whole_tally_keys;  /* rule index -> (rule index, None) */
    int key_rules;
    Py_ssize_t max_depth, max_nodes;
} Interface;

enum { CALLABLE, DICT, LIST, FROZENSET };

typedef struct {
    const char *name;
    Py_ssize_t offset;
    int kind;
} Field;

#define FIELD(name, kind) {#name, offsetof(Interface, name), kind}

static const Field interface_fields[] = {
    FIELD(run_class, CALLABLE), FIELD(place, CALLABLE), FIELD(redact_all, CALLABLE), FIELD(too_deep, CALLABLE),
    FIELD(too_many, CALLABLE), FIELD(changed, CALLABLE), FIELD(check_time, CALLABLE), FIELD(find_secrets, CALLABLE),
    FIELD(walk_dict, CALLABLE), FIELD(walk_list, CALLABLE), FIELD(walk_selected_dict, CALLABLE),
    FIELD(check_subtree, CALLABLE), FIELD(exact_key, CALLABLE), FIELD(key_decision, CALLABLE),
    FIELD(harmless_keys, CALLABLE), FIELD(step, CALLABLE), FIELD(key_memo, DICT), FIELD(harmless, DICT),
    FIELD(steps, DICT), FIELD(redactions, LIST), FIELD(constants, LIST), FIELD(whole_tally_keys, LIST),
    FIELD(pair_decision, CALLABLE), FIELD(pair_values, FROZENSET), FIELD(pair_names, FROZENSET),
    FIELD(pair_dict_unchanged, CALLABLE), FIELD(lone_pair_name, CALLABLE),
};
#define INTERFACE_FIELDS (sizeof(interface_fields) / sizeof(interface_fields[0]))
#define FIELD_OF(object, field) ((PyObject **)((char *)(object) + (field)->offset))

static int
Interface_traverse(Interface *self, visitproc visit, void *arg)
{
    for (size_t i = 0; i < INTERFACE_FIELDS; i++)
        Py_VISIT(*FIELD_OF(self, &interface_fields[i]));
    return 0;
}

static int
Interface_clear(Interface *self)
{
    for (size_t i = 0; i < INTERFACE_FIELDS; i++)
        Py_CLEAR(*FIELD_OF(self, &interface_fields[i]));
    return 0;
}

static void
Interface_dealloc(Interface *self)
{
    PyObject_GC_UnTrack(self);
    Interface_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int
field_has_its_kind(const Field *field, PyObject *value)
{
    if (field->kind == CALLABLE ? PyCallable_Check(value)
        : field->kind == DICT    ? PyDict_CheckExact(value)
        : field->kind == LIST    ? PyList_CheckExact(value)
                                 : PyFrozenSet_CheckExact(value))
        return 1;
    PyErr_Format(PyExc_TypeError, "Interface(%s=...): %s, not %.100s", field->name,
                 field->kind == CALLABLE ? "a function" : field->kind == DICT ? "a dict"
                 : field->kind == LIST ? "a list" : "a frozenset",
                 Py_TYPE(value)->tp_name);
    return 0;
}

/* Interface(**fields, key_rules, max_depth, max_nodes): every field by name, each checked. */
static PyObject *
Interface_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    Py_ssize_t given = kwargs ? PyDict_GET_SIZE(kwargs) : 0;
    if (PyTuple_GET_SIZE(args) != 0 || given != (Py_ssize_t)INTERFACE_FIELDS + 3) {
        PyErr_Format(PyExc_TypeError, "Interface takes its %d fields by name, all of them",
                     (int)INTERFACE_FIELDS + 3);
        return NULL;
    }
    Interface *self = (Interface *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    for (size_t i = 0; i < INTERFACE_FIELDS; i++) {
        const Field *field = &interface_fields[i];
        PyObject *value = PyDict_GetItemString(kwargs, field->name);  /* str keys: no error to lose */
        if (value == NULL) {
            PyErr_Format(PyExc_TypeError, "Interface: the field %s is missing", field->name);
            goto fail;
        }
        if (!field_has_its_kind(field, value))
            goto fail;
        Py_INCREF(value);
        *FIELD_OF(self, field) = value;
    }
    if (!PyType_Check(self->run_class)) {
        PyErr_SetString(PyExc_TypeError, "Interface(run_class=...): a class");
        goto fail;
    }
    PyObject *key_rules = PyDict_GetItemString(kwargs, "key_rules");
    PyObject *max_depth = PyDict_GetItemString(kwargs, "max_depth");
    PyObject *max_nodes = PyDict_GetItemString(kwargs, "max_nodes");
    if (key_rules == NULL || max_depth == NULL || max_nodes == NULL || !PyBool_Check(key_rules)
        || !PyLong_CheckExact(max_depth) || !PyLong_CheckExact(max_nodes)) {
        PyErr_SetString(PyExc_TypeError, "Interface: key_rules is a bool, max_depth and max_nodes are ints");
        goto fail;
    }
    self->key_rules = key_rules == Py_True;
    if ((self->max_depth = PyLong_AsSsize_t(max_depth)) == -1 && PyErr_Occurred())
        goto fail;
    if ((self->max_nodes = PyLong_AsSsize_t(max_nodes)) == -1 && PyErr_Occurred())
        goto fail;
    return (PyObject *)self;
fail:
    Py_DECREF(self);
    return NULL;
}

static PyMemberDef Interface_members[] = {
    {"key_rules", T_INT, offsetof(Interface, key_rules), READONLY, NULL},
    {"max_depth", T_PYSSIZET, offsetof(Interface, max_depth), READONLY, NULL},
    {"max_nodes", T_PYSSIZET, offsetof(Interface, max_nodes), READONLY, NULL},
    {NULL},
};

static PyTypeObject InterfaceType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "rules_engine.scrub._walker.Interface",
    .tp_doc = "Interface(**fields): what the C walk calls and reads in Python, each field checked "
              "(see cwalk.c_walk_interface).",
    .tp_basicsize = sizeof(Interface),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = Interface_new,
    .tp_dealloc = (destructor)Interface_dealloc,
    .tp_traverse = (traverseproc)Interface_traverse,
    .tp_clear = (inquiry)Interface_clear,
    .tp_members = Interface_members,
};

/* ------------------------------------------------------------------ the walker (a run) */

typedef struct {
    PyObject *path;  /* NULL: a free slot */
    PyObject *node;
} MetaSlot;

typedef struct {
    PyObject_HEAD
    Interface *iface;
    /* the run's collections (its attributes of the same names, see Walker_getset) */
    PyObject *texts;     /* list of strings to scan */
    PyObject *slots;     /* container, key, parent path, active rules of each string, flat */
    PyObject *whole;     /* list of (container, key, parent path, rule index) */
    PyObject *tally;     /* (rule index, detector) -> redactions */
    PyObject *meta_root; /* the event (None: no _meta is written) */
    PyObject *cut;       /* index of a string cut to max_string_length -> its length */
    PyObject *written;   /* indexes of the strings written back */
    PyObject *findings_memo;  /* (text, active rules, probes) -> findings */
    PyObject *lists;     /* each list walked, then the copy the walk read it through, flat */
    PyObject *replaced;  /* id(list) -> (list, {index: item}) for items the run put there itself */
    PyObject *dicts;     /* each dict whose keys are text: dict, path, active rules, keys all harmless?, the rule
                          * redacting its keys whole or None (flat) */
    MetaSlot *meta_table;     /* path -> the _meta node mirroring that container */
    Py_ssize_t meta_capacity, meta_used;
    Py_ssize_t nodes;    /* the run's node count, shared with the Python walk */
} Walker;

static PyObject *card_high, *zero, *one, *no_keys;  /* 10**19, 0, 1 and () */
static PyObject *s_limit_rule, *s_meta, *s_empty, *s_rem, *s_len, *s_removed, *s_extend, *s_decode, *s_utf8, *s_replace;

/* ------------------------------------------------------------------ handing over to Python */

/* Call ``function`` with ``args`` (a new tuple, NULL when making it failed); 0 or -1. */
static int
call(PyObject *function, PyObject *args)
{
    if (args == NULL)
        return -1;
    PyObject *result = PyObject_Call(function, args, NULL);
    Py_DECREF(args);
    Py_XDECREF(result);
    return result == NULL ? -1 : 0;
}

/* For the methods Python calls: whether they got other than ``wanted`` arguments (then a
 * TypeError naming ``usage`` is set), and None or NULL after their work. */
static int
wrong_arguments(Py_ssize_t nargs, Py_ssize_t wanted, const char *usage)
{
    if (nargs == wanted)
        return 0;
    PyErr_SetString(PyExc_TypeError, usage);
    return 1;
}

static PyObject *
none_unless_failed(int status)
{
    if (status < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* Have the Python walk raise its limit error (``too_deep``, ``too_many``); always -1. */
static int
raise_through(Walker *w, PyObject *limit_error)
{
    if (call(limit_error, PyTuple_Pack(1, (PyObject *)w)) == 0)
        PyErr_SetString(PyExc_RuntimeError, "a limit error returned instead of raising");
    return -1;
}

static int
too_deep(Walker *w)
{
    return raise_through(w, w->iface->too_deep);
}

static int
count_nodes(Walker *w, Py_ssize_t added)
{
    if (added < 0)  /* the length of the container could not be taken: its error is set */
        return -1;
    w->nodes += added;
    return w->nodes > w->iface->max_nodes ? raise_through(w, w->iface->too_many) : 0;
}

/* The Python walk's ``place`` for a value of a type this walk does not handle itself. */
static int
place_in_python(Walker *w, PyObject *container, PyObject *key, PyObject *value, PyObject *path,
                PyObject *state, PyObject *active, Py_ssize_t depth)
{
    return call(w->iface->place, Py_BuildValue("(OOOOOOOn)", w, container, key, value, path, state, active, depth));
}

/* The items the run put in ``list`` itself, {index: item}, made on first use (a borrowed
 * reference: the run's ``replaced`` holds it). */
static PyObject *
replaced_items(Walker *w, PyObject *list)
{
    PyObject *id = PyLong_FromVoidPtr(list);
    if (id == NULL)
        return NULL;
    PyObject *items = NULL, *found = PyDict_GetItemWithError(w->replaced, id);
    if (found != NULL) {
        if (PyTuple_CheckExact(found) && PyTuple_GET_SIZE(found) == 2 && PyDict_CheckExact(PyTuple_GET_ITEM(found, 1)))
            items = PyTuple_GET_ITEM(found, 1);
        else
            PyErr_SetString(PyExc_TypeError, "a run's replaced items are (list, {index: item})");
    } else if (!PyErr_Occurred() && (items = PyDict_New()) != NULL) {
        PyObject *entry = PyTuple_Pack(2, list, items);
        Py_DECREF(items);  /* held by the entry, which the run holds */
        if (entry == NULL || PyDict_SetItem(w->replaced, id, entry) < 0)
            items = NULL;
        Py_XDECREF(entry);
    }
    Py_DECREF(id);
    return items;
}

/* ``Run.replace``: put ``value``, the plain form of what the walk read at ``container[key]`` (a
 * tuple as a list) or its redaction, in its place; a list remembers it, and its checks accept it
 * there. */
static int
replace_item(Walker *w, PyObject *container, PyObject *key, PyObject *value)
{
    if (PyObject_SetItem(container, key, value) < 0)
        return -1;
    if (!PyList_CheckExact(container))
        return 0;
    PyObject *items = replaced_items(w, container);
    return items == NULL ? -1 : PyDict_SetItem(items, key, value);
}

/* The Python walk's own method for a node this walk does not handle itself (a subclass). */
#define python_walk(w, method, format, ...) call((w)->iface->method, Py_BuildValue("(O" format ")", (w), __VA_ARGS__))

/* The name a key is decided by (a new reference): the key when it is exactly a str, a true str
 * of its text when it is a subclass (which could lie about its hash or equality to pass for a
 * harmless key), NULL with the Python walk's UnsendableValue for anything else. */
static PyObject *
exact_key(Walker *w, PyObject *key)
{
    if (PyUnicode_CheckExact(key)) {
        Py_INCREF(key);
        return key;
    }
    if (PyUnicode_Check(key))  /* the type's flags, not __class__: a true subclass */
        return PyUnicode_FromObject(key);
    if (call(w->iface->exact_key, PyTuple_Pack(1, key)) == 0)
        PyErr_SetString(PyExc_RuntimeError, "Run.exact_key accepted a key that is no str");
    return NULL;
}

/* Only keys that are exactly a str pass (the others raise in ``exact_key``): 0 or -1. */
static int
check_key(Walker *w, PyObject *key)
{
    if (PyUnicode_CheckExact(key))
        return 0;
    PyObject *name = exact_key(w, key);
    Py_XDECREF(name);
    return name == NULL ? -1 : 0;
}

/* ------------------------------------------------------------------ small pieces */

static int
collect(Walker *w, PyObject *text, PyObject *container, PyObject *key, PyObject *path, PyObject *active)
{
    if (PyList_Append(w->texts, text) < 0 || PyList_Append(w->slots, container) < 0
        || PyList_Append(w->slots, key) < 0 || PyList_Append(w->slots, path) < 0)
        return -1;
    return PyList_Append(w->slots, active);
}

/* An exact int of 13 to 19 digits is scanned as text (a card number stored as a number). */
static int
collect_card_number(Walker *w, PyObject *value, PyObject *container, PyObject *key, PyObject *path,
                    PyObject *active)
{
    int overflow;
    long long number = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (number == -1 && PyErr_Occurred())
        return -1;
    if (overflow < 0 || (overflow == 0 && number < 1000000000000LL))
        return 0;  /* a count, an id, a line number: no card */
    if (overflow > 0) {  /* above 2**63: still a card length below 10**19 */
        int below = PyObject_RichCompareBool(value, card_high, Py_LT);
        if (below <= 0)
            return below;
    }
    PyObject *text = PyObject_Str(value);
    if (text == NULL)
        return -1;
    int status = collect(w, text, container, key, path, active);
    Py_DECREF(text);
    return status;
}

/* Index of the lowest set bit of a non-zero word (every compiler: MSVC has no __builtin_ctzll). */
static int
trailing_zeros(unsigned long long bits)
{
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_ctzll(bits);
#else
    int index = 0;
    for (; !(bits & 1); bits >>= 1)
        index++;
    return index;
#endif
}

/* Bit index of the lowest set bit of a positive int, as a new int. */
static PyObject *
lowest_bit(PyObject *mask)
{
    unsigned long long bits = PyLong_AsUnsignedLongLong(mask);
    if (!(bits == (unsigned long long)-1 && PyErr_Occurred()))
        return PyLong_FromLong(trailing_zeros(bits));
    PyErr_Clear();
    PyObject *negated = PyNumber_Negative(mask);
    PyObject *lowest = negated ? PyNumber_And(mask, negated) : NULL;
    Py_XDECREF(negated);
    if (lowest == NULL)
        return NULL;
    PyObject *length = PyObject_CallMethod(lowest, "bit_length", NULL);
    Py_DECREF(lowest);
    if (length == NULL)
        return NULL;
    Py_ssize_t index = PyLong_AsSsize_t(length) - 1;
    Py_DECREF(length);
    return (index == -2 && PyErr_Occurred()) ? NULL : PyLong_FromSsize_t(index);
}

/* The rule redacting the value of ``key`` among ``active`` ones, ``also`` (when not NULL) the key
 * rules the names of a pair dict holding it match: a new int, Py_None (new ref) when no rule does,
 * NULL on error. */
static PyObject *
key_rule(Walker *w, PyObject *key, PyObject *also, PyObject *active)
{
    PyObject *decision = PyDict_GetItemWithError(w->iface->key_memo, key);
    if (decision != NULL) {
        Py_INCREF(decision);
    } else {
        if (PyErr_Occurred())
            return NULL;
        decision = PyObject_CallOneArg(w->iface->key_decision, key);
        if (decision == NULL)
            return NULL;
    }
    if (also != NULL) {
        PyObject *either = PyNumber_Or(decision, also);
        Py_DECREF(decision);
        if ((decision = either) == NULL)
            return NULL;
    }
    int none = PyObject_Not(decision);
    if (none) {
        Py_DECREF(decision);
        if (none < 0)
            return NULL;
        Py_RETURN_NONE;
    }
    PyObject *matched = PyNumber_And(decision, active);
    Py_DECREF(decision);
    if (matched == NULL)
        return NULL;
    none = PyObject_Not(matched);
    if (none) {
        Py_DECREF(matched);
        if (none < 0)
            return NULL;
        Py_RETURN_NONE;
    }
    PyObject *rule = lowest_bit(matched);
    Py_DECREF(matched);
    return rule;
}

/* ``value``, read at ``container[key]``, as the walk reads it (a new reference): a tuple becomes a
 * list of its items, which takes its place (JSON has no tuples; a list can be edited in place, its
 * items redacted by index); any other value is itself. */
static PyObject *
as_list_in_place(Walker *w, PyObject *container, PyObject *key, PyObject *value)
{
    if (!PyTuple_CheckExact(value))
        return Py_NewRef(value);
    PyObject *items = PySequence_List(value);
    if (items != NULL && replace_item(w, container, key, items) < 0)
        Py_CLEAR(items);
    return items;
}

static int walk_dict(Walker *w, PyObject *node, PyObject *path, PyObject *active, Py_ssize_t depth);
static int check_subtree(Walker *w, PyObject *node, Py_ssize_t depth);
static int walk_list(Walker *w, PyObject *node, PyObject *path, PyObject *active, Py_ssize_t depth);
static int walk_items(Walker *w, PyObject *node, PyObject *path, PyObject *state, PyObject *active, Py_ssize_t depth);
static int walk_selected_dict(Walker *w, PyObject *node, PyObject *path, PyObject *state, PyObject *active,
                              Py_ssize_t depth, PyObject *skipped);

/* Walk ``child``, the dict or list at ``key`` of the container at ``path``: the common walk where
 * no selector can match below (``state`` is None), else the one stepping the selectors on. */
static int
walk_child(Walker *w, PyObject *child, PyObject *path, PyObject *key, PyObject *state, PyObject *active,
           Py_ssize_t depth)
{
    PyObject *child_path = PyTuple_Pack(2, path, key);
    if (child_path == NULL)
        return -1;
    int status, is_dict = PyDict_CheckExact(child);
    if (state == Py_None)
        status = is_dict ? walk_dict(w, child, child_path, active, depth) : walk_list(w, child, child_path, active, depth);
    else
        status = is_dict ? walk_selected_dict(w, child, child_path, state, active, depth, no_keys)
                         : walk_items(w, child, child_path, state, active, depth);
    Py_DECREF(child_path);
    return status;
}

/* A tuple at ``container[key]``: the list of its items that takes its place is walked. */
static int
walk_tuple(Walker *w, PyObject *container, PyObject *key, PyObject *value, PyObject *path, PyObject *state,
           PyObject *active, Py_ssize_t depth)
{
    PyObject *items = as_list_in_place(w, container, key, value);
    if (items == NULL)
        return -1;
    int status = walk_child(w, items, path, key, state, active, depth + 1);
    Py_DECREF(items);
    return status;
}

/* A subclass of str (a str enum) at ``container[key]``: the transport sends its text, a plain str
 * (``str.__str__`` of it), which takes its place and is collected. */
static int
collect_plain_text(Walker *w, PyObject *container, PyObject *key, PyObject *value, PyObject *path, PyObject *active)
{
    PyObject *text = PyUnicode_FromObject(value);
    if (text == NULL)
        return -1;
    int status = replace_item(w, container, key, text);
    if (status == 0)
        status = collect(w, text, container, key, path, active);
    Py_DECREF(text);
    return status;
}

/* The Python walk's ``place`` where no selector can match below: collect a leaf, or descend into a
 * container. */
static int
place(Walker *w, PyObject *container, PyObject *key, PyObject *value, PyObject *path, PyObject *active,
      Py_ssize_t depth)
{
    PyTypeObject *kind = Py_TYPE(value);
    if (kind == &PyUnicode_Type)
        return collect(w, value, container, key, path, active);
    if (kind == &PyDict_Type || kind == &PyList_Type)
        return walk_child(w, value, path, key, Py_None, active, depth + 1);
    if (kind == &PyLong_Type)
        return collect_card_number(w, value, container, key, path, active);
    if (value == Py_None || kind == &PyBool_Type)
        return 0;
    if (kind == &PyFloat_Type && isfinite(PyFloat_AS_DOUBLE(value))
        && !(fabs(PyFloat_AS_DOUBLE(value)) >= 1e12 && PyFloat_AS_DOUBLE(value) == floor(PyFloat_AS_DOUBLE(value))))
        return 0;  /* a whole number of 13 digits or more may be a card number: Python looks */
    if (kind == &PyTuple_Type)
        return walk_tuple(w, container, key, value, path, Py_None, active, depth);
    if (PyUnicode_Check(value))  /* the type's flags, not __class__: a true subclass, a str enum */
        return collect_plain_text(w, container, key, value, path, active);
    return place_in_python(w, container, key, value, path, Py_None, active, depth);
}

/* The Python walk's ``place`` where a selector may still match below (``state`` is not None): a
 * container is walked stepping the selectors on; a leaf is placed as anywhere else (no selector
 * matches below a leaf). */
static int
place_selected(Walker *w, PyObject *container, PyObject *key, PyObject *value, PyObject *path, PyObject *state,
               PyObject *active, Py_ssize_t depth)
{
    PyTypeObject *kind = Py_TYPE(value);
    if (state == Py_None || kind == &PyUnicode_Type)
        return place(w, container, key, value, path, active, depth);
    if (kind == &PyDict_Type || kind == &PyList_Type)
        return walk_child(w, value, path, key, state, active, depth + 1);
    if (kind == &PyTuple_Type)
        return walk_tuple(w, container, key, value, path, state, active, depth);
    if (PyDict_Check(value) || PyList_Check(value) || PyTuple_Check(value))  /* a subclass: Python snapshots it */
        return place_in_python(w, container, key, value, path, state, active, depth);
    return place(w, container, key, value, path, active, depth);
}

static int
queue_whole(Walker *w, PyObject *container, PyObject *key, PyObject *path, PyObject *rule)
{
    PyObject *entry = PyTuple_Pack(4, container, key, path, rule);
    if (entry == NULL)
        return -1;
    int status = PyList_Append(w->whole, entry);
    Py_DECREF(entry);
    return status;
}

/* Whether the rule numbered ``rule`` removes values (its remark type is "x"). */
static int
rule_removes(Walker *w, PyObject *rule)
{
    Py_ssize_t index = PyLong_AsSsize_t(rule);
    PyObject *redaction = index < 0 ? NULL : PyList_GetItem(w->iface->redactions, index);
    if (redaction == NULL || !PyTuple_Check(redaction) || PyTuple_GET_SIZE(redaction) != 3) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "a redaction is (rule id, replace, remark)");
        return -1;
    }
    PyObject *remark = PyTuple_GET_ITEM(redaction, 2);
    return PyUnicode_Check(remark) && PyUnicode_Compare(remark, s_removed) == 0;
}

/* A dict whose keys are text of the event, searched when the walk ends (``Run.dicts``, dictkeys.py):
 * ``whole`` is the rule a sensitive key above it redacts every leaf by, which redacts its keys too,
 * or None. */
static int
note_dict(Walker *w, PyObject *node, PyObject *path, PyObject *active, int keys_harmless, PyObject *whole)
{
    PyObject *entry[5] = {node, path, active, keys_harmless ? Py_True : Py_False, whole};
    for (int i = 0; i < 5; i++)
        if (PyList_Append(w->dicts, entry[i]) < 0)
            return -1;
    return 0;
}

static int redact_all(Walker *w, PyObject *container, PyObject *key, PyObject *value, PyObject *path,
                      PyObject *state, PyObject *active, PyObject *rule, Py_ssize_t depth);
static int unchanged(Walker *w, PyObject *node, PyObject *copy);
static int list_unchanged(Walker *w, PyObject *node, PyObject *copy);

/* Every leaf of a container under a sensitive key (no selector below): ``redact_all``. */
static int
redact_container(Walker *w, PyObject *container, PyObject *key, PyObject *value, PyObject *active, PyObject *path,
                 PyObject *rule, Py_ssize_t depth)
{
    if (depth + 1 > w->iface->max_depth)
        return too_deep(w);
    PyObject *walked = as_list_in_place(w, container, key, value);  /* the value, or a tuple's list */
    if (walked == NULL)
        return -1;
    value = walked;
    int status = -1;
    PyObject *child_path = NULL;
    if (count_nodes(w, PyObject_Length(value)) < 0)
        goto done;
    int removes = rule_removes(w, rule);
    if (removes)
        status = removes < 0 ? -1 : queue_whole(w, container, key, path, rule);
    if (removes)
        goto done;
    child_path = PyTuple_Pack(2, path, key);
    if (child_path == NULL)
        goto done;
    status = 0;
    if (PyDict_CheckExact(value)) {
        Py_ssize_t position = 0;
        PyObject *copy = PyDict_Copy(value), *child_key, *child;
        status = copy == NULL ? -1 : 0;
        while (status == 0 && PyDict_Next(copy, &position, &child_key, &child)) {
            status = check_key(w, child_key);
            if (status == 0)
                status = redact_all(w, value, child_key, child, child_path, Py_None, active, rule, depth + 1);
        }
        if (status == 0)
            status = unchanged(w, value, copy);
        if (status == 0)
            status = note_dict(w, value, child_path, active, 0, rule);
        Py_XDECREF(copy);
    } else {
        PyObject *snapshot = PySequence_List(value);
        for (Py_ssize_t i = 0; snapshot != NULL && status == 0 && i < PyList_GET_SIZE(snapshot); i++) {
            PyObject *index = PyLong_FromSsize_t(i);
            status = index ? redact_all(w, value, index, PyList_GET_ITEM(snapshot, i), child_path, Py_None, active,
                                        rule, depth + 1)
                           : -1;
            Py_XDECREF(index);
        }
        if (snapshot == NULL)
            status = -1;
        else if (status == 0)
            status = list_unchanged(w, value, snapshot);
        Py_XDECREF(snapshot);
    }
done:
    Py_XDECREF(child_path);
    Py_DECREF(walked);
    return status;
}

/* The Python walk's ``redact_all``: a value under a sensitive key has every leaf redacted.
 * Below a node where a selector may still match (``state`` is not None), Python does it. */
static int
redact_all(Walker *w, PyObject *container, PyObject *key, PyObject *value, PyObject *path, PyObject *state,
           PyObject *active, PyObject *rule, Py_ssize_t depth)
{
    PyTypeObject *kind = Py_TYPE(value);
    if (kind == &PyDict_Type || kind == &PyList_Type || kind == &PyTuple_Type) {
        if (state != Py_None)
            return call(w->iface->redact_all,
                        Py_BuildValue("(OOOOOOOOn)", w, container, key, value, path, state, active, rule, depth));
        return redact_container(w, container, key, value, active, path, rule, depth);
    }
    if (value == Py_None || kind == &PyBool_Type)
        return 0;
    return queue_whole(w, container, key, path, rule);
}

/* Redact ``container[key]`` when a key rule matches ``name`` (the key itself, or the name of a
 * ``[name, value]`` pair) or is among ``also`` (NULL, or the key rules the names of a pair dict
 * match): 1 if so, 0 if not, -1 on error. */
static int
apply_key_rules_below(Walker *w, PyObject *name, PyObject *also, PyObject *container, PyObject *key,
                      PyObject *value, PyObject *path, PyObject *state, PyObject *active, Py_ssize_t depth)
{
    if (!w->iface->key_rules)
        return 0;
    PyObject *rule = key_rule(w, name, also, active);
    if (rule == NULL)
        return -1;
    if (rule == Py_None) {
        Py_DECREF(rule);
        return 0;
    }
    int status = redact_all(w, container, key, value, path, state, active, rule, depth);
    Py_DECREF(rule);
    return status < 0 ? -1 : 1;
}

/* ``apply_key_rules_below`` where no selector can match below. */
static int
apply_key_rules(Walker *w, PyObject *name, PyObject *also, PyObject *container, PyObject *key, PyObject *value,
                PyObject *path, PyObject *active, Py_ssize_t depth)
{
    return apply_key_rules_below(w, name, also, container, key, value, path, Py_None, active, depth);
}

/* Whether the key ``name`` of a dict is a value field a sibling may name (pairs.py): 1, 0, -1. */
static int
is_value_field(Walker *w, PyObject *name)
{
    return PySet_Contains(w->iface->pair_values, name);
}

/* Whether the dict read as ``copy`` may be a pair: 1 when it holds a name field, or a key that is
 * not exactly a str (Python reads it); 0 when it is no pair (most dicts holding a value field: an
 * exception's); -1 on error. */
static int
holds_name_field(Walker *w, PyObject *copy)
{
    Py_ssize_t position = 0;
    PyObject *key, *value;
    while (PyDict_Next(copy, &position, &key, &value)) {
        int found = PyUnicode_CheckExact(key) ? PySet_Contains(w->iface->pair_names, key) : 1;
        if (found)
            return found;
    }
    return 0;
}

/* ``Run.pair_decision`` of the dict read as ``copy`` (borrowed; NULL on error), asked once per
 * dict: ``*pair`` is NULL until then, and holds the answer afterwards (the caller's reference);
 * ``*named``: whether the dict may be a pair (else the answer is 0, found without Python). */
static PyObject *
pair_decision(Walker *w, PyObject *copy, PyObject **pair, int *named)
{
    if (*pair != NULL)
        return *pair;
    if ((*named = holds_name_field(w, copy)) < 0)
        return NULL;
    if (*named)
        *pair = PyObject_CallFunctionObjArgs(w->iface->pair_decision, (PyObject *)w, copy, NULL);
    else
        *pair = PyLong_FromLong(0);
    return *pair;
}

/* After the walk of a dict read as ``copy`` (its keys checked): when its names were read
 * (``pair`` not NULL, and the dict ``named``), ``Run.pair_dict_unchanged`` checks they are still
 * there. (A dict without a name field has none now either: its keys are the same.) */
static int
pair_dict_unchanged(Walker *w, PyObject *node, PyObject *copy, PyObject *pair, int named)
{
    if (pair == NULL || !named)
        return 0;
    return call(w->iface->pair_dict_unchanged, PyTuple_Pack(4, (PyObject *)w, node, copy, pair));
}

/* ------------------------------------------------------------------ the walk */

/* ``Run.only_replaced``: whether ``node`` holds the items of ``copy``, in order, but where the
 * run put items of its own (``replaced``): 1, 0, or -1 on error. No Python code runs. */
static int
list_holds(Walker *w, PyObject *node, PyObject *copy)
{
    Py_ssize_t size = PyList_GET_SIZE(copy);
    if (!PyList_CheckExact(node) || PyList_GET_SIZE(node) != size)
        return 0;
    PyObject *items = NULL;  /* the run's own items in node, looked up at the first difference */
    for (Py_ssize_t i = 0; i < size; i++) {
        PyObject *item = PyList_GET_ITEM(node, i);
        if (item == PyList_GET_ITEM(copy, i))
            continue;
        if (items == NULL) {
            PyObject *id = PyLong_FromVoidPtr(node);
            PyObject *found = id ? PyDict_GetItemWithError(w->replaced, id) : NULL;
            Py_XDECREF(id);
            if (found == NULL)
                return PyErr_Occurred() ? -1 : 0;
            if (!PyTuple_CheckExact(found) || PyTuple_GET_SIZE(found) != 2 || !PyDict_CheckExact(PyTuple_GET_ITEM(found, 1))) {
                PyErr_SetString(PyExc_TypeError, "a run's replaced items are (list, {index: item})");
                return -1;
            }
            items = PyTuple_GET_ITEM(found, 1);
        }
        PyObject *index = PyLong_FromSsize_t(i);
        PyObject *own = index ? PyDict_GetItemWithError(items, index) : NULL;
        Py_XDECREF(index);
        if (own != item)
            return PyErr_Occurred() ? -1 : 0;
    }
    return 1;
}

/* A dict or list is walked through a copy taken when the walk enters it (``Run.unchanged``):
 * another thread adding and removing keys or items meanwhile cannot make the walk skip or repeat
 * an entry, and the container must still hold the copy's key or item objects, in order,
 * afterwards (else ``Run.changed`` raises: entries the walk never saw would be sent, and a list's
 * redactions, written by index, would miss a shifted item). The copy is read without running
 * Python code. */
static int
unchanged(Walker *w, PyObject *node, PyObject *copy)
{
    if (PyList_CheckExact(copy)) {
        int holds = list_holds(w, node, copy);
        return holds > 0 ? 0 : holds < 0 ? -1 : raise_through(w, w->iface->changed);
    }
    Py_ssize_t at_node = 0, at_copy = 0;
    PyObject *key, *copied, *value;
    if (PyDict_GET_SIZE(node) != PyDict_GET_SIZE(copy))
        return raise_through(w, w->iface->changed);
    while (PyDict_Next(node, &at_node, &key, &value))
        if (!PyDict_Next(copy, &at_copy, &copied, &value) || key != copied)
            return raise_through(w, w->iface->changed);
    return 0;
}

/* ``Run.list_unchanged``: ``unchanged`` for a list walked through ``copy``, and both remembered
 * (the list is checked again after the redactions are written, if it received one). */
static int
list_unchanged(Walker *w, PyObject *node, PyObject *copy)
{
    if (unchanged(w, node, copy) < 0)
        return -1;
    return PyList_Append(w->lists, node) < 0 ? -1 : PyList_Append(w->lists, copy);
}

static int
enter(Walker *w, PyObject *node, Py_ssize_t depth)
{
    if (depth > w->iface->max_depth)
        return too_deep(w);
    return count_nodes(w, PyObject_Length(node));
}

/* The set of key names known to be harmless for the active rules (a new reference). */
static PyObject *
harmless_keys(Walker *w, PyObject *active)
{
    PyObject *harmless = PyDict_GetItemWithError(w->iface->harmless, active);
    if (harmless != NULL) {
        Py_INCREF(harmless);
        return harmless;
    }
    return PyErr_Occurred() ? NULL : PyObject_CallOneArg(w->iface->harmless_keys, active);
}

/* ``walk_dict`` and ``walk_dict_keys`` of the Python walk in one pass: a key already known to be
 * harmless is placed at once (what the Python walk does for a dict whose keys all are); any other
 * key is checked (a string? sensitive?), and the run learns it as harmless once its text is
 * searched (``Run.learn_harmless_keys``). */
static int
walk_dict(Walker *w, PyObject *node, PyObject *path, PyObject *active, Py_ssize_t depth)
{
    if (!PyDict_CheckExact(node))  /* an OrderedDict ...: iterate it as the Python walk does */
        return python_walk(w, walk_dict, "OOOn", node, path, active, depth);
    if (enter(w, node, depth) < 0)
        return -1;
    PyObject *harmless = harmless_keys(w, active);
    if (harmless == NULL)
        return -1;
    if (Py_EnterRecursiveCall(" while scrubbing an event")) {
        Py_DECREF(harmless);
        return -1;
    }
    int is_set = PyAnySet_Check(harmless);
    int all_known = 1;
    Py_ssize_t position = 0;
    PyObject *copy = PyDict_Copy(node);
    PyObject *key, *value, *pair = NULL;  /* pair: the key rules the names of a pair dict match */
    int named = 0;                        /* whether it may be a pair (see pair_decision) */
    int status = copy == NULL ? -1 : 0;
    while (status == 0 && PyDict_Next(copy, &position, &key, &value)) {
        PyObject *name = exact_key(w, key);
        if (name == NULL) {
            status = -1;
            break;
        }
        Py_INCREF(key);
        Py_INCREF(value);
        int known = is_set ? PySet_Contains(harmless, name) : 0;
        int redacted = 0, is_value = 0;  /* a value field, which a sibling may name */
        PyObject *also = NULL;
        if (!PyUnicode_CheckExact(key))  /* a subclass may lie about its hash: never passed by a set */
            all_known = 0;
        if (known < 0)
            status = -1;
        else if (!known) {
            all_known = 0;
            if ((is_value = is_value_field(w, name)) < 0
                || (is_value && w->iface->key_rules && (also = pair_decision(w, copy, &pair, &named)) == NULL)
                || (redacted = apply_key_rules(w, name, also, node, key, value, path, active, depth)) < 0)
                status = -1;
        }
        if (status == 0 && !redacted)
            status = place(w, node, key, value, path, active, depth);
        Py_DECREF(name);
        Py_DECREF(key);
        Py_DECREF(value);
    }
    if (status == 0)
        status = unchanged(w, node, copy);
    if (status == 0)
        status = pair_dict_unchanged(w, node, copy, pair, named);
    if (status == 0)
        status = note_dict(w, node, path, active, all_known, Py_None);
    Py_XDECREF(pair);
    Py_XDECREF(copy);
    Py_LeaveRecursiveCall();
    Py_DECREF(harmless);
    return status;
}

/* The selector automaton's step from ``state`` over ``key``: (next state or None, rules the
 * selectors matched there activate, whether an ``allow`` selector matched), as a new tuple. */
static PyObject *
selector_step(Walker *w, PyObject *state, PyObject *key)
{
    PyObject *memo_key = PyTuple_Pack(2, state, key);
    if (memo_key == NULL)
        return NULL;
    PyObject *found = PyDict_GetItemWithError(w->iface->steps, memo_key);
    Py_DECREF(memo_key);
    if (found != NULL) {
        Py_INCREF(found);
    } else if (!PyErr_Occurred()) {
        found = PyObject_CallFunctionObjArgs(w->iface->step, state, key, NULL);
    }
    if (found != NULL && (!PyTuple_CheckExact(found) || PyTuple_GET_SIZE(found) != 3)) {
        Py_DECREF(found);
        PyErr_SetString(PyExc_TypeError, "a selector step is (state, rules, allowed)");
        return NULL;
    }
    return found;
}

/* The step of the walk to a child named ``name`` of a node in selector ``state`` where ``active``
 * rules apply (``Run.step``): 1 when an ``allow`` selector matches the child (it is only checked,
 * never scrubbed); else 0, with the child's state (None: no selector can match there) and the
 * rules active there in ``*below`` and ``*below_active`` (new references); -1 on error. With no
 * state (no selector can match here) the child has the node's. */
static int
step_below(Walker *w, PyObject *state, PyObject *name, PyObject *active, PyObject **below, PyObject **below_active)
{
    if (state == Py_None) {
        *below = Py_NewRef(Py_None);
        *below_active = Py_NewRef(active);
        return 0;
    }
    PyObject *step = selector_step(w, state, name);
    if (step == NULL)
        return -1;
    int allowed = PyObject_IsTrue(PyTuple_GET_ITEM(step, 2));
    if (allowed == 0) {
        *below_active = PyNumber_Or(active, PyTuple_GET_ITEM(step, 1));
        if (*below_active == NULL)
            allowed = -1;
        else
            *below = Py_NewRef(PyTuple_GET_ITEM(step, 0));
    }
    Py_DECREF(step);
    return allowed;
}

/* A ``[name, value]`` pair, read from ``copy``, the walk's copy of ``pair``: the name is the
 * value's key, and a selector's step to it (the pair's index in its list is not); the name is a
 * string of the event too, collected as the pair's first item. */
static int
visit_pair_value(Walker *w, PyObject *pair, PyObject *copy, PyObject *path, PyObject *index, PyObject *state,
                 PyObject *active, Py_ssize_t depth)
{
    PyObject *name = PyList_GET_ITEM(copy, 0), *value = PyList_GET_ITEM(copy, 1);
    PyObject *pair_path = PyTuple_Pack(2, path, index);
    if (pair_path == NULL || collect(w, name, pair, zero, pair_path, active) < 0) {
        Py_XDECREF(pair_path);
        return -1;
    }
    PyObject *below, *below_active;
    int status = step_below(w, state, name, active, &below, &below_active);
    if (status) {  /* allowed, at the pair's own depth, as Run.visit_pair checks it */
        Py_DECREF(pair_path);
        return status < 0 ? -1 : check_subtree(w, value, depth + 1);
    }
    status = apply_key_rules_below(w, name, NULL, pair, one, value, pair_path, below, below_active, depth + 1);
    if (status == 0)
        status = place_selected(w, pair, one, value, pair_path, below, below_active, depth + 1);
    Py_DECREF(pair_path);
    Py_DECREF(below);
    Py_DECREF(below_active);
    return status < 0 ? -1 : 0;
}

/* A ``[name, value]`` item of a list (headers), ``Run.visit_pair``. The pair is a list of the
 * event too (a tuple becomes one), walked through a copy it must still match afterwards. */
static int
walk_pair(Walker *w, PyObject *node, PyObject *index, PyObject *item, PyObject *path, PyObject *state,
          PyObject *active, Py_ssize_t depth)
{
    PyObject *pair = as_list_in_place(w, node, index, item);
    if (pair == NULL)
        return -1;
    int status = -1;
    PyObject *copy = PySequence_List(pair);
    if (copy == NULL)
        goto done;
    if (PyList_GET_SIZE(copy) != 2 || !PyUnicode_CheckExact(PyList_GET_ITEM(copy, 0))) {
        status = raise_through(w, w->iface->changed);  /* no longer the pair the caller saw */
        goto done;
    }
    status = visit_pair_value(w, pair, copy, path, index, state, active, depth);
    if (status == 0)
        status = list_unchanged(w, pair, copy);
done:
    Py_XDECREF(copy);
    Py_DECREF(pair);
    return status;
}

static int
is_pair(PyObject *item)
{
    if (!PyList_CheckExact(item) && !PyTuple_CheckExact(item))
        return 0;
    return PySequence_Fast_GET_SIZE(item) == 2 && PyUnicode_CheckExact(PySequence_Fast_GET_ITEM(item, 0));
}

/* One item of a list where a selector may match (``Run.visit`` with an index for key): the
 * selectors step over the index's text; no key rule applies to an index, but key rules read
 * ``named_by`` (NULL, or the name of a lone pair's second item). */
static int
visit_selected_item(Walker *w, PyObject *node, PyObject *index, PyObject *item, PyObject *path, PyObject *state,
                    PyObject *active, Py_ssize_t depth, PyObject *named_by)
{
    PyObject *name = PyObject_Str(index);
    if (name == NULL)
        return -1;
    PyObject *below, *below_active;
    int allowed = step_below(w, state, name, active, &below, &below_active);
    Py_DECREF(name);
    if (allowed)
        return allowed < 0 ? -1 : check_subtree(w, item, depth + 1);
    int status = named_by == NULL ? 0
        : apply_key_rules_below(w, named_by, NULL, node, index, item, path, below, below_active, depth);
    if (status == 0)
        status = place_selected(w, node, index, item, path, below, below_active, depth);
    Py_DECREF(below);
    Py_DECREF(below_active);
    return status < 0 ? -1 : 0;
}

/* The name of ``copy``'s second item when the list is a lone pair (``Run.lone_pair_name``, in
 * Python: pairs.lone_pair_name), a new reference; NULL with no error set when it is none. */
static PyObject *
lone_pair_name(Walker *w, PyObject *copy)
{
    if (PyList_GET_SIZE(copy) != 2 || !PyUnicode_CheckExact(PyList_GET_ITEM(copy, 0)))
        return NULL;
    PyObject *name = PyObject_CallOneArg(w->iface->lone_pair_name, copy);
    if (name == Py_None)
        Py_CLEAR(name);
    return name;
}

/* A lone pair's second item where no selector can match (``Run.visit`` with ``named_by``): redacted
 * when a key rule matches its name, else placed. */
static int
visit_named_item(Walker *w, PyObject *node, PyObject *index, PyObject *item, PyObject *path, PyObject *active,
                 Py_ssize_t depth, PyObject *named_by)
{
    int status = apply_key_rules(w, named_by, NULL, node, index, item, path, active, depth);
    if (status == 0)
        status = place(w, node, index, item, path, active, depth);
    return status < 0 ? -1 : 0;
}

/* The items of an exact list (``Run.walk_list``, or the loop of ``Run.walk`` where a selector may
 * match: ``state`` is not None), read from a copy, which the list must still match afterwards
 * (``unchanged``). A ``[name, value]`` item is a pair; any other is the item at its index. */
static int
walk_items(Walker *w, PyObject *node, PyObject *path, PyObject *state, PyObject *active, Py_ssize_t depth)
{
    if (enter(w, node, depth) < 0)
        return -1;
    if (Py_EnterRecursiveCall(" while scrubbing an event"))
        return -1;
    PyObject *copy = PyList_GetSlice(node, 0, PyList_GET_SIZE(node));
    int status = copy == NULL ? -1 : 0;
    PyObject *named_by = copy == NULL ? NULL : lone_pair_name(w, copy);  /* a lone pair's name */
    if (named_by == NULL && PyErr_Occurred())
        status = -1;
    for (Py_ssize_t i = 0; status == 0 && i < PyList_GET_SIZE(copy); i++) {
        PyObject *item = PyList_GET_ITEM(copy, i);  /* the copy is the walk's own: it holds the item */
        PyObject *index = PyLong_FromSsize_t(i);
        if (index == NULL) {
            status = -1;
            break;
        }
        if (i == 1 && named_by != NULL)
            status = state == Py_None ? visit_named_item(w, node, index, item, path, active, depth, named_by)
                                      : visit_selected_item(w, node, index, item, path, state, active, depth, named_by);
        else if (is_pair(item))
            status = walk_pair(w, node, index, item, path, state, active, depth);
        else if (state == Py_None)
            status = place(w, node, index, item, path, active, depth);
        else
            status = visit_selected_item(w, node, index, item, path, state, active, depth, NULL);
        Py_DECREF(index);
    }
    if (status == 0)
        status = list_unchanged(w, node, copy);
    Py_XDECREF(named_by);
    Py_XDECREF(copy);
    Py_LeaveRecursiveCall();
    return status;
}

/* A list below which no selector can match (a subclass is iterated as the Python walk does). */
static int
walk_list(Walker *w, PyObject *node, PyObject *path, PyObject *active, Py_ssize_t depth)
{
    if (!PyList_CheckExact(node))
        return python_walk(w, walk_list, "OOOn", node, path, active, depth);
    return walk_items(w, node, path, Py_None, active, depth);
}

/* One child of a dict where a selector may match (the loop body of ``walk_selected_dict``), the
 * dict read as ``copy``; ``*pair`` and ``*named`` as for ``pair_decision`` (``pair`` NULL: the
 * dict is the event itself, no pair). */
static int
visit_selected(Walker *w, PyObject *node, PyObject *copy, PyObject **pair, int *named, PyObject *name,
               PyObject *key, PyObject *value, PyObject *path, PyObject *state, PyObject *active, Py_ssize_t depth)
{
    PyObject *below, *below_active;
    int allowed = step_below(w, state, name, active, &below, &below_active);
    if (allowed)
        return allowed < 0 ? -1 : check_subtree(w, value, depth + 1);
    PyObject *also = NULL;
    int is_value = w->iface->key_rules && pair != NULL ? is_value_field(w, name) : 0;
    int status = is_value < 0 || (is_value && (also = pair_decision(w, copy, pair, named)) == NULL) ? -1 : 0;
    if (status == 0)
        status = apply_key_rules_below(w, name, also, node, key, value, path, below, below_active, depth);
    if (status == 0)
        status = place_selected(w, node, key, value, path, below, below_active, depth);
    Py_DECREF(below);
    Py_DECREF(below_active);
    return status < 0 ? -1 : 0;
}

/* The Python walk's ``walk_selected_dict``: a dict where a selector may match. */
static int
walk_selected_dict(Walker *w, PyObject *node, PyObject *path, PyObject *state, PyObject *active, Py_ssize_t depth,
                   PyObject *skipped)
{
    if (!PyDict_CheckExact(node))
        return python_walk(w, walk_selected_dict, "OOOOnO", node, path, state, active, depth, skipped);
    if (enter(w, node, depth) < 0)
        return -1;
    if (Py_EnterRecursiveCall(" while scrubbing an event"))
        return -1;
    Py_ssize_t position = 0;
    PyObject *copy = PyDict_Copy(node);
    PyObject *key, *value, *pair = NULL;  /* pair: the key rules the names of a pair dict match */
    int named = 0;                        /* whether it may be a pair (see pair_decision) */
    int top = PyObject_IsTrue(skipped);  /* keys to skip: the event itself, which is no pair */
    PyObject **pairs_here = top ? NULL : &pair;
    int status = copy == NULL || top < 0 ? -1 : 0;
    while (status == 0 && PyDict_Next(copy, &position, &key, &value)) {
        PyObject *name = exact_key(w, key);
        if (name == NULL) {
            status = -1;
            break;
        }
        Py_INCREF(key);
        Py_INCREF(value);
        int skip = PySequence_Contains(skipped, name);
        if (skip < 0)
            status = -1;
        else if (skip)
            status = PyUnicode_CheckExact(value) ? 0 : check_subtree(w, value, depth + 1);
        else
            status = visit_selected(w, node, copy, pairs_here, &named, name, key, value, path, state, active, depth);
        Py_DECREF(name);
        Py_DECREF(key);
        Py_DECREF(value);
    }
    if (status == 0)
        status = unchanged(w, node, copy);
    if (status == 0)
        status = pair_dict_unchanged(w, node, copy, pair, named);
    if (status == 0 && !top)  /* the event's own keys are its attributes */
        status = note_dict(w, node, path, active, 0, Py_None);
    Py_XDECREF(pair);
    Py_XDECREF(copy);
    Py_LeaveRecursiveCall();
    return status;
}

/* The Python walk's ``check_subtree``: a subtree that is not scrubbed must still be sendable. */
static int
check_subtree(Walker *w, PyObject *node, Py_ssize_t depth)
{
    PyTypeObject *kind = Py_TYPE(node);
    if (kind == &PyUnicode_Type || node == Py_None || kind == &PyBool_Type || kind == &PyLong_Type)
        return 0;
    if (kind == &PyFloat_Type && isfinite(PyFloat_AS_DOUBLE(node)))
        return 0;
    if (kind != &PyDict_Type && kind != &PyList_Type && kind != &PyTuple_Type)  /* subclasses, NaN ... */
        return python_walk(w, check_subtree, "On", node, depth);
    if (enter(w, node, depth) < 0)
        return -1;
    if (Py_EnterRecursiveCall(" while checking an event"))
        return -1;
    int status = 0;
    if (kind == &PyDict_Type) {
        Py_ssize_t position = 0;
        PyObject *copy = PyDict_Copy(node);
        PyObject *key, *value;
        status = copy == NULL ? -1 : 0;
        while (status == 0 && PyDict_Next(copy, &position, &key, &value)) {
            status = check_key(w, key);
            if (status == 0 && !PyUnicode_CheckExact(value))
                status = check_subtree(w, value, depth + 1);
        }
        if (status == 0)
            status = unchanged(w, node, copy);
        Py_XDECREF(copy);
    } else {  /* a list through a copy, as the walk reads it (a tuple cannot change) */
        PyObject *items = kind == &PyList_Type ? PySequence_List(node) : PySequence_Fast(node, "a tuple");
        if (items == NULL)
            status = -1;
        for (Py_ssize_t i = 0; status == 0 && i < PySequence_Fast_GET_SIZE(items); i++) {
            PyObject *item = PySequence_Fast_GET_ITEM(items, i);
            if (!PyUnicode_CheckExact(item))
                status = check_subtree(w, item, depth + 1);
        }
        if (status == 0 && kind == &PyList_Type)
            status = unchanged(w, node, items);
        Py_XDECREF(items);
    }
    Py_LeaveRecursiveCall();
    return status;
}

/* ------------------------------------------------------------------ applying redactions
 *
 * ``Run.add_meta``, ``Run.meta_node`` and ``Run.apply_whole_values`` in walk.py: the same
 * Sentry ``_meta`` remarks, written the same way. */

static PyObject *
get_or_set_dict(PyObject *node, PyObject *step)
{
    PyObject *child = PyDict_GetItemWithError(node, step);
    if (child != NULL && PyDict_Check(child))
        return child;  /* borrowed */
    if (PyErr_Occurred())
        return NULL;
    child = PyDict_New();
    if (child == NULL)
        return NULL;
    int status = PyObject_SetItem(node, step, child);
    Py_DECREF(child);
    return status < 0 ? NULL : child;  /* borrowed: the node holds it */
}

/* The _meta nodes already made, by the identity of the path they mirror: a small open-addressing
 * table (the Python walk keeps a dict keyed by ``id(path)``; this one needs no int objects). It
 * holds a reference to each path and node, so no identity is reused while the run lasts. */

static Py_ssize_t
meta_slot_of(Walker *w, PyObject *path)
{
    size_t mask = (size_t)w->meta_capacity - 1;
    size_t index = (((uintptr_t)path >> 4) * 0x9E3779B97F4A7C15ULL) & mask;
    while (w->meta_table[index].path != NULL && w->meta_table[index].path != path)
        index = (index + 1) & mask;
    return (Py_ssize_t)index;
}

static int
grow_meta_table(Walker *w)
{
    MetaSlot *old = w->meta_table;
    Py_ssize_t old_capacity = w->meta_capacity;
    Py_ssize_t capacity = old_capacity ? old_capacity * 2 : 64;
    MetaSlot *table = PyMem_Calloc(capacity, sizeof(MetaSlot));
    if (table == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    w->meta_table = table;
    w->meta_capacity = capacity;
    for (Py_ssize_t i = 0; i < old_capacity; i++)
        if (old[i].path != NULL)
            table[meta_slot_of(w, old[i].path)] = old[i];
    PyMem_Free(old);
    return 0;
}

static int
remember_meta_node(Walker *w, PyObject *path, PyObject *node)
{
    if ((w->meta_used + 1) * 2 > w->meta_capacity && grow_meta_table(w) < 0)
        return -1;
    MetaSlot *slot = &w->meta_table[meta_slot_of(w, path)];
    Py_INCREF(node);
    if (slot->path == NULL) {
        Py_INCREF(path);
        slot->path = path;
        w->meta_used++;
    } else {
        Py_DECREF(slot->node);
    }
    slot->node = node;
    return 0;
}

static PyObject *
known_meta_node(Walker *w, PyObject *path)
{
    if (w->meta_capacity == 0)
        return NULL;
    return w->meta_table[meta_slot_of(w, path)].node;  /* borrowed; NULL when unknown */
}

static void
clear_meta_table(Walker *w)
{
    MetaSlot *table = w->meta_table;
    Py_ssize_t capacity = w->meta_capacity;
    w->meta_table = NULL;
    w->meta_capacity = w->meta_used = 0;
    for (Py_ssize_t i = 0; i < capacity; i++) {
        Py_XDECREF(table[i].path);
        Py_XDECREF(table[i].node);
    }
    PyMem_Free(table);
}

/* "0", "1", ...: the _meta steps of list indexes, made once (events index lists of frames,
 * breadcrumbs and header pairs over and over). */
#define INDEX_NAMES 512
static PyObject *index_names[INDEX_NAMES];

static PyObject *
step_name(PyObject *key)
{
    if (PyUnicode_CheckExact(key)) {
        Py_INCREF(key);
        return key;
    }
    if (PyLong_CheckExact(key)) {
        Py_ssize_t index = PyLong_AsSsize_t(key);
        if (index >= 0 && index < INDEX_NAMES) {
            if (index_names[index] == NULL && (index_names[index] = PyObject_Str(key)) == NULL)
                return NULL;
            Py_INCREF(index_names[index]);
            return index_names[index];
        }
        PyErr_Clear();
    }
    return PyObject_Str(key);
}

/* A one-entry dict {key: value}; steals the reference to ``value``. */
static PyObject *
dict_of(PyObject *key, PyObject *value)
{
    PyObject *made = value ? PyDict_New() : NULL;
    if (made != NULL && PyDict_SetItem(made, key, value) < 0)
        Py_CLEAR(made);
    Py_XDECREF(value);
    return made;
}

/* ``[rule_id, type, start, end]`` (``start``/``end`` omitted when negative: ``[rule_id, "x"]``). */
static PyObject *
remark(PyObject *rule_id, PyObject *type, Py_ssize_t start, Py_ssize_t end)
{
    PyObject *made = PyList_New(start < 0 ? 2 : 4);
    if (made == NULL)
        return NULL;
    Py_INCREF(rule_id);
    Py_INCREF(type);
    PyList_SET_ITEM(made, 0, rule_id);
    PyList_SET_ITEM(made, 1, type);
    if (start >= 0) {
        PyObject *first = PyLong_FromSsize_t(start), *last = PyLong_FromSsize_t(end);
        if (first == NULL || last == NULL) {
            Py_XDECREF(first);
            Py_XDECREF(last);
            Py_DECREF(made);
            return NULL;
        }
        PyList_SET_ITEM(made, 2, first);
        PyList_SET_ITEM(made, 3, last);
    }
    return made;
}

/* ``[remark(...)]``: the remarks of a value redacted whole. */
static PyObject *
single_remark(PyObject *rule_id, PyObject *type, Py_ssize_t start, Py_ssize_t end)
{
    PyObject *one_remark = remark(rule_id, type, start, end);
    PyObject *made = one_remark ? PyList_New(1) : NULL;
    if (made == NULL) {
        Py_XDECREF(one_remark);
        return NULL;
    }
    PyList_SET_ITEM(made, 0, one_remark);
    return made;
}

/* The _meta node mirroring the container at ``path`` (borrowed), created on first use. */
static PyObject *
meta_node(Walker *w, PyObject *path)
{
    PyObject *found = known_meta_node(w, path);
    if (found != NULL || PyErr_Occurred())
        return found;
    if (path == Py_None) {
        if (!PyDict_Check(w->meta_root)) {
            PyErr_SetString(PyExc_TypeError, "_meta is written into a dict");
            return NULL;
        }
        found = get_or_set_dict(w->meta_root, s_meta);
    } else {
        if (!PyTuple_CheckExact(path) || PyTuple_GET_SIZE(path) != 2) {
            PyErr_SetString(PyExc_TypeError, "a scrub path is a (parent path, key) pair");
            return NULL;
        }
        PyObject *parent = meta_node(w, PyTuple_GET_ITEM(path, 0));
        PyObject *step = parent ? step_name(PyTuple_GET_ITEM(path, 1)) : NULL;
        if (step == NULL)
            return NULL;
        found = get_or_set_dict(parent, step);
        Py_DECREF(step);
    }
    if (found == NULL || remember_meta_node(w, path, found) < 0)
        return NULL;
    return found;
}

static int
add_meta(Walker *w, PyObject *path, PyObject *key, PyObject *remarks, PyObject *original_length)
{
    if (w->meta_root == Py_None)
        return 0;
    PyObject *node = meta_node(w, path);
    PyObject *step = node ? step_name(key) : NULL;
    if (step == NULL)
        return -1;
    int status = -1;
    PyObject *child = PyDict_GetItemWithError(node, step);
    if (child == NULL) {  /* the usual case: the first remark about this value */
        if (PyErr_Occurred())
            goto done;
        Py_INCREF(remarks);
        PyObject *entry = dict_of(s_rem, remarks);
        if (entry != NULL && original_length != Py_None && PyDict_SetItem(entry, s_len, original_length) < 0)
            Py_CLEAR(entry);
        PyObject *wrapper = dict_of(s_empty, entry);
        if (wrapper != NULL) {
            status = PyObject_SetItem(node, step, wrapper);
            Py_DECREF(wrapper);
        }
        goto done;
    }
    if (!PyDict_Check(child)) {
        child = PyDict_New();
        if (child == NULL)
            goto done;
        int stored = PyObject_SetItem(node, step, child);
        Py_DECREF(child);
        if (stored < 0)
            goto done;
    }
    PyObject *entry = get_or_set_dict(child, s_empty);
    if (entry == NULL)
        goto done;
    PyObject *rem = PyDict_GetItemWithError(entry, s_rem);
    if (rem == NULL) {
        if (PyErr_Occurred())
            goto done;
        rem = PyList_New(0);
        if (rem == NULL || PyObject_SetItem(entry, s_rem, rem) < 0) {
            Py_XDECREF(rem);
            goto done;
        }
        Py_DECREF(rem);
    }
    PyObject *extended = PyObject_CallMethodOneArg(rem, s_extend, remarks);
    if (extended == NULL)
        goto done;
    Py_DECREF(extended);
    if (original_length != Py_None && PyDict_SetDefault(entry, s_len, original_length) == NULL)
        goto done;
    status = 0;
done:
    Py_DECREF(step);
    return status;
}

/* One more whole-value redaction by the rule numbered ``rule_index``, counted under the rule's
 * ``(rule index, None)`` key (made once per scrubber). */
static int
count_redaction(Walker *w, PyObject *rule_index)
{
    Py_ssize_t index = PyLong_AsSsize_t(rule_index);
    PyObject *counted = index == -1 && PyErr_Occurred() ? NULL : PyList_GetItem(w->iface->whole_tally_keys, index);
    if (counted == NULL)
        return -1;
    PyObject *before = PyDict_GetItemWithError(w->tally, counted);
    PyObject *after = before ? PyNumber_Add(before, one) : (PyErr_Occurred() ? NULL : PyLong_FromLong(1));
    int status = after ? PyDict_SetItem(w->tally, counted, after) : -1;
    Py_XDECREF(after);
    return status;
}

/* The text a whole-value redaction replaces: the value itself, decoded bytes, or its str(). */
static PyObject *
value_text(PyObject *value)
{
    if (PyUnicode_CheckExact(value)) {
        Py_INCREF(value);
        return value;
    }
    if (PyBytes_CheckExact(value))
        return PyObject_CallMethodObjArgs(value, s_decode, s_utf8, s_replace, NULL);
    return PyObject_Str(value);
}

static int
apply_whole(Walker *w, PyObject *container, PyObject *key, PyObject *path, PyObject *rule_index)
{
    PyObject *redaction = PyList_GetItem(w->iface->redactions, PyLong_AsSsize_t(rule_index));
    if (redaction == NULL || !PyTuple_Check(redaction) || PyTuple_GET_SIZE(redaction) != 3) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "a redaction is (rule id, replace, remark)");
        return -1;
    }
    PyObject *rule_id = PyTuple_GET_ITEM(redaction, 0);
    PyObject *replace = PyTuple_GET_ITEM(redaction, 1);
    PyObject *remark = PyTuple_GET_ITEM(redaction, 2);
    PyObject *value = PyObject_GetItem(container, key);
    if (value == NULL || count_redaction(w, rule_index) < 0) {
        Py_XDECREF(value);
        return -1;
    }
    int status = -1;
    PyObject *remarks = NULL, *text = NULL, *replacement = NULL, *length = NULL;
    int removes = PyUnicode_Compare(remark, s_removed) == 0;
    if (removes) {
        status = PyDict_CheckExact(container) ? PyObject_DelItem(container, key) : replace_item(w, container, key, Py_None);
        remarks = status < 0 ? NULL : single_remark(rule_id, remark, -1, -1);
        status = remarks ? add_meta(w, path, key, remarks, Py_None) : -1;
        goto done;
    }
    text = value_text(value);
    PyObject *constant = text ? PyList_GetItem(w->iface->constants, PyLong_AsSsize_t(rule_index)) : NULL;
    if (constant == NULL)
        goto done;
    if (constant != Py_None)  /* "filter" and "replace" need no call */
        Py_INCREF(replacement = constant);
    else
        replacement = PyObject_CallOneArg(replace, text);
    if (replacement == NULL || replace_item(w, container, key, replacement) < 0)
        goto done;
    Py_ssize_t replaced_length = PyObject_Length(replacement);
    Py_ssize_t text_length = replaced_length < 0 ? -1 : PyObject_Length(text);
    if (text_length < 0)
        goto done;
    remarks = single_remark(rule_id, remark, 0, replaced_length);
    length = PyLong_FromSsize_t(text_length);
    if (remarks != NULL && length != NULL)
        status = add_meta(w, path, key, remarks, length);
done:
    Py_XDECREF(remarks);
    Py_XDECREF(text);
    Py_XDECREF(replacement);
    Py_XDECREF(length);
    Py_DECREF(value);
    return status;
}

static int ready(Walker *w);

/* ``Run.check_written_lists``: each list that received an item of the run's own (a redaction)
 * still holds its copy's items but for those, now that all are written. */
static PyObject *
Walker_check_written_lists(Walker *w, PyObject *unused)
{
    if (!ready(w))
        return NULL;
    Py_ssize_t count = PyList_GET_SIZE(w->lists);
    for (Py_ssize_t i = 0; i + 1 < count && PyDict_GET_SIZE(w->replaced) > 0; i += 2) {
        PyObject *node = PyList_GET_ITEM(w->lists, i), *copy = PyList_GET_ITEM(w->lists, i + 1);
        if (!PyList_CheckExact(copy)) {
            PyErr_SetString(PyExc_TypeError, "a run's lists are each list, then its copy");
            return NULL;
        }
        PyObject *id = PyLong_FromVoidPtr(node);
        int written = id ? PyDict_Contains(w->replaced, id) : -1;
        Py_XDECREF(id);
        int holds = written > 0 ? list_holds(w, node, copy) : 1;
        if (written < 0 || holds < 0 || (holds == 0 && raise_through(w, w->iface->changed) < 0))
            return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
Walker_apply_whole_values(Walker *w, PyObject *unused)
{
    if (!ready(w))
        return NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(w->whole); i++) {
        PyObject *entry = PyList_GET_ITEM(w->whole, i);
        if (!PyTuple_CheckExact(entry) || PyTuple_GET_SIZE(entry) != 4) {
            PyErr_SetString(PyExc_TypeError, "a queued redaction is (container, key, path, rule index)");
            return NULL;
        }
        Py_INCREF(entry);
        int status = apply_whole(w, PyTuple_GET_ITEM(entry, 0), PyTuple_GET_ITEM(entry, 1),
                                 PyTuple_GET_ITEM(entry, 2), PyTuple_GET_ITEM(entry, 3));
        Py_DECREF(entry);
        if (status < 0)
            return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
Walker_add_meta(Walker *w, PyObject *const *args, Py_ssize_t nargs)
{
    if (wrong_arguments(nargs, 4, "add_meta(path, key, remarks, original_length)"))
        return NULL;
    return none_unless_failed(add_meta(w, args[0], args[1], args[2], args[3]));
}

/* ------------------------------------------------------------------ text redactions
 *
 * ``Run.redact_spans`` (with ``_merge``) and ``Run.write`` in walk.py. */

typedef struct {
    Py_ssize_t start, end, rule, order, longest;
    PyObject *detector;  /* borrowed from the findings */
} Finding;

/* The order of ``_merge``'s stable sort on (start, -end, rule index). */
static int
compare_findings(const void *left, const void *right)
{
    const Finding *a = left, *b = right;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    if (a->end != b->end)
        return a->end > b->end ? -1 : 1;
    if (a->rule != b->rule)
        return a->rule < b->rule ? -1 : 1;
    return a->order < b->order ? -1 : (a->order > b->order);
}

static int
read_findings(PyObject *findings, Finding *into, Py_ssize_t count)
{
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *finding = PySequence_Fast_GET_ITEM(findings, i);
        if (!PyTuple_Check(finding) || PyTuple_GET_SIZE(finding) != 4) {
            PyErr_SetString(PyExc_TypeError, "a finding is (start, end, rule index, detector)");
            return -1;
        }
        Py_ssize_t *numbers[] = {&into[i].start, &into[i].end, &into[i].rule};
        for (int n = 0; n < 3; n++)  /* one at a time: no conversion runs with an error set */
            if ((*numbers[n] = PyLong_AsSsize_t(PyTuple_GET_ITEM(finding, n))) == -1 && PyErr_Occurred())
                return -1;
        into[i].detector = PyTuple_GET_ITEM(finding, 3);
        into[i].order = i;
        into[i].longest = into[i].end - into[i].start;
    }
    return 0;
}

/* Merge overlapping findings in place: the union of their spans, named after the longest one.
 * Returns how many are left. */
static Py_ssize_t
merge_findings(Finding *findings, Py_ssize_t count)
{
    if (count < 2)
        return count;
    qsort(findings, count, sizeof(Finding), compare_findings);
    Py_ssize_t merged = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        Finding *finding = &findings[i];
        if (merged && finding->start < findings[merged - 1].end) {
            Finding *current = &findings[merged - 1];
            if (finding->end - finding->start > current->longest) {
                current->rule = finding->rule;
                current->detector = finding->detector;
                current->longest = finding->end - finding->start;
            }
            if (finding->end > current->end)
                current->end = finding->end;
        } else {
            findings[merged++] = *finding;
        }
    }
    return merged;
}

static int
count_finding(Walker *w, Py_ssize_t rule, PyObject *detector)
{
    PyObject *counted = Py_BuildValue("(nO)", rule, detector);
    if (counted == NULL)
        return -1;
    PyObject *before = PyDict_GetItemWithError(w->tally, counted);
    PyObject *after = before ? PyNumber_Add(before, one) : (PyErr_Occurred() ? NULL : PyLong_FromLong(1));
    int status = after ? PyDict_SetItem(w->tally, counted, after) : -1;
    Py_XDECREF(after);
    Py_DECREF(counted);
    return status;
}


/* ``Run.write``: put the new text in place of the string numbered ``index``, with its remarks. */
static int
write_text(Walker *w, PyObject *index, PyObject *new_text, PyObject *remarks)
{
    Py_ssize_t first = PyLong_AsSsize_t(index) * 4;
    if (first < 0 || first + 3 >= PyList_GET_SIZE(w->slots)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_IndexError, "no slot for this string");
        return -1;
    }
    PyObject *container = PyList_GET_ITEM(w->slots, first), *key = PyList_GET_ITEM(w->slots, first + 1);
    PyObject *path = PyList_GET_ITEM(w->slots, first + 2);
    Py_ssize_t new_length = PyObject_Length(new_text);
    if (new_length < 0)
        return -1;
    PyObject *original_length = PyDict_GetItemWithError(w->cut, index);
    int status = -1;
    Py_INCREF(remarks);
    if (original_length != NULL) {  /* cut for scanning: what was cut stays cut */
        Py_INCREF(original_length);
        PyObject *limit = remark(s_limit_rule, s_removed, new_length, new_length);
        PyObject *with_limit = limit ? PySequence_List(remarks) : NULL;
        if (with_limit == NULL || PyList_Append(with_limit, limit) < 0) {
            Py_XDECREF(limit);
            Py_XDECREF(with_limit);
            goto done;
        }
        Py_DECREF(limit);
        Py_SETREF(remarks, with_limit);
    } else {
        if (PyErr_Occurred())
            goto done;
        PyObject *text = PyList_GetItem(w->texts, PyLong_AsSsize_t(index));
        Py_ssize_t length = text ? PyObject_Length(text) : -1;
        if (length < 0 || (original_length = PyLong_FromSsize_t(length)) == NULL)
            goto done;
    }
    if (PySet_Add(w->written, index) == 0 && replace_item(w, container, key, new_text) == 0)
        status = add_meta(w, path, key, remarks, original_length);
done:
    Py_XDECREF(original_length);
    Py_DECREF(remarks);
    return status;
}

static int
redact_spans(Walker *w, PyObject *index, PyObject *text, Finding *findings, Py_ssize_t count)
{
    PyObject *pieces = PyList_New(0), *remarks = PyList_New(0);
    int status = -1;
    if (pieces == NULL || remarks == NULL)
        goto done;
    Py_ssize_t cursor = 0, out_length = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        Finding *finding = &findings[i];
        PyObject *redaction = PyList_GetItem(w->iface->redactions, finding->rule);
        if (redaction == NULL || !PyTuple_Check(redaction) || PyTuple_GET_SIZE(redaction) != 3)
            goto bad_redaction;
        PyObject *secret = PyUnicode_Substring(text, finding->start, finding->end);
        PyObject *replacement = secret ? PyObject_CallOneArg(PyTuple_GET_ITEM(redaction, 1), secret) : NULL;
        Py_XDECREF(secret);
        if (replacement == NULL)
            goto done;
        Py_ssize_t replaced_length = PyObject_Length(replacement);
        if (replaced_length < 0) {
            Py_DECREF(replacement);
            goto done;
        }
        PyObject *before = PyUnicode_Substring(text, cursor, finding->start);
        Py_ssize_t kept = finding->start > cursor ? finding->start - cursor : 0;
        PyObject *said = before ? remark(PyTuple_GET_ITEM(redaction, 0), PyTuple_GET_ITEM(redaction, 2),
                                         out_length + kept, out_length + kept + replaced_length)
                                : NULL;
        int added = said && PyList_Append(pieces, before) == 0
                    && PyList_Append(remarks, said) == 0 && PyList_Append(pieces, replacement) == 0;
        Py_XDECREF(before);
        Py_XDECREF(said);
        Py_DECREF(replacement);
        if (!added)
            goto done;
        out_length += kept + replaced_length;
        cursor = finding->end;
        if (count_finding(w, finding->rule, finding->detector) < 0)
            goto done;
    }
    PyObject *rest = PyUnicode_Substring(text, cursor, PY_SSIZE_T_MAX);
    if (rest == NULL || PyList_Append(pieces, rest) < 0) {
        Py_XDECREF(rest);
        goto done;
    }
    Py_DECREF(rest);
    PyObject *new_text = PyUnicode_Join(s_empty, pieces);
    if (new_text == NULL)
        goto done;
    status = write_text(w, index, new_text, remarks);
    Py_DECREF(new_text);
    goto done;
bad_redaction:
    if (!PyErr_Occurred())
        PyErr_SetString(PyExc_TypeError, "a redaction is (rule id, replace, remark)");
done:
    Py_XDECREF(pieces);
    Py_XDECREF(remarks);
    return status;
}

/* Merge a sequence of findings ``(start, end, rule index, detector)`` and redact them. */
static int
apply_findings(Walker *w, PyObject *index, PyObject *text, PyObject *findings)
{
    PyObject *fast = PySequence_Fast(findings, "findings must be a sequence");
    if (fast == NULL)
        return -1;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(fast);
    Finding *spans = PyMem_New(Finding, count ? count : 1);
    int status = -1;
    if (spans == NULL)
        PyErr_NoMemory();
    else if (read_findings(fast, spans, count) == 0)
        status = redact_spans(w, index, text, spans, merge_findings(spans, count));
    PyMem_Free(spans);
    Py_DECREF(fast);
    return status;
}

static PyObject *
Walker_redact_spans(Walker *w, PyObject *const *args, Py_ssize_t nargs)
{
    if (!ready(w) || wrong_arguments(nargs, 3, "redact_spans(index, text, findings)"))
        return NULL;
    return none_unless_failed(apply_findings(w, args[0], args[1], args[2]));
}

static PyObject *
Walker_write(Walker *w, PyObject *const *args, Py_ssize_t nargs)
{
    if (wrong_arguments(nargs, 3, "write(index, new_text, remarks)"))
        return NULL;
    return none_unless_failed(write_text(w, args[0], args[1], args[2]));
}

/* ``Run.scrub_candidates``: the exact pass over the prefilter's candidates, in index order, with
 * the time budget checked every ``time_check_every`` strings. Findings come from the run's
 * ``find_secrets`` (remembered per text, active rules and probes, as ``Run.findings_of`` does) and
 * are put in ``found`` (index -> findings) for the run to write once echoes are known. */
static PyObject *
Walker_scrub_candidates(Walker *w, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t every;
    if (!ready(w))
        return NULL;
    if (nargs != 3 || !PyDict_Check(args[0]) || (every = PyLong_AsSsize_t(args[1])) < 1 || !PyDict_Check(args[2])) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "scrub_candidates(candidates, time_check_every, found)");
        return NULL;
    }
    PyObject *candidates = args[0], *found_by_index = args[2];
    PyObject *memo = w->findings_memo;
    PyObject *indexes = PyDict_Keys(candidates);
    if (indexes == NULL || PyList_Sort(indexes) < 0) {
        Py_XDECREF(indexes);
        return NULL;
    }
    int status = 0;
    for (Py_ssize_t done = 0; status == 0 && done < PyList_GET_SIZE(indexes); done++) {
        if (done % every == 0 && call(w->iface->check_time, PyTuple_Pack(1, (PyObject *)w)) < 0) {
            status = -1;
            break;
        }
        PyObject *index = PyList_GET_ITEM(indexes, done);
        Py_ssize_t at = PyLong_AsSsize_t(index);
        PyObject *mask = at == -1 && PyErr_Occurred() ? NULL : PyDict_GetItemWithError(candidates, index);
        if (mask == NULL || at < 0 || at >= PyList_GET_SIZE(w->texts) || 4 * at + 3 >= PyList_GET_SIZE(w->slots)) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_IndexError, "a candidate that is no collected string");
            status = -1;
            break;
        }
        PyObject *text = PyList_GET_ITEM(w->texts, at), *active = PyList_GET_ITEM(w->slots, 4 * at + 3);
        Py_INCREF(text);
        PyObject *memo_key = PyTuple_Pack(3, text, active, mask);
        PyObject *findings = memo_key ? PyDict_GetItemWithError(memo, memo_key) : NULL;
        if (findings != NULL) {
            Py_INCREF(findings);
        } else if (memo_key != NULL && !PyErr_Occurred()) {
            findings = PyObject_CallFunctionObjArgs(w->iface->find_secrets, w, text, active, mask, NULL);
            if (findings != NULL && PyDict_SetItem(memo, memo_key, findings) < 0)
                Py_CLEAR(findings);
        }
        int found = findings == NULL ? -1 : PyObject_IsTrue(findings);
        if (found < 0)
            status = -1;
        else if (found)
            status = PyDict_SetItem(found_by_index, index, findings);
        Py_XDECREF(findings);
        Py_XDECREF(memo_key);
        Py_DECREF(text);
    }
    Py_DECREF(indexes);
    return none_unless_failed(status);
}

/* ------------------------------------------------------------------ the Python type */

/* Whether the run was given its interface (``Walker.__init__``); raises if not. */
static int
ready(Walker *w)
{
    if (w->iface != NULL)
        return 1;
    PyErr_SetString(PyExc_RuntimeError, "the walker has no interface: Walker.__init__(interface) was not called");
    return 0;
}

/* The arguments of ``walk_dict`` / ``walk_list``: (node, path, active, depth). */
static PyObject *
walk_from_python(Walker *w, PyObject *const *args, Py_ssize_t nargs,
                 int (*walk)(Walker *, PyObject *, PyObject *, PyObject *, Py_ssize_t), const char *usage)
{
    Py_ssize_t depth;
    if (!ready(w))
        return NULL;
    if (nargs != 4 || (depth = PyLong_AsSsize_t(args[3])) == -1) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, usage);
        return NULL;
    }
    return none_unless_failed(walk(w, args[0], args[1], args[2], depth));
}

static PyObject *
Walker_walk_dict(Walker *w, PyObject *const *args, Py_ssize_t nargs)
{
    return walk_from_python(w, args, nargs, walk_dict, "walk_dict(node, path, active, depth)");
}

static PyObject *
Walker_walk_list(Walker *w, PyObject *const *args, Py_ssize_t nargs)
{
    return walk_from_python(w, args, nargs, walk_list, "walk_list(node, path, active, depth)");
}

static PyObject *
Walker_walk_selected_dict(Walker *w, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t depth;
    if (!ready(w))
        return NULL;
    if ((nargs != 5 && nargs != 6) || (depth = PyLong_AsSsize_t(args[4])) == -1) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "walk_selected_dict(node, path, state, active, depth, skipped=())");
        return NULL;
    }
    PyObject *skipped = nargs == 6 ? (Py_INCREF(args[5]), args[5]) : PyTuple_New(0);
    if (skipped == NULL)
        return NULL;
    int status = walk_selected_dict(w, args[0], args[1], args[2], args[3], depth, skipped);
    Py_DECREF(skipped);
    return none_unless_failed(status);
}

static PyObject *
Walker_check_subtree(Walker *w, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t depth;
    if (!ready(w))
        return NULL;
    if (nargs != 2 || (depth = PyLong_AsSsize_t(args[1])) == -1) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "check_subtree(node, depth)");
        return NULL;
    }
    return none_unless_failed(check_subtree(w, args[0], depth));
}

static int Walker_clear(Walker *w);

/* The run's collections, each a field of this type under the attribute name Python uses. */
typedef struct {
    const char *name;
    Py_ssize_t offset;
    PyTypeObject *type;  /* NULL: any object (the event, or None) */
} Collection;

#define COLLECTION(name, type) {#name, offsetof(Walker, name), type}

static const Collection collections[] = {
    COLLECTION(texts, &PyList_Type), COLLECTION(slots, &PyList_Type), COLLECTION(whole, &PyList_Type),
    COLLECTION(tally, &PyDict_Type), COLLECTION(meta_root, NULL), COLLECTION(cut, &PyDict_Type),
    COLLECTION(written, &PySet_Type), COLLECTION(findings_memo, &PyDict_Type), COLLECTION(lists, &PyList_Type),
    COLLECTION(replaced, &PyDict_Type), COLLECTION(dicts, &PyList_Type),
};
#define COLLECTIONS (sizeof(collections) / sizeof(collections[0]))
#define COLLECTION_OF(w, collection) ((PyObject **)((char *)(w) + (collection)->offset))

/* An empty collection of ``type`` (None for the event). */
static PyObject *
empty_collection(PyTypeObject *type)
{
    if (type == NULL)
        Py_RETURN_NONE;
    if (type == &PyList_Type)
        return PyList_New(0);
    if (type == &PyDict_Type)
        return PyDict_New();
    return PySet_New(NULL);
}

/* Empty collections (and no _meta), replacing whatever the walker held. */
static int
start_collections(Walker *w)
{
    for (size_t i = 0; i < COLLECTIONS; i++) {
        const Collection *collection = &collections[i];
        PyObject *made = empty_collection(collection->type);
        if (made == NULL)
            return -1;
        Py_XSETREF(*COLLECTION_OF(w, collection), made);
    }
    return 0;
}

/* A new walker starts with empty collections, so none is ever NULL: the run's ``__init__`` takes
 * them as they are (``cwalk.CRun``) rather than making a second set. */
static PyObject *
Walker_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    Walker *w = (Walker *)type->tp_alloc(type, 0);
    if (w != NULL && start_collections(w) < 0)
        Py_CLEAR(w);
    return (PyObject *)w;
}

static PyObject *
get_collection(Walker *w, void *closure)
{
    PyObject *value = *COLLECTION_OF(w, (const Collection *)closure);
    Py_INCREF(value);
    return value;
}

static int
set_collection(Walker *w, PyObject *value, void *closure)
{
    const Collection *collection = closure;
    if (value == NULL || (collection->type != NULL && Py_TYPE(value) != collection->type)) {
        PyErr_Format(PyExc_TypeError, "a run's %s is exactly a %s", collection->name,
                     collection->type ? collection->type->tp_name : "value");
        return -1;
    }
    Py_INCREF(value);
    Py_SETREF(*COLLECTION_OF(w, collection), value);
    return 0;
}

static PyGetSetDef Walker_getset[COLLECTIONS + 1];

/* Walker.__init__(interface, meta_root=None): what every run of a scrubber shares
 * (``cwalk.c_walk_interface``), and the event whose ``_meta`` the run writes. */
static int
Walker_init(Walker *w, PyObject *args, PyObject *kwargs)
{
    PyObject *interface, *meta_root = Py_None;
    if (!PyArg_ParseTuple(args, "O!|O:Walker", &InterfaceType, &interface, &meta_root))
        return -1;
    if (!PyObject_TypeCheck((PyObject *)w, (PyTypeObject *)((Interface *)interface)->run_class)) {
        PyErr_SetString(PyExc_TypeError, "a walker is a run: its class derives from the interface's run_class");
        return -1;
    }
    if (w->iface != NULL) {  /* __init__ called again: start afresh */
        if (start_collections(w) < 0)
            return -1;
        clear_meta_table(w);
        w->nodes = 0;
    }
    Py_INCREF(interface);
    Py_XSETREF(w->iface, (Interface *)interface);
    Py_INCREF(meta_root);
    Py_SETREF(w->meta_root, meta_root);
    return 0;
}

static int
Walker_traverse(Walker *w, visitproc visit, void *arg)
{
    Py_VISIT(w->iface);
    for (size_t i = 0; i < COLLECTIONS; i++)
        Py_VISIT(*COLLECTION_OF(w, &collections[i]));
    for (Py_ssize_t i = 0; i < w->meta_capacity; i++) {
        Py_VISIT(w->meta_table[i].path);
        Py_VISIT(w->meta_table[i].node);
    }
    return 0;
}

static int
Walker_clear(Walker *w)
{
    Py_CLEAR(w->iface);
    for (size_t i = 0; i < COLLECTIONS; i++)
        Py_CLEAR(*COLLECTION_OF(w, &collections[i]));
    clear_meta_table(w);
    return 0;
}

static void
Walker_dealloc(Walker *w)
{
    PyObject_GC_UnTrack(w);
    Walker_clear(w);
    Py_TYPE(w)->tp_free((PyObject *)w);
}

static PyMethodDef Walker_methods[] = {
    {"walk_dict", (PyCFunction)(void (*)(void))Walker_walk_dict, METH_FASTCALL,
     "walk_dict(node, path, active, depth): Run.walk_dict"},
    {"walk_list", (PyCFunction)(void (*)(void))Walker_walk_list, METH_FASTCALL,
     "walk_list(node, path, active, depth): Run.walk_list"},
    {"walk_selected_dict", (PyCFunction)(void (*)(void))Walker_walk_selected_dict, METH_FASTCALL,
     "walk_selected_dict(node, path, state, active, depth, skipped=()): Run.walk_selected_dict"},
    {"check_subtree", (PyCFunction)(void (*)(void))Walker_check_subtree, METH_FASTCALL,
     "check_subtree(node, depth): Run.check_subtree"},
    {"check_written_lists", (PyCFunction)Walker_check_written_lists, METH_NOARGS,
     "check_written_lists(): Run.check_written_lists"},
    {"apply_whole_values", (PyCFunction)Walker_apply_whole_values, METH_NOARGS,
     "apply_whole_values(): Run.apply_whole_values"},
    {"scrub_candidates", (PyCFunction)(void (*)(void))Walker_scrub_candidates, METH_FASTCALL,
     "scrub_candidates(candidates, time_check_every, found): Run.scrub_candidates"},
    {"redact_spans", (PyCFunction)(void (*)(void))Walker_redact_spans, METH_FASTCALL,
     "redact_spans(index, text, findings): Run.redact_spans"},
    {"write", (PyCFunction)(void (*)(void))Walker_write, METH_FASTCALL, "write(index, new_text, remarks): Run.write"},
    {"add_meta", (PyCFunction)(void (*)(void))Walker_add_meta, METH_FASTCALL,
     "add_meta(path, key, remarks, original_length): Run.add_meta"},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef Walker_members[] = {
    {"nodes", T_PYSSIZET, offsetof(Walker, nodes), 0, "the run's node count (limits.max_nodes)"},
    {NULL},
};

static PyTypeObject WalkerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "rules_engine.scrub._walker.Walker",
    .tp_doc = "Walker(interface): the base of a run whose walk, redactions and _meta writing are in C "
              "(see cwalk.CRun).",
    .tp_basicsize = sizeof(Walker),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_BASETYPE,
    .tp_new = Walker_new,
    .tp_init = (initproc)Walker_init,
    .tp_dealloc = (destructor)Walker_dealloc,
    .tp_traverse = (traverseproc)Walker_traverse,
    .tp_clear = (inquiry)Walker_clear,
    .tp_methods = Walker_methods,
    .tp_members = Walker_members,
    .tp_getset = Walker_getset,
};

/* ------------------------------------------------------------------ keys inside text
 *
 * ``find_key_values(text, decide, filtered)``: what ``keytext.find_key_values`` returns, found
 * without ``re``. keytext.py is the definition (read its ``_PAIR`` first); this is that pattern
 * matched by hand, alternative by alternative in the same order, with the same bounds, possessive
 * parts and back-tracking, then the same loop over the text. The tests compare the two. */

typedef struct {
    int kind;
    const void *data;
    Py_ssize_t length;
} Text;

/* What a match of ``_PAIR`` tells the loop (offsets into the text). */
typedef struct {
    Py_ssize_t start, end;          /* the whole match */
    int escaped;                    /* the ``esc`` group took part */
    Py_ssize_t key_start, key_end;  /* ``qkey`` or ``key`` */
    int quoted;                     /* ``qkey`` (else ``key``) */
    Py_ssize_t resume;              /* end of ``eqsep`` / ``colsep``, else of ``qkey`` */
    int value;                      /* which value group: one of the VALUE_ names */
    Py_ssize_t value_start, value_end;
} Pair;

enum { VALUE_QUOTED, VALUE_OPEN, VALUE_EQ, VALUE_COLON };
enum { SEP_EQ, SEP_COLON, SEP_COMMA };

#define KEY_CHARS 128
#define VALUE_CHARS 8192
#define SPACES 8
#define NO_CHAR ((Py_UCS4)-1)  /* what char_at reads past the end */

static inline Py_UCS4
char_at(const Text *t, Py_ssize_t i)
{
    return i < t->length ? PyUnicode_READ(t->kind, t->data, i) : NO_CHAR;
}

/* ``\w``. ASCII is read from Python's own table (``Py_ISALNUM``, the same answer for those 128
 * characters): ``Py_UNICODE_ISALNUM`` is four calls into the Unicode database for every one. */
static inline int
is_word(Py_UCS4 c)
{
    if (c < 128)
        return c == '_' || Py_ISALNUM(c) != 0;
    return c != NO_CHAR && Py_UNICODE_ISALNUM(c);
}

/* ``\d`` (ASCII by ``Py_ISDIGIT``, as for ``is_word``) */
static inline int
is_decimal(Py_UCS4 c)
{
    if (c < 128)
        return Py_ISDIGIT(c) != 0;
    return Py_UNICODE_ISDECIMAL(c);
}
static inline int is_quote(Py_UCS4 c) { return c == '"' || c == '\''; }
static inline int is_blank(Py_UCS4 c) { return c == ' ' || c == '\t'; }
static inline int is_hex(Py_UCS4 c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/* ``(?:[^\W\d]|[$@])``: what a bare key starts with, a letter of any script (``re``'s ``\w`` is
 * ``Py_UNICODE_ISALNUM`` or ``_``, its ``\d`` ``Py_UNICODE_ISDECIMAL``) */
static inline int
is_key_start(Py_UCS4 c)
{
    return c == '$' || c == '@' || (is_word(c) && !is_decimal(c));
}

/* ``keytext.KEY_MARKS``: combining marks a key name goes on with although ``\w`` leaves them out */
static const Py_UCS4 key_marks[][2] = {
    {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x05BF, 0x05BF}, {0x05C1, 0x05C2}, {0x05C4, 0x05C5},
    {0x05C7, 0x05C7}, {0x0610, 0x061A}, {0x064B, 0x065F}, {0x0670, 0x0670}, {0x0900, 0x0903}, {0x093A, 0x094F},
    {0x0951, 0x0957}, {0x0962, 0x0963}, {0x09BC, 0x09BC}, {0x0A3C, 0x0A3C}, {0x0B3C, 0x0B3C}, {0x0BD7, 0x0BD7},
    {0x0E31, 0x0E31}, {0x0E34, 0x0E3A}, {0x0E47, 0x0E4E}, {0x0FB5, 0x0FB5}, {0x0FB7, 0x0FB7}, {0x102E, 0x102E},
    {0x1B35, 0x1B35}, {0x3099, 0x309A}, {0x110BA, 0x110BA},
};

static int
is_key_mark(Py_UCS4 c)
{
    if (c < 0x300)
        return 0;
    for (size_t i = 0; i < sizeof key_marks / sizeof key_marks[0]; i++)
        if (c >= key_marks[i][0] && c <= key_marks[i][1])
            return 1;
    return 0;
}

/* ``[\w<KEY_MARKS>$@.-]``: what a key goes on with, and what may not come right before a key */
static inline int
is_key_char(Py_UCS4 c)
{
    return c == '$' || c == '@' || c == '.' || c == '-' || is_word(c) || is_key_mark(c);
}

/* Blanks (``[ \t]``) from ``i``, at most ``SPACES`` of them. */
static Py_ssize_t
blanks(const Text *t, Py_ssize_t i)
{
    Py_ssize_t n = 0;
    while (n < SPACES && is_blank(char_at(t, i + n)))
        n++;
    return n;
}

/* ``\\(?:[nrtbf]|x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4})`` at ``i``: its length, or 0. */
static Py_ssize_t
escape_at(const Text *t, Py_ssize_t i)
{
    if (char_at(t, i) != '\\')
        return 0;
    Py_UCS4 c = char_at(t, i + 1);
    int hex_digits = c == 'x' ? 2 : c == 'u' ? 4 : 0;
    if (!hex_digits)
        return c == 'n' || c == 'r' || c == 't' || c == 'b' || c == 'f' ? 2 : 0;
    for (int d = 0; d < hex_digits; d++)
        if (!is_hex(char_at(t, i + 2 + d)))
            return 0;
    return 2 + hex_digits;
}

/* ``\\?["']`` at ``i``: its length (1 or 2), or 0. */
static Py_ssize_t
quote_at(const Text *t, Py_ssize_t i)
{
    Py_UCS4 c = char_at(t, i);
    if (c == '\\')
        return is_quote(char_at(t, i + 1)) ? 2 : 0;
    return is_quote(c) ? 1 : 0;
}

/* A quoted value ``"(?:[^"\\\n]|\\.){0,8192}+"`` (or with ``'``) opened at ``i``. */
static int
quoted_value(const Text *t, Py_ssize_t i, Pair *pair)
{
    Py_UCS4 quote = char_at(t, i);
    Py_ssize_t j = i + 1;
    for (Py_ssize_t n = 0; n < VALUE_CHARS; n++) {
        Py_UCS4 c = char_at(t, j);
        if (c == NO_CHAR || c == quote || c == '\n')
            break;
        if (c == '\\') {
            Py_UCS4 next = char_at(t, j + 1);
            if (next == NO_CHAR || next == '\n')
                break;
            j += 2;
        } else {
            j++;
        }
    }
    if (char_at(t, j) != quote)
        return 0;
    pair->value = VALUE_QUOTED;
    pair->value_start = i + 1;
    pair->value_end = j;
    pair->end = j + 1;
    return 1;
}

/* ``\\"(.{0,8192}?)\\"`` (or with ``'``) opened at ``i``: the shortest. */
static int
escaped_quoted_value(const Text *t, Py_ssize_t i, Pair *pair)
{
    Py_UCS4 quote = char_at(t, i + 1);
    Py_ssize_t j = i + 2;
    for (Py_ssize_t n = 0;; n++) {
        if (char_at(t, j) == '\\' && char_at(t, j + 1) == quote) {
            pair->value = VALUE_QUOTED;
            pair->value_start = i + 2;
            pair->value_end = j;
            pair->end = j + 2;
            return 1;
        }
        Py_UCS4 c = char_at(t, j);
        if (n == VALUE_CHARS || c == NO_CHAR || c == '\n')
            return 0;
        j++;
    }
}

static inline int
is_bare_value_char(Py_UCS4 c, int separator)
{
    if (c == NO_CHAR)
        return 0;
    if (separator == SEP_EQ)  /* [^\s&;,'"<>{}\[\]()\#] */
        return !Py_UNICODE_ISSPACE(c) && !(c != 0 && c < 128 && strchr("&;,'\"<>{}[]()#", (int)c) != NULL);
    return c != '\n' && c != '\r' && c != ',' && c != '}' && c != ']';  /* [^\n\r,}\]] */
}

/* The value alternatives of ``_PAIR``, in order, at ``i``. */
static int
value_at(const Text *t, Py_ssize_t i, int separator, Pair *pair)
{
    Py_UCS4 c = char_at(t, i);
    if (is_quote(c) && quoted_value(t, i, pair))
        return 1;
    if (c == '\\' && is_quote(char_at(t, i + 1)) && escaped_quoted_value(t, i, pair))
        return 1;
    if (c == '{' || c == '[') {
        pair->value = VALUE_OPEN;
        pair->value_start = i;
        pair->value_end = pair->end = i + 1;
        return 1;
    }
    if (separator == SEP_COMMA)
        return 0;
    Py_ssize_t n = 0;
    while (n < VALUE_CHARS && is_bare_value_char(char_at(t, i + n), separator))
        n++;
    if (n == 0)
        return 0;
    pair->value = separator == SEP_EQ ? VALUE_EQ : VALUE_COLON;
    pair->value_start = i;
    pair->value_end = pair->end = i + n;
    return 1;
}

/* ``[ \t]{0,8} b? <value>`` after the separator, back-tracking as ``re`` does: fewer blanks,
 * and without the ``b``. */
static int
after_separator(const Text *t, Py_ssize_t i, int separator, Pair *pair)
{
    for (Py_ssize_t n = blanks(t, i); n >= 0; n--) {
        Py_ssize_t at = i + n;
        if (char_at(t, at) == 'b' && value_at(t, at + 1, separator, pair))
            return 1;
        if (value_at(t, at, separator, pair))
            return 1;
    }
    return 0;
}

/* ``[ \t]{0,8}+`` then a separator and a value, after a key ending at ``i``. ``quote``: the
 * length of the quote of a quoted key (0 for a bare one), which allows ``, '...'``. */
static int
after_key(const Text *t, Py_ssize_t i, Py_ssize_t quote, Pair *pair)
{
    Py_ssize_t at = i + blanks(t, i);
    Py_UCS4 c = char_at(t, at);
    int separator;
    if (c == '=')
        separator = SEP_EQ;
    else if (c == ':')
        separator = SEP_COLON;
    else if (c == ',' && quote) {  /* (?=[ \t]{0,8}b?\\?["']) */
        Py_ssize_t next = at + 1 + blanks(t, at + 1);
        if (char_at(t, next) == 'b')
            next++;
        if (!quote_at(t, next))
            return 0;
        separator = SEP_COMMA;
    } else
        return 0;
    pair->resume = separator == SEP_COMMA ? pair->key_end : at + 1;
    return after_separator(t, at + 1, separator, pair);
}

/* The key alternatives of ``_PAIR`` at ``i``: a quoted key, then a bare one. */
static int
key_at(const Text *t, Py_ssize_t i, Pair *pair)
{
    Py_ssize_t open = char_at(t, i) == 'b' ? i + 1 : i;
    Py_ssize_t quote = quote_at(t, open);
    if (quote) {
        Py_ssize_t start = open + quote, n = 0;
        for (Py_UCS4 c; n < KEY_CHARS && (c = char_at(t, start + n)) != NO_CHAR
                        && !is_quote(c) && c != '\\' && c != '\n';)
            n++;
        int closed = n > 0;
        for (Py_ssize_t q = 0; closed && q < quote; q++)
            closed = char_at(t, start + n + q) == char_at(t, open + q);
        if (closed) {
            pair->quoted = 1;
            pair->key_start = start;
            pair->key_end = start + n;
            if (after_key(t, start + n + quote, quote, pair))
                return 1;
        }
    }
    if (!is_key_start(char_at(t, i)))
        return 0;
    Py_ssize_t n = 1;
    while (n < KEY_CHARS && is_key_char(char_at(t, i + n)))
        n++;
    pair->quoted = 0;
    pair->key_start = i;
    pair->key_end = i + n;
    return after_key(t, i + n, 0, pair);
}

/* ``_PAIR.search(text, position)``. */
static int
search_pair(const Text *t, Py_ssize_t position, Pair *pair)
{
    for (Py_ssize_t s = position; s < t->length; s++) {
        Py_ssize_t escape = escape_at(t, s);
        pair->start = s;
        if (escape) {
            pair->escaped = 1;
            if (key_at(t, s + escape, pair))
                return 1;
        }
        pair->escaped = 0;
        if ((s == 0 || !is_key_char(char_at(t, s - 1))) && key_at(t, s, pair))
            return 1;
    }
    return 0;
}

/* ``keytext.container_end``: the bracket closing the container opened before ``start``
 * (quote-aware), or the end of the text. */
static Py_ssize_t
container_end(const Text *t, Py_ssize_t start, Py_UCS4 opener)
{
    char small[64], *closers = small;
    Py_ssize_t depth = 1, capacity = sizeof(small), found = t->length;
    closers[0] = opener == '{' ? '}' : ']';
    Py_UCS4 quote = 0;
    for (Py_ssize_t i = start; i < t->length; i++) {
        Py_UCS4 c = char_at(t, i);
        if (quote) {
            if (c == '\\')
                i++;
            else if (c == quote)
                quote = 0;
        } else if (is_quote(c)) {
            quote = c;
        } else if (c == '{' || c == '[') {
            if (depth == capacity) {
                char *grown = closers == small ? PyMem_Malloc(capacity * 2) : PyMem_Realloc(closers, capacity * 2);
                if (grown == NULL) {
                    found = -1;
                    PyErr_NoMemory();
                    break;
                }
                if (closers == small)
                    memcpy(grown, small, sizeof(small));
                closers = grown;
                capacity *= 2;
            }
            closers[depth++] = c == '{' ? '}' : ']';
        } else if (c == (Py_UCS4)(unsigned char)closers[depth - 1] && --depth == 0) {
            found = i;
            break;
        }
    }
    if (closers != small)
        PyMem_Free(closers);
    return found;
}

/* ``keytext._value_span``: the span of the value to redact. */
static int
value_span(const Text *t, PyObject *text, const Pair *pair, PyObject *filtered, Py_ssize_t *start, Py_ssize_t *end)
{
    *start = pair->value_start;
    *end = pair->value_end;
    if (pair->value == VALUE_OPEN) {
        *start = pair->value_end;
        /* ``filtered``: the texts redactions write that open a container (a tuple of str) */
        Py_ssize_t already = 0;
        for (Py_ssize_t i = 0; !already && i < PyTuple_GET_SIZE(filtered); i++) {
            already = PyUnicode_Tailmatch(text, PyTuple_GET_ITEM(filtered, i), pair->value_start, PY_SSIZE_T_MAX, -1);
            if (already < 0)
                return -1;
        }
        *end = already ? *start : container_end(t, *start, char_at(t, pair->value_start));
        return *end < 0 ? -1 : 0;
    }
    if (pair->value == VALUE_COLON)
        while (*end > *start && Py_UNICODE_ISSPACE(char_at(t, *end - 1)))
            (*end)--;
    return 0;
}

/* ``decide(key)``, as a new reference, or NULL; ``*sensitive`` its truth. */
static PyObject *
decide_key(PyObject *decide, PyObject *text, Py_ssize_t start, Py_ssize_t end, int *sensitive)
{
    PyObject *key = PyUnicode_Substring(text, start, end);
    PyObject *decision = key ? PyObject_CallOneArg(decide, key) : NULL;
    Py_XDECREF(key);
    if (decision != NULL && (*sensitive = PyObject_IsTrue(decision)) < 0)
        Py_CLEAR(decision);
    return decision;
}

/* The loop of ``keytext.find_key_values`` over the text. */
static int
find_pairs(PyObject *text, PyObject *decide, PyObject *filtered, PyObject *found)
{
    Text t = {PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text)};
    int escapes = PyUnicode_FindChar(text, '\\', 0, t.length, 1) >= 0;
    Py_ssize_t position = 0;
    Pair pair;
    while (search_pair(&t, position, &pair)) {
        int sensitive;
        PyObject *decision = decide_key(decide, text, pair.key_start, pair.key_end, &sensitive);
        if (decision != NULL && !sensitive && escapes && !pair.quoted && pair.escaped) {
            /* "\\token=": a backslash before a key, not an escape sequence */
            Py_DECREF(decision);
            decision = decide_key(decide, text, pair.start + 1, pair.key_end, &sensitive);
        }
        if (decision == NULL)
            return -1;
        if (!sensitive) {
            Py_DECREF(decision);
            position = pair.resume > pair.start ? pair.resume : pair.start + 1;
            continue;
        }
        Py_ssize_t start, end;
        int status = value_span(&t, text, &pair, filtered, &start, &end);
        if (status == 0 && end > start) {
            PyObject *item = Py_BuildValue("nnO", start, end, decision);
            status = item ? PyList_Append(found, item) : -1;
            Py_XDECREF(item);
        }
        Py_DECREF(decision);
        if (status < 0)
            return -1;
        position = end > pair.end ? end : pair.end;
    }
    return 0;
}

static PyObject *
find_key_values(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyUnicode_Check(args[0]) || !PyTuple_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "find_key_values(text, decide, filtered): text is a str, filtered a tuple of str");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(args[2]); i++)
        if (!PyUnicode_Check(PyTuple_GET_ITEM(args[2], i))) {
            PyErr_SetString(PyExc_TypeError, "find_key_values(text, decide, filtered): filtered is a tuple of str");
            return NULL;
        }
    PyObject *found = PyList_New(0);
    if (found != NULL && find_pairs(args[0], args[1], args[2], found) < 0)
        Py_CLEAR(found);
    return found;
}

static PyMethodDef module_functions[] = {
    {"find_key_values", (PyCFunction)(void (*)(void))find_key_values, METH_FASTCALL,
     "find_key_values(text, decide, filtered) -> keytext.find_key_values(text, decide)"},
    {NULL},
};

static struct PyModuleDef walker_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "rules_engine.scrub._walker",
    .m_doc = "The scrubber's walk in C (an optional accelerator; walk.py holds the definition).",
    .m_size = -1,
    .m_methods = module_functions,
};

static int
add_type(PyObject *module, const char *name, PyTypeObject *type)
{
    if (PyType_Ready(type) < 0)
        return -1;
    Py_INCREF(type);
    if (PyModule_AddObject(module, name, (PyObject *)type) < 0) {
        Py_DECREF(type);
        return -1;
    }
    return 0;
}

#define INTERN(variable, text) \
    if ((variable = PyUnicode_InternFromString(text)) == NULL) return NULL

PyMODINIT_FUNC
PyInit__walker(void)
{
    INTERN(s_meta, "_meta");
    INTERN(s_limit_rule, "!limit");
    INTERN(s_empty, "");
    INTERN(s_rem, "rem");
    INTERN(s_len, "len");
    INTERN(s_removed, "x");
    INTERN(s_extend, "extend");
    INTERN(s_decode, "decode");
    INTERN(s_utf8, "utf-8");
    INTERN(s_replace, "replace");
    if ((zero = PyLong_FromLong(0)) == NULL || (one = PyLong_FromLong(1)) == NULL || (no_keys = PyTuple_New(0)) == NULL)
        return NULL;
    if ((card_high = PyLong_FromUnsignedLongLong(10000000000000000000ULL)) == NULL)
        return NULL;
    PyObject *module = PyModule_Create(&walker_module);
    if (module == NULL)
        return NULL;
    for (size_t i = 0; i < COLLECTIONS; i++)
        Walker_getset[i] = (PyGetSetDef){(char *)collections[i].name, (getter)get_collection, (setter)set_collection,
                                         NULL, (void *)&collections[i]};
    if (add_type(module, "Walker", &WalkerType) < 0 || add_type(module, "Interface", &InterfaceType) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
