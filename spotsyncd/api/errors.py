"""Errors are JSON ``{"error": {"code", "message"}}`` with a fitting status; no traceback ever
reaches a client (bugs are logged with theirs)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from spotsyncd.core.errors import ConfigError, LinkError, SpotsyncError, UserError

log = logging.getLogger(__name__)

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
    421: "wrong_host",
    422: "invalid",
    500: "internal",
    503: "unavailable",
}


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"error": {"code": CODES.get(status, "error"), "message": message}}
    return JSONResponse(body, status_code=status, headers=headers)


def error_bytes(status: int, message: str) -> bytes:
    import json

    return json.dumps({"error": {"code": CODES.get(status, "error"), "message": message}}).encode()


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body",))
        parts.append(f"{where or 'body'}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


# Documented on every API route, so the OpenAPI document says what clients may get.
RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": CODES[code]}
    for code in (400, 401, 403, 404, 409, 413, 421, 422, 503)
}


def _answer_with(status: int) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def answer(_request: Request, exc: Exception) -> JSONResponse:
        return error_response(status, str(exc))

    return answer


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, _validation_message(exc))

    # The project's own errors carry a message meant for the user: the status says whose
    # fault it is (a bad line or config: 400; a state the request conflicts with: 409; the
    # system in the way, e.g. a locked ledger: 503). Starlette answers with the handler of the
    # nearest class in the exception's MRO.
    for kind, status in ((LinkError, 400), (UserError, 409), (ConfigError, 400),
                         (SpotsyncError, 503)):  # fmt: skip
        app.add_exception_handler(kind, _answer_with(status))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.error("web: %s %s failed (a bug, please report)", request.method, request.url.path,
                  exc_info=exc)  # fmt: skip
        return error_response(500, "internal error; the daemon log has the details")
