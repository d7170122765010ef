# ecs-operator developer entry points. `make run` and `make test` are the quickstart.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTEST := $(PY) -m pytest

.PHONY: run test unit integration reliability e2e e2e-kind bench crds check-crds docs lint format cluster-up cluster-down build-cluster clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,lint]'
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

## reliability: faults injected into a running system (operator SIGKILLs, kube-apiserver restarts,
##      concurrent writers, leader failovers, EFS claim safety) and 10,000+ fuzzed ECS documents;
##      slow, not part of `make test`. RELIABILITY_SEED=<n> replays a printed chaos seed.
reliability: $(STAMP)
	ECS_OPERATOR_FUZZ_EXAMPLES=$${ECS_OPERATOR_FUZZ_EXAMPLES:-10000} $(PYTEST) tests/reliability

## e2e: integration + e2e suites with the operator running as deploy/'s ServiceAccount,
##      against ECS_OPERATOR_E2E_KUBECONFIG when set (kind, EKS), else the local control plane
e2e: $(STAMP)
	ECS_OPERATOR_AS_SERVICE_ACCOUNT=1 $(PYTEST) tests/integration tests/e2e

## e2e-kind: a kind cluster, the operator image loaded into it, deploy/ applied, then e2e (needs Docker)
e2e-kind: $(STAMP)
	@command -v docker >/dev/null && command -v kind >/dev/null || { echo "e2e-kind needs docker and kind"; exit 2; }
	kind get clusters | grep -qx ecs-operator || kind create cluster --name ecs-operator
	docker build -f deploy/Dockerfile -t ecs-operator:0.1.0 .
	kind load docker-image ecs-operator:0.1.0 --name ecs-operator
	kind get kubeconfig --name ecs-operator > .kind-kubeconfig
	KUBECONFIG=.kind-kubeconfig kubectl apply --server-side -k deploy/
	ECS_OPERATOR_EXTERNAL=1 ECS_OPERATOR_E2E_KUBECONFIG=$(CURDIR)/.kind-kubeconfig $(MAKE) e2e

## crds: regenerate crds/ from the pydantic models, and the Helm chart's copy of them
##      (helm installs deploy/helm/ecs-operator/crds/ verbatim; a test keeps it byte-identical)
CHART_CRDS := deploy/helm/ecs-operator/crds
crds: $(STAMP)
	$(VENV)/bin/ecs-operator crds --output crds
	rm -f $(CHART_CRDS)/*.yaml
	for f in crds/*.yaml; do [ "$${f##*/}" = kustomization.yaml ] || cp "$$f" $(CHART_CRDS)/; done

## bench: N ECSServices of M tasks vs N plain Deployments on the local control plane; prints figures
N ?= 500
M ?= 4
bench: $(STAMP)
	$(PY) benchmarks/scale.py --services $(N) --tasks $(M)

## docs: regenerate docs/field-reference.md from the pydantic models
docs: $(STAMP)
	$(PY) -m ecs_operator.fieldref docs/field-reference.md

## lint: strict type check (mypy --strict), ruff lint and format check, import-linter contracts
lint: $(STAMP)
	$(VENV)/bin/mypy
	$(VENV)/bin/ruff check operator tests benchmarks
	$(VENV)/bin/ruff format --check operator tests benchmarks
	$(VENV)/bin/lint-imports

## format: apply ruff's formatting and safe fixes
format: $(STAMP)
	$(VENV)/bin/ruff format operator tests benchmarks
	$(VENV)/bin/ruff check --fix operator tests benchmarks

build-cluster: $(STAMP)
	$(PY) -m ecs_operator.localcluster.build

cluster-up: $(STAMP)
	$(VENV)/bin/ecs-operator up

cluster-down: $(STAMP)
	$(VENV)/bin/ecs-operator down

clean:
	rm -rf $(VENV) .pytest_cache
