"""Reference checks: offline verdicts from the lock, and the real online clients against
a real local HTTP server that answers in arXiv's and Crossref's formats."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from pipeline.bench import as_another_episode
from pipeline.check import check_project
from pipeline.project import Project
from pipeline.references.check import check_references, update_lock
from pipeline.references.lock import read_lock
from pipeline.references.normalize import normalize_title
from tests.conftest import edit_episode
from tests.refserver import FakeApis, FakePaper, start

TODAY = date(2026, 11, 29)
KESKAR = FakePaper(
    "1609.04836",
    "On Large-Batch Training for Deep Learning: Generalization Gap and Sharp\n  Minima",
    [
        "Nitish Shirish Keskar",
        "Dheevatsa Mudigere",
        "Jorge Nocedal",
        "Mikhail Smelyanskiy",
        "Ping Tak Peter Tang",
    ],
    "2016-09-15",
    "v2",
)
SGDR = FakePaper(
    "1608.03983",
    "SGDR: Stochastic Gradient Descent with Warm Restarts",
    ["Ilya Loshchilov", "Frank Hutter"],
    "2016-08-13",
    "v5",
)
WEI = FakePaper(
    "2206.07682",
    "Emergent Abilities of Large Language Models",
    [
        "Jason Wei",
        "Yi Tay",
        "Rishi Bommasani",
        "Colin Raffel",
        "Barret Zoph",
        "Sebastian Borgeaud",
        "Dani Yogatama",
        "Maarten Bosma",
        "Denny Zhou",
        "Donald Metzler",
        "Ed H. Chi",
        "Tatsunori Hashimoto",
        "Oriol Vinyals",
        "Percy Liang",
        "Jeff Dean",
        "William Fedus",
    ],
    "2022-06-15",
    "v2",
    journal="Transactions on Machine Learning Research 2022",
)
SCHICK = FakePaper(
    "2302.04761",
    "Toolformer: Language Models Can Teach Themselves to Use Tools",
    [
        "Timo Schick",
        "Jane Dwivedi-Yu",
        "Roberto Dessì",
        "Roberta Raileanu",
        "Maria Lomeli",
        "Luke Zettlemoyer",
        "Nicola Cancedda",
        "Thomas Scialom",
    ],
    "2023-02-09",
)


def problems(project: Project, online: bool = False) -> list[str]:
    result = check_project(project, today=TODAY)
    found = result.problems + check_references(
        project, result.episodes, online=online, series=result.series, today=TODAY
    )
    return [p.format_text() for p in found if p.severity != "info"]


def line_of(project: Project, text: str) -> int:
    lines = (project.episodes_dir / "023.yaml").read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


# --- Offline ---------------------------------------------------------------------------


def test_episode_23_passes_strict_offline(project: Project) -> None:
    assert problems(project) == []


def test_manual_entries_are_notes_not_verified(project: Project) -> None:
    result = check_project(project, today=TODAY)
    found = check_references(project, result.episodes, today=TODAY)
    notes = [p.message for p in found if p.severity == "info"]
    assert sum("entered by hand and is not verified online yet" in n for n in notes) == 4
    assert "practice note, no paper to verify: 'MLOps best practice (no canonical paper)'" in notes


def test_wrong_year_for_keskar(project: Project) -> None:
    edit_episode(
        project.episodes_dir / "023.yaml",
        'year: 2016\n      arxiv: "1609.04836"',
        'year: 2018\n      arxiv: "1609.04836"',
    )
    line = line_of(project, "year: 2018")
    found = problems(project)
    assert (
        f"episodes/023.yaml:{line}:13: error: concepts[2].reference.year: the year is "
        "2016 (arXiv first version) or 2017 (ICLR 2017), not 2018"
    ) in found


def test_wrong_first_author(project: Project) -> None:
    edit_episode(project.episodes_dir / "023.yaml", "- Timo Schick", "- Timo Schock")
    line = line_of(project, "- Timo Schock")
    found = problems(project)
    assert (
        f"episodes/023.yaml:{line}:9: error: concepts[1].reference.authors: the first "
        "author is Timo Schick, not Timo Schock"
    ) in found


def test_author_order_and_count(project: Project) -> None:
    path = project.episodes_dir / "023.yaml"
    edit_episode(
        path,
        "        - Ilya Loshchilov\n        - Frank Hutter",
        "        - Ilya Loshchilov\n        - Frank Hutter\n        - Ada Lovelace",
    )
    assert any(
        "concepts[3].reference.authors: the paper has 2 authors, the episode lists 3" in p
        for p in problems(project)
    )


def test_et_al_allows_a_shorter_list(project: Project) -> None:
    edit_episode(project.episodes_dir / "023.yaml", "        - Frank Hutter", "        - et al.")
    assert not any("authors" in p for p in problems(project))


def test_title_without_subtitle_needs_the_marker(project: Project) -> None:
    edit_episode(project.episodes_dir / "023.yaml", "      title_form: without_subtitle\n", "")
    line = line_of(project, "title: On Large-Batch Training for Deep Learning")
    found = problems(project)
    assert (
        f"episodes/023.yaml:{line}:14: warning: concepts[2].reference.title: cited without "
        "its subtitle; the paper's title is 'On Large-Batch Training for Deep Learning: "
        "Generalization Gap and Sharp Minima'. Cite it in full, or add `title_form: "
        "without_subtitle` if intended"
    ) in found


def test_changed_title_word_is_an_error(project: Project) -> None:
    edit_episode(
        project.episodes_dir / "023.yaml",
        "title: Emergent Abilities of Large Language Models",
        "title: Emergent Abilities of Small Language Models",
    )
    assert any(
        "concepts[0].reference.title: the title does not match the paper; it is "
        "'Emergent Abilities of Large Language Models'" in p
        for p in problems(project)
    )


def test_cosmetic_title_differences_pass() -> None:
    assert normalize_title("SGDR: Stochastic {G}radient—Descent") == normalize_title(
        "sgdr stochastic gradient-descent"
    )
    assert normalize_title("Émergent “Abilities”") == normalize_title('Emergent "abilities"')


def test_paper_missing_from_the_lock(project: Project) -> None:
    edit_episode(project.episodes_dir / "023.yaml", '"1608.03983"', '"1608.03984"')
    found = problems(project)
    assert any(
        "concepts[3].reference: arxiv:1608.03984 is not in references.lock.json; run "
        "`fiveml check --online`" in p
        for p in found
    )


def test_same_paper_cited_differently_in_two_episodes(project: Project) -> None:
    text = (project.episodes_dir / "023.yaml").read_text().replace("number: 23", "number: 24")
    text = text.replace("- name: Tool Use", "- name: Toolformer")
    text = text.replace("year: 2023", "year: 2024")
    (project.episodes_dir / "024.yaml").write_text(text)
    found = problems(project)
    assert any(
        "episodes/024.yaml" in p
        and "arxiv:2302.04761 is also cited in "
        "episodes/023.yaml (concepts[1]) with different title, authors or year"
        in p
        for p in found
    )


def test_check_strict_cli_and_github_annotation(fiveml, series_dir: Path) -> None:
    assert fiveml("check", "--strict")[0] == 0
    edit_episode(
        series_dir / "episodes" / "023.yaml",
        'year: 2016\n      arxiv: "1609.04836"',
        'year: 2018\n      arxiv: "1609.04836"',
    )
    code, out, _ = fiveml("check", "--format", "github")
    assert code == 1
    assert "::error file=episodes/023.yaml,line=" in out
    assert "title=concepts[2].reference.year::the year is 2016" in out


# --- Online, against the local server ----------------------------------------------------


@pytest.fixture
def apis(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApis]:
    fake = FakeApis(
        papers={p.id: p for p in (KESKAR, SGDR, WEI, SCHICK)},
        works={"10.5555/fixture.1": ("Fixture Paper", 2021)},
    )
    server, base = start(fake)
    monkeypatch.setenv("FIVEML_ARXIV_API", f"{base}/api/query")
    monkeypatch.setenv("FIVEML_CROSSREF_API", base)
    monkeypatch.setenv("FIVEML_ARXIV_INTERVAL", "0")
    monkeypatch.setenv("FIVEML_HTTP_BACKOFF", "0.05")
    monkeypatch.setenv("FIVEML_HTTP_TIMEOUT", "0.5")
    monkeypatch.setenv("FIVEML_HTTP_RETRIES", "2")
    fake.base = base  # type: ignore[attr-defined]
    yield fake
    server.shutdown()
    server.server_close()


def test_online_check_passes_and_batches_one_request(project: Project, apis: FakeApis) -> None:
    assert problems(project, online=True) == []
    arxiv_calls = [r for r in apis.requests if r.startswith("/api/query")]
    assert len(arxiv_calls) == 1
    assert "id_list=1608.03983%2C1609.04836%2C2206.07682%2C2302.04761" in arxiv_calls[0]


def test_refs_update_writes_verified_entries(project: Project, apis: FakeApis) -> None:
    result = check_project(project, today=TODAY)
    _lock, found = update_lock(project, result.episodes, result.series, today=TODAY)
    assert [p for p in found if p.severity == "error"] == []
    entry = read_lock(project.lock_file).papers["arxiv:1609.04836"]
    assert entry.source == "arxiv"
    assert entry.title == (
        "On Large-Batch Training for Deep Learning: Generalization Gap and Sharp Minima"
    )
    assert entry.venue_year == 2017  # kept from the manual entry: arXiv gave no journal_ref
    assert read_lock(project.lock_file).papers["arxiv:2206.07682"].venue_year == 2022
    assert problems(project) == []  # offline again, from the fresh lock
    text = project.lock_file.read_text()
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_nonexistent_arxiv_id(project: Project, apis: FakeApis) -> None:
    edit_episode(project.episodes_dir / "023.yaml", '"1608.03983"', '"1608.99999"')
    line = line_of(project, '"1608.99999"')
    found = problems(project, online=True)
    assert (
        f"episodes/023.yaml:{line}:14: error: concepts[3].reference.arxiv: arXiv has no "
        "paper 1608.99999; check the identifier"
    ) in found


def test_wrong_title_and_year_online(project: Project, apis: FakeApis) -> None:
    apis.papers["1608.03983"] = FakePaper(
        "1608.03983",
        "SGDR: Stochastic Gradient Descent with Hot Restarts",
        ["Ilya Loshchilov", "Frank Hutter"],
        "2015-08-13",
    )
    found = problems(project, online=True)
    assert any(
        "concepts[3].reference.title: the title does not match the paper; it is "
        "'SGDR: Stochastic Gradient Descent with Hot Restarts'" in p
        for p in found
    )
    assert any(
        "concepts[3].reference.year: the year is 2015 (arXiv first version)" in p for p in found
    )


@pytest.mark.parametrize(
    ("scenario", "failures", "reason"),
    [
        ("error_feed", 0, "arXiv reported an error: incorrect id format for 1234.1234x"),
        ("always_500", 0, "HTTP 500 (after 3 attempts)"),
        ("always_429", 0, "HTTP 429 (after 3 attempts)"),
        ("slow", 0, "timed out after 0.5 s (after 3 attempts)"),
        ("malformed", 0, "arXiv sent a malformed feed"),
    ],
)
def test_failed_fetch_keeps_the_locked_entry(
    project: Project, apis: FakeApis, scenario: str, failures: int, reason: str
) -> None:
    before = project.lock_file.read_bytes()
    apis.scenario = scenario
    result = check_project(project, today=TODAY)
    _, found = update_lock(project, result.episodes, result.series, today=TODAY)
    messages = [p.message for p in found]
    assert any(reason in m and m.endswith("kept the locked entry") for m in messages), messages
    after = read_lock(project.lock_file)
    assert {k: v.model_dump() for k, v in after.papers.items()} == {
        k: v.model_dump() for k, v in read_lock_bytes(before, project).papers.items()
    }


def read_lock_bytes(data: bytes, project: Project):
    copy = project.root / "before.lock.json"
    copy.write_bytes(data)
    return read_lock(copy)


@pytest.mark.parametrize(("scenario", "wait"), [("500", "0.05"), ("429", "1")])
def test_transient_errors_are_retried(
    project: Project,
    apis: FakeApis,
    scenario: str,
    wait: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Retried after the backoff, or after the server's Retry-After (1 s) on a 429."""
    apis.scenario = f"then_{scenario}"
    apis.failures_left = 1
    assert problems(project, online=True) == []
    assert len([r for r in apis.requests if r.startswith("/api/query")]) == 2
    host = apis.base.split("//", 1)[1].rstrip("/")  # type: ignore[attr-defined]
    assert capsys.readouterr().err == (
        f"fiveml: {host}: HTTP {scenario}; trying again in {wait} s (attempt 2 of 3)\n"
    )


