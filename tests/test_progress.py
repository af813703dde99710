"""The progress bar of long bulk runs."""

from __future__ import annotations

import io

from cocrec import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_draws_on_a_terminal_only() -> None:
    piped = io.StringIO()
    with progress.bar(1000, "re-encrypting", piped) as advance:
        advance(1000)
    assert piped.getvalue() == ""
    now = [0.0]
    terminal = Terminal()
    drawing = progress.Bar(1000, "re-encrypting", terminal, clock=lambda: now[0])
    drawing.advance(10)  # quick runs stay silent
    assert terminal.getvalue() == ""
    now[0] = 1.0
    drawing.advance(490)
    assert terminal.getvalue().endswith("\rre-encrypting [###############---------------] 500/1000")
    drawing.close()
    assert terminal.getvalue().endswith("\r")
