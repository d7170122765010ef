"""Scale benchmark: N ECSServices of M tasks against N plain Deployments of M replicas.

Prints figures (JSON, then a human summary); asserts nothing. Run with `make bench`
(N=500 M=4 by default) or `python benchmarks/scale.py --services 2000`.

What it measures, on a local control plane with K large fake nodes:
  plain_seconds      apply N Deployments -> every one has M available replicas
  ecs_seconds        apply N ECSServices -> every one steady (runningCount == M, rollout COMPLETED)
  ratio              ecs_seconds / plain_seconds
  operator_cpu_s     CPU seconds the operator process used (user + system, from /proc)
  operator_peak_rss  the operator's peak resident memory (VmHWM, from /proc)
  api_requests       requests the operator made, counted in the API server's audit log, whose
                     policy records only the operator's ServiceAccount
  rollout_latency    TaskDefinition change -> each following service's Deployment carrying the new
                     revision (p50 / p99 / max)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "operator"))

from ecs_operator.localcluster.cluster import ClusterHandle, LocalCluster, wait_nodes_ready  # noqa: E402
from ecs_operator.localcluster.nodes import FakeNode, InstanceType  # noqa: E402

BENCH_NODE = InstanceType("m5.24xlarge", "95690m", "362Gi", 250, "96", "384Gi")
ACCOUNT = "ecs-operator"
OPERATOR_NS = "ecs-operator-system"
CONTAINER = {"name": "app", "image": "app:1", "cpu": 16, "memory": 32, "essential": True}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def apply_docs(cluster: ClusterHandle, docs: list[dict[str, Any]], chunk: int = 250) -> None:
    for start in range(0, len(docs), chunk):
        cluster.kubectl("apply", "-f", "-", input=yaml.safe_dump_all(docs[start : start + chunk]), timeout=600)


def list_json(cluster: ClusterHandle, *args: str) -> list[dict[str, Any]]:
    return json.loads(cluster.kubectl("get", *args, "-o", "json", timeout=300).stdout)["items"]


def wait_until(check, timeout: float, what: str, interval: float = 1.0) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return time.monotonic() - start
        time.sleep(interval)
    raise TimeoutError(f"{what} not reached in {timeout:.0f}s")


def plain_deployments(namespace: str, n: int, m: int) -> list[dict[str, Any]]:
    docs = []
    for i in range(n):
        labels = {"app": f"svc-{i}"}
        docs.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": f"svc-{i}", "namespace": namespace},
                "spec": {
                    "replicas": m,
                    "selector": {"matchLabels": labels},
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {
                            "containers": [
                                {
                                    "name": "app",
                                    "image": "app:1",
                                    "resources": {
                                        "requests": {"cpu": "16m", "memory": "32Mi"},
                                        "limits": {"memory": "32Mi"},
                                    },
                                }
                            ]
                        },
                    },
                },
            }
        )
    return docs


def ecs_documents(namespace: str, n: int, m: int, image: str = "app:1") -> list[dict[str, Any]]:
    td = {
        "apiVersion": "ecs.operator.dev/v1alpha1",
        "kind": "TaskDefinition",
        "metadata": {"name": "bench", "namespace": namespace},
        "spec": {"family": "bench", "containerDefinitions": [{**CONTAINER, "image": image}]},
    }
    services = [
        {
            "apiVersion": "ecs.operator.dev/v1alpha1",
            "kind": "ECSService",
            "metadata": {"name": f"svc-{i}", "namespace": namespace},
            "spec": {"taskDefinition": "bench", "desiredCount": m},
        }
        for i in range(n)
    ]
    return [td, *services]


def plain_ready(cluster: ClusterHandle, namespace: str, n: int, m: int) -> bool:
    items = list_json(cluster, "deployments", "-n", namespace)
    done = sum(1 for d in items if (d.get("status") or {}).get("availableReplicas") == m)
    return len(items) == n and done == n


def ecs_ready(cluster: ClusterHandle, namespace: str, n: int, m: int, revision: int = 1) -> bool:
    items = list_json(cluster, "ecsservices", "-n", namespace)
    done = 0
    for svc in items:
        status = svc.get("status") or {}
        deployments = status.get("deployments") or []
        if (
            status.get("runningCount") == m
            and len(deployments) == 1
            and deployments[0].get("rolloutState") == "COMPLETED"
            and deployments[0].get("taskDefinitionRevision") == revision
        ):
            done += 1
    return len(items) == n and done == n


def delete_namespace(cluster: ClusterHandle, namespace: str) -> None:
    cluster.kubectl("delete", "namespace", namespace, "--wait=true", "--ignore-not-found", timeout=900)


def operator_kubeconfig(cluster: ClusterHandle, path: Path) -> Path:
    """The operator runs as deploy/'s ServiceAccount so the API server can count its requests."""
    cluster.kubectl("apply", "-k", str(REPO / "deploy"))
    cluster.kubectl("scale", "deployment", "ecs-operator", "-n", OPERATOR_NS, "--replicas=0")
    token = cluster.kubectl("create", "token", ACCOUNT, "-n", OPERATOR_NS, "--duration=24h").stdout.strip()
    admin = yaml.safe_load(cluster.kubectl("config", "view", "--raw", "--minify", "--flatten").stdout)
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": admin["clusters"][0]["cluster"]}],
                "users": [{"name": ACCOUNT, "user": {"token": token}}],
                "contexts": [{"name": "op", "context": {"cluster": "c", "user": ACCOUNT}}],
                "current-context": "op",
            }
        )
    )
    return path


