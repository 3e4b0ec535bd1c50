"""Writing Sentry ``_meta`` remarks for the values a run redacts.

Paths are the walk's parent links (``(parent path, key)`` from ``None``, the root); each is turned
into a ``_meta`` node only for a container that holds a redacted value, and remembered per path
(by identity: the run keeps every path it looks up alive until it ends), because one container
often holds several redacted values. ``_walker.c`` writes ``_meta`` the same way in C."""

from __future__ import annotations


class MetaWriter:
    """The ``_meta`` writing of :class:`~.walk.Run`: ``meta_root`` is the event (None when nothing
    is written), ``meta_nodes`` maps ``id(path)`` to the node mirroring that container."""

    meta_root: dict | None
    meta_nodes: dict[int, dict]

    def add_meta(self, path, key, remarks: list, original_length: int | None) -> None:
        if self.meta_root is None:
            return
        node = self.meta_nodes.get(id(path))
        if node is None:
            node = self.meta_node(path)
        step = key if type(key) is str else str(key)
        child = node.get(step)
        if child is None:  # the usual case: the first remark about this value
            node[step] = {"": {"rem": remarks} if original_length is None else {"rem": remarks, "len": original_length}}
            return
        if not isinstance(child, dict):
            child = node[step] = {}
        entry = child.get("")
        if not isinstance(entry, dict):
            entry = child[""] = {}
        entry.setdefault("rem", []).extend(remarks)
        if original_length is not None:
            entry.setdefault("len", original_length)

    def meta_node(self, path) -> dict:
        """The ``_meta`` node mirroring the container at ``path`` (created on first use; remembered
        per path, because one container often holds several redacted values)."""
        nodes = self.meta_nodes
        missing = []  # paths from the container up to the nearest one already mirrored
        while True:
            found = nodes.get(id(path))
            if found is not None:
                break
            if path is None:
                found = self.meta_root.get("_meta")
                if not isinstance(found, dict):
                    found = self.meta_root["_meta"] = {}
                nodes[id(None)] = found
                break
            missing.append(path)
            path = path[0]
        for path in reversed(missing):
            step = path[1] if type(path[1]) is str else str(path[1])
            child = found.get(step)
            if not isinstance(child, dict):
                child = found[step] = {}
            found = nodes[id(path)] = child
        return found

