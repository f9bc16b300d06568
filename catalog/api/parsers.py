"""The API's JSON parser (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES). A module of its own:
DRF imports it while its views load, before catalog.api.base can be imported."""

from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's, and a body nested past what Python's parser can follow is a 400 like any
    other JSON it cannot read (it was a RecursionError: a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the body nests too deeply.") from None