AUDIT_POLICY = {
    "apiVersion": "audit.k8s.io/v1",
    "kind": "Policy",
    "omitStages": ["RequestReceived", "ResponseStarted"],
    "rules": [{"level": "Metadata", "users": [f"system:serviceaccount:{OPERATOR_NS}:{ACCOUNT}"]}, {"level": "None"}],
}


def operator_requests(local: LocalCluster) -> int | None:
    """Requests the operator's ServiceAccount made, from the audit log (None without auditing)."""
    if not local.audit_log.is_file():
        return None
    user = f'"username":"system:serviceaccount:{OPERATOR_NS}:{ACCOUNT}"'
    with open(local.audit_log, encoding="utf-8", errors="replace") as log_file:
        return sum(1 for line in log_file if user in line)


def operator_request_mix(local: LocalCluster, skip: int, top: int = 12) -> dict[str, int]:
    """The operator's requests after its first ``skip`` ones, by verb and resource (audit log)."""
    if not local.audit_log.is_file():
        return {}
    user = f"system:serviceaccount:{OPERATOR_NS}:{ACCOUNT}"
    mix: Counter[str] = Counter()
    seen = 0
    with open(local.audit_log, encoding="utf-8", errors="replace") as log_file:
        for line in log_file:
            if user not in line:
                continue
            seen += 1
            if seen <= skip:
                continue
            event = json.loads(line)
            ref = event.get("objectRef") or {}
            resource = ref.get("resource", "?") + (f"/{ref['subresource']}" if ref.get("subresource") else "")
            mix[f"{event.get('verb')} {resource}"] += 1
    return dict(mix.most_common(top))


