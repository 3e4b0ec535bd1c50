"""The C walk's interface with Python: the one place that says what ``_walker.c`` calls and reads.

A scrubber chooses its run class once, when it is built: :class:`~.walk.Run` (the pure-Python
walk, the definition) or :class:`CRun`, a run whose walk, whole-value and text redactions and
``_meta`` writing are the C walker's methods (``_walker.Walker`` is its first base). The two share
one object, so the node count and the collected strings, slots and queued redactions are the
same fields for both walks, never handed over.

The C walk hands every uncommon case back to the Python walk and asks the scrubber for its
memoized decisions. Those functions, and the data every run of a scrubber shares, are named in
:func:`c_walk_interface` and checked by ``_walker.Interface`` when the scrubber is built: a method
renamed in Python fails there (``AttributeError`` or ``TypeError``), not on the first event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .pairs import PAIR_NAMES, PAIR_VALUES
from .walk import Run

if TYPE_CHECKING:
    from .scrubber import Scrubber

try:  # built from _walker.c when a C compiler is at hand at install time
    from ._walker import Interface, Walker
except ImportError:  # pragma: no cover - exercised where the extension is not built
    Interface = Walker = None


def c_walk_interface(scrubber: Scrubber) -> Interface:
    """What the C walk of ``scrubber``'s runs calls and reads, each checked by ``Interface``."""
    limits = scrubber._limits
    return Interface(
        run_class=Run,
        # The Python walk, called with the run first, for whatever the C walk does not handle:
        # values of other types, subclasses of dict, list and tuple, containers redacted below a
        # live selector, and every error (these raise UnsendableValue, ScrubLimitExceeded and
        # EventChanged).
        place=Run.place, redact_all=Run.redact_all, walk_dict=Run.walk_dict, walk_list=Run.walk_list,
        walk_selected_dict=Run.walk_selected_dict, check_subtree=Run.check_subtree,
        too_deep=Run.too_deep, too_many=Run.too_many, changed=Run.changed, check_time=Run.check_time,
        exact_key=Run.exact_key, find_secrets=Run.find_secrets,
        # The names of a pair dict (read in Python, once per dict holding a value field and a name
        # field), and the fields' spellings: value fields are never learnt as harmless keys.
        pair_decision=Run.pair_decision, pair_dict_unchanged=Run.pair_dict_unchanged, pair_values=PAIR_VALUES,
        pair_names=PAIR_NAMES,
        # The name of a lone pair's second item (a list of two items), or None (pairs.py).
        lone_pair_name=scrubber._lone_pair_name,
        # The scrubber's decisions, memoized per key name and per (selector state, key name).
        key_decision=scrubber._key_decision, harmless_keys=scrubber._harmless_keys, step=scrubber._step,
        key_memo=scrubber._key_memo, harmless=scrubber._harmless, steps=scrubber._steps,
        redactions=scrubber._redactions, constants=scrubber._constant_replacements,
        whole_tally_keys=scrubber._whole_tally_keys, key_rules=bool(scrubber._key_rule_mask),
        max_depth=limits.max_depth, max_nodes=limits.max_nodes,
    )


if Walker is not None:

    class CRun(Walker, Run):
        """A run whose walk, redactions and ``_meta`` writing are in C; everything else is
        :class:`~.walk.Run`'s. The walker's fields are the run's ``nodes``, ``texts``, ``slots``,
        ``whole``, ``tally``, ``meta_root``, ``cut``, ``written``, ``findings_memo``, ``lists`` and
        ``replaced``."""

        def __init__(self, scrubber: Scrubber, meta_root: dict | None):
            # The walker starts with the run's collections, empty: only the settings are Python's.
            Walker.__init__(self, scrubber._c_interface, meta_root)
            self.take_settings(scrubber)

else:  # pragma: no cover - exercised where the extension is not built
    CRun = None
