# Scam call detector — every command a developer or CI types. `make help` lists them.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

# Node 24 from .cache/node (scripts/ensure-node.sh) comes first on PATH when it is there.
export PATH := $(CURDIR)/.cache/node/node_modules/.bin:$(PATH)

REPORTS := artifacts/test-results
SAMPLES ?= 125000
SEED ?= 42
# 1: `make test` also runs test-k8s-node (the chart on a real one-node cluster; root). 0 skips it (a machine
# that cannot run a kubelet: no root, or no cgroups).
K8S_NODE_TESTS ?= 1
MODEL ?= models/model.json
BEHAVIOUR_MODEL ?= models/behaviour-model.json

##@ General
.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make \033[36m<target>\033[0m [VAR=value]\n"} \
	  /^[a-zA-Z0-9_-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } \
	  /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Development
.PHONY: node
node: ## Install Node 24 into .cache/node if no Node 24 is on PATH
	@scripts/ensure-node.sh

.PHONY: install
install: node ## Install dependencies exactly as locked (npm ci)
	npm ci --no-audit --no-fund --loglevel=warn

.PHONY: lint
lint: ## Lint and check formatting (Biome)
	npx biome check .

.PHONY: format
format: ## Format and fix what Biome can fix
	npx biome check --write .

.PHONY: typecheck
typecheck: ## Type-check every workspace
	npx tsc --build --pretty
	npx tsc -p tsconfig.tests.json --pretty
	npx tsc -p dashboard/test/tsconfig.json --pretty
	npx vue-tsc -p dashboard/src/web/tsconfig.json --pretty

.PHONY: build
build: ## Compile every workspace to dist/ and build the dashboard page (dashboard/dist/web)
	npx tsc --build
	npx vite build --config dashboard/vite.config.ts --logLevel warn

##@ Tests
.PHONY: test
test: build ## Run every test suite (the integration suite on a local broker it starts and stops) and print the total ("N passed, N failed")
	@rm -rf $(REPORTS) && mkdir -p $(REPORTS)
	@status=0; \
	npx vitest run --project unit --reporter=default --reporter=json --outputFile.json=$(REPORTS)/unit.json || status=1; \
	$(MAKE) test-dashboard || status=1; \
	$(MAKE) test-integration || status=1; \
	$(MAKE) test-security || status=1; \
	$(MAKE) test-e2e || status=1; \
	$(MAKE) test-k8s || status=1; \
	$(MAKE) test-monitoring || status=1; \
	$(MAKE) test-images || status=1; \
	$(MAKE) test-soak || status=1; \
	node_report=; \
	if [ "$(K8S_NODE_TESTS)" = 1 ]; then $(MAKE) test-k8s-node || status=1; node_report=$(REPORTS)/k8s-node.json; fi; \
	node scripts/test-summary.mjs $(REPORTS)/unit.json $(REPORTS)/dashboard.json $(REPORTS)/dashboard-web.json \
	  $(REPORTS)/integration.json $(REPORTS)/security.json $(REPORTS)/e2e.json $(REPORTS)/k8s.json \
	  $(REPORTS)/monitoring.json $(REPORTS)/images.json $(REPORTS)/soak.json $$node_report || status=1; \
	exit $$status

.PHONY: test-unit
test-unit: ## Run the unit tests only
	npx vitest run --project unit

.PHONY: test-integration
test-integration: build ## Pipeline tests on a real Kafka broker: starts it if it is not running, stops it after (even on failure)
	@mkdir -p $(REPORTS)
	@if scripts/kafka/kafka.sh status >/dev/null 2>&1; then \
	  echo "kafka: using the broker that is already running (it stays up)"; \
	else \
	  trap 'scripts/kafka/kafka.sh down' EXIT INT TERM; \
	fi; \
	scripts/kafka/kafka.sh up; \
	scripts/toxiproxy/build.sh >/dev/null; \
	KAFKA_BROKERS=$(KAFKA_BROKERS) npx vitest run --project integration --reporter=default --reporter=json \
	  --outputFile.json=$(REPORTS)/integration.json

.PHONY: test-security
test-security: build ## Kafka security on a second local broker (SASL_SSL + mutual TLS + the chart's ACLs): the pipeline end to end, every denial, every clear error; starts and stops it
	@mkdir -p $(REPORTS)
	@export KAFKA_HOME_DIR=$(KAFKA_SECURE_HOME) KAFKA_SECURITY=sasl_ssl KAFKA_PORT=$(KAFKA_SECURE_PORT) \
	  KAFKA_CONTROLLER_PORT=$(KAFKA_SECURE_CONTROLLER_PORT) KAFKA_TLS_PORT=$(KAFKA_SECURE_TLS_PORT) KAFKA_CREATE_TOPICS=false; \
	if scripts/kafka/kafka.sh status >/dev/null 2>&1; then :; else trap 'scripts/kafka/kafka.sh down' EXIT INT TERM; fi; \
	scripts/kafka/kafka.sh up; \
	KAFKA_SECURE_HOME=$(KAFKA_SECURE_HOME) KAFKA_SECURE_BROKERS=127.0.0.1:$(KAFKA_SECURE_PORT) \
	  KAFKA_SECURE_TLS_BROKERS=127.0.0.1:$(KAFKA_SECURE_TLS_PORT) npx vitest run --project security \
	  --reporter=default --reporter=json --outputFile.json=$(REPORTS)/security.json

.PHONY: test-dashboard
test-dashboard: ## Dashboard unit tests (server, in-process) and component tests (simulated DOM)
	@mkdir -p $(REPORTS)
	@status=0; \
	npx vitest run --project dashboard --reporter=default --reporter=json --outputFile.json=$(REPORTS)/dashboard.json || status=1; \
	npx vitest run --project dashboard-web --reporter=default --reporter=json --outputFile.json=$(REPORTS)/dashboard-web.json || status=1; \
	exit $$status

.PHONY: test-e2e
test-e2e: build ## Dashboard end to end in headless Chromium (/usr/bin/chromium): replay with no broker, then the live pipeline on a local broker it starts
	@mkdir -p $(REPORTS)
	@test -x "$${CHROMIUM_PATH:-/usr/bin/chromium}" || { echo "Chromium not found: apt-get install -y chromium (or set CHROMIUM_PATH)"; exit 1; }
	@if scripts/kafka/kafka.sh status >/dev/null 2>&1; then :; else trap 'scripts/kafka/kafka.sh down' EXIT INT TERM; fi; \
	scripts/kafka/kafka.sh up; \
	KAFKA_BROKERS=$(KAFKA_BROKERS) npx vitest run --project e2e --reporter=default --reporter=json \
	  --outputFile.json=$(REPORTS)/e2e.json

.PHONY: test-k8s
test-k8s: build ## Chart, RBAC and ConfigMap tests on a real Kubernetes control plane (built from source on first use; ~10 min cold)
	@mkdir -p $(REPORTS)
	@if scripts/kafka/kafka.sh status >/dev/null 2>&1; then :; else trap 'scripts/kafka/kafka.sh down' EXIT INT TERM; fi; \
	scripts/kafka/kafka.sh up; \
	scripts/k8s/build-tools.sh; \
	KAFKA_BROKERS=$(KAFKA_BROKERS) npx vitest run --project k8s --reporter=default --reporter=json \
	  --outputFile.json=$(REPORTS)/k8s.json

.PHONY: test-k8s-node
test-k8s-node: build ## The chart on a real one-node cluster (real pods, DNS, NetworkPolicies, port-forward): needs root; builds the images and node parts on first use
	@mkdir -p $(REPORTS)
	@test "$$(id -u)" = 0 || { echo "test-k8s-node needs root (bridge, iptables, cgroups of a real node)"; exit 1; }
	@test -x "$${CHROMIUM_PATH:-/usr/bin/chromium}" || { echo "Chromium not found: apt-get install -y chromium (or set CHROMIUM_PATH)"; exit 1; }
	$(MAKE) images
	npx vitest run --project k8s-node --reporter=default --reporter=json --outputFile.json=$(REPORTS)/k8s-node.json

# helm comes from the k8s toolchain (scripts/k8s/build-tools.sh); prometheus and promtool from the Go module proxy.
.PHONY: test-monitoring
test-monitoring: build ## Alert rules (promtool check + unit tests) and the Grafana dashboard's queries on a real Prometheus scraping the services on a local broker (Prometheus built on first use)
	@mkdir -p $(REPORTS)
	@if scripts/kafka/kafka.sh status >/dev/null 2>&1; then :; else trap 'scripts/kafka/kafka.sh down' EXIT INT TERM; fi; \
	scripts/kafka/kafka.sh up; \
	scripts/k8s/build-tools.sh; \
	scripts/prometheus/build.sh; \
	KAFKA_BROKERS=$(KAFKA_BROKERS) npx vitest run --project monitoring --reporter=default --reporter=json \
	  --outputFile.json=$(REPORTS)/monitoring.json

##@ Local Kafka (Apache Kafka 4.3.1 from Maven Central, Java 17; no Docker)
KAFKA_BROKERS ?= 127.0.0.1:9092
# The secured broker of `make test-security` (KAFKA_SECURITY=sasl_ssl): its own run dir and ports.
KAFKA_SECURE_HOME ?= .cache/kafka/run-secure
KAFKA_SECURE_PORT ?= 9192
KAFKA_SECURE_CONTROLLER_PORT ?= 9193
KAFKA_SECURE_TLS_PORT ?= 9194

.PHONY: kafka-up
kafka-up: ## Start the local broker (idempotent) and create calls_raw, calls_scored, calls_dlq
	scripts/kafka/kafka.sh up

.PHONY: kafka-down
kafka-down: ## Stop the local broker started by kafka-up (data kept)
	scripts/kafka/kafka.sh down

.PHONY: kafka-status
kafka-status: ## Say whether the local broker runs
	scripts/kafka/kafka.sh status

##@ Pipeline
RATE ?= 100

.PHONY: produce
produce: build ## Send the generator's call events to calls_raw at RATE events/s until Ctrl-C (the world: node services/producer/dist/main.js)
	node services/producer/dist/main.js --profile default --rate $(RATE)

.PHONY: process
process: build ## Run one processor (MODEL_PATH defaults to models/model.json)
	node services/processor/dist/main.js

.PHONY: bench-dashboard
bench-dashboard: build ## Dashboard at 5,000 results/s for 2 min on a local broker, page in Chromium: RSS, longest task, produced→shown (JSON lines)
	@if scripts/kafka/kafka.sh status >/dev/null 2>&1; then :; else trap 'scripts/kafka/kafka.sh down' EXIT INT TERM; fi; \
	scripts/kafka/kafka.sh up >&2; \
	KAFKA_BROKERS=$(KAFKA_BROKERS) node dashboard/dist/bench/bench.js --rate $${BENCH_RATE:-5000} --seconds $${BENCH_SECONDS:-120}

.PHONY: bench
bench: build ## Pipeline benchmark on a local broker (drain 200k, latency at 1,000/s for 60 s, RSS, producer rate): JSON lines
	@test -f $(MODEL) || $(MAKE) train
	@if scripts/kafka/kafka.sh status >/dev/null 2>&1; then :; else trap 'scripts/kafka/kafka.sh down' EXIT INT TERM; fi; \
	scripts/kafka/kafka.sh up >&2; \
	KAFKA_BROKERS=$(KAFKA_BROKERS) MODEL_PATH=$(MODEL) node services/processor/dist/bench.js; \
	KAFKA_BROKERS=$(KAFKA_BROKERS) node services/producer/dist/bench-rate.js

.PHONY: bench-durable
bench-durable: build ## Durable caller state: drain 200k (bare loop vs memory vs durable state), p99 at 1,000/s, a million callers (hot set, RSS, restore): JSON lines
	@test -f $(BEHAVIOUR_MODEL) || $(MAKE) train-behaviour
	@scripts/kafka/kafka.sh up >/dev/null
	KAFKA_BROKERS=$(KAFKA_BROKERS) MODEL_PATH=$(BEHAVIOUR_MODEL) node services/processor/dist/bench-durable.js

SOAK_MINUTES ?= 30
.PHONY: bench-soak
bench-soak: build ## Soak: SOAK_MINUTES (30) at 2,000 events/s, a processor SIGKILL every 5 min, one broker restart; RSS, lag, lost, duplicated (JSON lines; exit 1 if a check fails)
	@test -f $(MODEL) || $(MAKE) train
	@if scripts/kafka/kafka.sh status >/dev/null 2>&1; then :; else trap 'scripts/kafka/kafka.sh down' EXIT INT TERM; fi; \
	scripts/kafka/kafka.sh up >&2; \
	KAFKA_BROKERS=$(KAFKA_BROKERS) MODEL_PATH=$(MODEL) SOAK_MINUTES=$(SOAK_MINUTES) node services/processor/dist/bench-soak.js

.PHONY: test-soak
test-soak: build ## The 3-minute soak with the long one's checks (part of make test): nothing lost, RSS not growing, lag back within 30 s
	@mkdir -p $(REPORTS)
	$(MAKE) bench-soak SOAK_MINUTES=3 SOAK_REPORT=$(CURDIR)/$(REPORTS)/soak.json

.PHONY: bench-poison
bench-poison: build ## Poison at scale: 10 % invalid events in 10,000 events/s vs a clean run; every dead letter's reason checked (JSON lines)
	@test -f $(MODEL) || $(MAKE) train
	@if scripts/kafka/kafka.sh status >/dev/null 2>&1; then :; else trap 'scripts/kafka/kafka.sh down' EXIT INT TERM; fi; \
	scripts/kafka/kafka.sh up >&2; \
	KAFKA_BROKERS=$(KAFKA_BROKERS) MODEL_PATH=$(MODEL) node services/processor/dist/bench-poison.js

.PHONY: bench-security
bench-security: build ## Drain figure over plain text and over SASL_SSL (two local brokers, same run): JSON lines
	@test -f $(MODEL) || $(MAKE) train
	@secure() { KAFKA_HOME_DIR=$(KAFKA_SECURE_HOME) KAFKA_SECURITY=sasl_ssl KAFKA_PORT=$(KAFKA_SECURE_PORT) \
	  KAFKA_CONTROLLER_PORT=$(KAFKA_SECURE_CONTROLLER_PORT) KAFKA_TLS_PORT=$(KAFKA_SECURE_TLS_PORT) scripts/kafka/kafka.sh "$$@"; }; \
	stop=""; \
	scripts/kafka/kafka.sh status >/dev/null 2>&1 || stop="scripts/kafka/kafka.sh down;"; \
	secure status >/dev/null 2>&1 || stop="$$stop secure down;"; \
	trap "$$stop" EXIT INT TERM; \
	scripts/kafka/kafka.sh up >&2; \
	secure up >&2; \
	KAFKA_BROKERS=$(KAFKA_BROKERS) KAFKA_SECURE_BROKERS=127.0.0.1:$(KAFKA_SECURE_PORT) KAFKA_SECURE_HOME=$(KAFKA_SECURE_HOME) \
	  MODEL_PATH=$(MODEL) node services/processor/dist/bench-security.js

##@ Model
.PHONY: train
train: build ## Train the stateless model the processor serves: SAMPLES, SEED, MODEL (output path)
	node services/trainer/dist/main.js train --prototype --samples $(SAMPLES) --seed $(SEED) --out $(MODEL)

.PHONY: train-behaviour
train-behaviour: build ## Train the behavioural model on the simulated world: SEED, BEHAVIOUR_MODEL (output path)
	node services/trainer/dist/main.js train --seed $(SEED) --out $(BEHAVIOUR_MODEL)

.PHONY: evaluate-behaviour
evaluate-behaviour: build ## Behavioural vs stateless model, per scenario, on a fresh seed's simulated day (seed 7)
	node services/trainer/dist/main.js evaluate --model $(BEHAVIOUR_MODEL) --seed 7

.PHONY: evaluate
evaluate: build ## Evaluate MODEL on 100,000 fresh rows (seed 7)
	node services/trainer/dist/main.js evaluate --model $(MODEL) --samples 100000 --seed 7

.PHONY: bench-score
bench-score: build ## Scoring speed of our KNN vs ml-knn (JSON lines)
	node services/trainer/dist/bench-score.js

##@ Images (docker where an engine answers, else buildah + podman; tagged with the chart's appVersion)
# BASE: the image every FROM uses. Empty means the Dockerfile's pinned official node:24.x.y-bookworm-slim
# (assembled locally by `make image-base` where no registry answers); or e.g. BASE=localhost/scam-detector-base:node24.
BASE ?=
IMAGES ?= processor producer dashboard trainer

.PHONY: images
images: ## Build the images (IMAGES="processor producer dashboard trainer"; BASE=... for another base)
	BASE='$(BASE)' COMPONENTS='$(IMAGES)' scripts/images/build.sh

.PHONY: image-base
image-base: ## Assemble the Node 24 base image locally without a registry (debootstrap + npm registry; cached)
	scripts/images/base.sh

.PHONY: images-save
images-save: ## Export the images with podman save to .cache/images/<component>.tar (for kind load image-archive)
	COMPONENTS='$(IMAGES)' scripts/images/save.sh

.PHONY: test-images
test-images: ## The images smoke test with its report (part of make test): buildah/podman from apt on first use
	@mkdir -p $(REPORTS)
	BASE='$(BASE)' REPORT=$(REPORTS)/images.json scripts/images/smoke.sh

.PHONY: images-smoke
images-smoke: ## Build the images if needed, run each like the chart does (uid 1000, read-only root) and check it works
	BASE='$(BASE)' scripts/images/smoke.sh

##@ Real one-node cluster on this machine (root; no Docker, no kind)
.PHONY: cluster-up
cluster-up: images ## Control plane + a real node (containerd, kubelet, kube-proxy, CoreDNS, kube-router), the images imported
	scripts/k8s/node/cluster.sh up

.PHONY: cluster-down
cluster-down: ## Stop the real node and its control plane; the host back as it was (iptables, bridge, mounts, cgroups)
	scripts/k8s/node/cluster.sh down

##@ Cluster (kind + Strimzi)
CLUSTER ?= scam-detector
NAMESPACE ?= scam
RELEASE ?= scam-detector
STRIMZI_VERSION ?= 1.2.0
REPLICAS ?= 3
DASHBOARD_PORT ?= 8080

.PHONY: kind-up
kind-up: ## Create the kind cluster, install the Strimzi operator, build the images and load them
	@kind get clusters 2>/dev/null | grep -qx '$(CLUSTER)' || kind create cluster --name $(CLUSTER) --config kind-config.yaml
	helm upgrade --install strimzi-cluster-operator oci://quay.io/strimzi-helm/strimzi-kafka-operator \
	  --version $(STRIMZI_VERSION) --namespace strimzi --create-namespace -f k8s/strimzi-values.yaml --wait --timeout 10m
	$(MAKE) images
	scripts/images/kind-load.sh $(CLUSTER)
	kubectl --namespace strimzi rollout status deployment/strimzi-cluster-operator --timeout=300s

.PHONY: deploy
deploy: ## Install or upgrade the chart: Kafka, topics, training Job, processors, producer, dashboard
	helm upgrade --install $(RELEASE) charts/scam-detector --namespace $(NAMESPACE) --create-namespace --wait --timeout 10m

.PHONY: scale
scale: ## Scale the processors: make scale REPLICAS=3 (at most the 6 partitions do work; a Deployment, or the StatefulSet of processor.state.storage.type=persistentVolumeClaim)
	kubectl --namespace $(NAMESPACE) scale deployment,statefulset --selector app.kubernetes.io/instance=$(RELEASE),app.kubernetes.io/component=processor --replicas=$(REPLICAS)

.PHONY: port-forward
port-forward: ## Open the dashboard on http://localhost:$(DASHBOARD_PORT)
	kubectl --namespace $(NAMESPACE) port-forward svc/$(RELEASE)-dashboard $(DASHBOARD_PORT):8080

.PHONY: retrain
retrain: ## Retrain the model in the cluster; processors hot-reload it without a restart
	kubectl --namespace $(NAMESPACE) create job $(RELEASE)-trainer-manual-$$(date +%s) --from=cronjob/$(RELEASE)-trainer

.PHONY: kind-down
kind-down: ## Delete the kind cluster (and everything in it)
	kind delete cluster --name $(CLUSTER)

##@ Clean-up
.PHONY: clean
clean: ## Remove build output and test reports (keeps .cache)
	rm -rf services/*/dist dashboard/dist artifacts