class ProcessStats:
    """CPU seconds and peak RSS of a process, read from /proc while it runs."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.ticks = os.sysconf("SC_CLK_TCK")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self.ticks

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0


class RevisionWatch:
    """Watch Deployments and note when each first carries `bench:<revision>`."""

    def __init__(self, cluster: ClusterHandle, namespace: str, revision: int) -> None:
        self.wanted = f"bench:{revision}"
        self.seen: dict[str, float] = {}
        self.proc = subprocess.Popen(
            [
                cluster.kubectl_binary,
                "--kubeconfig",
                str(cluster.kubeconfig),
                "get",
                "deployments",
                "-n",
                namespace,
                "--watch",
                "--output-watch-events",
                "-o",
                "json",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        pending = ""
        assert self.proc.stdout is not None
        for line in self.proc.stdout:  # kubectl prints one JSON event per line (older ones indent)
            pending += line
            try:
                event = json.loads(pending)
            except ValueError:
                continue
            pending = ""
            meta = event["object"]["metadata"]
            if (meta.get("annotations") or {}).get("ecs.operator.dev/task-definition") == self.wanted:
                self.seen.setdefault(meta["name"], time.monotonic())

    def stop(self) -> None:
        self.proc.terminate()


def _minus(value: int | None, base: int | None) -> int | None:
    return None if value is None or base is None else value - base


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def run(args: argparse.Namespace) -> dict[str, Any]:
    n, m = args.services, args.tasks
    nodes = args.nodes or max(3, math.ceil(n * m / 200) + 1)
    local = LocalCluster(args.cluster)
    policy = Path(tempfile.mkdtemp(prefix="ecs-bench-audit-")) / "audit-policy.yaml"
    policy.write_text(yaml.safe_dump(AUDIT_POLICY))
    cluster = local.up(
        audit_policy=policy,
        nodes=[
            FakeNode(
                f"bench-{i}",
                BENCH_NODE,
                f"us-east-1{'abc'[i % 3]}",
                {"eks.amazonaws.com/nodegroup": "bench", "eks.amazonaws.com/capacityType": "ON_DEMAND"},
                instance_id=f"i-bench{i:05d}",
            )
            for i in range(nodes)
        ],
    )
    wait_nodes_ready(cluster, [f"bench-{i}" for i in range(nodes)])
    cluster.kubectl("apply", "--server-side", "--force-conflicts", "-k", str(REPO / "crds"))
    cluster.kubectl(
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        *[a for f in sorted((REPO / "crds").glob("*.yaml")) if f.name != "kustomization.yaml" for a in ("-f", str(f))],
    )
    result: dict[str, Any] = {"services": n, "tasks_per_service": m, "nodes": nodes}

    run_id = time.strftime("%H%M%S")
    plain_ns, ecs_ns = f"bench-plain-{run_id}", f"bench-ecs-{run_id}"
    log(f"plain path: {n} Deployments x {m} replicas")
    cluster.kubectl("create", "namespace", plain_ns)
    start = time.monotonic()
    apply_docs(cluster, plain_deployments(plain_ns, n, m))
    wait_until(lambda: plain_ready(cluster, plain_ns, n, m), args.timeout, "plain Deployments available")
    result["plain_seconds"] = round(time.monotonic() - start, 1)
    log(f"plain path steady in {result['plain_seconds']}s; cleaning up")
    delete_namespace(cluster, plain_ns)

    workdir = Path(tempfile.mkdtemp(prefix="ecs-bench-"))
    kubeconfig = operator_kubeconfig(cluster, workdir / "operator.kubeconfig")
    baseline_requests = operator_requests(local)
    env = {**os.environ, "KUBECONFIG": str(kubeconfig), "ECS_OPERATOR_LOG_LEVEL": "WARNING"}
    with open(workdir / "operator.log", "wb") as log_file:  # the operator process keeps its own descriptor
        operator = subprocess.Popen(
            [sys.executable, "-m", "ecs_operator.cli", "run", "--health-port", "0", "--metrics-port", "0", "--quiet"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
    stats = ProcessStats(operator.pid)
    profiler = None
    if args.profile:
        profiler = subprocess.Popen(
            [
                "py-spy",
                "record",
                "-p",
                str(operator.pid),
                "-o",
                args.profile,
                "--format",
                "speedscope",
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    try:
        time.sleep(3)
        log(f"ECS path: {n} ECSServices x {m} tasks (operator pid {operator.pid}, log {workdir / 'operator.log'})")
        cluster.kubectl("create", "namespace", ecs_ns)
        start = time.monotonic()
        apply_docs(cluster, ecs_documents(ecs_ns, n, m))
        wait_until(lambda: ecs_ready(cluster, ecs_ns, n, m), args.timeout, "ECSServices steady")
        result["ecs_seconds"] = round(time.monotonic() - start, 1)
        result["ratio"] = round(result["ecs_seconds"] / max(result["plain_seconds"], 0.1), 2)
        log(f"ECS path steady in {result['ecs_seconds']}s (ratio {result['ratio']})")
        steady_requests = _minus(operator_requests(local), baseline_requests)
        result["api_requests_to_steady"] = steady_requests
        result["api_requests_per_service"] = round(steady_requests / n, 1) if steady_requests is not None else None
        result["api_requests_to_steady_by_kind"] = operator_request_mix(local, baseline_requests or 0)

        log("rollout latency: registering revision 2")
        watch = RevisionWatch(cluster, ecs_ns, 2)
        time.sleep(2)
        changed = time.monotonic()
        apply_docs(cluster, ecs_documents(ecs_ns, n, m, image="app:2")[:1])
        wait_until(lambda: len(watch.seen) >= n, args.timeout, "every Deployment on revision 2", interval=0.5)
        watch.stop()
        latencies = [t - changed for t in watch.seen.values()]
        result["rollout_latency_p50_s"] = round(percentile(latencies, 0.50), 2)
        result["rollout_latency_p99_s"] = round(percentile(latencies, 0.99), 2)
        result["rollout_latency_max_s"] = round(max(latencies), 2)
        wait_until(lambda: ecs_ready(cluster, ecs_ns, n, m, revision=2), args.timeout, "revision 2 steady")
        result["api_requests_total"] = _minus(operator_requests(local), baseline_requests)
        result["operator_cpu_seconds"] = round(stats.cpu_seconds(), 1)
        result["operator_peak_rss_mb"] = round(stats.peak_rss_mb(), 1)
    finally:
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)  # py-spy writes its profile on interrupt
            profiler.wait(timeout=120)
        operator.terminate()
        try:
            operator.wait(timeout=30)
        except subprocess.TimeoutExpired:
            operator.kill()
        if not args.keep:  # the bench cluster is its own: dropping it is the quickest clean-up
            local.down()
    return result


def summary(r: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"services x tasks      {r['services']} x {r['tasks_per_service']} on {r['nodes']} nodes",
            f"plain Deployments     {r['plain_seconds']} s to available",
            f"ECSServices           {r['ecs_seconds']} s to steady   ratio {r['ratio']} (target <= 1.3)",
            f"operator CPU          {r['operator_cpu_seconds']} s",
            f"operator peak RSS     {r['operator_peak_rss_mb']} MB (target <= 250)",
            f"API requests          {r['api_requests_to_steady']} to steady = "
            f"{r['api_requests_per_service']} per service; "
            f"{r['api_requests_total']} incl. the rollout",
            f"rollout latency       p50 {r['rollout_latency_p50_s']} s, p99 {r['rollout_latency_p99_s']} s "
            f"(target p99 <= 5), max {r['rollout_latency_max_s']} s",
            "requests to steady    "
            + ", ".join(f"{kind} {count}" for kind, count in (r.get("api_requests_to_steady_by_kind") or {}).items()),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", "-n", type=int, default=500)
    parser.add_argument("--tasks", "-m", type=int, default=4)
    parser.add_argument("--nodes", "-k", type=int, default=0, help="fake nodes (default: enough for the pods)")
    parser.add_argument("--cluster", default="ecs-operator-bench")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--profile", help="write a py-spy speedscope profile of the operator here")
    parser.add_argument("--keep", action="store_true", help="keep the bench cluster running afterwards")
    args = parser.parse_args()
    result = run(args)
    print(json.dumps(result, indent=2))
    print(summary(result))


if __name__ == "__main__":
    main()
