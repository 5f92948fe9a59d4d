"""Verdicts: how a cited paper compares with its verified metadata.

Pure functions from (what the episode cites, what the lock holds) to findings, so that
every verdict is recomputed offline from the lock and a rule change needs no refetch.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.model import Paper, family_name
from pipeline.problems import Severity
from pipeline.references.lock import PaperEntry
from pipeline.references.normalize import normalize_name, normalize_title, without_subtitle

ET_AL = {"et al.", "et al", "others"}


@dataclass(frozen=True)
class Finding:
    severity: Severity
    field: str  # under the reference: "title", "authors", "year"
    message: str


def verify_paper(paper: Paper, entry: PaperEntry) -> list[Finding]:
    return [*_title(paper, entry), *_authors(paper, entry), *_year(paper, entry)]


def _title(paper: Paper, entry: PaperEntry) -> list[Finding]:
    cited = normalize_title(paper.title)
    canonical = entry.title
    if cited == normalize_title(canonical):
        return []
    short = without_subtitle(canonical)
    if short is not None and cited == normalize_title(short):
        if paper.title_form == "without_subtitle":
            return []
        return [
            Finding(
                Severity.WARNING,
                "title",
                f"cited without its subtitle; the paper's title is '{canonical}'. "
                "Cite it in full, or add `title_form: without_subtitle` if intended",
            )
        ]
    if any(cited == normalize_title(t) for t in entry.earlier_titles):
        if paper.title_form == "earlier_version":
            return []
        return [
            Finding(
                Severity.WARNING,
                "title",
                f"this is an earlier version's title; the paper is now '{canonical}'. "
                "Update it, or add `title_form: earlier_version` if intended",
            )
        ]
    return [
        Finding(Severity.ERROR, "title", f"the title does not match the paper; it is '{canonical}'")
    ]


def _authors(paper: Paper, entry: PaperEntry) -> list[Finding]:
    cited = list(paper.authors)
    truncated = bool(cited) and cited[-1].strip().lower() in ET_AL
    if truncated:
        cited = cited[:-1]
    cited_names = [normalize_name(family_name(a)) for a in cited]
    real = [a.family for a in entry.authors]
    real_names = [normalize_name(a) for a in real]
    if not cited_names or not real_names:
        return []
    if cited_names[0] != real_names[0]:
        return [
            Finding(
                Severity.ERROR, "authors", f"the first author is {_full(entry, 0)}, not {cited[0]}"
            )
        ]
    if not truncated and len(cited_names) != len(real_names):
        return [
            Finding(
                Severity.ERROR,
                "authors",
                f"the paper has {len(real_names)} authors, the episode lists "
                f"{len(cited_names)}; list them all ({_all(entry)}), or end the list "
                "with 'et al.'",
            )
        ]
    for i, (mine, theirs) in enumerate(zip(cited_names, real_names, strict=False)):
        if mine != theirs:
            return [
                Finding(
                    Severity.ERROR,
                    "authors",
                    f"author {i + 1} is {_full(entry, i)}, not {cited[i]}; the order "
                    f"is {_all(entry)}",
                )
            ]
    return []


def _year(paper: Paper, entry: PaperEntry) -> list[Finding]:
    years = entry.years
    if not years or paper.year in years:
        return []
    options = []
    if entry.arxiv is not None:
        options.append(f"{entry.arxiv.first_version[:4]} (arXiv first version)")
    if entry.venue_year is not None:
        options.append(f"{entry.venue_year} ({entry.venue or 'venue'})")
    return [
        Finding(Severity.ERROR, "year", f"the year is {' or '.join(options)}, not {paper.year}")
    ]


def _full(entry: PaperEntry, index: int) -> str:
    author = entry.authors[index]
    return f"{author.given} {author.family}".strip()


def _all(entry: PaperEntry) -> str:
    return ", ".join(_full(entry, i) for i in range(len(entry.authors)))
