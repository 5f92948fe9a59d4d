"""Shared rendering helpers: the Jinja environment and the text filters every stage uses.

Episode text is data. It may hold inline Markdown (emphasis, code, links); raw HTML in it
is escaped, never passed through, and links with schemes other than http, https and
mailto are removed from HTML output (the check reports them as problems first).
"""

from __future__ import annotations

import functools
import html
import os
import re
import traceback
from pathlib import Path

import jinja2
import markdown
import nh3
from markupsafe import Markup

SAFE_URL_SCHEMES = {"http", "https", "mailto"}
TEMPLATE_SUFFIX = ".j2"
# Characters that can start inline Markdown or HTML; text without them needs no parser.
_MARKUP_CHARS = re.compile(r"[*_`\[\]<>&\\!]")


@functools.lru_cache(maxsize=1)
def _markdown() -> markdown.Markdown:
    md = markdown.Markdown(extensions=[], output_format="html")
    # Documented way to make Python-Markdown escape raw HTML instead of passing it through.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return md


def inline_html(text: str) -> Markup:
    """Episode text (inline Markdown) as safe HTML without the surrounding <p>."""
    if not _MARKUP_CHARS.search(text):
        return Markup(html.escape(text, quote=False))
    rendered = _markdown().reset().convert(text)
    cleaned = nh3.clean(rendered, url_schemes=SAFE_URL_SCHEMES, link_rel="noopener")
    if cleaned.startswith("<p>") and cleaned.endswith("</p>") and cleaned.count("<p>") == 1:
        cleaned = cleaned[3:-4]
    return Markup(cleaned)


def markdown_text(text: str) -> str:
    """Episode text for a Markdown file: raw HTML neutralised so it shows as text."""
    return text.replace("<", "&lt;").replace(">", "&gt;")


def markdown_cell(text: str) -> str:
    """Text for a Markdown table cell: one line, pipes escaped."""
    return markdown_text(" ".join(text.split())).replace("|", "\\|")


def plain_text(text: str) -> str:
    """Episode text with inline Markdown removed (alt text, feed summaries, CSV)."""
    from pipeline.text import strip_inline_markdown

    return strip_inline_markdown(text)


def make_environment(templates: Path, compiled: Path | None = None) -> jinja2.Environment:
    """Jinja with autoescaping for HTML and XML and StrictUndefined (a typo fails the build).

    With `compiled`, templates compiled once are kept there (Jinja's bytecode cache, keyed
    by each template's source), which saves a process most of its template set-up."""
    env = jinja2.Environment(
        bytecode_cache=_bytecode_cache(compiled),
        loader=jinja2.FileSystemLoader(str(templates)),
        autoescape=jinja2.select_autoescape(["html", "xml", "html.j2", "xml.j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # One environment serves one build (the build makes a fresh one each time), so
        # there is no need to stat every template on every page.
        auto_reload=False,
    )
    env.filters["inline"] = inline_html
    env.filters["md"] = markdown_text
    env.filters["md_cell"] = markdown_cell
    env.filters["plain"] = plain_text
    return env


def _bytecode_cache(folder: Path | None) -> jinja2.BytecodeCache | None:
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    if not os.access(folder, os.W_OK):  # a read-only cache costs speed, never a failure
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


def template_error_place(exc: BaseException) -> tuple[str, int] | None:
    """The template file and line where an error arose, as Jinja reports them: a syntax
    error carries them; a render error has the template's frame in its traceback (Jinja
    rewrites tracebacks to point at template lines)."""
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.lineno:
        return exc.filename or exc.name or "<template>", exc.lineno
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(TEMPLATE_SUFFIX) and frame.lineno is not None:
            return frame.filename, frame.lineno
    return None
