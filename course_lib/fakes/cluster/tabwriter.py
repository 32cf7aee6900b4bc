"""Go's ``text/tabwriter``, the column aligner behind every kubectl table and ``describe``.

kubectl does not pad columns itself: it writes tab-separated cells and lets tabwriter align
them. Reproducing the algorithm (rather than guessing widths) is what makes the fake's output
byte-identical to the real one. Semantics kept: a cell is text terminated by a tab; the last
cell of a line is not part of any column; a column block is a run of consecutive lines that
have a cell in that column; its width is the widest cell plus ``padding`` (at least
``minwidth``); ``flush()`` ends all blocks.
"""

from __future__ import annotations

__all__ = ["TabWriter"]


class TabWriter:
    """Collects text with ``write`` and returns the aligned result from ``getvalue``."""

    def __init__(self, minwidth: int = 0, padding: int = 2, padchar: str = " ") -> None:
        self._minwidth = minwidth
        self._padding = padding
        self._padchar = padchar
        self._pending = ""
        self._out: list[str] = []

    def write(self, text: str) -> None:
        self._pending += text

    def flush(self) -> None:
        """Align what was written so far; later lines start new column blocks."""
        if self._pending:
            self._out.append(self._format(self._pending))
            self._pending = ""

    def getvalue(self) -> str:
        self.flush()
        return "".join(self._out)

    def _format(self, text: str) -> str:
        raw_lines = text.split("\n")
        trailing = raw_lines[-1]  # text after the last newline (a line still being written)
        lines = [line.split("\t") for line in raw_lines[:-1]]
        if trailing:
            lines.append(trailing.split("\t"))
        out: list[str] = []
        self._format_block(lines, 0, len(lines), [], out)
        rendered = "\n".join(out)
        return rendered + ("\n" if not trailing and lines else "")

    def _format_block(
        self, lines: list[list[str]], line0: int, line1: int, widths: list[int], out: list[str]
    ) -> None:
        column = len(widths)
        this = line0
        while this < line1:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            self._write_lines(lines, line0, this, widths, out)
            line0 = this
            width = self._minwidth
            while this < line1 and column < len(lines[this]) - 1:
                width = max(width, len(lines[this][column]) + self._padding)
                this += 1
            self._format_block(lines, line0, this, [*widths, width], out)
            line0 = this
        self._write_lines(lines, line0, line1, widths, out)

    def _write_lines(
        self, lines: list[list[str]], line0: int, line1: int, widths: list[int], out: list[str]
    ) -> None:
        for cells in lines[line0:line1]:
            parts: list[str] = []
            for j, cell in enumerate(cells):
                parts.append(cell)
                if j < len(widths) and j < len(cells) - 1:
                    parts.append(self._padchar * (widths[j] - len(cell)))
            out.append("".join(parts))
