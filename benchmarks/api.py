"""ECS API benchmark: C concurrent signed clients against `ecs-operator api` at N services.

Prints figures (JSON, then a human summary); asserts nothing. Run with
`python benchmarks/api.py` (500 services, 20 clients, 30 s) or
`python benchmarks/api.py --services 100 --clients 10 --seconds 15`.

What it does, on its own local control plane (benchmarks/scale.py's way of starting things):
  - the CRDs, the operator (`ecs-operator run`) and `ecs-operator api --port P`;
  - N ECSServices of one task each (kubectl apply) in one namespace, and a key for it
    (`ecs-operator api-key create`);
  - C client processes (so no client waits on another's GIL), each on its own keep-alive HTTP
    connection, signing every request with ecs_operator.api.sigv4.sign, mixing DescribeServices
    (10 names), ListTasks (one service's tasks) and UpdateService (desiredCount 1 or 2, a real
    write most of the time) for S seconds.
Figures: per action p50 / p99 / max latency in ms as the clients see it and as the server
handled it (its Server-Timing header), count, errors; total calls/s; and the same for
one client alone first (--baseline-seconds), which separates the service time from queueing. The issue's target
is p99 <= 50 ms for the reads, which the watch caches serve (no LIST per call).
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

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

    def call(self, action: str, body: dict[str, Any]) -> tuple[int, dict[str, Any], float | None]:
        """Status, answer and the server's own handling time (its Server-Timing header), in ms."""
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
            return 599, {}, None
        timing = response.getheader("Server-Timing") or ""
        handled = float(timing.split("dur=", 1)[1]) if "dur=" in timing else None
        return response.status, json.loads(data or b"{}"), handled


def request_for(action: str, rng: random.Random, n: int) -> dict[str, Any]:
    if action == "DescribeServices":
        return {"cluster": "default", "services": [f"svc-{rng.randrange(n)}" for _ in range(10)]}
    if action == "ListTasks":
        return {"cluster": "default", "serviceName": f"svc-{rng.randrange(n)}"}
    # desiredCount 1 or 2: most calls change it, so they are real writes (an unchanged one writes nothing)
    return {"cluster": "default", "service": f"svc-{rng.randrange(n)}", "desiredCount": rng.choice((1, 2))}


def client_process(
    index: int, port: int, key: tuple[str, str], n: int, start_at: float, seconds: float
) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, dict[str, int]], float]:
    """One client in its own process, so none waits on another's GIL: latencies, server times, errors, CPU s."""
    rng = random.Random(index)
    client = Client(port, Credentials(*key))
    actions = [a for a, _ in MIX]
    weights = [w for _, w in MIX]
    latencies: dict[str, list[float]] = defaultdict(list)
    server: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    time.sleep(max(0.0, start_at - time.time()))  # every process starts together, after its own start-up
    cpu_start = time.process_time()
    stop_at = time.monotonic() + seconds
    while time.monotonic() < stop_at:
        action = rng.choices(actions, weights)[0]
        body = request_for(action, rng, n)
        started = time.perf_counter()
        status, answer, handled_ms = client.call(action, body)
        latencies[action].append((time.perf_counter() - started) * 1000)
        if handled_ms is not None:
            server[action].append(handled_ms)
        if status != 200:
            errors[action][str(answer.get("__type", status))] += 1
    used = time.process_time() - cpu_start
    return dict(latencies), dict(server), {a: dict(k) for a, k in errors.items()}, used


def figures(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values, 0.50), 1),
        "p99_ms": round(percentile(values, 0.99), 1),
        "max_ms": round(max(values), 1),
    }


def load(port: int, credentials: Credentials, n: int, clients: int, seconds: float) -> dict[str, Any]:
    """``clients`` client processes for ``seconds``: latency as a client sees it, and the server's own time."""
    latencies: dict[str, list[float]] = defaultdict(list)
    server: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    key = (credentials.access_key_id, credentials.secret_access_key)
    start_at = time.time() + 3 + 0.2 * clients
    with ProcessPoolExecutor(clients, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(client_process, i, port, key, n, start_at, seconds) for i in range(clients)]
        time.sleep(max(0.0, start_at - time.time()))
        cpu_before = cpu_seconds_by_process()
        client_cpu = 0.0
        for future in futures:
            mine, handled, bad, used = future.result()
            client_cpu += used
            for action, values in mine.items():
                latencies[action].extend(values)
            for action, values in handled.items():
                server[action].extend(values)
            for action, kinds in bad.items():
                for kind, count in kinds.items():
                    errors[action][kind] += count
    cpu_after = cpu_seconds_by_process()
    total = sum(len(v) for v in latencies.values())
    result: dict[str, Any] = {"seconds": seconds, "calls": total, "calls_per_s": round(total / seconds, 1)}
    cpu = {name: round(cpu_after[name] - cpu_before[name], 1) for name in cpu_after}
    result["cpu_seconds"] = {**cpu, "clients": round(client_cpu, 1)}
    result["ecs_api_cpu_ms_per_call"] = round(1000 * cpu["ecs api"] / max(1, total), 2)
    for action, _ in MIX:
        values = latencies.get(action, [])
        if values:
            result[action] = {"count": len(values), **figures(values), "errors": dict(errors.get(action, {}))}
            if server.get(action):
                result[action]["server"] = figures(server[action])
    return result


