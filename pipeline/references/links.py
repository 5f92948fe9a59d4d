"""Checking every other URL in the episodes: bounded concurrency, timeouts, honest
verdicts (429 and 403 say nothing about the link, so they are 'unknown')."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import httpx

from pipeline.references.http import FetchError, HttpSettings, get
from pipeline.references.lock import LinkEntry

CONCURRENCY = 4


def check_link(url: str, client: httpx.Client, settings: HttpSettings, today: date) -> LinkEntry:
    checked = today.isoformat()
    try:
        response = get(client, url, settings)
    except FetchError:
        return LinkEntry(status="unknown", checked=checked)
    code = response.status_code
    if code in (401, 403, 429):
        return LinkEntry(status="unknown", code=code, checked=checked)
    status = "ok" if code < 400 else "broken"
    return LinkEntry(status=status, code=code, checked=checked)


def check_links(
    urls: list[str], client: httpx.Client, settings: HttpSettings, today: date
) -> dict[str, LinkEntry]:
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        results = pool.map(lambda u: check_link(u, client, settings, today), urls)
        return dict(zip(urls, results, strict=True))
