"""A real Kubernetes control plane, built from source, for `make run` and the tests.

Binaries come from the Go module proxy (see :mod:`.versions`) and are cached outside
the repository; kwok fakes nodes and pod lifecycles so no container runtime is needed.
"""

from .versions import PINNED, Versions

__all__ = ["Versions", "PINNED"]
