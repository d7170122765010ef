# ecs-operator developer entry points. `make run` and `make test` are the quickstart.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTEST := $(PY) -m pytest

.PHONY: run test unit integration e2e crds check-crds lint cluster-up cluster-down build-cluster clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

## run: local control plane (unless KUBECONFIG is set), CRDs, operator, examples
run: $(STAMP)
	$(VENV)/bin/ecs-operator dev

## test: unit, then integration against a real API server (built and started on demand)
test: $(STAMP)
	$(PYTEST) tests/unit tests/integration

unit: $(STAMP)
	$(PYTEST) tests/unit

integration: $(STAMP)
	$(PYTEST) tests/integration

## e2e: the integration suite against ECS_OPERATOR_E2E_KUBECONFIG (kind, EKS, ...)
e2e: $(STAMP)
	@test -n "$$ECS_OPERATOR_E2E_KUBECONFIG" || { echo "set ECS_OPERATOR_E2E_KUBECONFIG"; exit 2; }
	$(PYTEST) tests/integration tests/e2e

## crds: regenerate crds/ from the pydantic models
crds: $(STAMP)
	$(VENV)/bin/ecs-operator crds --output crds

lint: $(STAMP)
	$(VENV)/bin/lint-imports

build-cluster: $(STAMP)
	$(PY) -m ecs_operator.localcluster.build

cluster-up: $(STAMP)
	$(VENV)/bin/ecs-operator up

cluster-down: $(STAMP)
	$(VENV)/bin/ecs-operator down

clean:
	rm -rf $(VENV) .pytest_cache
