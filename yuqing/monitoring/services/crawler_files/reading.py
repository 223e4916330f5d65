"""Reading a crawler file: size limit, encoding, format (JSON array, JSONL, CSV), platform and kind.

File-level problems raise a ValidationError with a Chinese message; a bad record (a broken JSON
line, a CSV row of another width than the header, a record that cannot be mapped) becomes a row
with its line number and reason, and the other rows are still read. A JSON array that does not
parse is refused whole: after a syntax error inside an array there is no telling where the next
record starts.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from yuqing.monitoring.services.crawler_files.records import PLATFORMS, platform_from_fields, record_to_item

MAX_FILE_BYTES = 50 * 1024 * 1024
FORMATS = ("json", "jsonl", "csv")
# `data/{platform}/{format}/{search|detail|creator}_{contents|comments|creators}_{date}.{ext}`
_NAME_PATTERN = re.compile(r"(search|detail|creator)_(contents|comments|creators)_")
_PLATFORM_ALIASES = {
    "wb": "wb",
    "weibo": "wb",
    "xhs": "xhs",
    "xiaohongshu": "xhs",
    "dy": "dy",
    "douyin": "dy",
    "ks": "ks",
    "kuaishou": "ks",
    "bili": "bili",
    "bilibili": "bili",
    "tieba": "tieba",
    "zhihu": "zhihu",
}


@dataclass
class CrawlerRow:
    """One record of the file: its line (where it starts) and its item, or why it has none."""

    line: int
    item: dict[str, Any] | None = None
    error: str = ""


@dataclass
class CrawlerFile:
    format: str  # json / jsonl / csv
    platform: str  # wb xhs dy ks bili tieba zhihu, or "" when unknown
    kind: str  # contents / comments / creators, or "" when unknown
    encoding: str
    rows: list[CrawlerRow]

    @property
    def platform_label(self) -> str:
        return str(PLATFORMS[self.platform].label) if self.platform in PLATFORMS else _("未知平台")


def _read_bytes(upload_or_path: Any) -> bytes:
    too_big = ValidationError(
        _("文件过大：上限为 %(limit)d MB，请分成几个文件导入。") % {"limit": MAX_FILE_BYTES // (1024 * 1024)}
    )
    if isinstance(upload_or_path, bytes):
        raw = upload_or_path
    elif isinstance(upload_or_path, str | PurePath):
        path = Path(upload_or_path)
        if not path.is_file():
            raise ValidationError(_("找不到文件：%(path)s") % {"path": path})
        if path.stat().st_size > MAX_FILE_BYTES:
            raise too_big
        raw = path.read_bytes()
    else:
        size = getattr(upload_or_path, "size", None)
        if size is not None and size > MAX_FILE_BYTES:
            raise too_big
        if hasattr(upload_or_path, "seek"):
            upload_or_path.seek(0)
        raw = upload_or_path.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise too_big
    return raw


def _decode(raw: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM, the crawlers' own), else GBK/GB18030 (a CSV saved by Excel)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        raise ValidationError(_("无法识别文件编码：请另存为 UTF-8 或 GBK 编码后再导入。")) from None


def _describe(filename: str) -> tuple[str, str]:
    """(platform, kind) from `data/{platform}/{format}/{type}_{kind}_{date}` or a platform-prefixed name."""
    path = PurePath(filename.replace("\\", "/"))
    platform = ""
    parts = [part.lower() for part in path.parts[:-1]]
    if "data" in parts and parts.index("data") + 1 < len(parts):
        platform = _PLATFORM_ALIASES.get(parts[parts.index("data") + 1], "")
    if not platform:
        platform = next((_PLATFORM_ALIASES[part] for part in reversed(parts) if part in _PLATFORM_ALIASES), "")
    stem = path.name.lower()
    match = _NAME_PATTERN.search(stem)
    if not platform:
        prefix = stem[: match.start()] if match else stem
        platform = next(
            (_PLATFORM_ALIASES[token] for token in re.split(r"[_\-.\s]+", prefix) if token in _PLATFORM_ALIASES), ""
        )
    return platform, (match.group(2) if match else "")


def _json_records(text: str) -> Iterator[tuple[int, Any]]:
    """The elements of a JSON array with the line each starts on; a syntax error ends the file."""
    decoder = json.JSONDecoder()
    position = 0
    length = len(text)

    def skip_space(at: int) -> int:
        while at < length and text[at] in " \t\r\n":
            at += 1
        return at

    def fail(at: int, message: str) -> ValidationError:
        line = text.count("\n", 0, at) + 1
        return ValidationError(_("JSON 格式错误（第 %(line)d 行）：%(message)s") % {"line": line, "message": message})

    position = skip_space(position)
    if position >= length or text[position] != "[":
        raise fail(position, _("应为 [ 开头的数组"))
    position = skip_space(position + 1)
    if position < length and text[position] == "]":
        return
    while True:
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise fail(error.pos, error.msg) from None
        except RecursionError:  # the parser's own limit (~1,000 levels): where the record ends is unknown
            raise fail(position, _("嵌套层数过多")) from None
        yield text.count("\n", 0, position) + 1, value
        position = skip_space(end)
        if position < length and text[position] == ",":
            position = skip_space(position + 1)
            continue
        if position < length and text[position] == "]":
            return
        raise fail(position, _("缺少逗号或 ]"))


def _jsonl_records(text: str) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as error:
            yield number, ValueError(_("不是有效的 JSON（%(message)s）") % {"message": error.msg})
        except RecursionError:  # nested deeper than the parser goes: this line only
            yield number, ValueError(_("不是有效的 JSON（嵌套层数过多）"))


def _csv_records(text: str) -> Iterator[tuple[int, Any]]:
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    csv.field_size_limit(MAX_FILE_BYTES)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 2
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            extra = record.pop(None, None)  # cells beyond the header
            if not any((value or "").strip() for value in record.values()) and not extra:
                continue
            # A row of another width than the header has its cells under the wrong names.
            if extra or None in record.values():
                cells = len(record) + len(extra) if extra else sum(value is not None for value in record.values())
                yield (
                    line,
                    ValueError(
                        _("CSV 列数与表头不符：此行 %(cells)d 列，表头 %(header)d 列")
                        % {"cells": cells, "header": len(reader.fieldnames or ())}
                    ),
                )
                continue
            yield line, record
    except csv.Error as error:
        yield start, ValueError(_("CSV 格式错误，其后的内容未能读取（%(message)s）") % {"message": error})


def _format_of(filename: str, text: str) -> str:
    suffix = PurePath(filename).suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    head = text.lstrip()[:1]
    return {"[": "json", "{": "jsonl"}.get(head, "csv")


def crawler_file_read(upload_or_path: Any, *, filename: str) -> CrawlerFile:
    """Read a crawler file (bytes, a path, or an uploaded file) into ingestion items, row by row.

    File-level problems (too big, unknown encoding, a JSON array that does not parse) raise a
    ValidationError with a Chinese message; a bad record becomes a row with its line and error.
    """
    text, encoding = _decode(_read_bytes(upload_or_path))
    file_format = _format_of(filename, text)
    if file_format == "json":
        try:
            records = list(_json_records(text))
        except ValidationError:
            # Some tools name JSON Lines ".json": read it so before giving up.
            if not text.lstrip().startswith("{"):
                raise
            file_format, records = "jsonl", list(_jsonl_records(text))
    elif file_format == "jsonl":
        records = list(_jsonl_records(text))
    else:
        records = list(_csv_records(text))

    platform, kind = _describe(filename)
    dicts = [record for _line, record in records if isinstance(record, dict)]
    # Without a platform in the path, each record tells its own (a merged export may mix them).
    guesses = {} if platform else {id(record): platform_from_fields(record) for record in dicts}
    if not platform:
        commonest = Counter(guess for guess in guesses.values() if guess).most_common(1)
        platform = commonest[0][0] if commonest else ""
    if not kind and dicts:
        first = dicts[0]
        kind = "comments" if "comment_id" in first else ("creators" if "fans" in first else "contents")
    if kind == "creators":
        raise ValidationError(_("这是创作者（账号）资料文件，不含帖子或评论，无法导入为舆情信息。"))

    rows = []
    for line, record in records:
        if isinstance(record, Exception):
            rows.append(CrawlerRow(line, error=str(record)))
        elif not isinstance(record, dict):
            rows.append(CrawlerRow(line, error=_("不是一条记录（应为 JSON 对象）")))
        else:
            record_platform = guesses.get(id(record)) or platform
            try:
                item = record_to_item(record, platform=record_platform, kind=kind)
            except Exception as error:  # a record of odd shape costs only its own row
                reason = _("无法读取这条记录（%(error)s）") % {"error": type(error).__name__}
                rows.append(CrawlerRow(line, error=reason))
            else:
                rows.append(CrawlerRow(line, item=item))
    return CrawlerFile(format=file_format, platform=platform, kind=kind, encoding=encoding, rows=rows)
