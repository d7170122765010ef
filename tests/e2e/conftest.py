"""The e2e suite reuses the integration fixtures (cluster, namespace, operator, crds).

They are loaded from tests/integration/conftest.py under another module name, since every
conftest is imported as plain `conftest`.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_INTEGRATION = Path(__file__).resolve().parents[1] / "integration"
sys.path.insert(0, str(_INTEGRATION))
_spec = importlib.util.spec_from_file_location("integration_conftest", _INTEGRATION / "conftest.py")
assert _spec is not None and _spec.loader is not None
_shared = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_shared)

cluster = _shared.cluster
crds = _shared.crds
kubeconfig = _shared.kubeconfig
namespace = _shared.namespace
operator = _shared.operator
