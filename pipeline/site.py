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


def render_site(env: jinja2.Environment, episodes: list[Episode], series: Series) -> dict[str, str]:
    """Every site page, keyed by its path relative to build/."""
    items = _items(episodes, series)
    rows = sorted(
        (ConceptRow(c, e) for e in episodes for c in e.concepts),
        key=lambda r: (r.concept.name.lower(), r.episode.number),
    )
    updated = max((i.updated for i in items), default=UNDATED)
    common = {"series": series, "items": items, "root": ""}
    return {
        "index.html": env.get_template("index.html.j2").render(common),
        "concepts.html": env.get_template("concepts.html.j2").render(common, rows=rows),
        "feed.xml": env.get_template("feed.xml.j2").render(common, updated=updated),
        "sitemap.xml": env.get_template("sitemap.xml.j2").render(common),
        "style.css": env.loader.get_source(env, "style.css")[0],  # type: ignore[union-attr]
    }
