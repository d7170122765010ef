"""ECS API benchmark: C concurrent signed clients against `ecs-operator api` at N services.

Prints figures (JSON, then a human summary); asserts nothing. Run with
`python benchmarks/api.py` (500 services, 20 clients, 30 s) or
`python benchmarks/api.py --services 100 --clients 10 --seconds 15`.

What it does, on its own local control plane (benchmarks/scale.py's way of starting things):
  - the CRDs, the operator (`ecs-operator run`) and `ecs-operator api --port P`;
  - N ECSServices of one task each (kubectl apply) in one namespace, and a key for it
    (`ecs-operator api-key create`);
  - C client threads, each with its own keep-alive HTTP connection, signing every request with
    ecs_operator.api.sigv4.sign, mixing DescribeServices (10 names), ListTasks (one service's
    tasks) and UpdateService (desiredCount 1 or 2, a real write most of the time) for S seconds.
Figures: per action p50 / p99 / max latency in ms, count, errors; total calls/s; and the same for
one client alone first (--baseline-seconds), which separates the service time from queueing. The issue's target
is p99 <= 50 ms for the reads, which the watch caches serve (no LIST per call).
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "operator"))

from ecs_operator.api.sigv4 import Credentials, SignedRequest, sign  # noqa: E402
from ecs_operator.localcluster.cluster import ClusterHandle, LocalCluster, wait_nodes_ready  # noqa: E402
from ecs_operator.localcluster.nodes import FakeNode, InstanceType  # noqa: E402

TARGET = "AmazonEC2ContainerServiceV20141113"
REGION = "us-east-1"
BENCH_NODE = InstanceType("m5.24xlarge", "95690m", "362Gi", 250, "96", "384Gi")
CONTAINER = {"name": "app", "image": "app:1", "cpu": 16, "memory": 32, "essential": True}
MIX = (("DescribeServices", 0.6), ("ListTasks", 0.3), ("UpdateService", 0.1))


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Any, timeout: float, what: str, interval: float = 1.0) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return time.monotonic() - start
        time.sleep(interval)
    raise TimeoutError(f"{what} not reached in {timeout:.0f}s")


def documents(namespace: str, n: int) -> list[dict[str, Any]]:
    base = {"apiVersion": "ecs.operator.dev/v1alpha1"}
    docs: list[dict[str, Any]] = [
        {**base, "kind": "ECSCluster", "metadata": {"name": "default", "namespace": namespace},
         "spec": {"clusterName": "default"}},
        {**base, "kind": "TaskDefinition", "metadata": {"name": "bench", "namespace": namespace},
         "spec": {"family": "bench", "containerDefinitions": [CONTAINER]}},
    ]  # fmt: skip
    docs += [
        {**base, "kind": "ECSService", "metadata": {"name": f"svc-{i}", "namespace": namespace},
         "spec": {"taskDefinition": "bench", "desiredCount": 1}}
        for i in range(n)
    ]  # fmt: skip
    return docs


def apply_docs(cluster: ClusterHandle, docs: list[dict[str, Any]], chunk: int = 250) -> None:
    for start in range(0, len(docs), chunk):
        cluster.kubectl("apply", "-f", "-", input=yaml.safe_dump_all(docs[start : start + chunk]), timeout=600)


def running_services(cluster: ClusterHandle, namespace: str) -> int:
    items = json.loads(cluster.kubectl("get", "ecsservices", "-n", namespace, "-o", "json", timeout=300).stdout)
    return sum(1 for s in items["items"] if (s.get("status") or {}).get("runningCount") == 1)


class Client:
    """One signed ECS client on its own keep-alive connection."""

    def __init__(self, port: int, credentials: Credentials) -> None:
        self.host = f"127.0.0.1:{port}"
        self.credentials = credentials
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, action: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        payload = json.dumps(body).encode()
        headers = {
            "Host": self.host,
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"{TARGET}.{action}",
        }
        headers.update(
            sign(SignedRequest("POST", "/", "", headers, payload), self.credentials, REGION, datetime.now(UTC))
        )
        try:
            self.conn.request("POST", "/", body=payload, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host.split(":")[0], int(self.host.split(":")[1]), timeout=30)
            return 599, {}
        return response.status, json.loads(data or b"{}")


def request_for(action: str, rng: random.Random, n: int) -> dict[str, Any]:
    if action == "DescribeServices":
        return {"cluster": "default", "services": [f"svc-{rng.randrange(n)}" for _ in range(10)]}
    if action == "ListTasks":
        return {"cluster": "default", "serviceName": f"svc-{rng.randrange(n)}"}
    # desiredCount 1 or 2: most calls change it, so they are real writes (an unchanged one writes nothing)
    return {"cluster": "default", "service": f"svc-{rng.randrange(n)}", "desiredCount": rng.choice((1, 2))}


def load(port: int, credentials: Credentials, n: int, clients: int, seconds: float) -> dict[str, Any]:
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    actions = [a for a, _ in MIX]
    weights = [w for _, w in MIX]

    def worker(index: int) -> None:
        rng = random.Random(index)
        client = Client(port, credentials)
        mine: dict[str, list[float]] = defaultdict(list)
        bad: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        while time.monotonic() < stop_at:
            action = rng.choices(actions, weights)[0]
            body = request_for(action, rng, n)
            started = time.perf_counter()
            status, answer = client.call(action, body)
            mine[action].append((time.perf_counter() - started) * 1000)
            if status != 200:
                bad[action][str(answer.get("__type", status))] += 1
        with lock:
            for action, values in mine.items():
                latencies[action].extend(values)
            for action, kinds in bad.items():
                for kind, count in kinds.items():
                    errors[action][kind] += count

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    total = sum(len(v) for v in latencies.values())
    result: dict[str, Any] = {"seconds": round(elapsed, 1), "calls": total, "calls_per_s": round(total / elapsed, 1)}
    for action in actions:
        values = latencies.get(action, [])
        if values:
            result[action] = {
                "count": len(values),
                "p50_ms": round(percentile(values, 0.50), 1),
                "p99_ms": round(percentile(values, 0.99), 1),
                "max_ms": round(max(values), 1),
                "errors": dict(errors.get(action, {})),
            }
    return result


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def create_key(kubeconfig: Path, namespace: str) -> Credentials:
    out = subprocess.run(
        [sys.executable, "-m", "ecs_operator.cli", "api-key", "create", "--namespace", namespace],
        env={**os.environ, "KUBECONFIG": str(kubeconfig)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    values = dict(line.split("=", 1) for line in out.strip().splitlines())
    return Credentials(values["AWS_ACCESS_KEY_ID"], values["AWS_SECRET_ACCESS_KEY"])


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def run(args: argparse.Namespace) -> dict[str, Any]:
    n = args.services
    nodes = max(2, math.ceil(n / 200) + 1)
    local = LocalCluster(args.cluster)
    cluster = local.up(
        nodes=[
            FakeNode(
                f"apibench-{i}",
                BENCH_NODE,
                f"us-east-1{'abc'[i % 3]}",
                {"eks.amazonaws.com/nodegroup": "bench", "eks.amazonaws.com/capacityType": "ON_DEMAND"},
                instance_id=f"i-apibench{i:05d}",
            )
            for i in range(nodes)
        ],
    )
    wait_nodes_ready(cluster, [f"apibench-{i}" for i in range(nodes)])
    cluster.kubectl("apply", "--server-side", "--force-conflicts", "-k", str(REPO / "crds"))
    cluster.kubectl(
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        *[a for f in sorted((REPO / "crds").glob("*.yaml")) if f.name != "kustomization.yaml" for a in ("-f", str(f))],
    )
    workdir = Path(tempfile.mkdtemp(prefix="ecs-api-bench-"))
    env = {**os.environ, "KUBECONFIG": str(cluster.kubeconfig), "ECS_OPERATOR_LOG_LEVEL": "WARNING"}
    namespace = f"api-bench-{time.strftime('%H%M%S')}"
    port = free_port()
    procs: list[subprocess.Popen[bytes]] = []
    result: dict[str, Any] = {"services": n, "clients": args.clients}
    try:
        with open(workdir / "operator.log", "wb") as op_log, open(workdir / "api.log", "wb") as api_log:
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "ecs_operator.cli",
                        "run",
                        "--health-port",
                        "0",
                        "--metrics-port",
                        "0",
                        "--quiet",
                    ],
                    env=env,
                    stdout=op_log,
                    stderr=subprocess.STDOUT,
                    cwd=REPO,
                )
            )
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "ecs_operator.cli", "api", "--port", str(port)],
                    env=env,
                    stdout=api_log,
                    stderr=subprocess.STDOUT,
                    cwd=REPO,
                )
            )
        log(f"operator and api (port {port}) started; logs in {workdir}")
        cluster.kubectl("create", "namespace", namespace)
        wait_until(lambda: healthy(port), 60, "the ECS API healthy", interval=0.3)
        credentials = create_key(cluster.kubeconfig, namespace)
        log(f"applying {n} ECSServices in {namespace}")
        start = time.monotonic()
        apply_docs(cluster, documents(namespace, n))
        try:
            wait_until(lambda: running_services(cluster, namespace) == n, args.timeout, "every service running", 3)
            result["steady_seconds"] = round(time.monotonic() - start, 1)
        except TimeoutError as exc:
            log(f"{exc}; measuring anyway")
            result["steady_seconds"] = None
        time.sleep(3)  # let the caches and the operator settle
        probe = Client(port, credentials).call("DescribeServices", request_for("DescribeServices", random.Random(0), n))
        result["probe_describe_services"] = {"status": probe[0], "services": len(probe[1].get("services", []))}
        if args.baseline_seconds > 0:  # one client alone: the service time, without queueing behind others
            log(f"baseline: 1 client for {args.baseline_seconds}s")
            result["baseline_one_client"] = load(port, credentials, n, 1, args.baseline_seconds)
        log(f"load: {args.clients} clients for {args.seconds}s")
        result["load"] = load(port, credentials, n, args.clients, args.seconds)
        result["api_healthy_after"] = healthy(port)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        if args.keep:
            cluster.kubectl("delete", "namespace", namespace, "--wait=false", check=False)
        else:
            local.down()
    return result


def summary(r: dict[str, Any]) -> str:
    lines = [
        f"services / clients    {r['services']} / {r['clients']}; services steady in {r.get('steady_seconds')} s",
        f"calls                 {r['load']['calls']} in {r['load']['seconds']} s = {r['load']['calls_per_s']} calls/s",
    ]
    for action, _ in MIX:
        figures = r["load"].get(action)
        if figures:
            lines.append(
                f"{action:<21} p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms, max {figures['max_ms']} ms "
                f"({figures['count']} calls, errors {figures['errors'] or 'none'})"
            )
    base = r.get("baseline_one_client")
    if base:
        lines.append(f"one client alone      {base['calls_per_s']} calls/s")
        for action, _ in MIX:
            figures = base.get(action)
            if figures:
                lines.append(f"  {action:<19} p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms")
    lines.append("target                p99 <= 50 ms for DescribeServices and ListTasks")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", "-n", type=int, default=500)
    parser.add_argument("--clients", "-c", type=int, default=20)
    parser.add_argument("--seconds", "-s", type=float, default=30)
    parser.add_argument("--baseline-seconds", type=float, default=5, help="one client alone first (0: skip)")
    parser.add_argument("--cluster", default="ecs-operator-api-bench")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for the services to run")
    parser.add_argument("--keep", action="store_true", help="keep the bench cluster running afterwards")
    args = parser.parse_args()
    result = run(args)
    print(json.dumps(result, indent=2))
    print(summary(result))


if __name__ == "__main__":
    main()
