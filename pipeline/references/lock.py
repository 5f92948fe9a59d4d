"""`references.lock.json`: the metadata verified for every cited paper.

Keys are sorted and the formatting is stable, so a diff of the lock shows exactly what
changed. An entry records where its metadata came from: `arxiv` or `crossref` when it
was fetched, `manual` when a person entered it (never reported as verified).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pipeline.model import Paper

LOCK_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Author(_Strict):
    given: str = ""
    family: str


class ArxivRecord(_Strict):
    id: str = Field(description="Identifier without version, e.g. '1609.04836'.")
    first_version: str = Field(description="Date of the first version, YYYY-MM-DD.")
    latest_version: str = Field(description="Latest version, e.g. 'v2'.")


class PaperEntry(_Strict):
    title: str
    earlier_titles: list[str] = Field(default_factory=list)
    authors: list[Author]
    arxiv: ArxivRecord | None = None
    venue: str | None = None
    venue_year: int | None = None
    doi: str | None = None
    source: Literal["arxiv", "crossref", "manual"]
    retrieved: str = Field(description="When the metadata was fetched or entered.")
    cited: dict[str, str] = Field(
        default_factory=dict, description="Episode file -> hash of its cited fields."
    )

    @property
    def years(self) -> list[int]:
        years = []
        if self.arxiv is not None:
            years.append(int(self.arxiv.first_version[:4]))
        if self.venue_year is not None:
            years.append(self.venue_year)
        return years


class LinkEntry(_Strict):
    status: Literal["ok", "broken", "unknown"]
    code: int | None = None
    checked: str


class Lock(_Strict):
    version: int = LOCK_VERSION
    papers: dict[str, PaperEntry] = Field(default_factory=dict)
    links: dict[str, LinkEntry] = Field(default_factory=dict)


def paper_key(paper: Paper) -> str | None:
    """'arxiv:1609.04836' (version dropped), 'doi:10.1000/x', or None when unidentified."""
    arxiv = arxiv_id_of(paper)
    if arxiv:
        return f"arxiv:{arxiv}"
    if paper.doi:
        return f"doi:{paper.doi.lower()}"
    return None


def arxiv_id_of(paper: Paper) -> str | None:
    """The arXiv id, from `arxiv:` or from an arXiv DOI (10.48550/arXiv.XXXX)."""
    if paper.arxiv:
        return re.sub(r"v\d+$", "", paper.arxiv)
    if paper.doi and paper.doi.lower().startswith("10.48550/arxiv."):
        return paper.doi[len("10.48550/arXiv.") :]
    return None


def cited_hash(paper: Paper) -> str:
    """Hash of the fields an episode cites, to notice an edit since the lock was written."""
    fields = [paper.title, paper.authors, paper.year, paper.arxiv, paper.doi, paper.title_form]
    return hashlib.sha256(json.dumps(fields).encode()).hexdigest()[:16]


def read_lock(path: Path) -> Lock:
    if not path.exists():
        return Lock()
    return Lock.model_validate_json(path.read_text(encoding="utf-8"))


def write_lock(path: Path, lock: Lock) -> None:
    data = lock.model_dump(mode="json", exclude_none=True)
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
