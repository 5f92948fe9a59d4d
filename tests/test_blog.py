"""The blog and site stages: golden copies, the seed post, escaping, valid HTML and Atom."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from xml.etree import ElementTree

import html5lib
import pytest

from pipeline.build import BuildOptions, build_project
from pipeline.project import Project
from tests.conftest import SEED, edit_episode
from tests.golden import GOLDEN, GOLDEN_FILES, build_golden_series

ATOM = "{http://www.w3.org/2005/Atom}"
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_STATS = re.compile(r"^\d+ words • \d+ min read")


def build(project: Project, **options: object) -> Path:
    build_project(project, BuildOptions(only=("blog", "site"), quiet=True, jobs=1, **options))
    return project.build_dir


def readable_lines(markdown: str) -> list[str]:
    """Text as a reader copies it from the page: no link/image syntax, no heading marks,
    no table rules, the word-count figures normalised."""
    lines = []
    for line in markdown.splitlines():
        line = _LINK.sub(r"\1", line).strip()
        line = re.sub(r"^#+\s+", "", line).replace("’", "'")
        line = _STATS.sub("N words • M min read", line)
        if line and not re.fullmatch(r"\|?(-+\|)+-*\|?", line):
            lines.append(line)
    return lines


def test_golden_copies_are_current(tmp_path: Path) -> None:
    built = build_golden_series(tmp_path / "series")
    for name in GOLDEN_FILES:
        assert (built / name).read_text() == (GOLDEN / name).read_text(), (
            f"{name} differs from tests/golden; run `make golden` if the change is intended"
        )


def test_post_contains_the_seed_in_order(project: Project) -> None:
    """Every heading, sentence and table row of the published post, in its order."""
    # As published: a video link, and a part 24 to link to.
    edit_episode(
        project.episodes_dir / "023.yaml",
        "number: 23",
        "number: 23\nvideo_url: https://video.example/23",
    )
    nxt = project.episodes_dir / "024.yaml"
    nxt.write_text(
        (project.episodes_dir / "023.yaml").read_text().replace("number: 23", "number: 24")
    )
    post = (build(project) / "023" / "post.md").read_text()
    produced = readable_lines(post)
    seed = readable_lines(SEED.read_text())
    position = 0
    for line in seed:
        assert line in produced[position:], f"seed line missing or out of order: {line!r}"
        position = produced.index(line, position) + 1


def test_word_count_follows_the_stated_rule(project: Project) -> None:
    post = (build(project) / "023" / "post.md").read_text()
    words, minutes = map(int, re.search(r"^(\d+) words • (\d+) min read", post, re.M).groups())
    body = re.sub(r"^\d+ words • \d+ min read", "", post, flags=re.M)  # the figures aren't prose
    text = _LINK.sub(r"\1", re.sub(r"!\[[^\]]*\]\([^)]*\)", "", body))
    text = re.sub(r"^#+\s*|^\|?-{3,}.*$", "", text, flags=re.M).replace("|", " ")
    counted = len([w for w in re.findall(r"[\w’'-]+", text) if any(c.isalnum() for c in w)])
    assert words == counted
    assert minutes == -(-words // 200)


def test_references_link_to_arxiv(project: Project) -> None:
    post = (build(project) / "023" / "post.md").read_text()
    assert (
        "| Loss Surface Sharpness | [On Large-Batch Training for Deep Learning "
        "(Keskar et al. 2016)](https://arxiv.org/abs/1609.04836) |" in post
    )
    assert "| Canary Deployment | MLOps best practice (no canonical paper) |" in post


def test_footer_links_previous_and_next_only_when_they_exist(project: Project) -> None:
    source = (project.episodes_dir / "023.yaml").read_text()
    for number in (22, 24):
        (project.episodes_dir / f"{number:03d}.yaml").write_text(
            source.replace("number: 23", f"number: {number}")
        )
    out = build(project)
    middle = (out / "023" / "post.md").read_text()
    assert "[← Previous: Part 22](https://fiveml.example.org/022/index.html)" in middle
    assert "[Next: Part 24 →](https://fiveml.example.org/024/index.html)" in middle
    last = (out / "024" / "post.md").read_text()
    assert "Next:" not in last
    html = (out / "023" / "index.html").read_text()
    assert 'href="../024/index.html">Next: Part 24 →</a>' in html


def test_post_page_shows_the_tagline_once(project: Project) -> None:
    out = build(project)
    tagline = "Short, accurate ML explainers. Follow for more."  # series.yaml
    post = (out / "023" / "index.html").read_text()
    assert post.count(tagline) == 1, "the post ends with the tagline; the footer must not repeat it"
    assert '<footer class="site">' not in post
    index = (out / "index.html").read_text()
    assert f'<footer class="site"><p>{tagline}</p></footer>' in index


def test_video_row_uses_the_episode_link(project: Project) -> None:
    edit_episode(
        project.episodes_dir / "023.yaml",
        "number: 23",
        "number: 23\nvideo_url: https://video.example/23\n"
        "video_thumbnail: https://video.example/23.jpg",
    )
    post = (build(project) / "023" / "post.md").read_text()
    assert (
        "| Video | [Five ML Concepts #23![](https://video.example/23.jpg)]"
        "(https://video.example/23) |" in post
    )


XSS_NAME = "<script>alert(1)</script>"
XSS_ANALOGY = "Like <img src=x onerror=alert(1)> in a page."


def test_hostile_text_is_shown_as_text_everywhere(project: Project) -> None:
    path = project.episodes_dir / "023.yaml"
    edit_episode(path, "name: Tool Use", f'name: "{XSS_NAME}"')
    edit_episode(
        path,
        "analogy: Like asking a librarian to look something up instead of guessing.",
        f'analogy: "{XSS_ANALOGY}"',
    )
    out = build(project)
    for page in ("023/index.html", "023/quick-reference.html", "index.html", "concepts.html"):
        html = (out / page).read_text()
        assert "<script>alert" not in html and "<img src=x" not in html, page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, page
    page = (out / "023" / "index.html").read_text()
    assert "Like &lt;img src=x onerror=alert(1)&gt; in a page." in page
    for text_file in ("023/post.md", "023/quick-reference.md"):
        text = (out / text_file).read_text()
        assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    rows = list(csv.reader((out / "023" / "quick-reference.csv").open()))
    assert rows[2] == [XSS_NAME, "AI calling external tools"]
    feed = ElementTree.parse(out / "feed.xml").getroot()
    assert XSS_NAME in feed.find(f"{ATOM}entry/{ATOM}summary").text


def test_inline_markdown_renders_and_unsafe_links_are_dropped(project: Project) -> None:
    from pipeline.render import inline_html

    assert str(inline_html("*Flat* minima and `code`")) == (
        "<em>Flat</em> minima and <code>code</code>"
    )
    assert 'href="https://arxiv.org"' in str(inline_html("[paper](https://arxiv.org)"))
    assert "javascript" not in str(inline_html("[x](javascript:alert(1))"))


def test_every_html_page_parses_without_errors(project: Project) -> None:
    out = build(project)
    pages = sorted(out.rglob("*.html"))
    assert len(pages) == 4
    for page in pages:
        parser = html5lib.HTMLParser(strict=True)
        parser.parse(page.read_bytes())
        assert parser.errors == [], (page, parser.errors[:3])


def test_feed_is_atom_with_one_entry_per_episode(project: Project) -> None:
    source = (project.episodes_dir / "023.yaml").read_text()
    (project.episodes_dir / "024.yaml").write_text(
        source.replace("number: 23", "number: 24\ndate: 2026-12-06")
    )
    root = ElementTree.parse(build(project) / "feed.xml").getroot()
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{required}") is not None
    entries = root.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == [
        "Five ML Concepts - #24",
        "Five ML Concepts - #23",
    ]
    assert entries[0].find(f"{ATOM}updated").text == "2026-12-06T00:00:00Z"
    for entry in entries:
        for required in ("id", "title", "updated", "link"):
            assert entry.find(f"{ATOM}{required}") is not None


def test_page_meta_and_relative_links(project: Project) -> None:
    html = (build(project) / "023" / "index.html").read_text()
    assert '<link rel="canonical" href="https://fiveml.example.org/023/">' in html
    assert '<meta property="og:title" content="Five ML Concepts - #23">' in html
    assert '<link rel="stylesheet" href="../style.css">' in html
    hrefs = re.findall(r'(?:href|src)="([^"]+)"', html)
    local = [h for h in hrefs if not h.startswith(("http", "#", "mailto"))]
    assert local and all(not h.startswith("/") for h in local)


@pytest.mark.parametrize("name", ["index.html", "concepts.html"])
def test_site_pages_list_the_concepts(project: Project, name: str) -> None:
    html = (build(project) / name).read_text()
    for concept in ("Emergent Behavior", "Canary Deployment"):
        assert concept in html
