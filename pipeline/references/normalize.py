"""Normalising titles and names, so that cosmetic differences never count as mismatches."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_LATEX_COMMAND = re.compile(r"\\[a-zA-Z]+\s*")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_SUBTITLE = re.compile(r"\s*(?::|\s[-–—]\s)\s*")


# The same titles and names come back once per citing episode: remembered, not redone.
@lru_cache(maxsize=16384)
def fold(text: str) -> str:
    """Accents removed, case folded, dashes and quotes unified."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.casefold()


@lru_cache(maxsize=16384)
def normalize_title(title: str) -> str:
    """'SGDR: Stochastic {G}radient—Descent' -> 'sgdr stochastic gradient descent'."""
    text = _LATEX_COMMAND.sub("", title).replace("{", "").replace("}", "")
    return _NON_WORD.sub(" ", fold(text)).strip()


def without_subtitle(title: str) -> str | None:
    """The title before its subtitle ('A: B' or 'A - B'); None when it has none."""
    parts = _SUBTITLE.split(title, maxsplit=1)
    return parts[0] if len(parts) == 2 and parts[0].strip() else None


def normalize_name(name: str) -> str:
    """A family name folded for comparison: 'Dessì' == 'Dessi', 'Dwivedi-Yu' == 'Dwivedi Yu'."""
    return _NON_WORD.sub("", fold(name))
