"""ecs-operator: run Amazon-ECS-shaped workloads on Kubernetes.

Users apply ECSCluster, TaskDefinition, ECSService and ECSTask objects; the kopf
operator in :mod:`ecs_operator.handlers` reconciles them into plain Kubernetes objects.
"""

__version__ = "0.1.0"
