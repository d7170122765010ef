"""The `ecs-operator` command.

Subcommands: `up`/`down` (local control plane), `crds` (regenerate crds/), `run`
(the operator), `dev` (what `make run` does); and for people coming from ECS:
`convert` (ECS JSON -> ECSCluster / TaskDefinition / ECSService / ECSTask YAML),
`render` (the Kubernetes objects those become, without a cluster) and `status`
(clusters, services and tasks as `aws ecs describe-*` shows them). `status` and `convert` are
also `kubectl ecs status` / `convert` (kubectl_plugin.py), built by the same add_*_command.

Exit codes: 0 ok, 1 runtime failure (cluster unreachable, output closed, ...),
2 bad usage or bad input (every problem printed as `<file>: <JSON path>: <message>`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .logs import FORMATS, configure_logging

if TYPE_CHECKING:
    from .convert import ConvertOptions, Source
    from .localcluster.cluster import ClusterHandle
    from .metrics import Metrics

__all__ = ["main", "build_parser", "add_convert_command", "add_status_command"]


def _cmd_up(args: argparse.Namespace) -> int:
    from .localcluster.cluster import LocalCluster

    cluster = LocalCluster(args.name)
    cluster.up()
    if args.print_kubeconfig:
        print(cluster.kubeconfig)
    return 0


def _cmd_down(args: argparse.Namespace) -> int:
    from .localcluster.cluster import LocalCluster

    LocalCluster(args.name).down()
    return 0


def _cmd_crds(args: argparse.Namespace) -> int:
    from .models.crd import write_crds

    write_crds(Path(args.output))
    print(f"wrote CRDs to {args.output}")
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from .localcluster.build import ensure_binaries

    print(ensure_binaries())
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    """Run the operator in this process against the current kubeconfig."""
    import logging
    import signal

    import kopf

    from .handlers import build_registry, create_context, watched_resources
    from .health import Health
    from .plan.leadership import ElectionTiming
    from .settings import LOCAL_FARGATE, Settings

    settings = Settings.from_environ()
    if args.kubeconfig:
        settings = replace(settings, kubeconfig=args.kubeconfig)
    local = _is_local_cluster(settings.kubeconfig)
    if settings.fargate_provisioner is None and local:
        settings = replace(settings, fargate_provisioner=LOCAL_FARGATE)  # play EKS's Fargate scheduler
    if local:
        settings = settings.with_local_webhook()  # its kube-apiserver runs here: 127.0.0.1 reaches us
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    configure_logging(level, args.log_format, verbose=args.verbose)
    if settings.kubeconfig:
        os.environ["KUBECONFIG"] = settings.kubeconfig  # kopf's own log-in reads it
    try:
        timing = ElectionTiming(args.lease_duration, args.renew_deadline, args.retry_period)
    except ValueError as exc:
        print(f"ecs-operator run: {exc}", file=sys.stderr)
        return 2
    if args.shards is not None and args.shards < 1:
        print(f"ecs-operator run: --shards must be 1 or more, got {args.shards}", file=sys.stderr)
        return 2
    metrics = _serve_metrics(args.metrics_port, per_service=args.per_service_metrics)
    stale = args.watch_stale_seconds if args.watch_stale_seconds is not None else 3 * settings.watch_client_timeout
    health = Health(stale_after=stale)
    shards = _shard_elector(args, settings, timing, metrics)
    kube = None
    if shards is not None:
        from .handlers.leader import user_agent
        from .kube import connect

        unfenced = connect(settings.kubeconfig, in_cluster=settings.in_cluster, metrics=metrics)
        kube = unfenced.fenced(shards.may_write, user_agent(shards.identity))
    ctx = create_context(settings, kube=kube, metrics=metrics)
    ctx.shards = shards
    ctx.health = health
    registry = build_registry(admission_webhook=settings.webhook_enabled)
    if settings.local_fargate:
        from .localcluster.fargate_provisioner import register as register_fargate_provisioner

        register_fargate_provisioner(registry, ctx.kube, ctx.owns)
    health.expect(watched_resources(registry), args.namespace or ())
    if shards is not None:
        from .handlers.shards import adopt_shard

        shards.on_gained = lambda index: adopt_shard(ctx, index, args.namespace or ())
        health.add_readiness_check("leases", shards.readiness)
    health.serve(args.health_port)  # /healthz and /readyz (kopf's own liveness endpoint is not used)
    if shards is not None:
        # kopf stops as on a SIGTERM (its own graceful path); a stop_flag would be waited for on an
        # executor thread that keeps asyncio.run from returning
        shards.keep(on_lost=lambda: os.kill(os.getpid(), signal.SIGTERM))
    try:
        kopf.run(
            registry=registry,
            memo=kopf.Memo(context=ctx),
            clusterwide=not args.namespace,
            namespaces=args.namespace or (),
            standalone=True,
        )
    except Exception:
        if shards is None or not shards.lost.is_set():
            raise  # a lost lease fails kopf's own fenced writes: that is expected
    if shards is not None and shards.lost.is_set():
        print(
            "ecs-operator run: lost the leader lease of a shard; exiting to restart with an empty queue",
            file=sys.stderr,
        )
        return 1
    if shards is not None:
        shards.release()
    return 0


def _shard_elector(args: argparse.Namespace, settings: Any, timing: Any, metrics: Any) -> Any:
    """``--leader-elect`` (one Lease) or ``--shards N`` (N Leases over a hash of the namespace), else None.

    Every replica runs kopf (its caches stay warm and it serves the webhook); it acts only on the
    namespaces of the shards it holds. /metrics tells which: ``leader_election_master_status`` by
    Lease and ``ecs_operator_shards_held``.
    """
    if not args.leader_elect and args.shards is None:
        return None
    from .handlers.leader import replica_identity
    from .kube import connect
    from .kube.shard_election import ShardElector

    kube = connect(settings.kubeconfig, in_cluster=settings.in_cluster)
    namespace = args.leader_election_namespace or os.environ.get("POD_NAMESPACE") or "ecs-operator-system"
    identity = replica_identity(os.environ.get("POD_NAME"))
    return ShardElector(kube, namespace, args.leader_election_id, identity, args.shards or 1, timing, metrics=metrics)


def _serve_metrics(port: int, *, per_service: bool) -> Metrics:
    """This process's metrics, served on ``port`` (0: recorded, not served); a taken port fails start-up."""
    import prometheus_client

    from .metrics import Metrics

    prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]  # no *_created series
    metrics = Metrics(per_service=per_service)
    if port:
        metrics.serve(port)
    return metrics


