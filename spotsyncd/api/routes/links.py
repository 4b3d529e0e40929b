"""``POST /links``: queue (or follow) link lines, with the same parser, refusals and keys as
link files."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from spotsyncd.api.context import Ctx, require_auth
from spotsyncd.api.errors import RESPONSES
from spotsyncd.api.schemas import LinkResult, LinksIn, LinksOut
from spotsyncd.core.errors import LinkError, UserError
from spotsyncd.follows.service import followable
from spotsyncd.intake.links import parse_lines

router = APIRouter(tags=["links"], dependencies=[Depends(require_auth)], responses=RESPONSES)


@router.post("/links", status_code=202, response_model=LinksOut)
def post_links(body: LinksIn, ctx: Ctx) -> LinksOut:
    """One result per link line: ``queued`` + key, ``already done`` + key, ``followed`` + key,
    or ``refused`` + reason. Nothing is written for refused lines."""
    results: list[LinkResult] = []
    parsed = parse_lines(body.links)
    wanted = []
    for item in parsed:
        if item.link is None:
            results.append(
                LinkResult(line=item.line_no, text=item.text, outcome="refused", reason=item.error)
            )
            continue
        link = item.link
        if body.follow or link.follow:
            try:
                row = ctx.ledger.add_follow(
                    followable(link),
                    name=None,
                    interval_s=ctx.config.poll_every_s,
                    options={},
                    origin="cli",
                )
            except (LinkError, UserError) as exc:
                results.append(
                    LinkResult(
                        line=item.line_no, text=item.text, outcome="refused", reason=str(exc)
                    )
                )
                continue
            results.append(
                LinkResult(line=item.line_no, text=item.text, outcome="followed", key=row.name)
            )
            continue
        wanted.append(item)
    added = ctx.ledger.add_links([w.link for w in wanted if w.link is not None])
    queued = 0
    for item, result in zip(wanted, added, strict=True):
        fresh = result.created or result.requeued
        queued += fresh
        outcome = "queued" if fresh else f"already {result.state}"
        results.append(
            LinkResult(line=item.line_no, text=item.text, outcome=outcome, key=result.key)
        )
    results.sort(key=lambda r: r.line)
    if queued or any(r.outcome == "followed" for r in results):
        ctx.nudge()
    return LinksOut(
        results=results, queued=queued, refused=sum(r.outcome == "refused" for r in results)
    )
