"""`fiveml import`: published posts back into episode YAML.

Reads a post as a reader copies it from the page (like the seed of episode 23) or as the
pipeline's own post.md, and maps each part onto the episode model. What a post does not
carry (full author lists, identifiers a plain copy lacks) becomes a `TODO` placeholder
that `fiveml check` reports. A post that does not follow the format is refused with the
line and what was expected there, and nothing is written.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.problems import Problem, Severity
from pipeline.yaml_rt import dump

_LINK = re.compile(r"^\[(?P<text>.*)\]\((?P<url>[^()\s]*(?:\([^()\s]*\))*[^()\s]*)\)$")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_TITLE = re.compile(r"^(?P<series>.+?)\s*[-–—]\s*#\s*(?P<number>\d+)$")
_STATS = re.compile(r"^\d+\s+words?\s*•.*min read")
_FOOTER = re.compile(r"^Part (?P<number>\d+) of the (?P<series>.+?) series\.")
_CONCEPT = re.compile(r"^(?P<index>\d+)\.\s+(?P<name>.+)$")
_CITATION = re.compile(r"^(?P<title>.+)\s+\((?P<who>[^()]+?),?\s+(?P<year>\d{4})\)$")
_ARXIV_URL = re.compile(r"arxiv\.org/(?:abs|pdf)/(?P<id>[^\s?#]+?)(?:\.pdf)?$")
_DOI_URL = re.compile(r"doi\.org/(?P<doi>10\.\S+)$")
_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")


class PostFormatError(Exception):
    """The post does not follow the published format at `line`."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        super().__init__(message)


@dataclass
class Line:
    number: int
    text: str


@dataclass
class ImportedPost:
    number: int
    data: dict[str, Any]
    placeholders: list[str] = field(default_factory=list)


