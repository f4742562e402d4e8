"""Reading configuration files (institution configs, catalogues, policy files, service configs).

One reader for every configuration file: a size cap, UTF-8, JSON by the ``.json`` suffix and YAML
otherwise, and YAML read with a safe loader that follows YAML 1.2 for booleans and keeps dates as
strings. YAML 1.1 (PyYAML's default) reads ON, Yes, No, Off as booleans, so Ontario's province code
``addressRegion: ON`` would silently become ``true`` in a signed credential.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from omc_vc.errors import ConfigError
from omc_vc.i18n import N_, Message

#: What the errors call the files read here, by the name callers give (shown in the reader's language).
_KINDS: dict[str, str] = {kind: Message(kind) for kind in (
    N_("configuration"), N_("catalogue"), N_("endorsement"), N_("policy file"), N_("user config file"))}


class _YamlLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans (only true/false) and dates left as strings (JSON has no date)."""


_YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_YamlLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                  list("tTfF"))


def load_yaml(text: str) -> Any:
    """Parse YAML text with the safe, YAML-1.2-boolean loader (no Python objects, ON stays "ON")."""
    return yaml.load(text, Loader=_YamlLoader)  # noqa: S506 - a SafeLoader subclass


def yaml_position(path: Path, keys: list[str], *, max_bytes: int) -> tuple[int, int, int] | None:
    """Where the key ``keys`` (a path of mapping keys and list positions, e.g. ``["status", "list_bits"]``) is
    written in the YAML file at ``path``: (line, column, how many of ``keys`` were found), 1-based as an
    editor shows them, for the deepest key found. None for JSON, an unreadable file or no key found."""
    if path.suffix.lower() == ".json":
        return None
    try:
        raw = path.read_bytes()
        if len(raw) > max_bytes:
            return None
        node = yaml.compose(raw.decode("utf-8"), Loader=_YamlLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    found: tuple[int, int, int] | None = None
    for depth, key in enumerate(keys, start=1):
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)
            if pair is None:
                break
            found = (pair[0].start_mark.line + 1, pair[0].start_mark.column + 1, depth)
            node = pair[1]
        elif isinstance(node, yaml.SequenceNode) and key.isdigit() and int(key) < len(node.value):
            node = node.value[int(key)]
            found = (node.start_mark.line + 1, node.start_mark.column + 1, depth)
        else:
            break
    return found


def read_config_file(path: Path, *, what: str, max_bytes: int, json_only: bool = False,
                     name: str | None = None) -> Any:
    """The parsed content of a JSON or YAML file, or a ConfigError naming the file and the problem.

    ``name`` is what the errors call the file (default: its path): a file the package ships is named
    without its install folder.
    """
    shown = str(path if name is None else name)
    kind = _KINDS.get(what, what)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(Message("{what} {path} cannot be read ({why})", what=kind, path=shown,
                                  why=exc.strerror or type(exc).__name__)) from exc
    if len(raw) > max_bytes:
        raise ConfigError(Message("{what} {path} is larger than {limit} bytes", what=kind, path=shown, limit=max_bytes))
    is_json = json_only or path.suffix.lower() == ".json"
    try:
        text = raw.decode("utf-8")
        return json.loads(text) if is_json else load_yaml(text)
    except (UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        mark = getattr(exc, "problem_mark", None)
        if isinstance(exc, yaml.MarkedYAMLError) and mark is not None:
            # the line (and column) of the problem, 1-based as an editor shows them
            first_line = Message("line {line}, column {column}: {problem}", line=str(mark.line + 1),
                                 column=str(mark.column + 1), problem=exc.problem or first_line)
        raise ConfigError(Message("{what} {path} is not valid {syntax}: {problem}", what=kind, path=shown,
                                  syntax="JSON" if is_json else "YAML", problem=first_line)) from exc