def test_crossref_doi(project: Project, apis: FakeApis) -> None:
    edit_episode(
        project.episodes_dir / "023.yaml",
        "note: MLOps best practice (no canonical paper)",
        "title: Fixture Paper\n      authors: [Ada Lovelace, Charles Babbage]\n"
        "      year: 2021\n      doi: 10.5555/fixture.1",
    )
    found = problems(project, online=True)
    assert found == []
    assert any(
        r.startswith("/works/10.5555/fixture.1?mailto=fiveml%40example.org") for r in apis.requests
    )
    edit_episode(
        project.episodes_dir / "023.yaml", "doi: 10.5555/fixture.1", "doi: 10.5555/unknown"
    )
    assert any(
        "concepts[4].reference.doi: Crossref has no paper 10.5555/unknown" in p
        for p in problems(project, online=True)
    )


def test_links_are_checked_and_locked(project: Project, apis: FakeApis) -> None:
    base = apis.base  # type: ignore[attr-defined]
    edit_episode(
        project.episodes_dir / "023.yaml",
        "number: 23",
        f"number: 23\nvideo_url: {base}/page/200\nvideo_thumbnail: {base}/page/403",
    )
    edit_episode(
        project.episodes_dir / "023.yaml",
        "takeaway: Emergence is",
        f"takeaway: See [gone]({base}/page/404). Emergence is",
    )
    result = check_project(project, today=TODAY)
    _, found = update_lock(project, result.episodes, result.series, today=TODAY)
    links = read_lock(project.lock_file).links
    assert links[f"{base}/page/200"].status == "ok"
    assert links[f"{base}/page/403"].status == "unknown"
    assert links[f"{base}/page/404"].status == "broken"
    assert links[f"{base}/page/404"].checked == "2026-11-29"
    [broken] = [p for p in found if "is broken" in p.message]
    assert (broken.file, broken.field) == ("episodes/023.yaml", "concepts[0].takeaway")
    assert broken.message == f"{base}/page/404 is broken (HTTP 404); fix or remove it"


