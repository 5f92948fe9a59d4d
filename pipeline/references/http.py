"""HTTP for the online checks: timeouts, and retries with backoff on 429 and 5xx that
honour Retry-After. Settings come from the environment so tests can aim the real
clients at a local server and keep waits short."""

from __future__ import annotations

import email.utils
import os
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

USER_AGENT = "fiveml-reference-check/0.1 (+https://github.com/; mailto from series.yaml)"


@dataclass(frozen=True)
class HttpSettings:
    timeout: float = 20.0  # seconds per request
    retries: int = 3  # further attempts after a 429, a 5xx or a network error
    backoff: float = 2.0  # first wait; doubles after each attempt
    max_wait: float = 60.0  # longest Retry-After honoured

    @classmethod
    def from_env(cls) -> HttpSettings:
        return cls(
            timeout=float(os.environ.get("FIVEML_HTTP_TIMEOUT", cls.timeout)),
            retries=int(os.environ.get("FIVEML_HTTP_RETRIES", cls.retries)),
            backoff=float(os.environ.get("FIVEML_HTTP_BACKOFF", cls.backoff)),
            max_wait=float(os.environ.get("FIVEML_HTTP_MAX_WAIT", cls.max_wait)),
        )


class FetchError(Exception):
    """A source could not be reached or did not answer usefully."""


def make_client(settings: HttpSettings) -> httpx.Client:
    return httpx.Client(
        timeout=settings.timeout, headers={"User-Agent": USER_AGENT}, follow_redirects=True
    )


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def get(
    client: httpx.Client, url: str, settings: HttpSettings, params: dict[str, str] | None = None
) -> httpx.Response:
    """GET with retries. Returns any non-retryable answer (2xx, 3xx, 4xx but 429)."""
    problem = "no answer"
    for attempt in range(settings.retries + 1):
        wait = settings.backoff * 2**attempt
        try:
            response = client.get(url, params=params)
        except httpx.TimeoutException:
            problem = f"timed out after {settings.timeout:g} s"
        except httpx.TransportError as exc:
            problem = f"network error: {exc}"
        else:
            if response.status_code != 429 and response.status_code < 500:
                return response
            problem = f"HTTP {response.status_code}"
            wait = retry_after(response) or wait
        if attempt < settings.retries:
            wait = min(wait, settings.max_wait)
            # Said on stderr, so a long wait on a slow or absent network is not a hang.
            print(
                f"fiveml: {urlsplit(url).netloc}: {problem}; trying again in {wait:g} s "
                f"(attempt {attempt + 2} of {settings.retries + 1})",
                file=sys.stderr,
                flush=True,
            )
            time.sleep(wait)
    raise FetchError(f"{problem} (after {settings.retries + 1} attempts)")
