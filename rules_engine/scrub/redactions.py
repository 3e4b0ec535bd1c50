"""Redactions: what replaces a sensitive value, and the ``_meta`` remark type that says so.

Remark types are Relay's: ``s`` substituted, ``m`` masked, ``p`` pseudonymized, ``x`` removed.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Callable

from ..model import models

FILTERED = "[Filtered]"

#: Used when a ruleset hashes without ``hash_key``: values hash consistently within the process
#: and cannot be reversed by anyone who knows the (otherwise empty) key.
_PROCESS_KEY = secrets.token_bytes(32)


def written_openers(redactions: list["Redaction"]) -> tuple[str, ...]:
    """The texts the redactions write that open a container (``[Filtered]``, a ``replace`` such as
    ``[gone]``): keys inside text read a value starting with one as redacted already, not as a
    list to redact again (scrubbing twice changes nothing)."""
    constants = (redaction.constant for redaction in redactions if redaction.constant)
    return tuple(dict.fromkeys([FILTERED, *(text for text in constants if text[:1] in "[{")]))


@dataclass(frozen=True)
class Redaction:
    replace: Callable[[str], str]
    remark: str  # "s" | "m" | "p" | "x"
    #: what ``replace`` returns whatever the value (``filter``, ``replace``), or None
    constant: str | None = None

    @property
    def removes(self) -> bool:
        return self.remark == "x"


def compile_redaction(spec: object, hash_key: bytes | None) -> Redaction:
    if spec == "filter":
        return Redaction(lambda value: FILTERED, "s", FILTERED)
    if spec == "remove":
        return Redaction(lambda value: "", "x")
    if spec == "hash":
        return Redaction(_hasher(hash_key or _PROCESS_KEY), "p")
    if isinstance(spec, models.ReplaceRedaction):
        text = spec.replace
        return Redaction(lambda value: text, "s", text)
    if isinstance(spec, models.MaskRedaction):
        return Redaction(_masker(spec.mask), "m")
    raise ValueError(f"unknown redaction {spec!r}")


def _hasher(key: bytes) -> Callable[[str], str]:
    if not key:
        raise ValueError("hash_key cannot be empty")

    def keyed_hash(value: str) -> str:
        # hmac.digest: the one-shot form, computed in C without building an HMAC object.
        return hmac.digest(key, value.encode("utf-8", "surrogatepass"), "sha256").hex()[:32]

    return keyed_hash


def _masker(mask: models.Mask) -> Callable[[str], str]:
    first, last, char = mask.keep_first, mask.keep_last, mask.char

    def masked(value: str) -> str:
        length = len(value)
        if first + last >= length:
            return char * length  # never reveal the whole value
        tail = value[length - last :] if last else ""
        return value[:first] + char * (length - first - last) + tail

    return masked


def merge_findings(findings: list) -> list[tuple[int, int, int, str | None]]:
    """Merge overlapping findings ``(start, end, rule index, detector)`` of one text: the union
    of their spans, named after the longest one."""
    findings.sort(key=lambda finding: (finding[0], -finding[1], finding[2]))
    merged: list[list] = []
    for start, end, rule_index, detector in findings:
        if merged and start < merged[-1][1]:
            current = merged[-1]
            if end - start > current[4]:
                current[2], current[3], current[4] = rule_index, detector, end - start
            current[1] = max(current[1], end)
        else:
            merged.append([start, end, rule_index, detector, end - start])
    return [(start, end, rule_index, detector) for start, end, rule_index, detector, _ in merged]