CPU_GROUPS = (
    ("ecs api", ("ecs_operator.cli api",)),
    ("operator", ("ecs_operator.cli run",)),
    ("kube-apiserver", ("kube-apiserver",)),
    ("etcd", ("etcd",)),
    ("controller-manager, scheduler, kwok", ("kube-controller-manager", "kube-scheduler", "kwok")),
)


def cpu_seconds_by_process() -> dict[str, float]:
    """CPU seconds (user + system) so far of the processes that share the machine, by role (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    totals = dict.fromkeys((name for name, _ in CPU_GROUPS), 0.0)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        for name, needles in CPU_GROUPS:
            if any(needle in cmdline for needle in needles):
                totals[name] += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
                break
    return totals


def apiserver_requests(cluster: ClusterHandle) -> dict[str, float]:
    """kube-apiserver's own request counts so far, by ``VERB resource[/subresource]`` (its /metrics)."""
    counts: dict[str, float] = defaultdict(float)
    for line in cluster.kubectl("get", "--raw", "/metrics", timeout=60).stdout.splitlines():
        if not line.startswith("apiserver_request_total{"):
            continue
        labels = dict(part.split("=", 1) for part in line[line.index("{") + 1 : line.rindex("}")].split(","))
        label = {k: v.strip('"') for k, v in labels.items()}
        if label.get("verb") == "WATCH":
            continue
        name = label.get("resource", "") + (f"/{label['subresource']}" if label.get("subresource") else "")
        counts[f"{label.get('verb')} {name}"] += float(line.rsplit(" ", 1)[1])
    return counts


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


def start_api(port: int, env: dict[str, str], out: IO[bytes], extra: list[str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "ecs_operator.cli", "api", "--port", str(port), *extra]
    return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)


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
            procs.append(start_api(port, env, api_log, args.api_args.split()))
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
        profiler = None
        if args.profile:  # the ECS API process through the load, sampled from outside (py-spy)
            profiler = subprocess.Popen(
                ["py-spy", "record", "-p", str(procs[1].pid), "-o", args.profile, "-f", args.profile_format,
                 "-d", str(int(args.seconds) + 5), "--nonblocking"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
        requests_before = apiserver_requests(cluster)
        result["load"] = load(port, credentials, n, args.clients, args.seconds)
        requests_after = apiserver_requests(cluster)
        moved = {k: v - requests_before.get(k, 0.0) for k, v in requests_after.items()}
        top = sorted(((v, k) for k, v in moved.items() if v > 0), reverse=True)[:12]
        result["apiserver_requests_in_load"] = {k: int(v) for v, k in top}
        if profiler is not None:
            profiler.wait(timeout=60)
        result["api_healthy_after"] = healthy(port)
        if args.compare_api_args is not None:  # A/B in one run: the same load on an API started otherwise
            procs[1].terminate()
            procs[1].wait(timeout=30)
            with open(workdir / "api-compare.log", "wb") as api_log:
                procs[1] = start_api(port, env, api_log, args.compare_api_args.split())
            wait_until(lambda: healthy(port), 60, "the second ECS API healthy", interval=0.3)
            log(f"compare: ecs-operator api {args.compare_api_args}: {args.clients} clients for {args.seconds}s")
            again = load(port, credentials, n, args.clients, args.seconds)
            result["compare"] = {"api_args": args.compare_api_args, **again}
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
        f = r["load"].get(action)
        if f:
            lines.append(
                f"{action:<21} p50 {f['p50_ms']} ms, p99 {f['p99_ms']} ms, max {f['max_ms']} ms "
                f"({f['count']} calls, errors {f['errors'] or 'none'})"
            )
            if f.get("server"):
                s = f["server"]
                lines.append(f"  handled in server    p50 {s['p50_ms']} ms, p99 {s['p99_ms']} ms, max {s['max_ms']} ms")
    cpu = r["load"]["cpu_seconds"]
    lines.append("CPU seconds in load    " + ", ".join(f"{name} {value}" for name, value in cpu.items()))
    lines.append(f"ecs api CPU per call  {r['load']['ecs_api_cpu_ms_per_call']} ms")
    moved = r.get("apiserver_requests_in_load") or {}
    lines.append("kube-apiserver calls  " + ", ".join(f"{k} {v}" for k, v in moved.items()))
    for key, title in (("compare", f"compare: api {(r.get('compare') or {}).get('api_args')}"),
                       ("baseline_one_client", "one client alone")):  # fmt: skip
        other = r.get(key)
        if other:
            lines.append(f"{title:<21} {other['calls_per_s']} calls/s")
            for action, _ in MIX:
                f = other.get(action)
                if f:
                    lines.append(f"  {action:<19} p50 {f['p50_ms']} ms, p99 {f['p99_ms']} ms, max {f['max_ms']} ms")
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
    parser.add_argument("--profile", help="write a py-spy profile of the ECS API process during the load here")
    parser.add_argument("--profile-format", default="speedscope", help="py-spy's format: speedscope, raw, flamegraph")
    parser.add_argument("--api-args", default="", help="extra arguments of `ecs-operator api`")
    parser.add_argument(
        "--compare-api-args", help="then the same load again on an API started with these arguments (A/B, one run)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench cluster running afterwards")
    args = parser.parse_args()
    result = run(args)
    print(json.dumps(result, indent=2))
    print(summary(result))


if __name__ == "__main__":
    main()
