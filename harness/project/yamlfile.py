"""Safe YAML loading that remembers where every value came from.

Rejects duplicate keys, non-standard tags (``!!python/...``), alias bombs and
oversized files; maps pydantic validation errors back to ``file:line`` and the
field path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from harness.errors import ConfigError, SecurityError

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ALIAS_EXPANSION = 500_000  # nodes that aliases may add beyond the nodes written in the file
MAX_DEPTH = 100
_MERGE_TAG = "tag:yaml.org,2002:merge"

Path_ = tuple[Any, ...]


def _safe_loader_base() -> type:
    """libyaml's SafeLoader when present (~10x faster), else the pure-Python one.

    The C binding keeps the node classes of the first ``yaml`` import; if ``yaml`` was
    imported again since (module reloading, pytester), those no longer match: use pure Python.
    """
    try:
        from yaml import _yaml
    except ImportError:
        return yaml.SafeLoader
    fresh = getattr(_yaml, "ScalarNode", None) is ScalarNode
    return yaml.CSafeLoader if fresh and hasattr(yaml, "CSafeLoader") else yaml.SafeLoader


_SafeLoader = _safe_loader_base()
_C_PARSER = _SafeLoader is not yaml.SafeLoader


class _StrictLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """SafeLoader that refuses duplicate keys and deep nesting."""

    _depth = 0
    aliases = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:  # type: ignore[override]
        # Pure-Python composer only (libyaml composes in C: see _check_depth).
        # Checked while composing: a deep document fails early, with a location, not a RecursionError.
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise _TooDeep(mark.line + 1, mark.column + 1)
            return super().compose_node(parent, index)  # type: ignore[arg-type]
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Node, deep: bool = False) -> dict:  # type: ignore[override]
        if isinstance(node, MappingNode):
            seen: dict[Any, Node] = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE_TAG:  # `<<: *anchor` is flattened by SafeLoader
                    continue
                key = self.construct_object(key_node, deep=True)  # type: ignore[arg-type]
                if isinstance(key, (list, dict)):
                    continue
                if key in seen:
                    mark = key_node.start_mark
                    raise _DuplicateKey(key, mark.line + 1, mark.column + 1)
                seen[key] = key_node
        return super().construct_mapping(node, deep=deep)  # type: ignore[arg-type]


class _TooDeep(Exception):
    def __init__(self, line: int, column: int) -> None:
        super().__init__(line)
        self.line, self.column = line, column


class _DuplicateKey(Exception):
    def __init__(self, key: Any, line: int, column: int) -> None:
        super().__init__(key)
        self.key, self.line, self.column = key, line, column


@dataclass
class YamlDoc:
    """Parsed YAML data plus the line of every value, keyed by its path."""

    path: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, loc: Path_) -> int | None:
        """Line of the deepest known prefix of ``loc``."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), None)

    def error(self, message: str, loc: Path_ = (), field_name: str | None = None) -> ConfigError:
        dotted = field_name if field_name is not None else format_loc(loc)
        return ConfigError(message, file=self.path, line=self.line_of(loc), field=dotted or None)

    def validation_error(self, exc: pydantic.ValidationError, prefix: Path_ = ()) -> ConfigError:
        """Turn the first pydantic error into a ConfigError with file:line and field path."""
        errors = exc.errors()
        # A misspelt field shows up as missing + unknown: name the unknown one, it has the typo.
        first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        loc = tuple(prefix) + tuple(p for p in first["loc"] if not _is_union_tag(p))
        message = first["msg"]
        if first["type"] == "extra_forbidden":
            message = f"unknown field '{loc[-1]}'"
        elif first["type"] == "missing":
            message = f"missing required field '{loc[-1]}'"
        return self.error(message, loc)


_SCALAR_TAGS = ("str", "int", "float", "bool")  # pydantic names union members by type: value.str


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and ("[" in part or part.startswith("function-") or part in _SCALAR_TAGS)


