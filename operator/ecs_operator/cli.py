"""The `ecs-operator` command.

Subcommands: `up`/`down` (local control plane), `crds` (regenerate crds/), `run`
(the operator), `dev` (what `make run` does). Exit codes: 0 ok, 1 runtime failure,
2 bad usage or bad input.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

__all__ = ["main"]


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

    import kopf

    from . import handlers  # noqa: F401  (registers the handlers)

    if args.kubeconfig:
        os.environ["KUBECONFIG"] = args.kubeconfig
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    kopf.run(
        clusterwide=not args.namespace,
        namespaces=args.namespace or (),
        standalone=not args.peering,
        peering_name=args.peering or None,
        liveness_endpoint=f"http://0.0.0.0:{args.health_port}/healthz" if args.health_port else None,
    )
    return 0


def _cmd_dev(args: argparse.Namespace) -> int:
    """`make run`: cluster (local unless KUBECONFIG is set), CRDs, operator, examples, next steps."""
    import subprocess
    import time

    from .localcluster.cluster import LocalCluster, kubectl_for

    repo = Path(__file__).resolve().parents[2]
    if os.environ.get("KUBECONFIG"):
        handle = kubectl_for(Path(os.environ["KUBECONFIG"].split(os.pathsep)[0]))
        print(f"using the cluster in KUBECONFIG ({handle.kubeconfig}); nothing built or started")
    else:
        handle = LocalCluster(args.name).up()
    print(handle.kubectl("get", "nodes", "-L",
                         "eks.amazonaws.com/capacityType,topology.kubernetes.io/zone").stdout)
    handle.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(repo / "crds"))
    handle.kubectl("wait", "--for=condition=Established", "--timeout=60s", "-f", str(repo / "crds"))
    env = {**os.environ, "KUBECONFIG": str(handle.kubeconfig)}
    operator = subprocess.Popen([sys.executable, "-m", "ecs_operator.cli", "run", "--health-port", "8080"],
                                env=env)
    try:
        examples = repo / "examples"
        if any(examples.rglob("*.yaml")):
            handle.kubectl("apply", "-R", "-f", str(examples))
        time.sleep(5)
        print(handle.kubectl("get", "ecs", "-A", check=False).stdout)
        print("the operator is running (Ctrl-C stops it). Next, in another shell:")
        print(f"  export KUBECONFIG={handle.kubeconfig}")
        print(f"  alias kubectl={handle.kubectl_binary}")
        print("  kubectl get ecs -A                      # clusters, task definitions, services, tasks")
        print("  kubectl scale ecss/<service> --replicas=5 -n <namespace>")
        print("  kubectl get nodes -L eks.amazonaws.com/capacityType,topology.kubernetes.io/zone")
        return operator.wait()
    except KeyboardInterrupt:
        operator.terminate()
        return operator.wait()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ecs-operator", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="build (once) and start the local control plane")
    up.add_argument("--name", default="ecs-operator")
    up.add_argument("--print-kubeconfig", action="store_true",
                    help="print the kubeconfig path as the last line")
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
    run.add_argument("--health-port", type=int, default=8080, help="kopf liveness endpoint port (0: off)")
    run.add_argument("--peering", default="", help="kopf peering name, for several replicas (default: standalone)")
    run.add_argument("-v", "--verbose", action="store_true")
    run.set_defaults(func=_cmd_run)

    dev = sub.add_parser("dev", help="what `make run` does")
    dev.add_argument("--name", default="ecs-operator")
    dev.set_defaults(func=_cmd_dev)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
