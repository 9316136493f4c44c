"""Where a ruleset's text is quoted text or a comment, which the grammar's words cannot be in.

Syntax-error handling reads the raw text: to find where the last thing written before a mistake
ended (skipping blank space and comments), and the next line that starts a declaration (never
inside a multi-line description).
"""

from __future__ import annotations

import bisect
import re

# a quoted text (escapes included) or a comment; an unclosed quote is neither, and is left be
_OPAQUE = re.compile(r'"(?:[^"\\]|\\.)*"|#[^\n]*')


class SourceText:
    def __init__(self, text: str):
        self.text = text
        self.opaque = [(m.start(), m.end(), m.group().startswith("#")) for m in _OPAQUE.finditer(text)]
        self._starts = [start for start, _, _ in self.opaque]
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def _covering(self, offset: int):
        """The quoted text or comment that offset is inside, if any."""
        index = bisect.bisect_right(self._starts, offset) - 1
        if index >= 0:
            start, end, comment = self.opaque[index]
            if start <= offset < end:
                return start, end, comment
        return None

    def in_text_or_comment(self, offset: int) -> bool:
        return self._covering(offset) is not None

    def end_before(self, offset: int) -> tuple[int, int] | None:
        """(line, column) just after the last character written before ``offset``, blank space
        and comments skipped; None at the start of the file."""
        position = min(offset, len(self.text)) - 1
        while position >= 0:
            covering = self._covering(position)
            if covering is not None and covering[2]:  # a comment: jump over it
                position = covering[0] - 1
            elif self.text[position].isspace():
                position -= 1
            else:
                return self.line_column(position + 1)
        return None

    def line_column(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1