def _connect(kubeconfig: str | None, metrics: Metrics | None = None) -> Any:
    """A client for --kubeconfig, else $KUBECONFIG or ~/.kube/config, else (in a pod) its ServiceAccount."""
    from .kube import connect

    in_pod = bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and not (kubeconfig or os.environ.get("KUBECONFIG"))
    return connect(kubeconfig, in_cluster=in_pod, metrics=metrics)


def _cmd_api(args: argparse.Namespace) -> int:
    """Serve the ECS API (AWS JSON 1.1) over the cluster in the current kubeconfig."""
    import asyncio
    import contextlib
    import logging
    import ssl

    from .api import ApiCaches, ApiServer, Arns, serve

    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    configure_logging(level, args.log_format, verbose=args.verbose)
    kube = _connect(args.kubeconfig, _serve_metrics(args.metrics_port, per_service=False))  # requests, watches
    caches = ApiCaches().start(kube, args.keys_namespace)
    if not caches.wait_synced(60):
        print("ecs-operator api: watch caches did not sync within 60s", file=sys.stderr)
        return 1
    tls = None
    if args.tls_cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.tls_cert, args.tls_key)
    server = ApiServer(kube, caches, Arns(args.region, args.account_id))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(server, args.address, args.port, tls))
    return 0


def _cmd_api_key_create(args: argparse.Namespace) -> int:
    """Store a new API key for one namespace; print it as two environment assignments."""
    from .api.keys import key_rbac, key_secret, new_key

    kube = _connect(args.kubeconfig)
    key = new_key(args.namespace, args.service_account)
    keys_home = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": args.keys_namespace}}
    for obj in [keys_home, *key_rbac(key), key_secret(key, args.keys_namespace)]:
        kube.apply(obj)
    print(f"AWS_ACCESS_KEY_ID={key.access_key_id}")
    print(f"AWS_SECRET_ACCESS_KEY={key.secret_access_key}")
    return 0


