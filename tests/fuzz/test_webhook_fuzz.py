"""Hypothesis against the webhook endpoints: random methods, bodies, content types,
headers and token shapes never give a 500, and every accepted webhook is stored as it
was sent. Through Django's handler, and through the ASGI application (its body-size
guard reads Content-Length and streams the body)."""

from unittest import mock
from urllib.parse import quote

import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.models import Capture, IngestEvent
from tests.factories import SourceFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,  # the same examples every run: a failure is reproducible
)

METHODS = st.sampled_from(["POST", "GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"])
CONTENT_TYPES = st.one_of(
    st.sampled_from(
        [
            "application/json",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=xyz",
            "multipart/form-data",  # no boundary
            "text/xml; charset=utf-8",
            "application/octet-stream",
            "text/plain; charset=latin-1",
            "application/json; charset=nonsense",
            "",
        ]
    ),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60),
)
BODIES = st.one_of(
    st.binary(max_size=2048),
    st.text(max_size=512).map(str.encode),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=10), children, max_size=4)
        ),
        max_leaves=12,
    ).map(lambda value: repr(value).encode()),
)
HEADER_NAMES = st.from_regex(r"\A[A-Za-z][A-Za-z0-9-]{0,20}\Z")
HEADER_VALUES = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80)
HEADERS = st.dictionaries(HEADER_NAMES, HEADER_VALUES, max_size=6)
QUERIES = st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=40)
TOKEN_SHAPES = st.one_of(
    st.just("VALID"),
    st.text(max_size=80),
    st.from_regex(r"\A[A-Za-z0-9_-]{40,45}\Z"),  # looks like a real one
    st.sampled_from(["", "..", "%00", "' OR 1=1 --", "\u202e", "a" * 5000, "test", "VALID/x"]),
)


@pytest.fixture
def source(settings):
    settings.WEBHOOK_RATE_LIMIT_PER_SECOND = 0  # many requests per second, on purpose
    return SourceFactory()


def wsgi_headers(headers: dict) -> dict:
    return {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}


def hook_path(source, token: str, *, catcher: bool = False) -> str:
    token = token.replace("VALID", source.webhook_token)
    return ("/hooks/test/" if catcher else "/hooks/") + quote(token, safe="")


@FUZZ
@given(
    method=METHODS,
    token=TOKEN_SHAPES,
    body=BODIES,
    content_type=CONTENT_TYPES,
    headers=HEADERS,
    query=QUERIES,
)
def test_the_webhook_endpoint_never_fails(
    source, method, token, body, content_type, headers, query
):
    path = hook_path(source, token)
    before = IngestEvent.objects.count()
    with mock.patch("ingest.queue.execute_soon"):
        response = Client().generic(
            method,
            f"{path}?{quote(query, safe='=&')}",
            body,
            content_type=content_type,
            **wsgi_headers(headers),
        )

    assert response.status_code < 500, response.content[:300]
    valid = token == "VALID"
    if method != "POST":
        assert response.status_code in {405, 404}
    elif valid:
        assert response.status_code == 200, response.content[:300]
    if response.status_code == 200:
        event = IngestEvent.objects.get(pk=response.json()["id"])
        assert bytes(event.raw_body) == body
        assert event.method == "POST" and event.source_id == source.pk
        assert event.status == IngestEvent.Status.PENDING
    else:
        assert IngestEvent.objects.count() == before  # a refusal writes nothing


@FUZZ
@given(method=METHODS, body=BODIES, content_type=CONTENT_TYPES, headers=HEADERS)
def test_the_test_url_never_fails(source, method, body, content_type, headers):
    from ingest import catcher

    token = catcher.catcher_for_function(function=source.function).token
    response = Client().generic(
        method, f"/hooks/test/{token}", body, content_type=content_type, **wsgi_headers(headers)
    )
    assert response.status_code < 500, response.content[:300]
    if method == "POST":
        assert response.status_code == 200
        capture = Capture.objects.get(pk=response.json()["id"])
        assert bytes(capture.raw_body) == body


LENGTHS = st.one_of(
    st.none(),  # no Content-Length: chunked
    st.sampled_from([b"0", b"-1", b"abc", b"", b"99999999999999999999", b" 12", b"1e3"]),
    st.integers(min_value=0, max_value=4096).map(lambda n: str(n).encode()),
)


# Django's ASGI handler runs each request's sync code in a thread of its own, with its
# own database connection: the rows must be committed for it to see them.
@pytest.mark.django_db(transaction=True)
@FUZZ
@given(
    token=TOKEN_SHAPES,
    body=BODIES,
    length=LENGTHS,
    chunks=st.integers(min_value=1, max_value=4),
    headers=HEADERS,
)
def test_the_asgi_guard_and_endpoint_never_fail(source, token, body, length, chunks, headers):
    from functions_ide.asgi import application

    raw_headers = [(b"host", b"testserver"), (b"content-type", b"application/json")]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    if length is not None:
        raw_headers = [h for h in raw_headers if h[0] != b"content-length"]
        raw_headers.append((b"content-length", length))
    communicator = HttpCommunicator(
        application, "POST", hook_path(source, token), body=body, headers=raw_headers
    )
    with mock.patch("ingest.queue.execute_soon"):
        response = async_to_sync(communicator.get_response)(timeout=10)

    assert response["status"] < 500, response["body"][:300]
    if response["status"] == 200:
        import json

        event = IngestEvent.objects.get(pk=json.loads(response["body"])["id"])
        assert bytes(event.raw_body) == body


@pytest.mark.django_db(transaction=True)
def test_a_body_over_the_limit_is_refused_whatever_it_claims(source, settings):
    settings.WEBHOOK_MAX_BYTES = 1024
    from functions_ide.asgi import application

    for claimed in (None, b"10", b"-1", b"garbage"):
        headers = [(b"host", b"testserver")]
        if claimed is not None:
            headers.append((b"content-length", claimed))
        communicator = HttpCommunicator(
            application, "POST", f"/hooks/{source.webhook_token}", body=b"x" * 2048,
            headers=headers,
        )  # fmt: skip
        response = async_to_sync(communicator.get_response)(timeout=10)
        assert response["status"] == 413, claimed
    assert not IngestEvent.objects.exists()
