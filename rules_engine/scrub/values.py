"""Values as the transport sends them, whatever they claim to be.

``isinstance`` believes the class an object claims through ``__class__`` (``MagicMock(spec=str)``,
werkzeug's ``LocalProxy``, wrapt proxies), and a subclass of a JSON type may lie about its
length, its hash or its contents. The transport encodes a true subclass of a JSON type as its
base type, so that is what the scrubber reads: the helpers here turn such values into the
exact type, bounded, and the walk checks types with ``type()`` only.
"""

from __future__ import annotations

from typing import Callable

#: Integers of 13 to 19 digits are scanned as text: a card number stored as a number (a form
#: field parsed to int, a column value) is still a card number. Smaller integers are counts, ids
#: and timestamps that no detector can match.
CARD_DIGITS_LOW, CARD_DIGITS_HIGH = 10**12, 10**19
_TIME_CHECK_EVERY = 4096


def card_number(number: int | float) -> str | None:
    """The digits of a number the transport sends (an ``int`` subclass as an ``int``, a float
    holding a whole number as its digits) when it is long enough to be a card number."""
    if issubclass(type(number), float):
        number = float.__float__(number)
        if not number.is_integer():
            return None
    number = int(int.__repr__(number)) if issubclass(type(number), int) else int(number)
    return str(number) if CARD_DIGITS_LOW <= number < CARD_DIGITS_HIGH else None


def snapshot(node, left: int, too_many: Callable[[], None], check_time: Callable[[], None]) -> dict | list:
    """A ``dict`` or ``list`` of what a subclass of one iterates (``items()``, ``__iter__``),
    which is what the transport sends. At most ``left`` items are taken (then ``too_many()``
    raises), and the time budget is checked on the way: a container that never ends fails
    closed."""
    is_dict = issubclass(type(node), dict)
    copied = []
    for item in node.items() if is_dict else node:
        copied.append(item)
        if len(copied) > left:
            too_many()
        if not len(copied) % _TIME_CHECK_EVERY:
            check_time()
    return dict(copied) if is_dict else copied
