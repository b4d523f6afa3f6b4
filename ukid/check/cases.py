"""Conformance cases and the suite runner behind ``ukid check``.

A :class:`Case` checks one requirement of one specification section. Its coroutine returns a
one-line detail when the requirement holds, raises :class:`CaseFailed` (or any
:class:`~federation.errors.FederationError`) when it does not, and :class:`CaseSkipped` when it
does not apply. :func:`run_suite` runs the cases in order and isolates each one: whatever a case
raises becomes a FAIL result with the reason, never a traceback, and a case whose prerequisite did
not pass is skipped, naming the prerequisite that failed. A :class:`CaseGroup` stands for cases only
known at run time (one per trust mark the entity holds).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

from federation.errors import FederationError

__all__ = [
    "Case",
    "CaseFailed",
    "CaseGroup",
    "CaseSkipped",
    "Result",
    "Status",
    "Summary",
    "run_suite",
    "summarise",
]

C = TypeVar("C")
_REASON_LIMIT = 2000


class Status(StrEnum):
    """The outcome of one case."""

    PASS = "PASS"
    FAIL = "FAIL"
    SKIP = "SKIP"


class CaseFailed(Exception):
    """The requirement does not hold; ``fix`` overrides the case's own fix hint."""

    def __init__(self, reason: str, *, fix: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.fix = fix


class CaseSkipped(Exception):
    """The requirement does not apply to this subject (e.g. no relying party metadata)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Case(Generic[C]):
    """One check: an identifier, a title, the specification section it enforces and a fix hint."""

    id: str
    title: str
    spec: str
    fix: str
    run: Callable[[C], Awaitable[str]] = field(repr=False)
    #: Cases that must PASS first; otherwise this one is skipped.
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaseGroup(Generic[C]):
    """Cases built from the context once ``requires`` passed; a SKIP with ``empty`` when there are none."""

    id: str
    title: str
    spec: str
    fix: str
    build: Callable[[C], Sequence[Case[C]]] = field(repr=False)
    empty: str = "nothing to check"
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class Result:
    """What one case found. ``reason`` is the detail (why it failed, why it was skipped, what passed)."""

    id: str
    title: str
    spec: str
    status: Status
    reason: str
    fix: str
    seconds: float = 0.0
    #: For a SKIP caused by a prerequisite: the case that failed (or was skipped) at the root.
    blocked_by: str | None = None


@dataclass(frozen=True)
class Summary:
    """Counts over a run."""

    total: int
    passed: int
    failed: int
    skipped: int

    @property
    def ok(self) -> bool:
        """No case failed (skips are allowed)."""
        return self.failed == 0


def summarise(results: Sequence[Result]) -> Summary:
    """The counts of each status."""
    count = {status: sum(1 for r in results if r.status is status) for status in Status}
    return Summary(len(results), count[Status.PASS], count[Status.FAIL], count[Status.SKIP])


def _clip(text: str) -> str:
    """One line of at most 2000 characters (remote text can be anything)."""
    line = " ".join(text.split())
    return line if len(line) <= _REASON_LIMIT else line[:_REASON_LIMIT] + "..."


def _blocked(requires: Sequence[str], done: dict[str, Result]) -> tuple[str, str] | None:
    """The first prerequisite that did not pass: (its id or root cause, the reason to show)."""
    for name in requires:
        found = done.get(name)
        if found is None:
            return name, f"prerequisite {name} did not run"
        if found.status is Status.FAIL:
            return name, f"prerequisite {name} failed"
        if found.status is Status.SKIP:
            if found.blocked_by is not None:
                return found.blocked_by, f"prerequisite {found.blocked_by} failed"
            return name, f"prerequisite {name} was skipped: {found.reason}"
    return None


async def _run_case(case: Case[C], context: C, deadline: float | None) -> tuple[Status, str, str]:
    """Run one case; every exception becomes a FAIL with its reason (the isolation ``run_suite`` promises)."""
    try:
        if deadline is None:
            detail = await case.run(context)
        else:
            async with asyncio.timeout(deadline):
                detail = await case.run(context)
    except CaseFailed as exc:
        return Status.FAIL, exc.reason, exc.fix or case.fix
    except CaseSkipped as exc:
        return Status.SKIP, exc.reason, case.fix
    except FederationError as exc:
        return Status.FAIL, exc.description, case.fix
    except TimeoutError:
        return Status.FAIL, f"did not finish within {deadline} s", case.fix
    except Exception as exc:  # a check must report, never crash the run
        return Status.FAIL, f"unexpected error: {type(exc).__name__}: {exc}", case.fix
    return Status.PASS, detail, case.fix


async def run_suite(
    items: Sequence[Case[C] | CaseGroup[C]],
    context: C,
    *,
    on_result: Callable[[Result], None] | None = None,
    deadline: float | None = None,
    timer: Callable[[], float] = time.perf_counter,
) -> list[Result]:
    """Run ``items`` in order against ``context``; ``on_result`` sees each result as it is known.

    ``deadline`` bounds each case (seconds); a case past it fails.
    """
    results: list[Result] = []
    done: dict[str, Result] = {}

    def record(result: Result) -> None:
        final = Result(
            result.id,
            result.title,
            result.spec,
            result.status,
            _clip(result.reason),
            result.fix,
            result.seconds,
            result.blocked_by,
        )
        results.append(final)
        done[final.id] = final
        if on_result is not None:
            on_result(final)

    async def run_one(case: Case[C]) -> None:
        blocked = _blocked(case.requires, done)
        if blocked is not None:
            record(Result(case.id, case.title, case.spec, Status.SKIP, blocked[1], case.fix, 0.0, blocked[0]))
            return
        started = timer()
        status, reason, fix = await _run_case(case, context, deadline)
        record(Result(case.id, case.title, case.spec, status, reason, fix, timer() - started))

    for item in items:
        if isinstance(item, Case):
            await run_one(item)
            continue
        blocked = _blocked(item.requires, done)
        if blocked is not None:
            record(Result(item.id, item.title, item.spec, Status.SKIP, blocked[1], item.fix, 0.0, blocked[0]))
            continue
        try:
            cases = list(item.build(context))
        except Exception as exc:  # building the cases is part of the check
            record(
                Result(item.id, item.title, item.spec, Status.FAIL, f"{type(exc).__name__}: {exc}", item.fix)
            )
            continue
        if not cases:
            record(Result(item.id, item.title, item.spec, Status.SKIP, item.empty, item.fix))
        for case in cases:
            await run_one(case)
    return results
