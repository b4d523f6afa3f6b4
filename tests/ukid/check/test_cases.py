"""The suite runner: each case isolated (an exception is a FAIL with its reason, never a traceback),
prerequisites that did not pass make a SKIP naming them, run-time case groups."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from federation.errors import Check, InvalidTrustChain
from ukid.check.cases import Case, CaseFailed, CaseGroup, CaseSkipped, Result, Status, run_suite, summarise


@dataclass
class Ctx:
    ran: list[str] = field(default_factory=list)


def case(case_id: str, outcome: object = "ok", requires: tuple[str, ...] = ()) -> Case[Ctx]:
    async def run(ctx: Ctx) -> str:
        ctx.ran.append(case_id)
        if isinstance(outcome, BaseException):
            raise outcome
        if outcome == "sleep":
            await asyncio.sleep(5)
        return str(outcome)

    return Case(case_id, f"title {case_id}", "Spec §1", f"fix {case_id}", run, requires)


def run(items: list[Case[Ctx] | CaseGroup[Ctx]], deadline: float | None = None) -> tuple[list[Result], Ctx]:
    ctx = Ctx()
    seen: list[str] = []
    results = asyncio.run(run_suite(items, ctx, on_result=lambda r: seen.append(r.id), deadline=deadline))
    assert seen == [r.id for r in results]
    return results, ctx


def outcomes(results: list[Result]) -> list[tuple[str, Status, str, str]]:
    return [(r.id, r.status, r.reason, r.fix) for r in results]


def test_runner_exception_in_a_case_is_a_fail_with_its_reason() -> None:
    results, ctx = run([case("a", ZeroDivisionError("division by zero")), case("b")])
    assert outcomes(results) == [
        ("a", Status.FAIL, "unexpected error: ZeroDivisionError: division by zero", "fix a"),
        ("b", Status.PASS, "ok", "fix b"),
    ]
    assert ctx.ran == ["a", "b"]


def test_runner_federation_error_reason_is_its_description() -> None:
    error = InvalidTrustChain("no valid trust chain from x", check=Check.TRUST_ANCHOR)
    results, _ = run([case("a", error)])
    assert outcomes(results) == [("a", Status.FAIL, "no valid trust chain from x", "fix a")]


def test_runner_case_failed_may_override_the_fix_and_multiline_reasons_become_one_line() -> None:
    results, _ = run([case("a", CaseFailed("bad\n  thing", fix="do this")), case("b", CaseSkipped("n/a"))])
    assert outcomes(results) == [
        ("a", Status.FAIL, "bad thing", "do this"),
        ("b", Status.SKIP, "n/a", "fix b"),
    ]
    assert summarise(results).ok is False


def test_runner_prerequisite_failed_skips_naming_the_root_cause() -> None:
    results, ctx = run(
        [case("a", CaseFailed("no")), case("b", requires=("a",)), case("c", requires=("b",)), case("d")]
    )
    assert outcomes(results) == [
        ("a", Status.FAIL, "no", "fix a"),
        ("b", Status.SKIP, "prerequisite a failed", "fix b"),
        ("c", Status.SKIP, "prerequisite a failed", "fix c"),
        ("d", Status.PASS, "ok", "fix d"),
    ]
    assert [r.blocked_by for r in results] == [None, "a", "a", None]
    assert ctx.ran == ["a", "d"]


def test_runner_prerequisite_skipped_as_not_applicable_says_so() -> None:
    results, _ = run([case("a", CaseSkipped("no provider metadata")), case("b", requires=("a",))])
    assert outcomes(results)[1] == (
        "b",
        Status.SKIP,
        "prerequisite a was skipped: no provider metadata",
        "fix b",
    )
    s = summarise(results)
    assert (s.total, s.passed, s.failed, s.skipped, s.ok) == (2, 0, 0, 2, True)


def test_runner_deadline_fails_a_case_that_hangs() -> None:
    results, _ = run([case("a", "sleep"), case("b")], deadline=0.05)
    assert outcomes(results) == [
        ("a", Status.FAIL, "did not finish within 0.05 s", "fix a"),
        ("b", Status.PASS, "ok", "fix b"),
    ]


def test_runner_group_builds_cases_at_run_time() -> None:
    def build(ctx: Ctx) -> list[Case[Ctx]]:
        return [case("g[1]"), case("g[2]", CaseFailed("revoked"), requires=("g[1]",))]

    group: CaseGroup[Ctx] = CaseGroup("g", "group", "Spec §2", "fix g", build, "none held", ("a",))
    results, _ = run([case("a"), group])
    assert outcomes(results) == [
        ("a", Status.PASS, "ok", "fix a"),
        ("g[1]", Status.PASS, "ok", "fix g[1]"),
        ("g[2]", Status.FAIL, "revoked", "fix g[2]"),
    ]


def test_runner_group_empty_blocked_or_broken() -> None:
    def broken(ctx: Ctx) -> list[Case[Ctx]]:
        raise KeyError("marks")

    empty: CaseGroup[Ctx] = CaseGroup("e", "group", "Spec §2", "fix e", lambda ctx: [], "none held")
    blocked: CaseGroup[Ctx] = CaseGroup("b", "group", "Spec §2", "fix b", lambda ctx: [], "x", ("a",))
    bad: CaseGroup[Ctx] = CaseGroup("k", "group", "Spec §2", "fix k", broken)
    results, _ = run([case("a", CaseFailed("no")), empty, blocked, bad])
    assert outcomes(results)[1:] == [
        ("e", Status.SKIP, "none held", "fix e"),
        ("b", Status.SKIP, "prerequisite a failed", "fix b"),
        ("k", Status.FAIL, "KeyError: 'marks'", "fix k"),
    ]
