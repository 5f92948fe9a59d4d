"""A real HTTP server on 127.0.0.1 that answers like the arXiv and Crossref APIs.

Responses are built from the fixture files in tests/fixtures/ (each API's real format).
A test sets `server.scenario` to make it misbehave: the arXiv error feed, 404, 429 with
Retry-After, 500, a slow answer past the client's timeout, a malformed body.
"""

from __future__ import annotations

import http.server
import json
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@dataclass
class FakePaper:
    id: str
    title: str
    authors: list[str]
    published: str
    version: str = "v1"
    journal: str | None = None


@dataclass
class FakeApis:
    papers: dict[str, FakePaper] = field(default_factory=dict)
    works: dict[str, tuple[str, int]] = field(default_factory=dict)  # doi -> (title, year)
    scenario: str = "normal"
    requests: list[str] = field(default_factory=list)
    failures_left: int = 0

    def arxiv_feed(self, ids: list[str]) -> bytes:
        entry = (FIXTURES / "arxiv" / "entry.xml").read_text()
        entries = []
        for identifier in ids:
            paper = self.papers.get(identifier.split("v")[0])
            if paper is None:
                continue
            authors = "".join(
                f"    <author>\n      <name>{a}</name>\n    </author>\n" for a in paper.authors
            )
            journal = (
                (
                    f'    <arxiv:journal_ref xmlns:arxiv="http://arxiv.org/schemas/atom">'
                    f"{paper.journal}</arxiv:journal_ref>\n"
                )
                if paper.journal
                else ""
            )
            entries.append(
                entry.format(
                    id=paper.id,
                    version=paper.version,
                    title=paper.title,
                    published=paper.published,
                    updated=paper.published,
                    authors=authors,
                    journal=journal,
                )
            )
        feed = (FIXTURES / "arxiv" / "feed.xml").read_text()
        return feed.format(ids=",".join(ids), count=len(entries), entries="".join(entries)).encode()


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def start(apis: FakeApis) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def send(self, code: int, body: bytes, kind: str, headers: dict[str, str] | None = None):
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            apis.requests.append(self.path)
            parts = urlsplit(self.path)
            scenario = apis.scenario
            if apis.failures_left > 0 or scenario in ("always_500", "always_429"):
                apis.failures_left -= 1
                if scenario.endswith("429"):
                    return self.send(429, b"Too Many Requests", "text/plain", {"Retry-After": "1"})
                return self.send(500, b"Internal Server Error", "text/plain")
            if scenario == "slow":
                time.sleep(2.0)
            if scenario == "malformed":
                return self.send(200, b"<feed><entry><title>broken", "application/atom+xml")
            if parts.path == "/api/query":
                if scenario == "error_feed":
                    body = (FIXTURES / "arxiv" / "error.xml").read_bytes()
                    return self.send(400, body, "application/atom+xml")
                query = parse_qs(parts.query)
                if "search_query" in query:  # ti:"words of the title"
                    phrase = _words(query["search_query"][0].split(":", 1)[1].strip('"'))
                    ids = [p.id for p in apis.papers.values() if phrase in _words(p.title)]
                else:
                    ids = query["id_list"][0].split(",")
                return self.send(200, apis.arxiv_feed(ids), "application/atom+xml")
            if parts.path.startswith("/works/"):
                doi = unquote(parts.path[len("/works/") :])
                if doi not in apis.works:
                    return self.send(404, b"Resource not found.", "text/plain")
                title, year = apis.works[doi]
                body = (FIXTURES / "crossref" / "work.json").read_text()
                body = body.replace("{doi}", doi).replace("{title}", json.dumps(title)[1:-1])
                return self.send(
                    200, body.replace("{year}", str(year)).encode(), "application/json"
                )
            if parts.path.startswith("/page/"):
                code = int(parts.path.split("/")[2])
                return self.send(code, b"page", "text/html")
            return self.send(404, b"no such fixture", "text/plain")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
