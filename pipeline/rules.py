"""Content rules across fields and episodes.

Each rule is a function `(loaded, series, context) -> Iterable[Problem]`, listed in
`EPISODE_RULES`; series-wide rules see every episode at once. Rules never raise on bad
content: they report it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from urllib.parse import urlsplit

from pipeline.cache import code_version
from pipeline.load import LoadedEpisode
from pipeline.model import Paper, Series
from pipeline.problems import Problem, Severity
from pipeline.text import concept_speaking_seconds, count_words

SAFE_LINK_SCHEMES = ("http", "https", "mailto")
# [text](url "title"): the url may hold one level of balanced parentheses, as in Markdown.
_MARKDOWN_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?((?:[^()\s>]|\([^()\s]*\))*)>?[^)]*\)")
_AUTOLINK = re.compile(r"<([a-zA-Z][a-zA-Z0-9+.-]*:[^>\s]*)>")
_ARXIV_NEW = re.compile(r"(?P<yy>\d{2})(?P<mm>\d{2})\.\d{4,5}(v\d+)?")
_ARXIV_OLD = re.compile(r"[a-z]+(-[a-z]+)*(\.[A-Z]{2})?/(?P<yy>\d{2})(?P<mm>\d{2})\d{3}(v\d+)?")
_TEXT_FIELDS = ("name", "explanation", "takeaway", "analogy", "one_liner")


@dataclass(frozen=True)
class RuleContext:
    """What rules need beyond one episode: today's date, and which episodes cover which
    concept."""

    today: date
    # normalised concept name -> the episodes covering it; built once, not per lookup
    concept_index: dict[str, list[LoadedEpisode]] = field(default_factory=dict)

    @classmethod
    def build(cls, episodes: list[LoadedEpisode], today: date) -> RuleContext:
        index: dict[str, list[LoadedEpisode]] = defaultdict(list)
        for loaded in episodes:
            for name, _ in loaded.summary.concepts:  # the summary: no model is validated
                index[_concept_key(name)].append(loaded)
        return cls(today, dict(index))


Rule = Callable[[LoadedEpisode, Series, RuleContext], Iterable[Problem]]


def concept_count(loaded: LoadedEpisode, series: Series, ctx: RuleContext) -> Iterator[Problem]:
    have, want = len(loaded.episode.concepts), series.concepts_per_episode
    if have != want:
        verb = "add" if have < want else "remove"
        yield loaded.source.problem(
            Severity.ERROR,
            ("concepts",),
            f"the episode has {have} concepts; the series has {want} per episode: "
            f"{verb} {abs(have - want)}",
        )


def speaking_budget(loaded: LoadedEpisode, series: Series, ctx: RuleContext) -> Iterator[Problem]:
    for i, concept in enumerate(loaded.episode.concepts):
        seconds = concept_speaking_seconds(concept, series)
        if seconds > series.seconds_per_concept:
            yield loaded.source.problem(
                Severity.ERROR,
                ("concepts", i, "explanation"),
                f"spoken text (name, explanation, takeaway, analogy) takes about {seconds:.0f} s "
                f"at {series.narration_words_per_minute} words/min; the series promises under "
                f"{series.seconds_per_concept} s: shorten it",
            )


def analogy_form(loaded: LoadedEpisode, series: Series, ctx: RuleContext) -> Iterator[Problem]:
    for i, concept in enumerate(loaded.episode.concepts):
        if not re.match(r"Like\b", concept.analogy):
            yield loaded.source.problem(
                Severity.ERROR,
                ("concepts", i, "analogy"),
                f"an analogy starts with 'Like' (got '{_opening(concept.analogy)}'); "
                "e.g. 'Like tasting food before serving it to all your guests.'",
            )


def one_liner_form(loaded: LoadedEpisode, series: Series, ctx: RuleContext) -> Iterator[Problem]:
    for i, concept in enumerate(loaded.episode.concepts):
        words = count_words(concept.one_liner)
        if words > series.max_one_liner_words:
            yield loaded.source.problem(
                Severity.ERROR,
                ("concepts", i, "one_liner"),
                f"the one-liner has {words} words; the series allows at most "
                f"{series.max_one_liner_words}: shorten it",
            )
        if concept.one_liner.endswith("."):
            yield loaded.source.problem(
                Severity.ERROR,
                ("concepts", i, "one_liner"),
                "a one-liner has no closing period; remove it",
            )


def number_matches_file(
    loaded: LoadedEpisode, series: Series, ctx: RuleContext
) -> Iterator[Problem]:
    expected = f"{loaded.episode.number:03d}.yaml"
    if loaded.path.name != expected:
        yield loaded.source.problem(
            Severity.ERROR,
            ("number",),
            f"episode {loaded.episode.number} must be in a file named {expected} "
            f"(this file is {loaded.path.name}): rename the file or fix the number",
        )


def unique_concepts(loaded: LoadedEpisode, series: Series, ctx: RuleContext) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    for i, concept in enumerate(loaded.episode.concepts):
        key = _concept_key(concept.name)
        if key in seen:
            yield loaded.source.problem(
                Severity.ERROR,
                ("concepts", i, "name"),
                f"'{concept.name}' is already concept {seen[key] + 1} of this episode; "
                "each concept appears once",
            )
        else:
            seen[key] = i


def covered_elsewhere(loaded: LoadedEpisode, series: Series, ctx: RuleContext) -> Iterator[Problem]:
    number = loaded.summary.number
    for i, (name, _) in enumerate(loaded.summary.concepts):
        for other in ctx.concept_index.get(_concept_key(name), []):
            if other.summary.number != number:
                yield loaded.source.problem(
                    Severity.WARNING,
                    ("concepts", i, "name"),
                    f"'{name}' is already covered by episode {other.summary.number} "
                    f"({other.source.file}); pick another concept or make the angle different",
                )


def arxiv_ids(loaded: LoadedEpisode, series: Series, ctx: RuleContext) -> Iterator[Problem]:
    for i, concept in enumerate(loaded.episode.concepts):
        paper = concept.reference
        if not isinstance(paper, Paper):
            continue
        path = ("concepts", i, "reference")
        if paper.year > ctx.today.year:
            yield loaded.source.problem(
                Severity.ERROR,
                (*path, "year"),
                f"the year {paper.year} is in the future; use the year the paper appeared",
            )
        if paper.arxiv is None:
            continue
        first_year = arxiv_year(paper.arxiv)
        if first_year is None:
            yield loaded.source.problem(
                Severity.ERROR,
                (*path, "arxiv"),
                f"'{paper.arxiv}' is not an arXiv id; write it like '2206.07682', "
                "'1609.04836v2' or 'cs/0112017' (no 'arXiv:' prefix, no URL)",
            )
        elif paper.year not in (first_year, first_year + 1):
            yield loaded.source.problem(
                Severity.ERROR,
                (*path, "year"),
                f"arXiv {paper.arxiv} was first posted in {first_year}, so the year is "
                f"{first_year} (or {first_year + 1} for its venue), not {paper.year}",
            )


def safe_links(loaded: LoadedEpisode, series: Series, ctx: RuleContext) -> Iterator[Problem]:
    episode = loaded.episode
    plain_links: list[tuple[tuple[str | int, ...], str | None]] = [
        (("video_url",), episode.video_url),
        (("video_thumbnail",), episode.video_thumbnail),
    ]
    for i, concept in enumerate(episode.concepts):
        if isinstance(concept.reference, Paper):
            plain_links.append((("concepts", i, "reference", "url"), concept.reference.url))
    for path, url in plain_links:
        if url is not None and urlsplit(url).scheme not in ("http", "https"):
            yield loaded.source.problem(
                Severity.ERROR, path, f"'{url}' is not an http(s) link; use an https:// URL"
            )
    for i, concept in enumerate(episode.concepts):
        for name in _TEXT_FIELDS:
            for url in links_in_text(getattr(concept, name)):
                if not is_safe_link(url):
                    yield loaded.source.problem(
                        Severity.ERROR,
                        ("concepts", i, name),
                        f"the link '{url}' is not allowed; only http, https and mailto links "
                        "(or relative ones) may appear in episode text",
                    )


def figure_alt_text(loaded: LoadedEpisode, series: Series, ctx: RuleContext) -> Iterator[Problem]:
    for i, concept in enumerate(loaded.episode.concepts):
        if concept.figure is not None and not concept.figure.alt_text():
            yield loaded.source.problem(
                Severity.ERROR,
                ("concepts", i, "figure"),
                f"the '{concept.figure.kind}' figure needs alt text: add 'alt:' describing "
                "what it shows for readers who cannot see it",
            )


def links_in_text(text: str) -> list[str]:
    if "](" not in text and "<" not in text:  # the common case: no link at all
        return []
    return [m.group(1) for m in _MARKDOWN_LINK.finditer(text)] + [
        m.group(1) for m in _AUTOLINK.finditer(text)
    ]


def is_safe_link(url: str) -> bool:
    scheme = urlsplit(url.strip()).scheme.lower()
    return scheme in SAFE_LINK_SCHEMES or (scheme == "" and not url.strip().startswith("//"))


def arxiv_year(identifier: str) -> int | None:
    """The year of an arXiv id's first version, from its yymm; None when malformed."""
    match = _ARXIV_NEW.fullmatch(identifier) or _ARXIV_OLD.fullmatch(identifier)
    if match is None:
        return None
    yy, mm = int(match["yy"]), int(match["mm"])
    if not 1 <= mm <= 12:
        return None
    if _ARXIV_NEW.fullmatch(identifier):
        # New-style ids began in April 2007, with 4 digits after the dot; 5 since 2015.
        digits = len(identifier.split(".")[1].split("v")[0])
        if yy < 7 or digits != (5 if yy >= 15 else 4):
            return None
        return 2000 + yy
    return 1900 + yy if yy >= 91 else 2000 + yy


