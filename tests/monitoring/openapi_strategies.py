"""Hypothesis strategies generated from the ingestion API's own OpenAPI schema, plus hostile values.

A small translator for the JSON Schema subset the schema uses ($ref, oneOf, anyOf of `required`,
object, array, string with maxLength / pattern / format uri, integer with bounds, number, null).
hypothesis-jsonschema would do this, but its release does not run on current Hypothesis.
Sizes are capped (batches of at most MAX_ITEMS_FUZZ items, short strings with the occasional
string of exactly the limit) so a run stays within seconds.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from yuqing.monitoring.views import api

MAX_ITEMS_FUZZ = 4
SHORT = 30

DOCUMENT: dict[str, Any] = json.loads(api.OPENAPI_PATH.read_text())

json_leaves = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=SHORT)
json_values = st.recursive(
    json_leaves,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)
finite_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=SHORT),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)  # fmt: skip

http_urls = st.builds(
    "{}://{}.{}/{}{}".format,
    st.sampled_from(["http", "https", "HTTPS"]),
    st.from_regex(r"[a-z0-9]{1,12}", fullmatch=True),
    st.sampled_from(["cn", "com", "com.cn"]),
    st.from_regex(r"[A-Za-z0-9/_\-.]{0,30}", fullmatch=True),
    st.sampled_from(["", "?utm_source=app", "?id=1&from=feed", "#frag", "?q=%E9%80%BE%E6%9C%9F"]),
)


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = DOCUMENT
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _string(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    limit = schema.get("maxLength")
    if "pattern" in schema:
        matching = st.from_regex(schema["pattern"], fullmatch=True)
        return matching if limit is None else matching.filter(lambda text: len(text) <= limit)
    if schema.get("format") == "uri":
        return http_urls
    if limit is None:
        return st.text(max_size=SHORT)
    # Short strings, and now and then one of exactly the limit (one character repeated: cheap to draw).
    return st.text(max_size=min(limit, SHORT)) | st.characters().map(lambda char: char * limit)


def _object(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    properties = schema.get("properties")
    if not properties:
        return st.dictionaries(st.text(max_size=8), finite_json_values, max_size=3)
    required = set(schema.get("required", []))
    # anyOf of `required` lists (an item has a body or a title): one of them is required.
    choices = [set(option.get("required", [])) for option in schema.get("anyOf", [])]

    def build(chosen: set[str]) -> st.SearchStrategy[dict[str, Any]]:
        must = required | chosen
        return st.fixed_dictionaries(
            {name: from_schema(properties[name]) for name in must},
            optional={name: from_schema(sub) for name, sub in properties.items() if name not in must},
        )

    if choices:
        return st.one_of([build(chosen) for chosen in choices])
    return build(set())


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    schema = _resolve(schema)
    if "oneOf" in schema:
        return st.one_of([from_schema(option) for option in schema["oneOf"]])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([from_schema({**schema, "type": one}) for one in kind])
    if kind == "object":
        return _object(schema)
    if kind == "array":
        size = min(schema.get("maxItems", MAX_ITEMS_FUZZ), MAX_ITEMS_FUZZ)
        return st.lists(from_schema(schema["items"]), max_size=size)
    if kind == "string":
        return _string(schema)
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "null":
        return st.none()
    raise NotImplementedError(f"schema not covered: {schema}")


def schema_batches() -> st.SearchStrategy[dict[str, Any]]:
    """Requests valid by the schema; the source mostly left to the token's default."""
    batches = from_schema({"$ref": "#/components/schemas/Batch"})
    return st.tuples(batches, st.booleans()).map(lambda pair: pair[0] if pair[1] else _without_source(pair[0]))


def _without_source(batch: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in batch.items() if key != "source"}


# ---------------------------------------------------------------- hostile values

hostile_text = st.one_of(
    st.sampled_from(["\ud800", "a\udfffb", "\x00", "x\x00y", "\x07", "²", "١٢", "１２", "一万", "NaN", "1e309", "-0"]),
    st.text(st.characters(categories=["Cs", "Cc", "Nd", "No", "Zs", "Lo"]), max_size=SHORT),
)


def _deep(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"d": value}
    return value


hostile_values = st.one_of(
    hostile_text,
    st.sampled_from([float("nan"), float("inf"), float("-inf"), 2**64, -(2**63) - 1, 10**30, 1.5, True, [], {}]),
    st.integers(15, 60).map(_deep),
    json_values,
)
ITEM_FIELDS = [*_resolve({"$ref": "#/components/schemas/Item"})["properties"], "unknown", "\ud800", "\x00"]


@st.composite
def hostile_batches(draw: st.DrawFn) -> dict[str, Any]:
    """A schema-valid batch with some fields of some items (or whole items, or the source) hostile."""
    batch = draw(schema_batches())
    items = batch.get("items", [])
    for item in items:
        if isinstance(item, dict):
            for field in draw(st.lists(st.sampled_from(ITEM_FIELDS), max_size=3)):
                item[field] = draw(hostile_values)
    if draw(st.booleans()):
        items.append(draw(hostile_values))
    if draw(st.integers(0, 9)) == 0:
        batch["source"] = draw(hostile_values)
    return batch
