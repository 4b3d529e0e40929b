"""schemathesis against the live OpenAPI document (Uvicorn on loopback, a real ledger, the
token): generated requests for every operation never get a 5xx, and every response matches the
schema (status code, content type, body). Bounded: a few examples per operation."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from spotsyncd.intake.links import parse_link
from tests.api.conftest import Live

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]  # fmt: skip
EXAMPLES = 8


@pytest.mark.e2e
def test_generated_requests_get_no_5xx_and_match_the_schema(live: Live) -> None:
    live.ledger.add_links([parse_link("https://youtu.be/dQw4w9WgXcQ")])
    schema = schemathesis.openapi.from_url(f"{live.url}/api/v1/openapi.json", headers=live.auth)
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if not result.ok().path.endswith("/events")  # endless by design; tested on its own
    ]
    assert len(operations) >= 12, [op.label for op in operations]
    tested: dict[str, int] = {}

    def check(label: str, case: Any) -> None:
        case.call_and_validate(base_url=live.url, headers=live.auth, checks=CHECKS)
        tested[label] = tested.get(label, 0) + 1

    def for_operation(label: str) -> Any:
        def run(case: Any) -> None:
            check(label, case)

        return run

    for operation in operations:
        test = given(case=operation.as_strategy())(for_operation(operation.label))
        settings(max_examples=EXAMPLES, deadline=None, database=None,
                 suppress_health_check=list(HealthCheck))(test)()  # fmt: skip
    assert len(tested) == len(operations)


def test_the_schema_documents_the_error_shape(live: Live) -> None:
    import httpx

    document = httpx.get(f"{live.url}/api/v1/openapi.json", headers=live.auth).json()
    assert document["info"]["title"] == "spotsyncd"
    post_links = document["paths"]["/api/v1/links"]["post"]["responses"]
    assert {"202", "401", "413", "422"} <= set(post_links)
    assert "ErrorBody" in document["components"]["schemas"]
    _ = st  # strategies are built from this document