def _opening(text: str, words: int = 5) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


@lru_cache(maxsize=65536)  # every build indexes every concept name of the series
def _concept_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()


# Rules that read one episode (and the series settings) only: their findings for an
# unchanged file are remembered in the cache.
LOCAL_RULES: tuple[Rule, ...] = (
    number_matches_file,
    concept_count,
    speaking_budget,
    analogy_form,
    one_liner_form,
    unique_concepts,
    arxiv_ids,
    safe_links,
    figure_alt_text,
)
# Rules that compare an episode with the rest of the series: always run (they are cheap,
# thanks to the concept index).
SERIES_RULES: tuple[Rule, ...] = (covered_elsewhere,)
EPISODE_RULES: tuple[Rule, ...] = LOCAL_RULES + SERIES_RULES


def local_findings(loaded: LoadedEpisode, series: Series, today: date) -> list[Problem]:
    """The findings of every rule that reads this episode alone (all are collected; no
    rule short-circuits another). They depend on the file, the series settings and the
    year only, so `check` remembers them per file (see `rules_salt`)."""
    context = RuleContext(today)
    return [p for rule in LOCAL_RULES for p in rule(loaded, series, context)]


def rules_salt(series: Series, today: date) -> str:
    """What local findings depend on besides the file: the rules' code, the series
    settings, and today's year (the future-year rule)."""
    return code_version("rules.py", "text.py") + series.model_dump_json() + str(today.year)
