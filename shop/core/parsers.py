import json

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from shop.exceptions import PayloadTooLarge


def _depth(value, limit: int) -> int:
    """Nesting depth of decoded JSON, stopping once past `limit`."""
    stack = [(value, 1)]
    deepest = 0
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


class LimitedJSONParser(JSONParser):
    """JSON parser that bounds body size and nesting depth.

    The size check covers chunked bodies that carry no Content-Length; the
    depth check turns a stack-exhausting document into a 400, not a 500.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            raise PayloadTooLarge()
        if not raw:
            return {}
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except RecursionError as exc:
            raise ParseError(
                "JSON parse error - document is nested too deeply."
            ) from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        if _depth(data, settings.API_MAX_JSON_DEPTH) > settings.API_MAX_JSON_DEPTH:
            raise ParseError("JSON parse error - document is nested too deeply.")
        return data


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")
