"""Progress of a long command: a bar on a terminal, plain lines (count, rate) in a log."""

from __future__ import annotations

import time
from typing import TextIO

import click


class LogProgress:
    """Progress as plain lines (count, rate) every ``every`` seconds, for logs and pipes.

    A progress bar redraws one line with carriage returns, which a log file shows
    as nothing until the end; these lines show a long import moving.
    """

    def __init__(self, label: str, total: int, out: TextIO, every: float):
        self.label, self.total, self.out, self.every = label, total, out, every
        self.done = 0
        self.start = self.last = time.monotonic()
        click.echo(f"{label}: {total:,} records" if total else label, file=out)

    def update(self, count: int) -> None:
        """Count ``count`` more records; print a line if ``every`` seconds have passed."""
        self.done += count
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self._line(now)

    def finish(self) -> None:
        """The closing line (always printed)."""
        self._line(time.monotonic())

    def _line(self, now: float) -> None:
        elapsed = now - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        of = f" of {self.total:,}" if self.total else ""
        share = f" ({min(self.done * 100 // self.total, 100)}%)" if self.total else ""
        click.echo(
            f"{self.label}: {self.done:,}{of} records{share},"
            f" {rate:,.0f} records/s, {elapsed:.0f} s",
            file=self.out,
        )


class BarProgress:
    """click's progress bar, for a terminal."""

    def __init__(self, label: str, total: int, out: TextIO):
        self.bar = click.progressbar(length=total or None, label=label, file=out)
        self.bar.__enter__()

    def update(self, count: int) -> None:
        """Advance the bar."""
        self.bar.update(count)

    def finish(self) -> None:
        """Close the bar."""
        self.bar.__exit__(None, None, None)


class NoProgress:
    """Nothing shown."""

    def update(self, count: int) -> None:
        """Ignore."""

    def finish(self) -> None:
        """Ignore."""


def make_progress(label: str, total: int, show: bool, every: float):
    """Progress on stderr: a bar on a terminal, else a line every ``every`` seconds."""
    if not show:
        return NoProgress()
    out = click.get_text_stream("stderr")
    if out.isatty():
        return BarProgress(label, total, out)
    return LogProgress(label, total, out, every)