def test_updating_one_episode_keeps_the_others_locked(project: Project, apis: FakeApis) -> None:
    text = (project.episodes_dir / "023.yaml").read_text()
    (project.episodes_dir / "024.yaml").write_text(as_another_episode(text, 24, "Again"))
    both = check_project(project, today=TODAY)
    update_lock(project, both.episodes, both.series, today=TODAY)
    only_24 = check_project(project, [project.episodes_dir / "024.yaml"], today=TODAY)
    update_lock(project, only_24.episodes, only_24.series, today=TODAY)
    cited = read_lock(project.lock_file).papers["arxiv:1609.04836"].cited
    assert set(cited) == {"episodes/023.yaml", "episodes/024.yaml"}
    assert problems(project) == []


def test_import_then_fill_then_update_gives_a_clean_episode(
    fiveml, series_dir: Path, apis: FakeApis
) -> None:
    from tests.conftest import SEED

    (series_dir / "episodes" / "023.yaml").unlink()
    (series_dir / "references.lock.json").unlink()
    assert fiveml("import", str(SEED))[0] == 0
    code, out, err = fiveml("refs", "fill")
    assert code == 0
    assert out.count("info: ") == 4 and "filled arXiv 1609.04836 and 5 author(s)" in out
    assert err == "refs fill: 4 of 4 filled, 0 left for a person\n"
    text = (series_dir / "episodes" / "023.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=../episode.schema.json\n# Imported")
    assert "title_form: without_subtitle" in text  # Keskar et al. is cited without subtitle
    assert "        - Nitish Shirish Keskar\n" in text
    assert "TODO" not in text.split("number: 23", 1)[1]
    code, out, _ = fiveml("check", "23")
    assert code == 1 and "is not in references.lock.json" in out
    assert fiveml("refs", "update")[0] == 0
    code, out, _ = fiveml("check", "--strict")
    assert code == 0, out
    assert fiveml("refs", "fill")[1:] == (
        "",
        "refs fill: no reference waits to be filled (none has a TODO identifier)\n",
    )


def test_fill_leaves_ambiguous_titles_alone(fiveml, series_dir: Path, apis: FakeApis) -> None:
    from tests.conftest import SEED

    apis.papers["9999.00001"] = FakePaper(
        "9999.00001", SGDR.title, ["Ilya Loshchilov"], "2016-08-14"
    )
    (series_dir / "episodes" / "023.yaml").unlink()
    fiveml("import", str(SEED))
    before = (series_dir / "episodes" / "023.yaml").read_text()
    _, out, err = fiveml("refs", "fill")
    assert err == "refs fill: 3 of 4 filled, 1 left for a person\n"
    assert (
        "2 arXiv papers match 'SGDR: Stochastic Gradient Descent with Warm Restarts' "
        "(1608.03983, 9999.00001); fill the identifier and authors by hand" in out
    )
    after = (series_dir / "episodes" / "023.yaml").read_text()
    assert before != after  # the other three were filled
    assert "TODO given name of Loshchilov" in after
