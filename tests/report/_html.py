"""Reading a report page back: the quality of each cell of the table, and every link."""

from __future__ import annotations

from html.parser import HTMLParser


class Cells(HTMLParser):
    """The ``data-quality`` of each cell of the quality table, by row run and column."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[int, list[str]] = {}
        self.columns: list[str] = []
        self.run = -1
        self.links: list[str] = []
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "thead":
            self._in_head = True
        if tag == "tr" and a.get("data-run") is not None:
            self.run = int(a["data-run"] or 0)
            self.rows[self.run] = []
        if tag == "td" and self.run >= 0:
            self.rows[self.run].append(a.get("data-quality") or "none")
        if tag in ("a", "img"):
            self.links.append(a.get("href") or a.get("src") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "thead":
            self._in_head = False

    def handle_data(self, data: str) -> None:
        if self._in_head and data.strip() and data.strip() != "run":
            self.columns.append(data.strip())

    def by_detector(self) -> dict[int, dict[str, str]]:
        """Run -> detector -> the cell's quality (``none`` for "no check"/"missing")."""
        return {
            run: dict(zip(self.columns, cells, strict=True)) for run, cells in self.rows.items()
        }
