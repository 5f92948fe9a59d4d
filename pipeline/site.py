"""The site stage: the index of all parts, the concept index, the Atom feed and the sitemap."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import jinja2

from pipeline.blog import page_url
from pipeline.load import EpisodeSummary
from pipeline.model import Series, display_title, slugify

STAGE_VERSION = "site-1"
# Atom needs an `updated` date; an episode without `date:` gets this fixed one, so the
# feed stays deterministic (the check reports the missing date as a note).
UNDATED = "1970-01-01T00:00:00Z"


@dataclass(frozen=True)
class SiteConcept:
    name: str

    @property
    def slug(self) -> str:
        return slugify(self.name)


@dataclass(frozen=True)
class IndexedConcept(SiteConcept):
    one_liner: str  # shown by concepts.html only, and part of its inputs only


@dataclass(frozen=True)
class SiteEpisode:
    """What a site page shows of an episode: the fields its target's hash covers, and no
    others, so a page cannot show something whose edit would not rebuild it. Made from
    the episode's summary: a site page of a thousand episodes validates no model."""

    number: int
    title: str | None
    date: dt.date | None
    concepts: tuple[SiteConcept, ...]

    @property
    def slug(self) -> str:
        return f"{self.number:03d}"

    def display_title(self, series: Series) -> str:
        return display_title(self.title, self.number, series)

    @classmethod
    def of(cls, summary: EpisodeSummary) -> SiteEpisode:
        return cls(
            summary.number,
            summary.title,
            dt.date.fromisoformat(summary.date) if summary.date else None,
            tuple(SiteConcept(name) for name, _ in summary.concepts),
        )


@dataclass(frozen=True)
class SiteItem:
    episode: SiteEpisode
    title: str
    url: str
    updated: str


@dataclass(frozen=True)
class ConceptRow:
    concept: IndexedConcept
    episode: SiteEpisode


def _items(episodes: list[SiteEpisode], series: Series) -> list[SiteItem]:
    newest_first = sorted(episodes, key=lambda e: e.number, reverse=True)
    return [
        SiteItem(
            episode=e,
            title=e.display_title(series),
            url=page_url(series, e.number),
            updated=f"{e.date.isoformat()}T00:00:00Z" if e.date else UNDATED,
        )
        for e in newest_first
    ]


def _inputs_of_listing(episode: EpisodeSummary) -> list[object]:
    """What index.html, feed.xml and sitemap.xml read of an episode."""
    # Slugs derive from names, so the names cover them.
    return [episode.number, episode.title, episode.date, [name for name, _ in episode.concepts]]


def _inputs_of_concepts(episode: EpisodeSummary) -> list[object]:
    """What concepts.html reads of an episode."""
    return [episode.number, [list(concept) for concept in episode.concepts]]


# Each site page, with the template it renders and the episode fields it shows: an edit
# that touches none of those fields (an analogy, say) rebuilds none of the site pages.
SITE_PAGES: dict[str, tuple[str, object]] = {
    "index.html": ("index.html.j2", _inputs_of_listing),
    "concepts.html": ("concepts.html.j2", _inputs_of_concepts),
    "feed.xml": ("feed.xml.j2", _inputs_of_listing),
    "sitemap.xml": ("sitemap.xml.j2", _inputs_of_listing),
    "style.css": ("style.css", None),  # shows no episode
}


def page_inputs(page: str, episodes: list[EpisodeSummary]) -> list[object]:
    _, project = SITE_PAGES[page]
    if project is None:
        return []
    return [project(e) for e in episodes]  # type: ignore[operator]


def render_page(
    env: jinja2.Environment, page: str, summaries: list[EpisodeSummary], series: Series
) -> str:
    """One site page: the index, the concept index, the feed, the sitemap or the CSS."""
    template, _ = SITE_PAGES[page]
    if page == "style.css":
        return env.loader.get_source(env, template)[0]  # type: ignore[union-attr]
    episodes = [SiteEpisode.of(summary) for summary in summaries]
    items = _items(episodes, series)
    common: dict[str, object] = {"series": series, "items": items, "root": ""}
    if page == "concepts.html":
        common["rows"] = sorted(
            (
                ConceptRow(IndexedConcept(name, one_liner), episode)
                for summary, episode in zip(summaries, episodes, strict=True)
                for name, one_liner in summary.concepts
            ),
            key=lambda r: (r.concept.name.lower(), r.episode.number),
        )
    if page == "feed.xml":
        common["updated"] = max((i.updated for i in items), default=UNDATED)
    return env.get_template(template).render(common)
