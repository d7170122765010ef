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


def _cmd_dev(args: argparse.Namespace) -> int:
    """`make run`: a cluster (local unless KUBECONFIG is set), then what a person types next."""
    from .localcluster.cluster import LocalCluster, kubectl_for

    if os.environ.get("KUBECONFIG"):
        handle = kubectl_for(Path(os.environ["KUBECONFIG"].split(os.pathsep)[0]))
        print(f"using the cluster in KUBECONFIG ({handle.kubeconfig}); nothing built or started")
    else:
        handle = LocalCluster(args.name).up()
    print(handle.kubectl("get", "nodes", "-L",
                         "eks.amazonaws.com/capacityType,topology.kubernetes.io/zone").stdout)
    print("next:")
    print(f"  export KUBECONFIG={handle.kubeconfig}")
    print(f"  {handle.kubectl_binary} get nodes -L eks.amazonaws.com/capacityType,topology.kubernetes.io/zone")
    return 0


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

    dev = sub.add_parser("dev", help="what `make run` does")
    dev.add_argument("--name", default="ecs-operator")
    dev.set_defaults(func=_cmd_dev)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
