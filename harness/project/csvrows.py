"""CSV case files read exactly: every value is the string in the file, every error names its line.

No type guessing (``1`` stays ``"1"``, ``NA``/``null``/an empty cell stay ``"NA"``/``"null"``/``""``),
a header row is required and its names must be unique, and a row with more or fewer fields
than the header is an error naming the line.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from harness.errors import ConfigError


class CsvRow(dict[str, str]):
    """One data row, with the file line it starts on."""

    line: int = 0


def read_csv_rows(path: Path, name: str) -> list[CsvRow]:
    """The rows of the CSV file at ``path`` (``name`` is how errors call it)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"invalid UTF-8 at byte {exc.start + 1}", file=name,
                          line=data[:exc.start].count(b"\n") + 1) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise ConfigError("the CSV file has no header row (the first line names the columns)", file=name, line=1)
        _check_header(header, name)
        rows, start = [], reader.line_num + 1
        for fields in reader:
            if fields:  # a blank line
                if len(fields) != len(header):
                    raise ConfigError(f"row has {len(fields)} field(s) but the header has {len(header)} "
                                      f"({', '.join(header)})", file=name, line=start)
                row = CsvRow(zip(header, fields))
                row.line = start
                rows.append(row)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ConfigError(f"malformed CSV: {exc}", file=name, line=reader.line_num) from None
    return rows


def _check_header(header: list[str], name: str) -> None:
    seen: set[str] = set()
    for column in header:
        if not column.strip():
            raise ConfigError("the header has an empty column name", file=name, line=1)
        if column in seen:
            raise ConfigError(f"the header names column '{column}' twice", file=name, line=1)
        seen.add(column)
