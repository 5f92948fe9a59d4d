"""The arXiv API client: one batched `id_list` query, parsed safely, rate-limited."""

from __future__ import annotations

import os
import re
import time
from datetime import date

import httpx
from defusedxml import ElementTree

from pipeline.references.http import FetchError, HttpSettings, get
from pipeline.references.lock import ArxivRecord, Author, PaperEntry

DEFAULT_API = "https://export.arxiv.org/api/query"
ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
BATCH = 100
_VERSIONED = re.compile(r"abs/(?P<id>.+?)(?P<version>v\d+)?$")
_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_last_request = 0.0


def api_url() -> str:
    return os.environ.get("FIVEML_ARXIV_API", DEFAULT_API)


def _throttle() -> None:
    """arXiv asks for at most one request every 3 seconds."""
    global _last_request
    interval = float(os.environ.get("FIVEML_ARXIV_INTERVAL", "3"))
    wait = _last_request + interval - time.monotonic()
    if wait > 0:
        time.sleep(wait)
    _last_request = time.monotonic()


def fetch(
    ids: list[str], client: httpx.Client, settings: HttpSettings, today: date
) -> dict[str, PaperEntry | None]:
    """Metadata for each id; None for an id arXiv does not have. Raises FetchError."""
    found: dict[str, PaperEntry | None] = {}
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        _throttle()
        response = get(
            client,
            api_url(),
            settings,
            params={"id_list": ",".join(batch), "max_results": str(len(batch))},
        )
        if response.status_code != 200:
            # arXiv explains a refused query in an Atom error feed (with HTTP 400).
            if b"api/errors" in response.content:
                parse_feed(response.content, today)
            raise FetchError(f"arXiv answered HTTP {response.status_code}")
        entries = parse_feed(response.content, today)
        for identifier in batch:
            found[identifier] = entries.get(identifier)
    return found


def search_title(
    title: str, client: httpx.Client, settings: HttpSettings, today: date, limit: int = 10
) -> list[PaperEntry]:
    """Papers whose title holds the cited title's words, as arXiv's search finds them."""
    words = " ".join(re.findall(r"[\w-]+", title))
    _throttle()
    response = get(
        client,
        api_url(),
        settings,
        params={"search_query": f'ti:"{words}"', "max_results": str(limit)},
    )
    if response.status_code != 200:
        if b"api/errors" in response.content:
            parse_feed(response.content, today)
        raise FetchError(f"arXiv answered HTTP {response.status_code}")
    return list(parse_feed(response.content, today).values())


def parse_feed(body: bytes, today: date) -> dict[str, PaperEntry]:
    try:
        root = ElementTree.fromstring(body)
    except (ElementTree.ParseError, ValueError) as exc:
        raise FetchError(f"arXiv sent a malformed feed ({exc})") from None
    entries: dict[str, PaperEntry] = {}
    for entry in root.findall(f"{ATOM}entry"):
        link = (entry.findtext(f"{ATOM}id") or "").strip()
        title = " ".join((entry.findtext(f"{ATOM}title") or "").split())
        if "api/errors" in link or title == "Error":
            summary = " ".join((entry.findtext(f"{ATOM}summary") or "").split())
            raise FetchError(f"arXiv reported an error: {summary or link}")
        match = _VERSIONED.search(link)
        if match is None or not title:
            continue
        published = (entry.findtext(f"{ATOM}published") or "")[:10]
        authors = [_author(a.findtext(f"{ATOM}name") or "") for a in entry.findall(f"{ATOM}author")]
        journal = (entry.findtext(f"{ARXIV}journal_ref") or "").strip() or None
        year = _YEAR.search(journal) if journal else None
        entries[match["id"]] = PaperEntry(
            title=title,
            authors=authors,
            arxiv=ArxivRecord(
                id=match["id"], first_version=published, latest_version=match["version"] or "v1"
            ),
            venue=journal,
            venue_year=int(year.group()) if year else None,
            doi=(entry.findtext(f"{ARXIV}doi") or "").strip() or None,
            source="arxiv",
            retrieved=today.isoformat(),
        )
    return entries


def _author(name: str) -> Author:
    parts = " ".join(name.split()).rsplit(" ", 1)
    return Author(given=parts[0], family=parts[1]) if len(parts) == 2 else Author(family=name)
