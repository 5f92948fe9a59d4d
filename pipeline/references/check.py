"""Reference checks as Problems: offline from the lock (the default), or online.

Offline, every verdict is recomputed from `references.lock.json`, so CI needs no network
and a rule change needs no refetch. Online, the same verdicts are computed against fresh
metadata from arXiv and Crossref; `fiveml refs update` also writes it to the lock. A
fetch that fails never erases or weakens what the lock holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from pipeline.load import LoadedEpisode
from pipeline.model import Paper, PracticeNote, Series
from pipeline.problems import Problem, Severity
from pipeline.project import Project
from pipeline.references.lock import (
    Lock,
    PaperEntry,
    arxiv_id_of,
    cited_hash,
    paper_key,
    read_lock,
    write_lock,
)
from pipeline.references.normalize import normalize_title
from pipeline.references.verify import verify_paper
from pipeline.rules import links_in_text

_TEXT_FIELDS = ("name", "explanation", "takeaway", "analogy", "one_liner")


@dataclass
class Citation:
    loaded: LoadedEpisode
    index: int
    paper: Paper

    @property
    def path(self) -> tuple[str | int, ...]:
        return ("concepts", self.index, "reference")

    def problem(self, severity: Severity, field_name: str | None, message: str) -> Problem:
        path = (*self.path, field_name) if field_name else self.path
        return self.loaded.source.problem(severity, path, message)


@dataclass
class Fetched:
    """What an online run learnt: fresh entries, ids that do not exist, sources down."""

    entries: dict[str, PaperEntry] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)  # key -> which source says so
    failed: dict[str, str] = field(default_factory=dict)  # key -> why it could not verify


def citations(episodes: list[LoadedEpisode]) -> tuple[list[Citation], list[Problem]]:
    found, notes = [], []
    for loaded in episodes:
        for i, concept in enumerate(loaded.episode.concepts):
            ref = concept.reference
            if isinstance(ref, PracticeNote):
                notes.append(
                    loaded.source.problem(
                        Severity.INFO,
                        ("concepts", i, "reference", "note"),
                        f"practice note, no paper to verify: '{ref.note}'",
                    )
                )
            else:
                found.append(Citation(loaded, i, ref))
    return found, notes


def check_references(
    project: Project,
    episodes: list[LoadedEpisode],
    *,
    online: bool = False,
    series: Series | None = None,
    today: date | None = None,
) -> list[Problem]:
    """Problems with the references of `episodes`, offline or (with `online`) fetched."""
    lock = read_lock(project.lock_file)
    cited, problems = citations(episodes)
    fetched = fetch_online(cited, series or Series(), today or date.today()) if online else None
    problems += _consistency(cited)
    for citation in cited:
        problems += _verdicts(citation, lock, fetched)
    return problems


def _verdicts(citation: Citation, lock: Lock, fetched: Fetched | None) -> list[Problem]:
    paper = citation.paper
    key = paper_key(paper)
    if key is None:
        return [
            citation.problem(
                Severity.WARNING,
                None,
                "no arXiv id or DOI, so this reference cannot be verified; add `arxiv:` or `doi:`",
            )
        ]
    problems: list[Problem] = []
    locked = lock.papers.get(key)
    entry = locked
    if fetched is not None:
        if key in fetched.missing:
            field_name = "arxiv" if key.startswith("arxiv:") else "doi"
            return [
                citation.problem(
                    Severity.ERROR,
                    field_name,
                    f"{fetched.missing[key]} has no paper {key.split(':', 1)[1]}; "
                    "check the identifier",
                )
            ]
        if key in fetched.failed:
            problems.append(
                citation.problem(
                    Severity.WARNING,
                    None,
                    f"could not verify {key} ({fetched.failed[key]}); kept the locked entry",
                )
            )
        entry = fetched.entries.get(key, locked)
    if entry is None:
        missing = citation.problem(
            Severity.ERROR,
            None,
            f"{key} is not in references.lock.json; run `fiveml check --online` to verify "
            "it, then `fiveml refs update` to lock it",
        )
        return [*problems, missing]
    if fetched is None or key not in fetched.entries:
        if entry.cited.get(citation.loaded.source.file) != cited_hash(paper):
            problems.append(
                citation.problem(
                    Severity.WARNING,
                    None,
                    "the cited fields changed since the lock was written; run `fiveml check "
                    "--online` to verify them, then `fiveml refs update`",
                )
            )
        if entry.source == "manual":
            problems.append(
                citation.problem(
                    Severity.INFO,
                    None,
                    f"{key} was entered by hand and is not verified online yet; run `fiveml "
                    "check --online` where the network is available",
                )
            )
    for finding in verify_paper(paper, entry):
        problems.append(citation.problem(finding.severity, finding.field, finding.message))
    return problems


def _consistency(cited: list[Citation]) -> list[Problem]:
    """The same paper cited with different metadata in two places is an error."""
    first: dict[str, Citation] = {}
    problems = []
    for citation in cited:
        key = paper_key(citation.paper)
        if key is None:
            continue
        seen = first.setdefault(key, citation)
        if seen is citation:
            continue
        a, b = seen.paper, citation.paper
        if (normalize_title(a.title), a.authors, a.year, a.title_form) != (
            normalize_title(b.title),
            b.authors,
            b.year,
            b.title_form,
        ):
            where = f"{seen.loaded.source.file} (concepts[{seen.index}])"
            problems.append(
                citation.problem(
                    Severity.ERROR,
                    None,
                    f"{key} is also cited in {where} with different title, authors or year; "
                    "cite it the same way everywhere",
                )
            )
    return problems


# --- Online ----------------------------------------------------------------------------


def fetch_online(cited: list[Citation], series: Series, today: date) -> Fetched:
    from pipeline.references import arxiv, crossref
    from pipeline.references.http import FetchError, HttpSettings, make_client

    settings = HttpSettings.from_env()
    result = Fetched()
    arxiv_ids = sorted({a for c in cited if (a := arxiv_id_of(c.paper))})
    dois = sorted({c.paper.doi for c in cited if c.paper.doi and not arxiv_id_of(c.paper)})
    with make_client(settings) as client:
        if arxiv_ids:
            try:
                for identifier, entry in arxiv.fetch(arxiv_ids, client, settings, today).items():
                    if entry is None:
                        result.missing[f"arxiv:{identifier}"] = "arXiv"
                    else:
                        result.entries[f"arxiv:{identifier}"] = entry
            except FetchError as exc:
                for identifier in arxiv_ids:
                    result.failed[f"arxiv:{identifier}"] = f"arXiv: {exc}"
        for doi in dois:
            key = f"doi:{doi.lower()}"
            try:
                entry = crossref.fetch(doi, client, settings, series.contact_email, today)
            except FetchError as exc:
                result.failed[key] = f"Crossref: {exc}"
                continue
            if entry is None:
                result.missing[key] = "Crossref"
            else:
                result.entries[key] = entry
    return result


def other_links(episodes: list[LoadedEpisode]) -> dict[str, tuple[LoadedEpisode, tuple]]:
    """Every http(s) link in the episodes other than papers' ids, with where it first
    appears (to point a broken link's problem at its line)."""
    found: dict[str, tuple[LoadedEpisode, tuple]] = {}

    def add(url: str | None, loaded: LoadedEpisode, path: tuple) -> None:
        if url and url.startswith(("http://", "https://")):
            found.setdefault(url, (loaded, path))

    for loaded in episodes:
        episode = loaded.episode
        add(episode.video_url, loaded, ("video_url",))
        add(episode.video_thumbnail, loaded, ("video_thumbnail",))
        for i, concept in enumerate(episode.concepts):
            if isinstance(concept.reference, Paper):
                add(concept.reference.url, loaded, ("concepts", i, "reference", "url"))
            for name in _TEXT_FIELDS:
                for url in links_in_text(getattr(concept, name)):
                    add(url, loaded, ("concepts", i, name))
    return dict(sorted(found.items()))


def update_lock(
    project: Project, episodes: list[LoadedEpisode], series: Series, today: date | None = None
) -> tuple[Lock, list[Problem]]:
    """Fetch, verify and write the lock. Entries that could not be fetched stay as they were."""
    from pipeline.references.http import HttpSettings, make_client
    from pipeline.references.links import check_links

    today = today or date.today()
    lock = read_lock(project.lock_file)
    cited, _ = citations(episodes)
    fetched = fetch_online(cited, series, today)
    problems = [p for c in cited for p in _verdicts(c, lock, fetched)]
    for key, entry in fetched.entries.items():
        old = lock.papers.get(key)
        earlier = list(old.earlier_titles) if old else []
        # A fetched title that changed since the last fetch is the paper's earlier title;
        # a hand-typed one is not evidence of anything.
        if (
            old
            and old.source != "manual"
            and (normalize_title(old.title) != normalize_title(entry.title))
        ):
            earlier.append(old.title)
        cited_by = dict(old.cited) if old else {}  # other episodes keep their hashes
        cited_by.update(
            {c.loaded.source.file: cited_hash(c.paper) for c in cited if paper_key(c.paper) == key}
        )
        lock.papers[key] = entry.model_copy(
            update={
                "earlier_titles": earlier,
                "venue": entry.venue or (old.venue if old else None),
                "venue_year": entry.venue_year or (old.venue_year if old else None),
                "cited": cited_by,
            }
        )
    settings = HttpSettings.from_env()
    links = other_links(episodes)
    with make_client(settings) as client:
        checked = check_links(list(links), client, settings, today)
    lock.links.update(checked)
    for url, link in checked.items():
        if link.status == "broken":
            loaded, path = links[url]
            problems.append(
                loaded.source.problem(
                    Severity.ERROR, path, f"{url} is broken (HTTP {link.code}); fix or remove it"
                )
            )
    write_lock(project.lock_file, lock)
    return lock, problems