def _is_local_cluster(kubeconfig: str | None) -> bool:
    """Is this kubeconfig one the local control plane (``ecs-operator up``) wrote?"""
    from .localcluster.versions import cache_root

    if not kubeconfig:
        return False
    try:
        return Path(kubeconfig).resolve().is_relative_to(cache_root().resolve())
    except OSError:
        return False


def _wait_steady(handle: ClusterHandle, timeout: float) -> None:
    """Give the examples a moment to settle so the status table shows where they end up."""
    import json
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = handle.kubectl("get", "ecsservices", "-A", "-o", "json", check=False).stdout
        items = json.loads(out).get("items", []) if out else []
        if items and all(
            ((s.get("status") or {}).get("deployments") or [{}])[0].get("rolloutState") == "COMPLETED" for s in items
        ):
            return
        time.sleep(2)


def _cmd_dev(args: argparse.Namespace) -> int:
    """`make run`: cluster (local unless KUBECONFIG is set), CRDs, operator, examples, next steps."""
    import subprocess

    from .localcluster.cluster import LocalCluster, kubectl_for

    repo = Path(__file__).resolve().parents[2]
    if os.environ.get("KUBECONFIG"):
        handle = kubectl_for(Path(os.environ["KUBECONFIG"].split(os.pathsep)[0]))
        print(f"using the cluster in KUBECONFIG ({handle.kubeconfig}); nothing built or started")
    else:
        handle = LocalCluster(args.name).up()
    print(handle.kubectl("get", "nodes", "-L", "eks.amazonaws.com/capacityType,topology.kubernetes.io/zone").stdout)
    handle.kubectl("apply", "--server-side", "--force-conflicts", "-k", str(repo / "crds"))
    handle.kubectl(
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        *[a for f in sorted((repo / "crds").glob("*.yaml")) if f.name != "kustomization.yaml" for a in ("-f", str(f))],
    )
    env = {**os.environ, "KUBECONFIG": str(handle.kubeconfig)}  # on the local cluster `run` plays Fargate
    operator = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ecs_operator.cli",
            "run",
            "--health-port",
            "0",
            "--metrics-port",
            str(args.metrics_port),
        ],
        env=env,
    )
    api = subprocess.Popen(
        [sys.executable, "-m", "ecs_operator.cli", "api", "--port", str(args.api_port), "--quiet"], env=env
    )
    key = subprocess.run(
        [sys.executable, "-m", "ecs_operator.cli", "api-key", "create", "--namespace", "default"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    try:
        examples = repo / "examples"
        if any(examples.rglob("*.yaml")):
            handle.kubectl("apply", "-R", "-f", str(examples))
        _wait_steady(handle, timeout=90)
        _cmd_status(
            argparse.Namespace(
                all_namespaces=True, namespace=None, kubeconfig=str(handle.kubeconfig), context=None, output="table"
            )
        )
        print("the operator is running (Ctrl-C stops it). Next, in another shell:")
        print(f"  export KUBECONFIG={handle.kubeconfig}")
        print(f"  alias kubectl={handle.kubectl_binary}")
        print("  kubectl get ecs -A                      # clusters, task definitions, services, tasks")
        print("  kubectl scale ecss/<service> --replicas=5 -n <namespace>")
        print("  kubectl get nodes -L eks.amazonaws.com/capacityType,topology.kubernetes.io/zone")
        print(f"The ECS API is on http://127.0.0.1:{args.api_port} (namespace default). To use the AWS CLI or boto3:")
        for assignment in key:
            print(f"  export {assignment}")
        print(f"  export AWS_ENDPOINT_URL_ECS=http://127.0.0.1:{args.api_port} AWS_DEFAULT_REGION=us-east-1")
        print("  aws ecs describe-services --services webserver")
        if args.metrics_port:
            print(f"The operator's metrics are on http://127.0.0.1:{args.metrics_port}/metrics")
        return operator.wait()
    except KeyboardInterrupt:
        operator.terminate()
        return operator.wait()
    finally:
        api.terminate()


# -- convert / render / status --------------------------------------------------------------

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2
_INPUT_SUFFIXES = (".json", ".yaml", ".yml", ".tfstate")


def _read_sources(paths: Sequence[str]) -> list[Source]:
    """`-` is stdin; a folder means its .json/.yaml/.yml files (sorted). Raises ConvertError."""
    from .convert import ConvertError, Problem, Source

    sources = []
    problems = []
    for given in paths:
        if given == "-":
            sources.append(Source("<stdin>", sys.stdin.read()))
            continue
        path = Path(given)
        files = (
            sorted(p for p in path.iterdir() if p.is_file() and p.suffix in _INPUT_SUFFIXES)
            if path.is_dir()
            else [path]
        )
        if path.is_dir() and not files:
            problems.append(Problem(given, "", "folder has no .json, .yaml or .yml files"))
        for file in files:
            try:
                sources.append(Source(str(file), file.read_text(encoding="utf-8"), file.stem))
            except (OSError, UnicodeDecodeError) as exc:
                problems.append(Problem(str(file), "", f"cannot be read: {getattr(exc, 'strerror', None) or exc}"))
    if problems:
        raise ConvertError(problems)
    return sources


def _print_objects(objects: Sequence[dict[str, Any]], comments: Sequence[str | None], output: str) -> int:
    import json

    from .convert import to_yaml

    try:
        if output == "json":
            print(json.dumps({"apiVersion": "v1", "kind": "List", "items": list(objects)}, indent=2))
        else:
            sys.stdout.write(to_yaml(objects, comments))
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away (`| head`): a runtime failure, not bad input
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return EXIT_FAILURE
    return EXIT_OK


def _convert_options(args: argparse.Namespace) -> ConvertOptions:
    from .convert import ConvertOptions

    return ConvertOptions(
        namespace=args.namespace,
        family=getattr(args, "family", None),
        kind=getattr(args, "kind", None),
        keep_revisions=getattr(args, "keep_revisions", False),
        parameters=tuple(getattr(args, "parameter", None) or ()),
    )


def _template_parameter(text: str) -> tuple[str, str]:
    """``--parameter Name=Value`` (a CloudFormation template parameter, or AWS::Region=...)."""
    name, equals, value = text.partition("=")
    if not equals or not name:
        raise argparse.ArgumentTypeError(f"{text!r} must be Name=Value")
    return name, value


def _parameter_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--parameter",
        action="append",
        type=_template_parameter,
        metavar="NAME=VALUE",
        help="a CloudFormation template parameter over its Default; also AWS::Region, AWS::AccountId, "
        "AWS::StackName (default: the file name) and the other pseudo parameters (repeatable)",
    )


def _report_bad_input(exc: Exception) -> int:
    for problem in getattr(exc, "problems", [exc]):
        print(f"error: {problem}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _cmd_convert(args: argparse.Namespace) -> int:
    """ECS JSON files -> custom resource YAML on stdout; notes on stderr."""
    from .convert import ConvertError, convert

    try:
        result = convert(_read_sources(args.files), _convert_options(args))
    except ConvertError as exc:
        return _report_bad_input(exc)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    return _print_objects(result.manifests, [f"converted from {item.source}" for item in result.items], args.output)


def _cmd_import(args: argparse.Namespace) -> int:
    """A live account's clusters, services, auto scaling and scheduled tasks -> manifests."""
    from .account_import import AwsError, ImportOptions, import_account
    from .convert import ConvertError, to_yaml

    options = ImportOptions(args.region, tuple(args.cluster or ()), args.endpoint_url, args.namespace)
    try:
        result = import_account(options, os.environ)
    except ConvertError as exc:
        return _report_bad_input(exc)
    except AwsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    if args.output_dir is None:
        return _print_objects(result.manifests, [f"imported from {item.source}" for item in result.items], "yaml")
    folder = Path(args.output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for item in result.items:
        path = folder / f"{item.kind.lower()}-{item.name}.yaml"
        path.write_text(to_yaml([item.manifest], [f"imported from {item.source}"]), encoding="utf-8")
        print(path)
    return EXIT_OK


def _cmd_render(args: argparse.Namespace) -> int:
    """Manifests (or ECS JSON) -> the Kubernetes objects the operator would create; warnings on stderr."""
    from .convert import ConvertError, convert
    from .preview import preview

    try:
        converted = convert(_read_sources(args.files), _convert_options(args))
        result = preview(converted.items, namespace=args.namespace, fargate_provisioner=args.fargate_provisioner)
    except ConvertError as exc:
        return _report_bad_input(exc)
    for note in [*converted.notes, *result.notes]:
        print(f"note: {note}", file=sys.stderr)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return _print_objects(result.objects, [f"from {subject}" for subject in result.subjects], args.output)


def _context_namespace(kubeconfig: str | None, context: str | None = None) -> str:
    """The namespace of the named (else the current) kubeconfig context, as kubectl picks it; else `default`."""
    try:
        from kubernetes import config as k8s_config

        contexts, active = k8s_config.list_kube_config_contexts(config_file=kubeconfig)
        if context:
            active = next((c for c in contexts if c.get("name") == context), None)
        return str((active or {}).get("context", {}).get("namespace") or "default")
    except Exception:  # no kubeconfig (in-cluster) or no current context: kubectl's default
        return "default"


def _cmd_status(args: argparse.Namespace) -> int:
    """ECSClusters, ECSServices and ECSTasks, shaped like `aws ecs describe-*` output."""
    from .kube import KubeError, connect
    from .settings import Settings
    from .vocabulary import API_VERSION

    namespace = None if args.all_namespaces else (args.namespace or _context_namespace(args.kubeconfig, args.context))
    try:
        # a named context means a kubeconfig, even in a pod
        in_cluster = Settings.from_environ().in_cluster and not args.context
        kube = connect(args.kubeconfig, in_cluster=in_cluster, context=args.context)
        found = {kind: kube.list(API_VERSION, kind, namespace) for kind in ("ECSCluster", "ECSService", "ECSTask")}
    except (KubeError, OSError) as exc:
        print(f"error: cannot read from the cluster: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as exc:  # kubeconfig problems surface as the client library's own exceptions
        print(f"error: cannot connect to the cluster: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    report = _status_report(found)
    if args.output == "table":
        sys.stdout.write(_status_tables(report, show_namespace=namespace is None))
    elif args.output == "json":
        import json

        print(json.dumps(report, indent=2, default=str))
    else:
        import yaml

        sys.stdout.write(yaml.safe_dump(report, sort_keys=False, default_flow_style=False, width=100000))
    return EXIT_OK


def _status_report(found: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """`{"clusters": [...], "services": [...], "tasks": [...]}` with ECS member names."""

    def rows(kind: str, name_member: str, spec_member: str | None) -> list[dict[str, Any]]:
        out = []
        for obj in sorted(found[kind], key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"])):
            spec = obj.get("spec") or {}
            status = dict(obj.get("status") or {})
            row = {
                name_member: (spec.get(spec_member) if spec_member else None) or obj["metadata"]["name"],
                "namespace": obj["metadata"].get("namespace"),
                "name": obj["metadata"]["name"],
            }
            if kind != "ECSCluster":
                row["cluster"] = status.pop("cluster", None) or str(spec.get("cluster") or "default").rsplit("/", 1)[-1]
                row["taskDefinition"] = status.pop("taskDefinition", None) or spec.get("taskDefinition")
            if kind == "ECSService":
                row["desiredCount"] = status.pop("desiredCount", spec.get("desiredCount"))
            row.update({k: v for k, v in status.items() if v is not None})
            out.append(row)
        return out

    return {
        "clusters": rows("ECSCluster", "clusterName", "clusterName"),
        "services": rows("ECSService", "serviceName", "serviceName"),
        "tasks": rows("ECSTask", "task", None),
    }


def _status_tables(report: dict[str, list[dict[str, Any]]], *, show_namespace: bool) -> str:
    def num(value: object) -> str:
        return "-" if value is None else str(value)

    sections = []
    clusters = [
        [
            c["clusterName"],
            c.get("status") or "-",
            num(c.get("registeredContainerInstancesCount")),
            num(c.get("runningTasksCount")),
            num(c.get("pendingTasksCount")),
            num(c.get("activeServicesCount")),
        ]
        for c in report["clusters"]
    ]
    sections.append(
        ("CLUSTERS", report["clusters"], ["CLUSTER", "STATUS", "INSTANCES", "RUNNING", "PENDING", "SERVICES"], clusters)
    )
    services = []
    for s in report["services"]:
        rollout = ((s.get("deployments") or [{}])[0] or {}).get("rolloutState")
        services.append(
            [
                s["serviceName"],
                s["cluster"],
                num(s.get("taskDefinition")),
                num(s.get("desiredCount")),
                num(s.get("runningCount")),
                num(s.get("pendingCount")),
                rollout or s.get("status") or "-",
            ]
        )
    sections.append(
        (
            "SERVICES",
            report["services"],
            ["SERVICE", "CLUSTER", "TASKDEF", "DESIRED", "RUNNING", "PENDING", "ROLLOUT"],
            services,
        )
    )
    tasks = []
    for t in report["tasks"]:
        summary = t.get("summary") or {}
        schedule = (t.get("schedule") or {}).get("expression")
        tasks.append(
            [
                t["task"],
                t["cluster"],
                num(t.get("taskDefinition")),
                t.get("lastStatus") or "-",
                t.get("desiredStatus") or "-",
                num(summary.get("running")),
                num(summary.get("stopped")),
                t.get("stopCode") or "-",
                schedule or "-",
            ]
        )
    sections.append(
        (
            "TASKS",
            report["tasks"],
            ["TASK", "CLUSTER", "TASKDEF", "LAST", "DESIRED", "RUNNING", "STOPPED", "STOPCODE", "SCHEDULE"],
            tasks,
        )
    )
    out = []
    for title, items, columns, cells in sections:
        header = ["NAMESPACE", *columns] if show_namespace else columns
        table = (
            [[str(item.get("namespace") or "-"), *row] for item, row in zip(items, cells, strict=True)]
            if show_namespace
            else cells
        )
        out.append(f"{title}\n")
        if not table:
            out.append("(none)\n\n")
            continue
        widths = [max(len(str(row[i])) for row in [header, *table]) for i in range(len(header))]
        for row in [header, *table]:
            out.append(
                "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n"
            )
        out.append("\n")
    problems = [f"{s['serviceName']}: {s['problem']}" for s in report["services"] if s.get("problem")]
    problems += [
        f"{t['task']}: {t['stoppedReason']}" for t in report["tasks"] if t.get("stopCode") and t.get("stoppedReason")
    ]
    if problems:
        out.append("PROBLEMS\n" + "".join(f"{p}\n" for p in problems))
    return "".join(out).rstrip("\n") + "\n"


def _input_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="JSON or YAML file, a folder of them, or - for stdin")
    parser.add_argument("-n", "--namespace", help="metadata.namespace of the objects (default: left to kubectl)")
    parser.add_argument("-o", "--output", choices=("yaml", "json"), default="yaml")


def add_convert_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """`convert` and its flags, one definition for `ecs-operator convert` and `kubectl ecs convert`."""
    convert = sub.add_parser(
        "convert",
        help="ECS JSON (register-task-definition, create-service, run-task, create-cluster input, "
        "describe-* output, containerDefinitions arrays, CloudFormation/CDK templates) -> custom resource YAML",
    )
    _input_arguments(convert)
    convert.add_argument(
        "--family", help="family for inputs without one (a bare containerDefinitions array; default: the file name)"
    )
    convert.add_argument(
        "--kind",
        choices=("ECSService", "ECSTask", "TaskDefinition", "ECSCluster"),
        help="what an ambiguous object is (an object naming a taskDefinition is a service when it "
        "has service-only members such as serviceName, else a task)",
    )
    convert.add_argument(
        "--keep-revisions",
        action="store_true",
        help="keep family:N and ARNs in taskDefinition references (default: follow the latest "
        "revision, since revisions start again at 1 on Kubernetes)",
    )
    _parameter_argument(convert)
    convert.set_defaults(func=_cmd_convert)
    return convert


def add_status_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """`status` and its flags, one definition for `ecs-operator status` and `kubectl ecs status`."""
    status = sub.add_parser("status", help="clusters, services and tasks, as `aws ecs describe-*` shows them")
    status.add_argument("-n", "--namespace", help="namespace (default: the kubeconfig context's, else default)")
    status.add_argument("-A", "--all-namespaces", action="store_true")
    status.add_argument("-o", "--output", choices=("table", "json", "yaml"), default="table")
    status.add_argument("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)")
    status.add_argument("--context", help="kubeconfig context to read through (default: its current-context)")
    status.set_defaults(func=_cmd_status)
    return status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ecs-operator", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="build (once) and start the local control plane")
    up.add_argument("--name", default="ecs-operator")
    up.add_argument("--print-kubeconfig", action="store_true", help="print the kubeconfig path as the last line")
    up.set_defaults(func=_cmd_up)

    down = sub.add_parser("down", help="stop and delete the local control plane")
    down.add_argument("--name", default="ecs-operator")
    down.set_defaults(func=_cmd_down)

    build = sub.add_parser("build", help="build the control-plane binaries into the cache")
    build.set_defaults(func=_cmd_build)

    crds = sub.add_parser("crds", help="write the CRDs generated from the models")
    crds.add_argument("--output", default="crds")
    crds.set_defaults(func=_cmd_crds)

    run = sub.add_parser("run", help="run the operator against the current kubeconfig")
    run.add_argument("-n", "--namespace", action="append", help="watch only this namespace (repeatable)")
    run.add_argument("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)")
    run.add_argument(
        "--health-port", type=int, default=8081, help="/healthz (liveness) and /readyz port (default 8081; 0: off)"
    )
    run.add_argument(
        "--watch-stale-seconds",
        type=float,
        help="/healthz fails when a watch has not reconnected for this long (default: 3 x kopf's watch client timeout)",
    )
    run.add_argument("--metrics-port", type=int, default=8080, help="Prometheus /metrics port (default 8080; 0: off)")
    run.add_argument(
        "--per-service-metrics",
        action="store_true",
        help="also export task counts per ECSService (one series per service and state: mind the cardinality)",
    )
    run.add_argument(
        "--leader-elect",
        action="store_true",
        help="act only while holding a coordination.k8s.io Lease (several replicas: one acts, the rest wait)",
    )
    run.add_argument(
        "--shards",
        type=int,
        help="split the work over N Leases by a hash of the namespace; each replica acts on the shards it "
        "holds, as many as is fair among the live replicas (implies leader election; see README)",
    )
    run.add_argument("--leader-election-id", default="ecs-operator", help="the Lease's name (default ecs-operator)")
    run.add_argument(
        "--leader-election-namespace", help="the Lease's namespace (default: $POD_NAMESPACE, else ecs-operator-system)"
    )
    run.add_argument("--lease-duration", type=float, default=15.0, help="seconds a lease lasts unrenewed (15)")
    run.add_argument("--renew-deadline", type=float, default=10.0, help="seconds the leader has to renew (10)")
    run.add_argument("--retry-period", type=float, default=2.0, help="seconds between lease tries (2)")
    run.add_argument("-v", "--verbose", action="store_true", help="debug lines, and kopf's line per handler call")
    run.add_argument("--log-format", choices=FORMATS, default="text", help="text (default) or json, one object a line")
    run.add_argument("-q", "--quiet", action="store_true", help="log warnings and errors only")
    run.set_defaults(func=_cmd_run)

    api = sub.add_parser("api", help="serve the ECS API (AWS JSON 1.1) over the current kubeconfig's cluster")
    api.add_argument("--port", type=int, default=4566, help="port (default 4566)")
    api.add_argument("--address", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    api.add_argument("--tls-cert", help="PEM certificate chain: serve HTTPS")
    api.add_argument("--tls-key", help="PEM private key for --tls-cert")
    api.add_argument("--region", default="us-east-1", help="region in ARNs and SigV4 scopes (default us-east-1)")
    api.add_argument("--account-id", default="123456789012", help="account id in ARNs (default 123456789012)")
    api.add_argument("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)")
    api.add_argument("--keys-namespace", default="ecs-operator-system", help="where API keys are kept")
    api.add_argument(
        "--metrics-port", type=int, default=0, help="Prometheus /metrics port: API requests, watch restarts (0: off)"
    )
    api.add_argument("-v", "--verbose", action="store_true")
    api.add_argument("--log-format", choices=FORMATS, default="text", help="text (default) or json, one object a line")
    api.add_argument("-q", "--quiet", action="store_true", help="log warnings and errors only")
    api.set_defaults(func=_cmd_api)

    api_key = sub.add_parser("api-key", help="access keys for the ECS API")
    api_key_sub = api_key.add_subparsers(dest="api_key_command", required=True)
    create_key = api_key_sub.add_parser(
        "create", help="store a new key for a namespace; prints AWS_ACCESS_KEY_ID=... and AWS_SECRET_ACCESS_KEY=..."
    )
    create_key.add_argument("-n", "--namespace", required=True, help='the namespace ("account") the key acts in')
    create_key.add_argument(
        "--service-account", default="ecs-api", help="ServiceAccount the key acts as (default ecs-api)"
    )
    create_key.add_argument("--keys-namespace", default="ecs-operator-system", help="where API keys are kept")
    create_key.add_argument("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)")
    create_key.set_defaults(func=_cmd_api_key_create)

    dev = sub.add_parser("dev", help="what `make run` does")
    dev.add_argument("--name", default="ecs-operator")
    dev.add_argument("--api-port", type=int, default=4566, help="port of the ECS API (default 4566)")
    dev.add_argument("--metrics-port", type=int, default=0, help="the operator's /metrics port (default 0: off)")
    dev.set_defaults(func=_cmd_dev)

    add_convert_command(sub)

    imp = sub.add_parser(
        "import", help="a live AWS account's ECS clusters, services, auto scaling and scheduled tasks -> manifests"
    )
    imp.add_argument("--region", required=True, help="the AWS region to read")
    imp.add_argument("--cluster", action="append", help="a cluster name or ARN (repeatable; default: every cluster)")
    imp.add_argument(
        "--endpoint-url", help="endpoint of every API read (default: AWS_ENDPOINT_URL_<API>, AWS_ENDPOINT_URL, AWS's)"
    )
    imp.add_argument("-n", "--namespace", help="metadata.namespace of every object (default: leave it to kubectl)")
    imp.add_argument("-o", "--output-dir", help="write one file per object into this folder (default: YAML on stdout)")
    imp.set_defaults(func=_cmd_import)

    render = sub.add_parser("render", help="the Kubernetes objects a manifest (or ECS JSON) becomes, without a cluster")
    _input_arguments(render)
    render.add_argument(
        "--fargate-provisioner",
        choices=("kwok",),
        default=None,
        help="render Fargate tasks for the local cluster's provisioner (default: EKS Fargate)",
    )
    _parameter_argument(render)
    render.set_defaults(func=_cmd_render)

    add_status_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
