"""A Babel extractor for reference data: the ISIC Rev.4 titles pages show translated.

babel.cfg maps ``isic-rev4.csv`` to ``extract_isic_titles``, so ``pybabel extract``
collects the section and division titles straight from the CSV (groups and classes
stay in English). Pages translate them with ``gettext(title_en)``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any, BinaryIO

TRANSLATED_LEVELS = ("section", "division")


def extract_isic_titles(
    fileobj: BinaryIO, keywords: Any, comment_tags: Any, options: dict[str, Any]
) -> Iterator[tuple[int, None, str, list[str]]]:
    """Yield (line, funcname, message, comments) for each section and division title."""
    reader = csv.DictReader(io.TextIOWrapper(fileobj, encoding="utf-8", newline=""))
    for row in reader:
        if row["level"] in TRANSLATED_LEVELS:
            yield reader.line_num, None, row["title_en"], []
