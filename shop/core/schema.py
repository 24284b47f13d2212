"""OpenAPI generation: the schema is the contract clients are generated from.

- every operation declares the error responses it can give, in the one shape;
- security per operation: reads anyone may make accept no credentials too;
- request fields carry the patterns and bounds their validation enforces
  (shop.core.strict), and filters theirs (shop.core.filtering);
- `links_postprocess` chains create -> read -> act for the stateful clients.
"""

from drf_spectacular.openapi import AutoSchema
from rest_framework import permissions, serializers
from rest_framework.permissions import AllowAny

# Registers the strict django-filter extension with drf-spectacular.
from shop.core import filtering  # noqa: F401
from shop.core.permissions import ReadOnlyOrStaffModelPermissions
from shop.core.strict import decimal_pattern, text_pattern


class ErrorSerializer(serializers.Serializer):
    """The one error body of the API."""

    code = serializers.CharField(help_text="Stable machine-readable error code.")
    message = serializers.CharField(help_text="Human-readable explanation.")
    extra = serializers.DictField(
        help_text="Details: `fields` for validation errors, `lines` for stock "
        "shortages, `retry_after` for throttling."
    )


_DESCRIPTIONS = {
    "400": "Invalid input.",
    "401": "Missing, invalid or expired credentials.",
    "403": "Authenticated but not allowed.",
    "404": "Not found (or not visible to the caller).",
    "405": "Method not allowed.",
    "409": "Conflicts with the current state.",
    "411": "A chunked body without Content-Length.",
    "413": "Request body too large.",
    "415": "Unsupported media type.",
    "422": "Idempotency key reused with a different request.",
    "429": "Too many requests; see Retry-After.",
    "503": "The database is briefly unavailable; retry after Retry-After.",
}


def _anyone_may(permission, method: str) -> bool:
    if isinstance(permission, AllowAny):
        return True
    return (
        isinstance(permission, ReadOnlyOrStaffModelPermissions)
        and method in permissions.SAFE_METHODS
    )


class ShopAutoSchema(AutoSchema):
    def _is_public(self) -> bool:
        return all(_anyone_may(p, self.method) for p in self.view.get_permissions())

    def get_auth(self):
        auths = super().get_auth()
        # Public reads: a token is optional (staff see more with one).
        if self._is_public() and {} not in auths:
            auths.append({})
        return auths

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction != "request" or not isinstance(schema, dict):
            return schema
        if isinstance(field, serializers.ListSerializer):
            if not field.allow_empty:
                schema["minItems"] = max(schema.get("minItems", 0), 1)
            if field.max_length is not None:
                schema["maxItems"] = field.max_length
            if field.min_length is not None:
                schema["minItems"] = field.min_length
        elif isinstance(field, serializers.DecimalField):
            schema["pattern"] = decimal_pattern(field)
        elif isinstance(field, serializers.PrimaryKeyRelatedField):
            schema.setdefault("minimum", 1)
        schema.update(getattr(field, "openapi_extra", {}))
        return schema

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        # After drf-spectacular's own: a pattern there would make it offer ""
        # as a `oneOf` branch, which these patterns already match.
        if (
            isinstance(field, serializers.CharField)
            and not field.read_only
            and schema.get("type") == "string"
            and not {"format", "pattern"} & set(schema)
        ):
            pattern = text_pattern(field)
            if pattern:
                schema["pattern"] = pattern

    # Views may list extra codes they return, e.g. ("409",).
    def _error_codes(self) -> set[str]:
        codes = {"400", "429", "503"}
        codes.add("401")
        if not self._is_public():
            codes.add("403")
        if "{" in self.path or self._takes_format_parameter():
            # DRF also answers an unknown `?format=` with 404.
            codes.add("404")
        if self.method in ("POST", "PUT", "PATCH"):
            # 411: BodySizeLimitMiddleware refuses chunked bodies.
            codes.update({"411", "413", "415"})
        codes.update(getattr(self.view, "schema_error_codes", ()))
        return codes

    def _takes_format_parameter(self) -> bool:
        return any(
            param.get("in") == "query" and param.get("name") == "format"
            for param in self._get_parameters()
        )

    def _links(self) -> dict:
        # Views declare {action: {link name: (operationId, body field)}}; the
        # link passes the new object's id to the operation's `id` parameter.
        declared = getattr(self.view, "schema_links", {}).get(
            getattr(self.view, "action", None) or self.method.lower(), {}
        )
        return {
            name: {
                "operationId": operation_id,
                "parameters": {"id": f"$response.body#/{field}"},
            }
            for name, (operation_id, field) in declared.items()
        }

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        links = self._links()
        success = sorted(code for code in responses if str(code).startswith("2"))
        if links and success:
            responses[success[0]]["links"] = links
        for code in sorted(self._error_codes()):
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code)
                response["description"] = _DESCRIPTIONS[code]
                responses[code] = response
        return responses
