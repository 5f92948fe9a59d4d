"""The loader: every kind of bad input is a located, fixable problem, never a traceback."""

from __future__ import annotations

import time
from pathlib import Path

from pipeline.load import load_episode, parse_yaml
from pipeline.problems import Severity
from tests.conftest import EPISODE_23, edit_episode


def problems_of(path: Path) -> list[str]:
    _, problems = load_episode(path, "episodes/023.yaml")
    return [p.format_text() for p in problems]


def test_episode_23_loads_with_every_field(tmp_path: Path) -> None:
    loaded, problems = load_episode(EPISODE_23, "episodes/023.yaml")
    assert problems == []
    assert loaded is not None
    episode = loaded.episode
    assert episode.number == 23
    assert [c.name for c in episode.concepts] == [
        "Emergent Behavior",
        "Tool Use",
        "Loss Surface Sharpness",
        "Learning Rate Schedules",
        "Canary Deployment",
    ]
    assert [c.reference.short_citation for c in episode.concepts[:4]] == [
        "Wei et al. 2022",
        "Schick et al. 2023",
        "Keskar et al. 2016",
        "Loshchilov & Hutter 2016",
    ]
    assert episode.concepts[4].reference.note == "MLOps best practice (no canonical paper)"
    assert episode.concepts[0].explanation == (
        "Some capabilities appear only when models reach sufficient scale. These behaviors "
        "were not directly programmed but arise from learned representations."
    )


def test_positions_point_at_the_value() -> None:
    loaded, _ = load_episode(EPISODE_23, "episodes/023.yaml")
    assert loaded is not None
    lines = EPISODE_23.read_text().splitlines()
    where = loaded.source.locate(("concepts", 2, "analogy"))
    assert lines[where.line - 1][where.column - 1 :].startswith("Like standing on a plateau")


def test_misspelt_field_suggests_the_right_one(series_dir: Path) -> None:
    path = series_dir / "episodes" / "023.yaml"
    edit_episode(path, "    analogy: Like standing", "    analogyy: Like standing")
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if "analogyy" in t)
    assert problems_of(path) == [
        f"episodes/023.yaml:{line}:5: error: concepts[2].analogyy: "
        "unknown field 'analogyy'; did you mean 'analogy'?"
    ]


def test_wrong_type_names_what_was_expected(series_dir: Path) -> None:
    path = series_dir / "episodes" / "023.yaml"
    edit_episode(path, "year: 2023", 'year: "soon"')
    [message] = problems_of(path)
    assert message.endswith(
        "error: concepts[1].reference.year: expected a whole number (got 'soon')"
    )


def test_missing_field_says_to_add_it(series_dir: Path) -> None:
    path = series_dir / "episodes" / "023.yaml"
    edit_episode(
        path, "    takeaway: This extends model capabilities beyond internal knowledge.\n", ""
    )
    [message] = problems_of(path)
    assert (
        "error: concepts[1].takeaway: required field 'takeaway' is missing from concepts[1]; add it"
        in message
    )


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "023.yaml"
    path.write_text("number: 23\nconcepts:\n  - name: [unclosed\n")
    [message] = problems_of(path)
    assert message.startswith("episodes/023.yaml:4:1: error: YAML syntax error:")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "023.yaml"
    path.write_text("# nothing but a comment\n")
    assert problems_of(path) == [
        "episodes/023.yaml:1:1: error: the file is empty; "
        "run `fiveml new NUMBER` for a filled-in scaffold"
    ]


def test_not_utf8_points_at_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "023.yaml"
    path.write_bytes(b"number: 23\nconcepts:\n  - name: Caf\xe9\n")
    assert problems_of(path) == [
        "episodes/023.yaml:3:14: error: the file is not UTF-8 (byte 0xe9); "
        "save it as UTF-8 in your editor"
    ]


def test_python_object_tag_is_refused_not_constructed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "023.yaml"
    path.write_text(f'number: !!python/object/apply:os.system ["touch {marker}"]\n')
    [message] = problems_of(path)
    assert "tag:yaml.org,2002:python/object/apply:os.system' is not allowed" in message
    assert message.startswith("episodes/023.yaml:1:9: error:")
    assert not marker.exists()


def test_billion_laughs_is_refused_at_once(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    path = tmp_path / "023.yaml"
    path.write_text("\n".join(lines) + "\n")
    started = time.process_time()
    [message] = problems_of(path)
    assert time.process_time() - started < 5  # generous: it is refused at the first anchor
    assert message == (
        "episodes/023.yaml:1:5: error: YAML anchors (&a0) are not allowed in episode files; "
        "write the value out in full"
    )


def test_alias_alone_is_refused() -> None:
    data, _, problems = parse_yaml("a: *nowhere\n", "x.yaml")
    assert data is None and len(problems) == 1


def test_file_over_one_mebibyte_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "023.yaml"
    path.write_text("number: 23\n" + "# padding\n" * 110_000)
    [message] = problems_of(path)
    assert "may be at most 1,048,576 bytes (1 MiB)" in message


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "023.yaml"
    path.write_text("number: 23\nnumber: 24\nconcepts: []\n")
    assert problems_of(path) == [
        "episodes/023.yaml:2:1: error: the key 'number' appears twice here; keep one"
    ]


def test_top_level_list_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "023.yaml"
    path.write_text("- 1\n- 2\n")
    loaded, problems = load_episode(path, "episodes/023.yaml")
    assert loaded is None
    assert problems[0].severity is Severity.ERROR
    assert "an episode file must be a mapping" in problems[0].message


def test_an_unreadable_episode_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    folder = tmp_path / "024.yaml"
    folder.mkdir()  # a folder where a file should be
    loaded, problems = load_episode(folder, "episodes/024.yaml")
    assert loaded is None
    assert [(p.file, p.line, p.severity, p.message) for p in problems] == [
        ("episodes/024.yaml", 1, Severity.ERROR, "cannot read the file: Is a directory")
    ]
