"""`fiveml refs fill`: find the arXiv id and full author list of references still marked
TODO (as `fiveml import` leaves them), by title, and write them into the episode file.

A reference is filled only when exactly one arXiv paper has the cited title (in full, or
as the title without its subtitle, which then sets `title_form: without_subtitle`) and,
when the placeholder names the first author, that author. Everything else is reported
for a person to decide. The file is edited in round-trip mode: comments, order and
styles stay as they were; only the filled values change.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pipeline.load import PLACEHOLDER_PREFIX, parse_file
from pipeline.problems import Problem, Severity
from pipeline.references.lock import PaperEntry
from pipeline.references.normalize import normalize_name, normalize_title, without_subtitle
from pipeline.yaml_rt import dump, round_trip

_HINTED_AUTHOR = re.compile(r"family name is (?P<name>.+)$|given name of (?P<given>.+)$")


def _is_placeholder(value: Any) -> bool:
    return isinstance(value, str) and value.strip().startswith(PLACEHOLDER_PREFIX)


def first_author_hint(authors: Any) -> str | None:
    """The first author's family name as the import left it in a TODO entry, if any."""
    if not isinstance(authors, list) or not authors or not isinstance(authors[0], str):
        return None
    match = _HINTED_AUTHOR.search(authors[0])
    if match:
        return (match["name"] or match["given"]).strip()
    if not _is_placeholder(authors[0]):
        return authors[0].split()[-1] if "," not in authors[0] else authors[0].split(",")[0]
    return None


def choose(title: str, hint: str | None, found: list[PaperEntry]) -> tuple[list[PaperEntry], bool]:
    """Candidates matching the cited title exactly, or else without their subtitle."""
    cited = normalize_title(title)

    def first_author_ok(entry: PaperEntry) -> bool:
        return hint is None or (
            bool(entry.authors) and normalize_name(entry.authors[0].family) == normalize_name(hint)
        )

    exact = [e for e in found if normalize_title(e.title) == cited and first_author_ok(e)]
    if exact:
        return exact, False
    short = [
        e
        for e in found
        if (s := without_subtitle(e.title)) is not None
        and normalize_title(s) == cited
        and first_author_ok(e)
    ]
    return short, True


@dataclass
class FillReport:
    """What `refs fill` did: its problems, and how many TODO references it looked up,
    filled, and left for a person."""

    problems: list[Problem] = field(default_factory=list)
    looked_up: int = 0
    filled: int = 0

    def summary(self) -> str:
        if not self.looked_up:
            return "refs fill: no reference waits to be filled (none has a TODO identifier)"
        left = self.looked_up - self.filled
        return f"refs fill: {self.filled} of {self.looked_up} filled, {left} left for a person"


def fill_references(
    paths: list[Path], display: Callable[[Path], str], today: date | None = None
) -> FillReport:
    from pipeline.references import arxiv
    from pipeline.references.http import FetchError, HttpSettings, make_client

    today = today or date.today()
    settings = HttpSettings.from_env()
    report = FillReport()
    problems = report.problems
    with make_client(settings) as client:
        for path in paths:
            shown = display(path)
            data, source, found = parse_file(path, shown)  # the safe loader vets the file
            if source is None or not isinstance(data, dict):
                problems += found
                continue
            document = round_trip().load(path.read_text(encoding="utf-8"))
            changed = False
            for i, concept in enumerate(data.get("concepts") or []):
                ref = concept.get("reference") if isinstance(concept, dict) else None
                if not isinstance(ref, dict) or "title" not in ref:
                    continue
                if not (
                    _is_placeholder(ref.get("arxiv"))
                    or ("arxiv" not in ref and "doi" not in ref and "url" not in ref)
                ):
                    continue
                where = ("concepts", i, "reference")
                report.looked_up += 1
                try:
                    hits = arxiv.search_title(ref["title"], client, settings, today)
                except FetchError as exc:
                    problems.append(
                        source.problem(
                            Severity.WARNING,
                            where,
                            f"could not search arXiv ({exc}); nothing was changed",
                        )
                    )
                    continue
                chosen, short = choose(ref["title"], first_author_hint(ref.get("authors")), hits)
                if len(chosen) != 1:
                    listed = ", ".join(e.arxiv.id for e in chosen if e.arxiv) or "none"
                    problems.append(
                        source.problem(
                            Severity.WARNING,
                            where,
                            f"{len(chosen)} arXiv papers match '{ref['title']}' ({listed}); "
                            "fill the identifier and authors by hand",
                        )
                    )
                    continue
                entry = chosen[0]
                target = document["concepts"][i]["reference"]
                target["arxiv"] = entry.arxiv.id if entry.arxiv else target.get("arxiv")
                target["authors"] = [f"{a.given} {a.family}".strip() for a in entry.authors]
                if short:
                    target["title_form"] = "without_subtitle"
                changed = True
                report.filled += 1
                problems.append(
                    source.problem(
                        Severity.INFO,
                        where,
                        f"filled arXiv {target['arxiv']} and {len(entry.authors)} author(s) from "
                        f"arXiv; run `fiveml refs update` to verify and lock them",
                    )
                )
            if changed:
                temporary = path.with_name(f".{path.name}.tmp")
                temporary.write_text(dump(document), encoding="utf-8")
                temporary.replace(path)
    return report
