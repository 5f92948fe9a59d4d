"""`fiveml import`: the seed, round trips through post.md, tolerance, and refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.blog import Assets, Neighbours, render_post_markdown
from pipeline.importer import PostFormatError, parse_post
from pipeline.load import load_episode
from pipeline.model import Episode, Paper, Series
from pipeline.render import make_environment
from tests.conftest import EPISODE_23, REPO, SEED

TEXT_FIELDS = ("name", "explanation", "takeaway", "analogy", "one_liner")
ENV = make_environment(REPO / "templates")
SERIES = Series()


def episode_23() -> Episode:
    loaded, _ = load_episode(EPISODE_23, "episodes/023.yaml")
    assert loaded is not None
    return loaded.episode


def comparable(episode: Episode) -> list[dict[str, object]]:
    """What a post carries of each concept."""
    rows = []
    for concept in episode.concepts:
        row: dict[str, object] = {f: getattr(concept, f) for f in TEXT_FIELDS}
        ref = concept.reference
        row["reference"] = (ref.title, ref.year) if isinstance(ref, Paper) else ref.note
        rows.append(row)
    return rows


def comparable_data(data: dict) -> list[dict[str, object]]:
    rows = []
    for concept in data["concepts"]:
        row: dict[str, object] = {f: concept[f] for f in TEXT_FIELDS}
        ref = concept["reference"]
        row["reference"] = (ref["title"], ref["year"]) if "title" in ref else ref["note"]
        rows.append(row)
    return rows


def test_seed_imports_to_the_text_of_episode_23() -> None:
    post = parse_post(SEED.read_text())
    assert post.number == 23
    assert comparable_data(post.data) == comparable(episode_23())
    learning = post.data["concepts"][3]["reference"]
    assert learning["authors"] == ["TODO given name of Loshchilov", "TODO given name of Hutter"]


def test_cli_import_into_an_empty_series(fiveml, series_dir: Path) -> None:
    (series_dir / "episodes" / "023.yaml").unlink()
    code, out, _ = fiveml("import", str(SEED))
    assert code == 0
    assert out == (
        "wrote episodes/023.yaml; `fiveml refs fill 23` looks up its TODO references, "
        "then `fiveml check 23` lists what is left to fill in\n"
    )
    loaded, problems = load_episode(series_dir / "episodes" / "023.yaml", "episodes/023.yaml")
    assert loaded is None  # placeholders remain, by design
    assert {p.field for p in problems} >= {
        "concepts[0].reference.authors[0]",
        "concepts[0].reference.arxiv",
    }
    code, out, _ = fiveml("check", "23")
    assert code == 1
    assert (
        "still a placeholder ('TODO full author list; the first author's family name is "
        "Wei')" in out
    )


def test_existing_episode_is_not_overwritten(fiveml, series_dir: Path) -> None:
    before = (series_dir / "episodes" / "023.yaml").read_bytes()
    code, out, _ = fiveml("import", str(SEED))
    assert code == 1
    assert "episodes/023.yaml already exists; use --force to overwrite it" in out
    assert (series_dir / "episodes" / "023.yaml").read_bytes() == before
    assert fiveml("import", "--force", str(SEED))[0] == 0


def render(episode: Episode) -> str:
    text, _, _ = render_post_markdown(
        ENV, episode, SERIES, Neighbours(None, None), Assets(figures=True, video=True)
    )
    return text


def test_round_trip_of_every_episode() -> None:
    files = sorted((REPO / "episodes").glob("*.yaml"))
    assert files
    for path in files:
        loaded, _ = load_episode(path, path.name)
        assert loaded is not None
        post = parse_post(render(loaded.episode))
        assert post.number == loaded.episode.number
        assert comparable_data(post.data) == comparable(loaded.episode)
        arxiv = [c["reference"].get("arxiv") for c in post.data["concepts"]]
        assert arxiv == [getattr(c.reference, "arxiv", None) for c in loaded.episode.concepts]


WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéü", min_size=1, max_size=8)


def sentence(first: str = "") -> st.SearchStrategy[str]:
    words = st.lists(WORD, min_size=2, max_size=8).map(" ".join)
    return words.map(lambda w: (first + w).strip().capitalize() + ".")


@st.composite
def episodes(draw: st.DrawFn) -> Episode:
    count = draw(st.integers(1, 5))
    names = draw(
        st.lists(
            st.lists(WORD, min_size=1, max_size=3).map(
                lambda ws: " ".join(w.capitalize() for w in ws)
            ),
            min_size=count,
            max_size=count,
            unique_by=str.lower,
        )
    )
    concepts = []
    for name in names:
        paper = draw(st.booleans())
        reference = (
            {
                "title": draw(sentence()).rstrip(".").replace("<", ""),
                "authors": draw(
                    st.lists(WORD.map(lambda w: f"Ann {w.capitalize()}"), min_size=1, max_size=4)
                ),
                "year": draw(st.integers(1990, 2025)),
            }
            if paper
            else {"note": draw(sentence())}
        )
        concepts.append(
            {
                "name": name,
                "explanation": draw(sentence()) + " " + draw(sentence()),
                "takeaway": draw(sentence()),
                "analogy": "Like " + draw(sentence()).lower(),
                "one_liner": draw(st.lists(WORD, min_size=1, max_size=5).map(" ".join)),
                "reference": reference,
            }
        )
    return Episode.model_validate({"number": draw(st.integers(1, 999)), "concepts": concepts})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(episodes())
def test_round_trip_property(episode: Episode) -> None:
    post = parse_post(render(episode))
    assert post.number == episode.number
    assert comparable_data(post.data) == comparable(episode)


def variant(**changes: str) -> str:
    text = SEED.read_text()
    for old, new in changes.items():
        text = text.replace(old.replace("_", " "), new)
    return text


@pytest.mark.parametrize(
    "text",
    [
        SEED.read_text().replace("Today’s Five", "Today's Five"),
        SEED.read_text().replace("\n", "\r\n"),
        SEED.read_text().replace("\n", "  \n"),
        SEED.read_text().replace("\n", "\n\n"),
        SEED.read_text().replace("440 words • 3 min read • Abstract\n", ""),
        SEED.read_text().replace("Five ML Concepts - #23", "Five ML Concepts – #23"),
        SEED.read_text().replace("Five ML Concepts - #23", "Five ML Concepts — #23"),
        SEED.read_text().replace("| Video | Five ML Concepts #23![]() |\n", ""),
    ],
    ids=[
        "straight-apostrophe",
        "crlf",
        "trailing-spaces",
        "blank-lines",
        "no-word-count",
        "en-dash",
        "em-dash",
        "no-video-row",
    ],
)
def test_tolerates_what_real_copies_contain(text: str) -> None:
    post = parse_post(text)
    assert post.number == 23
    assert comparable_data(post.data) == comparable(episode_23())


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (
            "Five ML Concepts - #23\n",
            "Five ML Concepts\n",
            1,
            "expected the title, like 'Five ML Concepts - #23', found 'Five ML Concepts'",
        ),
        ("References\n", "Sources\n", 9, "expected the heading 'References', found 'Sources'"),
        (
            "Today’s Five\n",
            "The Five\n",
            17,
            "expected the heading 'Today’s Five', found 'The Five'",
        ),
        (
            "Emergence is a key phenomenon in large language models.\n",
            "",
            20,
            "concept 1 ('Emergent Behavior') needs an explanation, a takeaway and an analogy; "
            "found 2 line(s)",
        ),
        (
            "Like asking a librarian",
            "As if asking a librarian",
            25,
            "expected the analogy of concept 2 (a line starting with 'Like'), found 'As if asking",
        ),
        ("2. Tool Use", "3. Tool Use", 22, "expected concept 2, found concept 3"),
        (
            "| Tool Use | AI calling external tools |\n",
            "",
            22,
            "'Tool Use' has no row in the Quick Reference table",
        ),
        ("Part 23 of", "Part 32 of", 47, "the footer says part 32 but the title says #23"),
        (
            "| Concept | One-liner |",
            "| Concept | Summary |",
            39,
            "expected the table header '| Concept | One-liner |', found '| Concept | Summary |'",
        ),
    ],
)
def test_malformed_posts_name_the_line(old: str, new: str, line: int, message: str) -> None:
    text = SEED.read_text()
    assert old in text
    with pytest.raises(PostFormatError) as caught:
        parse_post(text.replace(old, new, 1))
    assert caught.value.line == line
    assert str(caught.value).startswith(message)


def test_malformed_post_writes_nothing(fiveml, series_dir: Path, tmp_path: Path) -> None:
    (series_dir / "episodes" / "023.yaml").unlink()
    bad = tmp_path / "bad.txt"
    bad.write_text(SEED.read_text().replace("References\n", "Sources\n"))
    code, out, _ = fiveml("import", str(SEED), str(bad))
    assert code == 1
    assert out.startswith("bad.txt:9:1: error: expected the heading 'References', found")
    assert list((series_dir / "episodes").iterdir()) == []
