"""Reading episode and series YAML with positions, and turning bad input into Problems.

YAML is parsed into events by PyYAML's safe parser (the C one when available) and the
data is composed here from those events, so that:
- every value's line and column is remembered (`SourceMap`), for problems that point at it;
- tags other than YAML's plain types (`!!python/object/...`, custom `!tags`) are refused
  before anything is constructed;
- aliases (`*name`) are refused, which makes "billion laughs" alias bombs impossible:
  nothing is ever expanded.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from pipeline.cache import EntryStore
from pipeline.model import Episode, Series
from pipeline.problems import Problem, Severity

MAX_FILE_BYTES = 1024 * 1024
PLACEHOLDER_PREFIX = "TODO"

try:  # the C parser is much faster; both emit the same events
    _Parser: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Parser = yaml.SafeLoader

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}

Path_ = tuple[str | int, ...]


class Position(NamedTuple):
    line: int
    column: int


class SourceMap:
    """Where each value (and each mapping key) of a YAML document stands in its file.

    A map for an episode read back from the cache starts empty. The first time a problem
    must be located there, it reads the positions remembered in the cache or, failing
    that, parses the file again and remembers them (`positions`: the cache and the
    file's content key): an episode whose references always carry notes is parsed once,
    not on every `check`.
    """

    def __init__(
        self,
        file: str,
        reparse_from: Path | None = None,
        positions: tuple[EntryStore, str] | None = None,
    ) -> None:
        self.file = file
        # (line, column) tuples: a file of a few hundred values makes one of each
        self._values: dict[Path_, tuple[int, int]] = {}
        self._keys: dict[Path_, tuple[int, int]] = {}
        self._reparse_from = reparse_from
        self._positions = positions

    @property
    def values(self) -> dict[Path_, tuple[int, int]]:
        self._fill()
        return self._values

    @property
    def keys(self) -> dict[Path_, tuple[int, int]]:
        self._fill()
        return self._keys

    def _fill(self) -> None:
        if self._reparse_from is None:
            return
        path, self._reparse_from = self._reparse_from, None
        if self._read_positions():
            return
        try:
            _, fresh, _ = parse_yaml(path.read_text(encoding="utf-8-sig"), self.file)
        except (OSError, UnicodeDecodeError):
            fresh = None
        if fresh is not None:
            self._values, self._keys = fresh._values, fresh._keys
            self._store_positions()

    def _read_positions(self) -> bool:
        if self._positions is None:
            return False
        entries, key = self._positions
        stored = entries.get("positions", key)
        if stored is None:
            return False
        try:
            data = json.loads(stored)
            self._values = {tuple(v[:-2]): (v[-2], v[-1]) for v in data["values"]}
            self._keys = {tuple(k[:-2]): (k[-2], k[-1]) for k in data["keys"]}
        except (ValueError, KeyError, TypeError, IndexError):
            self._values, self._keys = {}, {}
            return False
        return True

    def _store_positions(self) -> None:
        if self._positions is not None:
            data = {
                "values": [[*path, *where] for path, where in self._values.items()],
                "keys": [[*path, *where] for path, where in self._keys.items()],
            }
            entries, key = self._positions
            entries.put("positions", [(key, json.dumps(data).encode("utf-8"))])

    def locate(self, path: Path_, *, key: bool = False) -> Position:
        """The position of `path`, or of its nearest ancestor that exists in the file."""
        if key and path in self.keys:
            return Position(*self.keys[path])
        for end in range(len(path), -1, -1):
            found = self.values.get(path[:end])
            if found is not None:
                return Position(*found)
        return Position(1, 1)

    def problem(
        self, severity: Severity, path: Path_, message: str, *, key: bool = False
    ) -> Problem:
        where = self.locate(path, key=key)
        return Problem(severity, self.file, where.line, where.column, format_path(path), message)


@dataclass(frozen=True)
class EpisodeSummary:
    """What the series-wide rules and the build's plan read of an episode, small enough to
    keep for every episode of a large series without validating its model again."""

    number: int
    title: str | None
    date: str | None
    concepts: tuple[tuple[str, str], ...]  # (name, one-liner) of each concept
    digest: str  # sha256 of the validated episode's JSON: changes with any field

    @classmethod
    def of(cls, episode: Episode, episode_json: str) -> EpisodeSummary:
        return cls(
            episode.number,
            episode.title,
            episode.date.isoformat() if episode.date else None,
            tuple((c.name, c.one_liner) for c in episode.concepts),
            hashlib.sha256(episode_json.encode("utf-8")).hexdigest(),
        )

    def to_json(self) -> list[Any]:
        return [self.number, self.title, self.date, [list(c) for c in self.concepts], self.digest]

    @classmethod
    def from_json(cls, data: list[Any]) -> EpisodeSummary:
        number, title, date, concepts, digest = data
        return cls(number, title, date, tuple((n, o) for n, o in concepts), digest)


class LoadedEpisode:
    """A validated episode with the source map its problems are located by.

    An episode that did not change since the last run is known by its summary alone; its
    model is validated again from the cached JSON only when a stage needs the model
    (`episode`), which a build that rebuilds one post out of a thousand rarely does."""

    def __init__(
        self,
        episode: Episode | None,
        source: SourceMap,
        path: Path,
        content_key: str | None = None,
        *,
        summary: EpisodeSummary | None = None,
        episode_json: str | None = None,
        cached: tuple[EntryStore, str] | None = None,
    ) -> None:
        self.source = source
        self.path = path
        self.content_key = content_key  # hash of the file's bytes, when read through the cache
        self._episode = episode
        self._json = episode_json
        self._cached = cached  # where the validated episode's JSON is kept, under which key
        if summary is None:
            summary = EpisodeSummary.of(self.episode, self.episode_json)
        self.summary = summary

    @property
    def episode(self) -> Episode:
        if self._episode is None:
            self._episode = self._materialize()
        return self._episode

    @property
    def episode_json(self) -> str:
        """The validated episode as JSON: what the load cache stores."""
        if self._json is None:
            self._json = self.episode.model_dump_json()
        return self._json

    def _materialize(self) -> Episode:
        if self._json is None and self._cached is not None:
            # When the cache was cleared meanwhile, the file itself is read instead.
            stored = self._cached[0].get("episode", self._cached[1])
            self._json = stored.decode("utf-8") if stored is not None else None
        if self._json is not None:
            try:
                return Episode.model_validate_json(self._json)
            except ValueError:  # a damaged cache entry (ValidationError is a ValueError)
                pass
        loaded, problems = load_episode(self.path, self.source.file)
        if loaded is None:
            raise RuntimeError(f"{self.source.file} changed while building: {problems[0]}")
        return loaded.episode

    def __getstate__(self) -> dict[str, Any]:
        # Sent to spawned workers: the JSON travels, the model is validated there.
        state = dict(self.__dict__)
        state["_json"] = self.episode_json if self._cached is None else self._json
        state["_episode"] = None
        return state


class YamlRefused(Exception):
    """The YAML is well-formed but uses something episode files may not contain."""

    def __init__(self, mark: Any, message: str) -> None:
        self.mark = mark
        super().__init__(message)


def format_path(path: Path_) -> str:
    """('concepts', 2, 'analogy') -> 'concepts[2].analogy'."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def read_text(path: Path, display: str) -> tuple[str | None, list[Problem]]:
    """The file as text, or a problem when it is unreadable, too large, not UTF-8 or empty."""
    try:
        size = path.stat().st_size
        raw = path.read_bytes() if size <= MAX_FILE_BYTES else b""
    except OSError as exc:  # removed while we read, a folder, no permission
        reason = exc.strerror or type(exc).__name__
        return None, [Problem(Severity.ERROR, display, 1, 1, "", f"cannot read the file: {reason}")]
    if size > MAX_FILE_BYTES:
        return None, [
            Problem(
                Severity.ERROR,
                display,
                1,
                1,
                "",
                f"file is {size:,} bytes; episode files may be at most "
                f"{MAX_FILE_BYTES:,} bytes (1 MiB). Is this the right file?",
            )
        ]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [
            Problem(
                Severity.ERROR,
                display,
                line,
                column,
                "",
                f"the file is not UTF-8 (byte 0x{raw[exc.start]:02x}); "
                "save it as UTF-8 in your editor",
            )
        ]
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        return None, [
            Problem(
                Severity.ERROR,
                display,
                1,
                1,
                "",
                "the file is empty; run `fiveml new NUMBER` for a filled-in scaffold",
            )
        ]
    return text, []


def parse_yaml(text: str, display: str) -> tuple[Any, SourceMap | None, list[Problem]]:
    """Parse one YAML document into plain data and a SourceMap, or return problems."""
    source = SourceMap(display)
    parser = _Parser(text)
    try:
        data = _compose_document(parser, source)
    except YamlRefused as exc:
        return None, None, [_problem_at_mark(display, exc.mark, str(exc))]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or "invalid YAML"
        if exc.context:
            what = f"{exc.context}, {what}"
        return (
            None,
            None,
            [
                _problem_at_mark(
                    display,
                    mark,
                    f"YAML syntax error: {what}; check the indentation "
                    "and quoting on this line or the one before it",
                )
            ],
        )
    except yaml.YAMLError as exc:
        return None, None, [Problem(Severity.ERROR, display, 1, 1, "", f"YAML error: {exc}")]
    finally:
        parser.dispose()
    return data, source, []


def _problem_at_mark(display: str, mark: Any, message: str) -> Problem:
    line = mark.line + 1 if mark is not None else 1
    column = mark.column + 1 if mark is not None else 1
    return Problem(Severity.ERROR, display, line, column, "", message)


def _compose_document(parser: Any, source: SourceMap) -> Any:
    get_event = parser.get_event
    get_event()  # StreamStart
    if isinstance(get_event(), yaml.StreamEndEvent):  # else DocumentStart
        return None
    # The maps are filled directly (not through the properties, which would re-parse).
    data = _compose_events(parser, source._values, source._keys)
    get_event()  # DocumentEnd
    event = get_event()
    if not isinstance(event, yaml.StreamEndEvent):
        raise YamlRefused(
            event.start_mark,
            "the file holds more than one YAML document "
            "(a second '---'); keep one episode per file",
        )
    return data


class _Frame:
    """A mapping or sequence being composed, with the key waiting for its value."""

    __slots__ = ("container", "key", "path")

    def __init__(self, container: dict[str, Any] | list[Any], path: Path_) -> None:
        self.container = container
        self.path = path
        self.key: str | None = None


def _compose_events(
    parser: Any, values: dict[Path_, tuple[int, int]], keys: dict[Path_, tuple[int, int]]
) -> Any:
    """One document's data from the event stream, in one loop over the events (a
    recursive composer that peeks at every event costs three times as much)."""
    get_event = parser.get_event
    stack: list[_Frame] = []
    while True:
        event = get_event()
        kind = type(event)
        if kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            value: Any = stack.pop().container
            is_key = False
        else:
            mark = event.start_mark
            frame = stack[-1] if stack else None
            is_key = frame is not None and type(frame.container) is dict and frame.key is None
            if frame is None:
                path: Path_ = ()
            elif type(frame.container) is list:
                path = (*frame.path, len(frame.container))
            elif is_key:
                path = ()  # a key's own position is kept in `keys`, once it is known
            else:
                path = (*frame.path, frame.key)
            if not is_key:
                values[path] = (mark.line + 1, mark.column + 1)
            if kind is yaml.AliasEvent:
                raise YamlRefused(
                    mark,
                    f"YAML aliases (*{event.anchor}) are not allowed in episode "
                    "files; write the value out in full",
                )
            if event.anchor:
                _refuse_anchor(event)
            if kind is yaml.ScalarEvent:
                value = _construct_scalar(parser, event)
            elif is_key:
                raise YamlRefused(mark, "mapping keys must be plain words")
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                _refuse_custom_tag(event)
                stack.append(_Frame({} if kind is yaml.MappingStartEvent else [], path))
                continue
            else:
                raise YamlRefused(mark, f"unexpected YAML event {kind.__name__}")
        if not stack:
            return value
        parent = stack[-1]
        if type(parent.container) is list:
            parent.container.append(value)
        elif is_key:
            if not isinstance(value, str | int):
                raise YamlRefused(mark, "mapping keys must be plain words")
            value = str(value)
            if value in parent.container:
                raise YamlRefused(mark, f"the key '{value}' appears twice here; keep one")
            keys[(*parent.path, value)] = (mark.line + 1, mark.column + 1)
            parent.key = value
        else:
            parent.container[parent.key] = value  # type: ignore[index]
            parent.key = None


def _refuse_anchor(event: Any) -> None:
    raise YamlRefused(
        event.start_mark,
        f"YAML anchors (&{event.anchor}) are not allowed in episode "
        "files; write the value out in full",
    )


def _refuse_custom_tag(event: Any) -> None:
    tag = event.tag
    if tag is not None and tag not in _PLAIN_TAGS and tag != "!":
        raise YamlRefused(
            event.start_mark,
            f"the YAML tag '{tag}' is not allowed: episode "
            "files hold plain text, numbers, lists and mappings only",
        )


_STR_TAG = "tag:yaml.org,2002:str"
# YAML 1.1 implicit types are recognised by their first character; a plain scalar starting
# with any other character is a string (the same table PyYAML's resolver consults).
_IMPLICIT_FIRST_CHARS = frozenset(c for c in yaml.SafeLoader.yaml_implicit_resolvers if c)
# Words YAML 1.1 reads as booleans or null; any other word is plain text.
_TYPED_WORDS = frozenset(
    f(w)
    for w in ("yes", "no", "true", "false", "on", "off", "null")
    for f in (str.lower, str.title, str.upper)
)


def _is_plain_text(value: str) -> bool:
    first = value[:1]
    if not first:
        return False
    if first not in _IMPLICIT_FIRST_CHARS:
        return True
    return first.isalpha() and value not in _TYPED_WORDS


def _construct_scalar(parser: Any, event: Any) -> Any:
    if event.tag and event.tag != "!":
        _refuse_custom_tag(event)
        tag = event.tag
    elif not event.implicit[0] or _is_plain_text(event.value):
        return event.value  # quoted, or plain text that cannot be a number, date or bool
    else:
        tag = parser.resolve(yaml.ScalarNode, event.value, event.implicit)
    if tag == _STR_TAG:
        return event.value
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
    return parser.construct_object(node, deep=True)


# --- Validation ------------------------------------------------------------------------


def find_placeholders(data: Any, path: Path_ = ()) -> list[tuple[Path_, str]]:
    """Paths and texts of values still holding a 'TODO ...' placeholder."""
    if isinstance(data, str):
        return [(path, data.strip())] if data.strip().startswith(PLACEHOLDER_PREFIX) else []
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in find_placeholders(v, (*path, k))]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in find_placeholders(v, (*path, i))]
    return []


