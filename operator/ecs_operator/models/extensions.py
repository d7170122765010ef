"""Members the operator adds to ECS's inputs, and why.

ECS spreads some ideas over other AWS services (Application Auto Scaling, EventBridge) or keeps
them implicit (what a capacity provider is). On Kubernetes they belong on the same object, so the
specs carry these few extra members. The coverage test checks every model member is either in
botocore's ECS model or listed here.
"""

from __future__ import annotations

from typing import Final

__all__ = ["EXTENSION_MEMBERS"]

EXTENSION_MEMBERS: Final[dict[str, str]] = {
    "ECSServiceSpec.autoScaling": (
        "Application Auto Scaling's scalable target, target tracking policies and scheduled actions "
        "for the service; rendered as a HorizontalPodAutoscaler on the ECSService scale subresource"
    ),
    "ECSServiceSpec.ingress": (
        "an Application Load Balancer in front of one loadBalancers entry: an Ingress of class alb for "
        "the AWS Load Balancer Controller (ECS attaches to load balancers that already exist)"
    ),
    "ECSServiceSpec.serviceDiscoveryName": (
        "the name of the headless Service standing in for the Cloud Map service of serviceRegistries "
        "(a registry ARN carries an id, not a name); default <name>-discovery"
    ),
    "ECSTaskSpec.schedule": (
        "an EventBridge schedule expression; the task runs on that schedule (a CronJob) instead of once"
    ),
    "ECSTaskSpec.desiredStatus": "RUNNING, or STOPPED to stop the task the way StopTask does",
    "ECSTaskSpec.timezone": (
        "the IANA time zone a cron() schedule is read in (EventBridge Scheduler's ScheduleExpressionTimezone); "
        "the CronJob's timeZone"
    ),
    "ECSClusterSpec.capacityProviderProfiles": (
        "what each capacity provider is on Kubernetes: node selectors, tolerations, scheduler and "
        "runtime class of a node type (managed node group, self-managed nodes, Fargate)"
    ),
    "ECSClusterSpec.efsStorage": (
        "what backs the ReadWriteMany claim standing in for each EFS file system: a storage class "
        "(dynamic provisioning) or a PersistentVolume the operator creates (EFS CSI or hostPath)"
    ),
}
"""``"ModelClass.member"`` -> why the member exists."""
