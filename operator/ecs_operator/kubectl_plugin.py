"""`kubectl ecs`: `ecs-operator status` and `convert` as a kubectl plugin.

kubectl runs an executable named `kubectl-<name>` found on PATH for `kubectl <name> ...`, passing
the rest of the command line verbatim; `pip install` puts `kubectl-ecs` there. The subcommands
are cli.py's own (same flags, same code), so the two commands cannot drift apart.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .cli import add_convert_command, add_status_command

__all__ = ["main", "build_parser"]


def _cmd_version(args: argparse.Namespace) -> int:
    from importlib.metadata import version

    print(f"kubectl-ecs {version('ecs-operator')}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kubectl ecs", description="Amazon ECS resources on Kubernetes (the ecs-operator kubectl plugin)"
    )
    sub = parser.add_subparsers(dest="command")
    add_status_command(sub)
    add_convert_command(sub)
    sub.add_parser("version", help="the plugin's (and ecs-operator's) version").set_defaults(func=_cmd_version)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """`kubectl ecs` alone prints its usage (exit 0), as `kubectl` alone does."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
