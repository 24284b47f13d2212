"""OpenAPI generation: every operation declares the error responses it can give."""

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny


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


class ShopAutoSchema(AutoSchema):
    # Views may list extra codes they return, e.g. ("409",).
    def _error_codes(self) -> set[str]:
        codes = {"400", "429", "503"}
        public = all(isinstance(p, AllowAny) for p in self.view.get_permissions())
        codes.add("401")
        if not public:
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

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in sorted(self._error_codes()):
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code)
                response["description"] = _DESCRIPTIONS[code]
                responses[code] = response
        return responses
