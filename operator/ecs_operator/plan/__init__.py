"""Pure decisions: (what a reconcile observed, now) -> Plan.

All ECS semantics live here — the task lifecycle, rolling updates and the circuit breaker,
RunTask bookkeeping, cluster counts, revision registration — so they are table-tested without
an API server. Nothing here does I/O, reads the clock or the environment, or imports kopf or a
Kubernetes client (import-linter contract).
"""

from .cluster import plan_cluster, plan_invalid_cluster
from .conditions import condition, iso, problem_plan
from .lifecycle import TaskStop, task_stop
from .service import ServiceSnapshot, plan_service, plan_service_deletion
from .task import TaskSnapshot, plan_task, tasks_to_launch
from .task_definition import RevisionSeen, plan_invalid_task_definition, plan_task_definition
from .types import Creation, Deletion, Event, Patch, Plan, Problem, Reason, Revision, Severity

__all__ = [
    "Creation",
    "Deletion",
    "Event",
    "Patch",
    "Plan",
    "Problem",
    "Revision",
    "Reason",
    "RevisionSeen",
    "ServiceSnapshot",
    "Severity",
    "TaskSnapshot",
    "TaskStop",
    "condition",
    "iso",
    "plan_cluster",
    "plan_invalid_cluster",
    "plan_invalid_task_definition",
    "plan_service",
    "plan_service_deletion",
    "plan_task",
    "plan_task_definition",
    "problem_plan",
    "task_stop",
    "tasks_to_launch",
]