def format_loc(loc: Path_) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _check_depth(text: str) -> int:
    """Nesting depth from libyaml's event stream (iterative), before its recursive composer runs.

    Returns the number of aliases in the document."""
    events = yaml.CSafeLoader(text)
    depth = aliases = 0
    try:
        while events.check_event():
            event = events.get_event()
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
            elif isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    raise _TooDeep(mark.line + 1 if mark else 0, mark.column + 1 if mark else 0)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        return aliases
    except yaml.MarkedYAMLError as exc:  # libyaml's own limit (1000) can trip first, while scanning ahead
        mark = exc.problem_mark
        if "nesting depth" in str(exc.problem or "") and mark is not None:
            raise _TooDeep(mark.line + 1, mark.column + 1) from None
        raise
    finally:
        events.dispose()


def load_yaml_text(text: str, path: str) -> YamlDoc:
    """Parse YAML text safely; ``path`` is only used in messages."""
    loader = _StrictLoader(text)
    try:
        aliases = _check_depth(text) if _C_PARSER else 0
        node = loader.get_single_node()
        if node is None:
            return YamlDoc(path, None)
        if aliases or loader.aliases:  # only aliases expand: a large plain document is never refused
            _check_expansion(node, path)
        data = loader.construct_document(node)
    except _TooDeep as deep:
        raise SecurityError(f"YAML nests deeper than {MAX_DEPTH} levels", file=path, line=deep.line,
                            column=deep.column) from None
    except _DuplicateKey as dup:
        raise ConfigError(f"duplicate key '{dup.key}'", file=path, line=dup.line,
                          column=dup.column, field=str(dup.key)) from None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        if "tag" in str(exc.problem or ""):
            raise SecurityError(f"YAML tag not allowed: {exc.problem}", file=path, line=line,
                                column=col) from None
        raise ConfigError(f"invalid YAML: {exc.problem}", file=path, line=line,
                          column=col) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        raise ConfigError(f"invalid YAML: {exc.problem or exc.context}", file=path, line=line,
                          column=col) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", file=path) from None
    except RecursionError:
        raise SecurityError("YAML nests too deeply", file=path) from None
    finally:
        loader.dispose()
    doc = YamlDoc(path, data)
    _record_lines(node, (), doc.lines)
    return doc


def load_yaml(path: Path | str, display: str | None = None) -> YamlDoc:
    """Read and parse a YAML file, refusing files over the size limit."""
    p = Path(path)
    shown = display or str(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise ConfigError(f"cannot read file: {exc.strerror}", file=shown) from None
    if size > MAX_FILE_BYTES:
        raise ConfigError(f"file is {size} bytes, over the {MAX_FILE_BYTES} byte limit", file=shown)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"file is not UTF-8: {exc.reason}", file=shown) from None
    return load_yaml_text(text, shown)


def _check_expansion(root: Node, path: str) -> None:
    """Refuse documents whose aliases expand to too many nodes (billion laughs) or recurse.

    Counts what aliases add: the expanded size minus the nodes written in the file, so a
    large suite without aliases is never refused. Sizes are computed post-order, so at any
    node ``total - len(sizes)`` is a lower bound of the whole document's expansion.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()  # entered, not yet sized: on the current path from the root
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if not done:
            if id(node) in open_nodes:
                mark = node.start_mark
                raise SecurityError("YAML alias refers to itself (recursive structure)",
                                    file=path, line=mark.line + 1, column=mark.column + 1)
            open_nodes.add(id(node))
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
            continue
        open_nodes.discard(id(node))
        total = 1 + sum(sizes.get(id(c), 1) for c in children)
        sizes[id(node)] = total
        if total - len(sizes) > MAX_ALIAS_EXPANSION:
            mark = node.start_mark
            raise SecurityError(f"YAML aliases expand to over {MAX_ALIAS_EXPANSION} nodes more than the file "
                                "holds (alias bomb?)", file=path, line=mark.line + 1, column=mark.column + 1)


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _record_lines(node: Node, loc: Path_, lines: dict[Path_, int], depth: int = 0) -> None:
    if depth > 64:
        return
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, SequenceNode):
        for i, child in enumerate(node.value):
            _record_lines(child, loc + (i,), lines, depth + 1)
    elif isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode):
                key = key_node.value
                lines[loc + (key,)] = key_node.start_mark.line + 1
                _record_lines(value_node, loc + (key,), lines, depth + 1)
