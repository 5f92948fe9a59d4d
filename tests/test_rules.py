"""Content rules: each rule's problem, with its location and message."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from pipeline.check import check_project
from pipeline.model import Series
from pipeline.project import Project
from pipeline.rules import arxiv_year, is_safe_link
from pipeline.text import concept_script, concept_speaking_seconds, count_words
from tests.conftest import edit_episode

TODAY = date(2026, 11, 29)


def messages(project: Project) -> list[str]:
    result = check_project(project, today=TODAY)
    return [p.format_text() for p in result.problems if p.severity != "info"]


def episode_file(project: Project) -> Path:
    return project.episodes_dir / "023.yaml"


def test_episode_23_passes(project: Project) -> None:
    assert messages(project) == []


def test_four_concepts(project: Project) -> None:
    path = episode_file(project)
    text = path.read_text()
    start = text.index("  - name: Canary Deployment")
    path.write_text(text[:start])
    assert messages(project) == [
        "episodes/023.yaml:6:3: error: concepts: the episode has 4 concepts; "
        "the series has 5 per episode: add 1"
    ]


def test_speaking_budget_gives_the_estimate(project: Project) -> None:
    long = "Like tasting food before serving it to all your guests" + ", and then some more" * 12
    edit_episode(
        episode_file(project), "Like tasting food before serving it to all your guests", long
    )
    [message] = messages(project)
    assert (
        "concepts[4].explanation: spoken text (name, explanation, takeaway, analogy) takes "
        "about 36 s at 150 words/min; the series promises under 30 s: shorten it" in message
    )


def test_analogy_must_start_with_like(project: Project) -> None:
    edit_episode(episode_file(project), "analogy: Like asking", "analogy: Asking")
    [message] = messages(project)
    assert message.endswith(
        "error: concepts[1].analogy: an analogy starts with 'Like' (got 'Asking a librarian to "
        "look …'); e.g. 'Like tasting food before serving it to all your guests.'"
    )


def test_one_liner_length_and_period(project: Project) -> None:
    edit_episode(
        episode_file(project),
        "one_liner: AI calling external tools",
        "one_liner: AI systems calling all kinds of external tools like search engines.",
    )
    found = messages(project)
    assert any("the one-liner has 11 words; the series allows at most 8" in m for m in found)
    assert any("a one-liner has no closing period; remove it" in m for m in found)


def test_number_must_match_file_name(project: Project) -> None:
    edit_episode(episode_file(project), "number: 23", "number: 32")
    assert messages(project) == [
        "episodes/023.yaml:3:9: error: number: episode 32 must be in a file named 032.yaml "
        "(this file is 023.yaml): rename the file or fix the number"
    ]


def test_duplicate_concept_in_episode(project: Project) -> None:
    edit_episode(episode_file(project), "name: Tool Use", "name: Emergent behavior")
    [message] = messages(project)
    assert "concepts[1].name: 'Emergent behavior' is already concept 1 of this episode" in message


def test_concept_covered_by_another_episode_is_a_warning(project: Project) -> None:
    other = project.episodes_dir / "024.yaml"
    other.write_text(
        episode_file(project)
        .read_text()
        .replace("number: 23", "number: 24")
        .replace("name: Emergent Behavior", "name: In-Context Learning")
    )
    result = check_project(project, [episode_file(project)], today=TODAY)
    problem = result.problems[0]
    assert {p.severity for p in result.problems} == {"warning"}
    assert problem.message.startswith(
        "'Tool Use' is already covered by episode 24 (episodes/024.yaml)"
    )


@pytest.mark.parametrize(
    ("identifier", "year"),
    [
        ("2206.07682", 2022),
        ("1609.04836v2", 2016),
        ("1412.6980", 2014),
        ("cs/0112017", 2001),
        ("math.GT/0309136", 2003),
        ("hep-th/9901001", 1999),
        ("2302.04761", 2023),
    ],
)
def test_arxiv_year_from_id(identifier: str, year: int) -> None:
    assert arxiv_year(identifier) == year


@pytest.mark.parametrize(
    "identifier", ["2206.7682", "1412.69801", "arXiv:2206.07682", "2213.00001", "abc"]
)
def test_malformed_arxiv_ids(identifier: str) -> None:
    assert arxiv_year(identifier) is None


def test_arxiv_year_must_agree(project: Project) -> None:
    edit_episode(
        episode_file(project),
        'year: 2016\n      arxiv: "1609.04836"',
        'year: 2018\n      arxiv: "1609.04836"',
    )
    [message] = messages(project)
    assert message.endswith(
        "concepts[2].reference.year: arXiv 1609.04836 was first posted in 2016, so the year is "
        "2016 (or 2017 for its venue), not 2018"
    )


def test_year_before_first_version_is_wrong(project: Project) -> None:
    edit_episode(episode_file(project), "year: 2023", "year: 2022")
    [message] = messages(project)
    assert "arXiv 2302.04761 was first posted in 2023" in message


def test_malformed_arxiv_id_is_reported(project: Project) -> None:
    edit_episode(episode_file(project), '"2206.07682"', '"arXiv:2206.07682"')
    [message] = messages(project)
    assert "concepts[0].reference.arxiv: 'arXiv:2206.07682' is not an arXiv id" in message


def test_future_year(project: Project) -> None:
    edit_episode(
        episode_file(project),
        "note: MLOps best practice (no canonical paper)",
        "title: A Paper\n      authors: [Ann Author]\n      year: 2031",
    )
    [message] = messages(project)
    assert "concepts[4].reference.year: the year 2031 is in the future" in message


def test_unsafe_links(project: Project) -> None:
    edit_episode(episode_file(project), "number: 23", "number: 23\nvideo_url: javascript:alert(1)")
    edit_episode(
        episode_file(project),
        "takeaway: Emergence is",
        "takeaway: See [this](javascript:alert(1)) and <data:text/html,x>. Emergence is",
    )
    found = messages(project)
    assert any("video_url: 'javascript:alert(1)' is not an http(s) link" in m for m in found)
    assert any(
        "concepts[0].takeaway: the link 'javascript:alert(1)' is not allowed" in m for m in found
    )
    assert any("the link 'data:text/html,x' is not allowed" in m for m in found)


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://a.b", True),
        ("http://a.b", True),
        ("mailto:x@y.z", True),
        ("../023/", True),
        ("javascript:alert(1)", False),
        ("JAVASCRIPT:x", False),
        ("data:x", False),
        ("//evil.example/x", False),
        ("vbscript:x", False),
    ],
)
def test_is_safe_link(url: str, safe: bool) -> None:
    assert is_safe_link(url) is safe


def test_every_problem_of_every_episode_is_collected(project: Project) -> None:
    edit_episode(episode_file(project), "analogy: Like asking", "analogy: Asking")
    edit_episode(
        episode_file(project),
        "one_liner: AI calling external tools",
        "one_liner: AI calling external tools.",
    )
    broken = project.episodes_dir / "024.yaml"
    broken.write_text("number: 24\nconcepts: {\n")
    found = messages(project)
    assert len(found) == 3
    assert found[2].startswith("episodes/024.yaml:3:1: error: YAML syntax error")


def test_cached_findings_equal_fresh_ones_and_follow_the_settings(
    project: Project, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    edit_episode(episode_file(project), "analogy: Like asking", "analogy: Asking")
    fresh = check_project(project, today=TODAY).problems
    first = check_project(project, today=TODAY, cache=cache).problems
    again = check_project(project, today=TODAY, cache=cache).problems
    assert fresh == first == again
    remembered = json.loads((cache / "snapshot.json").read_text())["episodes"]
    assert [p["message"] for p in remembered["episodes/023.yaml"]["problems"]] == [
        p.message for p in first
    ]
    edit_episode(project.series_file, "max_one_liner_words: 8", "max_one_liner_words: 3")
    stricter = check_project(project, today=TODAY, cache=cache).problems
    assert any(
        "the one-liner has 5 words; the series allows at most 3" in p.message for p in stricter
    )
    # Located through the cached episode (its positions come from a fresh parse).
    assert stricter == check_project(project, today=TODAY).problems


def test_the_speaking_budget_counts_the_words_of_the_spoken_script(project: Project) -> None:
    episode = check_project(project, today=TODAY).everyone[0].episode
    concept = episode.concepts[2].model_copy(
        update={"explanation": "*Flat* minima, e.g. [wide](https://example.org) ones. Yes!"}
    )
    for each in [*episode.concepts, concept]:
        script_words = count_words(" ".join(concept_script(each)))
        seconds = concept_speaking_seconds(each, Series())
        assert seconds == pytest.approx(script_words * 60 / Series().narration_words_per_minute)