def validate(
    model: type[BaseModel], data: Any, source: SourceMap
) -> tuple[BaseModel | None, list[Problem]]:
    """Validate data against a model; every error becomes a located Problem."""
    found = find_placeholders(data)
    placeholders = [path for path, _ in found]
    problems = [
        source.problem(
            Severity.ERROR,
            path,
            f"still a placeholder ('{_shorten(text)}'); replace the TODO text with the real value",
        )
        for path, text in found
    ]
    try:
        return (model.model_validate(data) if not problems else None), problems
    except ValidationError as exc:
        errors = [(e, _data_path(e["loc"], data, e["type"])) for e in exc.errors(include_url=False)]
        misspelt = {
            (path[:-1], str(path[-1])) for e, path in errors if e["type"] == "extra_forbidden"
        }
        for error, path in errors:
            if any(path[: len(p)] == p for p in placeholders):
                continue  # already reported as a placeholder
            if error["type"] == "missing" and _is_misspelt(path, misspelt):
                continue  # the "unknown field ...; did you mean" problem says it all
            problems.append(_validation_problem(model, data, source, error, path))
        return None, problems


def _shorten(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_misspelt(path: Path_, misspelt: set[tuple[Path_, str]]) -> bool:
    names = [name for parent, name in misspelt if parent == path[:-1]]
    return bool(difflib.get_close_matches(str(path[-1]), names, n=1, cutoff=0.6))


# Plainer words for pydantic's most common messages.
_FRIENDLY_TYPES = {
    "int_parsing": "expected a whole number",
    "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "string_type": "expected text",
    "list_type": "expected a list (lines starting with '- ')",
    "dict_type": "expected a mapping of fields",
    "model_type": "expected a mapping of fields",
    "model_attributes_type": "expected a mapping of fields",
    "date_from_datetime_parsing": "expected a date like 2026-11-29",
    "date_parsing": "expected a date like 2026-11-29",
    "date_type": "expected a date like 2026-11-29",
    "bool_parsing": "expected true or false",
    "float_parsing": "expected a number",
}


def _data_path(loc: tuple[Any, ...], data: Any, error_type: str) -> Path_:
    """Drop the tags pydantic adds to the location inside a tagged union.

    A location element naming no key of the mapping it points into is such a tag, except
    the last element of a 'missing' error, which names the absent field.
    """
    path: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        is_last = i == len(loc) - 1
        is_union_tag = (
            isinstance(node, dict)
            and isinstance(part, str)
            and part not in node
            and not (is_last and error_type == "missing")
            and (is_last or isinstance(loc[i + 1], str))
            and (is_last or loc[i + 1] in node or i + 1 == len(loc) - 1)
        )
        if is_union_tag:
            continue  # a tag pydantic adds inside a union, such as 'paper' or 'lr_schedule'
        path.append(part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            node = None
    return tuple(path)


def _validation_problem(
    model: type[BaseModel], data: Any, source: SourceMap, error: Any, path: Path_
) -> Problem:
    kind = error["type"]
    if kind == "extra_forbidden":
        name = str(path[-1])
        allowed = _allowed_fields(model, data, path[:-1])
        hint = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
        fix = f"did you mean '{hint[0]}'?" if hint else f"allowed fields: {', '.join(allowed)}"
        return source.problem(Severity.ERROR, path, f"unknown field '{name}'; {fix}", key=True)
    if kind == "missing":
        parent = format_path(path[:-1]) or "the episode"
        return source.problem(
            Severity.ERROR, path, f"required field '{path[-1]}' is missing from {parent}; add it"
        )
    if kind == "union_tag_not_found" or kind == "union_tag_invalid":
        return source.problem(Severity.ERROR, path, _tag_message(error))
    value = error.get("input")
    shown = repr(value) if not isinstance(value, dict | list) else type(value).__name__
    message = _FRIENDLY_TYPES.get(kind, error["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return source.problem(Severity.ERROR, path, f"{message} (got {shown})")


def _tag_message(error: Any) -> str:
    ctx = error.get("ctx", {})
    expected = ctx.get("expected_tags", "")
    found = ctx.get("tag")
    if found is None:
        return f"'kind' is missing; choose one of: {expected}"
    return f"unknown kind '{found}'; choose one of: {expected}"


def _allowed_fields(model: type[BaseModel], data: Any, path: Path_) -> list[str]:
    """The field names allowed at `path`, found by walking the model's annotations."""
    current: Any = model
    node = data
    for part in path:
        current = _unwrap(current, node)
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and part < len(node) else None
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        info = current.model_fields.get(part)
        if info is None:
            return []
        current = info.annotation
        node = node.get(part) if isinstance(node, dict) else None
    current = _unwrap(current, node)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(annotation: Any, node: Any) -> Any:
    """Reduce list[X], X | None, Annotated[...] and unions to the model `node` fits."""
    while True:
        origin = get_origin(annotation)
        if origin is typing.Annotated:
            annotation = get_args(annotation)[0]
        elif origin is list:
            annotation = get_args(annotation)[0]
            return annotation
        elif origin in (Union, types.UnionType):
            options = [a for a in get_args(annotation) if a is not type(None)]
            annotation = _pick_union_member(options, node)
        else:
            return annotation


def _pick_union_member(options: list[Any], node: Any) -> Any:
    models = [_unwrap(o, node) for o in options]
    if isinstance(node, dict):
        for candidate in models:
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                kind_field = candidate.model_fields.get("kind")
                if kind_field is not None and node.get("kind") in get_args(kind_field.annotation):
                    return candidate
        keys = set(node)
        best = max(
            (m for m in models if isinstance(m, type) and issubclass(m, BaseModel)),
            key=lambda m: len(keys & set(m.model_fields)),
            default=None,
        )
        if best is not None:
            return best
    return models[0] if models else None


# --- Whole files -----------------------------------------------------------------------


def parse_file(path: Path, display: str) -> tuple[Any, SourceMap | None, list[Problem]]:
    """A YAML file's data and source map, or the problems that prevent reading it."""
    text, problems = read_text(path, display)
    if text is None:
        return None, None, problems
    return parse_yaml(text, display)


def load_series(path: Path, display: str) -> tuple[Series | None, list[Problem]]:
    """Series settings from `series.yaml`; defaults when the file does not exist."""
    if not path.exists():
        return Series(), []
    data, source, problems = parse_file(path, display)
    if source is None:
        return None, problems
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, [
            source.problem(Severity.ERROR, (), "series.yaml must be a mapping of settings")
        ]
    series, problems = validate(Series, data, source)
    return typing.cast(Series | None, series), problems


def load_episode(path: Path, display: str) -> tuple[LoadedEpisode | None, list[Problem]]:
    """One episode file: read, parse, validate. Problems instead of exceptions."""
    data, source, problems = parse_file(path, display)
    if source is None:
        return None, problems
    if not isinstance(data, dict):
        return None, [
            source.problem(
                Severity.ERROR,
                (),
                "an episode file must be a mapping with 'number' and 'concepts'; see `fiveml new`",
            )
        ]
    episode, problems = validate(Episode, data, source)
    if episode is None:
        return None, problems
    return LoadedEpisode(typing.cast(Episode, episode), source, path), problems
