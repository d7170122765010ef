"""Fuzz the ECS API with bodies generated from botocore's input shapes: never a 5xx, still healthy.

The seed is printed (and can be set with ECS_OPERATOR_API_FUZZ_SEED) so a failure repeats.
ECS_OPERATOR_API_FUZZ_COUNT sets the number of bodies; `make test` keeps it to a couple of
thousand within a time budget, tests/reliability/test_api_fuzz_long.py sends more.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from ecs_api import Answer, ApiProcess, EcsClient

from api_bodies import Case, cases
from ecs_operator.api.actions import ACTIONS
from ecs_shapes import output_problems

# Served actions, plus a few the server does not serve (their own error) and one unknown name.
EXTRA = ("CreateCapacityProvider", "DescribeTaskSets", "SubmitTaskStateChange")


def fuzz_actions() -> list[str]:
    return sorted(ACTIONS) + list(EXTRA)


def check(answer: Answer, case: Case) -> str | None:
    """What is wrong with an answer to a fuzz case, or None."""
    if answer.status >= 500:
        return f"{case.action} ({case.kind}) -> {answer.status} {answer.body}"
    if not isinstance(answer.body, dict):
        return f"{case.action} ({case.kind}) -> a body that is not a JSON object"
    if answer.status >= 400 and not isinstance(answer.body.get("__type"), str):
        return f"{case.action} ({case.kind}) -> {answer.status} without __type: {answer.body}"
    if answer.status == 200 and (problems := output_problems(case.action, answer.body)):
        return f"{case.action} ({case.kind}) -> 200 not of the output shape: {problems[:3]}"
    return None


def run_fuzz(ecs: EcsClient, ecs_api: ApiProcess, count: int, budget_s: float) -> None:
    seed = int(os.environ.get("ECS_OPERATOR_API_FUZZ_SEED") or random.SystemRandom().randrange(2**32))
    print(f"\napi fuzz seed: {seed} (ECS_OPERATOR_API_FUZZ_SEED={seed} repeats it), {count} bodies")
    # Objects the generated names refer to ("default", "app", "app:1", "web"), so that valid-ish
    # bodies reach the handlers' paths for existing objects too, not only their not-found answers.
    ecs.call("CreateCluster", {"clusterName": "default"})
    ecs.call(
        "RegisterTaskDefinition",
        {"family": "app", "containerDefinitions": [{"name": "a", "image": "a:1", "memory": 64}]},
    )
    ecs.call("CreateService", {"serviceName": "web", "taskDefinition": "app:1", "desiredCount": 0})
    started = time.monotonic()
    statuses: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    bad: list[str] = []
    sent = 0

    def send(case: Case) -> tuple[Case, Answer]:
        return case, ecs.raw(case.action, case.payload)

    with ThreadPoolExecutor(max_workers=4) as pool:
        batch: list[Case] = []
        for case in cases(fuzz_actions(), count, seed):
            batch.append(case)
            if len(batch) < 64:
                continue
            for done, answer in pool.map(send, batch):
                sent += 1
                statuses[answer.status] += 1
                errors[str(answer.body.get("__type"))] += answer.status >= 400
                if (problem := check(answer, done)) is not None:
                    bad.append(problem)
            batch = []
            if time.monotonic() - started > budget_s:
                break
        for done, answer in pool.map(send, batch):
            sent += 1
            statuses[answer.status] += 1
            if (problem := check(answer, done)) is not None:
                bad.append(problem)
    elapsed = time.monotonic() - started
    print(f"api fuzz: {sent} bodies in {elapsed:.1f}s, statuses {dict(statuses)}, errors {dict(errors.most_common(8))}")
    assert bad == [], f"{len(bad)} bad answers (seed {seed}):\n" + "\n".join(bad[:20])
    assert sent >= min(count, 500), f"only {sent} bodies sent in the budget"
    # The server is still healthy and still answers signed calls correctly.
    assert ecs_api.healthy(), ecs_api.log_tail()
    assert ecs.call("ListClusters").status == 200
    assert ecs.call("DescribeServices", {"services": "not-a-list"}).status == 400


def test_fuzzed_bodies_never_get_a_5xx(ecs: EcsClient, ecs_api: ApiProcess) -> None:
    count = int(os.environ.get("ECS_OPERATOR_API_FUZZ_COUNT", "2000"))
    run_fuzz(ecs, ecs_api, count, budget_s=20)


def test_the_same_seed_makes_the_same_bodies() -> None:
    first = [c.payload for c in cases(fuzz_actions(), 50, 7)]
    assert first == [c.payload for c in cases(fuzz_actions(), 50, 7)]
    assert first != [c.payload for c in cases(fuzz_actions(), 50, 8)]
