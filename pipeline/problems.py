"""Problem: the one way every stage reports bad content, and its three print formats."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth knowing) about an input file, with where and how to fix it."""

    severity: Severity
    file: str
    line: int
    column: int
    field: str
    message: str

    def format_text(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}: {self.severity}:{field} {self.message}"

    def format_github(self) -> str:
        # Annotation syntax: https://docs.github.com/actions/reference/workflow-commands
        level = {"error": "error", "warning": "warning", "info": "notice"}[self.severity]
        props = ",".join(
            [
                f"file={_escape_property(self.file)}",
                f"line={self.line}",
                f"col={self.column}",
                f"title={_escape_property(self.field or 'episode')}",
            ]
        )
        return f"::{level} {props}::{_escape_data(self.message)}"

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["severity"] = str(self.severity)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Problem:
        return cls(
            Severity(data["severity"]),
            data["file"],
            data["line"],
            data["column"],
            data["field"],
            data["message"],
        )


def sort_key(problem: Problem) -> tuple[str, int, int, str]:
    return (problem.file, problem.line, problem.column, problem.field)


def format_problems(problems: list[Problem], fmt: str) -> str:
    """Render problems as `text` (one per line), `json` (a list) or `github` annotations."""
    ordered = sorted(problems, key=sort_key)
    if fmt == "json":
        return json.dumps([p.to_json() for p in ordered], indent=2, ensure_ascii=False)
    if fmt == "github":
        return "\n".join(p.format_github() for p in ordered)
    return "\n".join(p.format_text() for p in ordered)


def has_failures(problems: list[Problem], strict: bool) -> bool:
    """Errors always fail; warnings fail too in strict mode. Info never fails."""
    failing = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
    return any(p.severity in failing for p in problems)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
