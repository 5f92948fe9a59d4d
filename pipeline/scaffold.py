"""`fiveml new`: a new episode file with every field present, commented and marked TODO."""

from __future__ import annotations

from pipeline.model import Concept, Episode, Paper, PracticeNote, Series


def _doc(model: type, name: str) -> str:
    return model.model_fields[name].description or ""


def episode_scaffold(number: int, series: Series) -> str:
    """YAML text for episode `number`; each TODO fails `fiveml check` until replaced."""
    lines = [
        "# yaml-language-server: $schema=../episode.schema.json",
        f"# {series.title} #{number}. Replace every TODO; "
        f"`fiveml check {number}` lists what is left.",
        f"number: {number}  # {_doc(Episode, 'number')}",
        f"# title: ...  # {_doc(Episode, 'title')}",
        f"# date: YYYY-MM-DD  # {_doc(Episode, 'date')}",
        f"# video_url: https://...  # {_doc(Episode, 'video_url')}",
        f"# video_thumbnail: https://...  # {_doc(Episode, 'video_thumbnail')}",
        "",
        f"concepts:  # {_doc(Episode, 'concepts')}",
    ]
    for index in range(1, series.concepts_per_episode + 1):
        lines += [
            f"  - name: TODO name of concept {index}  # {_doc(Concept, 'name')}",
            f"    explanation: TODO two or three sentences  # {_doc(Concept, 'explanation')}",
            f"    takeaway: TODO one sentence  # {_doc(Concept, 'takeaway')}",
            f"    analogy: TODO Like ...  # {_doc(Concept, 'analogy')}",
            f"    one_liner: TODO a few words  # {_doc(Concept, 'one_liner')}",
            f"    reference:  # {_doc(Concept, 'reference')} For no paper: `note: ...` "
            f"({_doc(PracticeNote, 'note')})",
            f"      title: TODO paper title  # {_doc(Paper, 'title')}",
            "      authors:  # Every author's full name, in the paper's order.",
            "        - TODO First Author",
            f"      year: TODO  # {_doc(Paper, 'year')}",
            f"      arxiv: TODO  # {_doc(Paper, 'arxiv')} Or `doi:` / `url:`.",
            "    # figure:  # The figure to draw; a title card when absent. See the README.",
            "    #   kind: line",
            "    # pronunciations: {}  # Spoken forms, e.g. {SGDR: S G D R}.",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"