def _clean(raw: str) -> list[Line]:
    """Lines with their numbers: CRLF, trailing spaces, heading marks and blanks dropped."""
    lines = []
    for i, text in enumerate(raw.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        text = text.strip()
        text = re.sub(r"^#{1,6}\s+", "", text)
        if text:
            lines.append(Line(i, text))
    return lines


def _heading_key(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower().replace("’", "'"))


def _unescape(text: str) -> str:
    return html.unescape(text.replace("\\|", "|")).strip()


def _cells(line: Line) -> list[str]:
    inner = line.text.strip()
    if inner.startswith("|"):
        inner = inner[1:]
    if inner.endswith("|") and not inner.endswith("\\|"):
        inner = inner[:-1]
    return [_unescape(c) for c in re.split(r"(?<!\\)\|", inner)]


class _Reader:
    def __init__(self, lines: list[Line], source_lines: int) -> None:
        self.lines = lines
        self.at = 0
        self.last = source_lines

    def peek(self) -> Line | None:
        return self.lines[self.at] if self.at < len(self.lines) else None

    def take(self) -> Line:
        line = self.peek()
        if line is None:
            raise PostFormatError(self.last, "the post ends too early")
        self.at += 1
        return line

    def expect_heading(self, name: str, shown: str) -> Line:
        line = self.peek()
        if line is None or _heading_key(line.text) != _heading_key(name):
            where = line.number if line else self.last
            got = f"'{line.text[:60]}'" if line else "the end of the post"
            raise PostFormatError(where, f"expected the heading '{shown}', found {got}")
        return self.take()

    def table(self, header: tuple[str, str]) -> list[tuple[Line, list[str]]]:
        line = self.take()
        if [c.lower() for c in _cells(line)] != [h.lower() for h in header]:
            raise PostFormatError(
                line.number,
                f"expected the table header "
                f"'| {header[0]} | {header[1]} |', found '{line.text[:60]}'",
            )
        rows = []
        while (line := self.peek()) is not None and line.text.startswith("|"):
            self.take()
            if _SEPARATOR.match(line.text):
                continue
            cells = _cells(line)
            if len(cells) != 2:
                raise PostFormatError(
                    line.number,
                    f"expected a row of 2 cells, found {len(cells)}: '{line.text[:60]}'",
                )
            rows.append((line, cells))
        return rows


def parse_post(text: str) -> ImportedPost:
    """The episode data in a published post. Raises PostFormatError."""
    source_lines = text.count("\n") + 1
    reader = _Reader(_clean(text), source_lines)
    first = reader.take()
    title = _TITLE.match(first.text)
    if title is None:
        raise PostFormatError(
            first.number,
            f"expected the title, like 'Five ML Concepts - #23', found '{first.text[:60]}'",
        )
    number = int(title["number"])
    if (line := reader.peek()) is not None and _STATS.match(line.text):
        reader.take()
    # The abstract (series text, not episode data), then the optional Resources table.
    while (
        (line := reader.peek()) is not None
        and not line.text.startswith("|")
        and _heading_key(line.text) != "references"
    ):
        reader.take()
    video: dict[str, str] = {}
    if (line := reader.peek()) is not None and line.text.startswith("|"):
        for _row, (name, cell) in reader.table(("Resource", "Link")):
            if name.lower() == "video":
                video = _video_link(cell)
    reader.expect_heading("References", "References")
    references = {}
    for row, (name, cell) in reader.table(("Concept", "Reference")):
        references[name] = (row, _reference(cell))
    reader.expect_heading("Today's Five", "Today’s Five")
    concepts = []
    while (line := reader.peek()) is not None and _heading_key(line.text) != "quickreference":
        concepts.append(_concept(reader, len(concepts) + 1))
    reader.expect_heading("Quick Reference", "Quick Reference")
    one_liners = {
        name: (row, value) for row, (name, value) in reader.table(("Concept", "One-liner"))
    }
    for line in reader.lines[reader.at :]:
        footer = _FOOTER.match(_IMAGE.sub("", line.text))
        if footer and int(footer["number"]) != number:
            raise PostFormatError(
                line.number, f"the footer says part {footer['number']} but the title says #{number}"
            )
    if not concepts:
        raise PostFormatError(first.number, "the post has no concepts under 'Today’s Five'")

    placeholders: list[str] = []
    data_concepts = []
    for heading, concept in concepts:
        name = concept["name"]
        if name not in references:
            raise PostFormatError(heading.number, f"'{name}' has no row in the References table")
        if name not in one_liners:
            raise PostFormatError(
                heading.number, f"'{name}' has no row in the Quick Reference table"
            )
        reference, missing = references[name][1]
        placeholders += [f"{name}: {m}" for m in missing]
        data_concepts.append({**concept, "one_liner": one_liners[name][1], "reference": reference})
    extra = set(references) - {c["name"] for _, c in concepts}
    if extra:
        row = references[sorted(extra)[0]][0]
        raise PostFormatError(
            row.number,
            f"'{sorted(extra)[0]}' is in the References table but not under 'Today’s Five'",
        )
    data: dict[str, Any] = {"number": number, **video, "concepts": data_concepts}
    return ImportedPost(number, data, placeholders)


def _video_link(cell: str) -> dict[str, str]:
    link = _LINK.match(cell.strip())
    if link is None:
        return {}
    found = {"video_url": link["url"]}
    thumbnail = re.search(r"!\[[^\]]*\]\((?P<src>[^)]+)\)", link["text"])
    if thumbnail:
        found["video_thumbnail"] = thumbnail["src"]
    return found


def _reference(cell: str) -> tuple[dict[str, Any], list[str]]:
    """A References cell as a paper (with placeholders for what is missing) or a note."""
    url = None
    link = _LINK.match(cell.strip())
    if link:
        cell, url = link["text"], link["url"]
    citation = _CITATION.match(cell.strip())
    if citation is None:
        return {"note": cell.strip()}, []
    who = citation["who"].strip()
    missing = []
    if who.endswith("et al."):
        authors = [
            f"TODO full author list; the first author's family name is "
            f"{who[: -len('et al.')].strip()}"
        ]
        missing.append("full author list")
    else:
        authors = [
            f"TODO given name of {name.strip()}" for name in re.split(r"\s*&\s*|\s+and\s+", who)
        ]
        missing.append("authors' given names")
    paper: dict[str, Any] = {
        "title": citation["title"].strip(),
        "authors": authors,
        "year": int(citation["year"]),
    }
    arxiv = _ARXIV_URL.search(url or "")
    doi = _DOI_URL.search(url or "")
    if arxiv:
        paper["arxiv"] = re.sub(r"v\d+$", "", arxiv["id"])
    elif doi:
        paper["doi"] = doi["doi"]
    elif url:
        paper["url"] = url
    else:
        paper["arxiv"] = "TODO arXiv id (or replace with doi: or url:)"
        missing.append("arXiv id")
    return paper, missing


def _concept(reader: _Reader, expected: int) -> tuple[Line, dict[str, str]]:
    heading = reader.take()
    match = _CONCEPT.match(heading.text)
    if match is None:
        raise PostFormatError(
            heading.number,
            f"expected concept {expected}, like "
            f"'{expected}. Tool Use', found '{heading.text[:60]}'",
        )
    if int(match["index"]) != expected:
        raise PostFormatError(
            heading.number, f"expected concept {expected}, found concept {match['index']}"
        )
    paragraphs: list[Line] = []
    while (
        (line := reader.peek()) is not None
        and not _CONCEPT.match(line.text)
        and _heading_key(line.text) != "quickreference"
    ):
        reader.take()
        if _IMAGE.fullmatch(line.text):
            continue  # the concept's figure
        paragraphs.append(line)
    if len(paragraphs) < 3:
        where = paragraphs[-1].number if paragraphs else heading.number
        raise PostFormatError(
            where,
            f"concept {expected} ('{match['name']}') needs an "
            f"explanation, a takeaway and an analogy; found {len(paragraphs)} "
            "line(s)",
        )
    analogy = paragraphs[-1]
    if not analogy.text.startswith("Like"):
        raise PostFormatError(
            analogy.number,
            f"expected the analogy of concept {expected} "
            f"(a line starting with 'Like'), found '{analogy.text[:60]}'",
        )
    return heading, {
        "name": _unescape(match["name"]),
        "explanation": _unescape(" ".join(p.text for p in paragraphs[:-2])),
        "takeaway": _unescape(paragraphs[-2].text),
        "analogy": _unescape(analogy.text),
    }


def episode_yaml(post: ImportedPost, origin: str) -> str:
    header = [
        "# yaml-language-server: $schema=../episode.schema.json",
        f"# Imported from {origin} by `fiveml import`.",
    ]
    if post.placeholders:
        header.append("# Still to fill in (each TODO fails `fiveml check` until replaced):")
        header += [f"#   - {p}" for p in post.placeholders]
    body = dump(post.data)
    return "\n".join(header) + "\n" + body


@dataclass
class ImportResult:
    written: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def import_posts(posts: list[Path], episodes_dir: Path, display, force: bool) -> ImportResult:
    """Parse every post first; write only when all parse and no file would be overwritten."""
    result = ImportResult()
    parsed: list[tuple[Path, ImportedPost]] = []
    for post in posts:
        shown = display(post)
        try:
            text = post.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            result.problems.append(
                Problem(Severity.ERROR, shown, 1, 1, "", f"cannot read the post: {exc}")
            )
            continue
        try:
            parsed.append((post, parse_post(text)))
        except PostFormatError as exc:
            result.problems.append(Problem(Severity.ERROR, shown, exc.line, 1, "", str(exc)))
    for post, imported in parsed:
        target = episodes_dir / f"{imported.number:03d}.yaml"
        if target.exists() and not force:
            result.problems.append(
                Problem(
                    Severity.ERROR,
                    display(post),
                    1,
                    1,
                    "",
                    f"{display(target)} already exists; use --force to overwrite it",
                )
            )
    if result.problems:
        return result
    episodes_dir.mkdir(parents=True, exist_ok=True)
    for post, imported in parsed:
        target = episodes_dir / f"{imported.number:03d}.yaml"
        temporary = target.with_name(f".{target.name}.tmp")
        temporary.write_text(episode_yaml(imported, post.name), encoding="utf-8")
        temporary.replace(target)
        result.written.append(target)
    return result
