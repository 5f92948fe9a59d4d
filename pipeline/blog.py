"""The blog stage: the post (Markdown and HTML) and the quick-reference table of an episode.

The Markdown post is for pasting into a blog platform, so its links are absolute (from
`series.base_url`). The HTML page lives in build/NNN/ and links relatively, so the build
tree works from disk and from any base path.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import jinja2

from pipeline.model import Concept, Episode, Paper, Series
from pipeline.render import plain_text
from pipeline.text import count_words, reading_minutes

STAGE_VERSION = "blog-1"
# Applied to the whole post at once, so none of them may match across a line break.
_MD_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)")  # figures: their alt text is not prose
_MD_LINK = re.compile(r"\[([^\]\n]*)\]\([^)\n]*\)")
_STATS_SLOT = "\x00stats\x00"  # filled in once the words around it are counted
_STATS = re.compile(r"^\d+ words • \d+ min read", re.MULTILINE)
_MD_SYNTAX = re.compile(r"^#+[ \t]*|^\|?-{3,}.*$|\*\*", re.MULTILINE)


@dataclass(frozen=True)
class Neighbours:
    """The parts before and after an episode that exist in the series."""

    previous: int | None
    next: int | None


@dataclass(frozen=True)
class Assets:
    """Which other stages' outputs the pages may link to."""

    figures: bool = False
    video: bool = False


@dataclass(frozen=True)
class ConceptView:
    index: int
    concept: Concept
    reference_text: str
    reference_url: str | None
    figure_alt: str


def concept_views(episode: Episode) -> list[ConceptView]:
    views = []
    for i, concept in enumerate(episode.concepts, start=1):
        ref = concept.reference
        if isinstance(ref, Paper):
            text, url = f"{ref.title} ({ref.short_citation})", ref.link
        else:
            text, url = ref.note, None
        views.append(ConceptView(i, concept, text, url, figure_alt(concept)))
    return views


def figure_alt(concept: Concept) -> str:
    if concept.figure is not None:
        return concept.figure.alt_text() or concept.name
    return f"Title card: {plain_text(concept.name)} — {plain_text(concept.one_liner)}"


def page_url(series: Series, number: int) -> str:
    return f"{series.base_url}{number:03d}/"


def _context(
    episode: Episode,
    series: Series,
    neighbours: Neighbours,
    assets: Assets,
    views: list[ConceptView] | None = None,
) -> dict[str, object]:
    return {
        "episode": episode,
        "series": series,
        "title": episode.display_title(series),
        "concepts": views if views is not None else concept_views(episode),
        "neighbours": neighbours,
        "assets": assets,
        "canonical_url": page_url(series, episode.number),
        "slug": episode.slug,
    }


def prose_words(markdown_post: str) -> int:
    """Words of a Markdown post as a reader sees them: link targets, table rules and
    heading marks are not words; nor are the figures of the words/min-read line itself."""
    text = _STATS.sub("", markdown_post)
    text = _MD_LINK.sub(r"\1", _MD_IMAGE.sub("", text))
    return count_words(_MD_SYNTAX.sub("", text).replace("|", " "))


def render_post_markdown(
    env: jinja2.Environment,
    episode: Episode,
    series: Series,
    neighbours: Neighbours,
    assets: Assets,
    views: list[ConceptView] | None = None,
) -> tuple[str, int, int]:
    """The post as Markdown, with its word count and reading minutes."""
    template = env.get_template("post.md.j2")
    context = _context(episode, series, neighbours, assets, views)
    draft = template.render(context, stats=_STATS_SLOT)
    words = prose_words(draft.replace(_STATS_SLOT, ""))
    minutes = reading_minutes(words, series.reading_words_per_minute)
    return draft.replace(_STATS_SLOT, f"{words} words • {minutes} min read"), words, minutes


def render_post_html(
    env: jinja2.Environment,
    episode: Episode,
    series: Series,
    neighbours: Neighbours,
    assets: Assets,
    stats: str,
    views: list[ConceptView] | None = None,
) -> str:
    context = _context(episode, series, neighbours, assets, views)
    return env.get_template("post.html.j2").render(context, stats=stats, root="../")


def render_quick_reference(
    env: jinja2.Environment,
    episode: Episode,
    series: Series,
    views: list[ConceptView] | None = None,
) -> dict[str, str]:
    """The quick-reference table alone, as Markdown, CSV and an HTML page."""
    context = _context(episode, series, Neighbours(None, None), Assets(), views)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["Concept", "One-liner"])
    for concept in episode.concepts:
        writer.writerow([plain_text(concept.name), plain_text(concept.one_liner)])
    return {
        "quick-reference.md": env.get_template("quick-reference.md.j2").render(context),
        "quick-reference.csv": buffer.getvalue(),
        "quick-reference.html": env.get_template("quick-reference.html.j2").render(
            context, root="../"
        ),
    }


def render_episode(
    env: jinja2.Environment,
    episode: Episode,
    series: Series,
    neighbours: Neighbours,
    assets: Assets,
) -> dict[str, str]:
    """Every text output of one episode, keyed by its path relative to build/."""
    views = concept_views(episode)  # shared by the four pages: computed once
    post_md, words, minutes = render_post_markdown(env, episode, series, neighbours, assets, views)
    stats = f"{words} words • {minutes} min read"
    files = {
        "post.md": post_md,
        "index.html": render_post_html(env, episode, series, neighbours, assets, stats, views),
        **render_quick_reference(env, episode, series, views),
    }
    return {f"{episode.slug}/{name}": text.rstrip() + "\n" for name, text in files.items()}
