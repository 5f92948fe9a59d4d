"""The site stage: the index of all parts, the concept index, the Atom feed and the sitemap."""

from __future__ import annotations

from dataclasses import dataclass

import jinja2

from pipeline.blog import page_url
from pipeline.model import Concept, Episode, Series

STAGE_VERSION = "site-1"
# Atom needs an `updated` date; an episode without `date:` gets this fixed one, so the
# feed stays deterministic (the check reports the missing date as a note).
UNDATED = "1970-01-01T00:00:00Z"


@dataclass(frozen=True)
class SiteItem:
    episode: Episode
    title: str
    url: str
    updated: str


@dataclass(frozen=True)
class ConceptRow:
    concept: Concept
    episode: Episode


def _items(episodes: list[Episode], series: Series) -> list[SiteItem]:
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


def _inputs_of_listing(episode: Episode) -> list[object]:
    """What index.html, feed.xml and sitemap.xml read of an episode."""
    # Slugs derive from names, so the names cover them.
    return [episode.number, episode.title, str(episode.date), [c.name for c in episode.concepts]]


def _inputs_of_concepts(episode: Episode) -> list[object]:
    """What concepts.html reads of an episode."""
    return [episode.number, [[c.name, c.one_liner] for c in episode.concepts]]


# Each site page, with the template it renders and the episode fields it shows: an edit
# that touches none of those fields (an analogy, say) rebuilds none of the site pages.
SITE_PAGES: dict[str, tuple[str, object]] = {
    "index.html": ("index.html.j2", _inputs_of_listing),
    "concepts.html": ("concepts.html.j2", _inputs_of_concepts),
    "feed.xml": ("feed.xml.j2", _inputs_of_listing),
    "sitemap.xml": ("sitemap.xml.j2", _inputs_of_listing),
    "style.css": ("style.css", None),  # shows no episode
}


def page_inputs(page: str, episodes: list[Episode]) -> list[object]:
    _, project = SITE_PAGES[page]
    if project is None:
        return []
    return [project(e) for e in episodes]  # type: ignore[operator]


def render_page(env: jinja2.Environment, page: str, episodes: list[Episode], series: Series) -> str:
    """One site page: the index, the concept index, the feed, the sitemap or the CSS."""
    template, _ = SITE_PAGES[page]
    if page == "style.css":
        return env.loader.get_source(env, template)[0]  # type: ignore[union-attr]
    items = _items(episodes, series)
    common: dict[str, object] = {"series": series, "items": items, "root": ""}
    if page == "concepts.html":
        common["rows"] = sorted(
            (ConceptRow(c, e) for e in episodes for c in e.concepts),
            key=lambda r: (r.concept.name.lower(), r.episode.number),
        )
    if page == "feed.xml":
        common["updated"] = max((i.updated for i in items), default=UNDATED)
    return env.get_template(template).render(common)
