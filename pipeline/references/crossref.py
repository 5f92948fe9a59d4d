"""The Crossref client: `/works/{doi}` JSON, with a `mailto` for the polite pool."""

from __future__ import annotations

import os
from datetime import date
from urllib.parse import quote

import httpx

from pipeline.references.http import FetchError, HttpSettings, get
from pipeline.references.lock import Author, PaperEntry

DEFAULT_API = "https://api.crossref.org"


def api_url() -> str:
    return os.environ.get("FIVEML_CROSSREF_API", DEFAULT_API).rstrip("/")


def fetch(
    doi: str, client: httpx.Client, settings: HttpSettings, mailto: str, today: date
) -> PaperEntry | None:
    """Metadata for a DOI; None when Crossref does not know it. Raises FetchError."""
    response = get(
        client, f"{api_url()}/works/{quote(doi, safe='/')}", settings, params={"mailto": mailto}
    )
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise FetchError(f"Crossref answered HTTP {response.status_code}")
    try:
        message = response.json()["message"]
        title = " ".join(message["title"][0].split())
        authors = [
            Author(given=a.get("given", ""), family=a["family"])
            for a in message.get("author", [])
            if "family" in a
        ]
        year = message["issued"]["date-parts"][0][0]
        venue = (message.get("container-title") or [None])[0]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise FetchError(f"Crossref sent a malformed answer ({type(exc).__name__})") from None
    return PaperEntry(
        title=title,
        authors=authors,
        venue=venue,
        venue_year=int(year) if year else None,
        doi=doi,
        source="crossref",
        retrieved=today.isoformat(),
    )
