# The scam detector's images, built from the repository root. One shared build stage compiles the whole
# npm workspace; each runtime target carries only its own workspace's production dependencies:
#   docker build --target processor -t scam-detector-processor:0.1.0 .   (also: producer, dashboard, trainer)
# `make images` builds all four (docker where an engine answers, buildah otherwise).
#
# BASE is the official Node 24 slim image, pinned by tag. Where Docker Hub is out of reach,
# scripts/images/base.sh assembles an equivalent locally (same tag, or pass --build-arg BASE=...).
ARG BASE=node:24.21.0-bookworm-slim

# --- manifests: every package.json plus the lockfile, so the `npm ci` layers below are reused when only
# source files change (the COPY that consumes them is cached on content).
FROM ${BASE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir -p /manifests \
 && find . -name package.json -not -path '*/node_modules/*' -exec cp --parents {} /manifests/ \; \
 && cp package-lock.json /manifests/ \
 && if [ -f .npmrc ]; then cp .npmrc /manifests/; fi

# --- build: the whole workspace with dev dependencies, compiled by the root `npm run build`.
FROM ${BASE} AS build
WORKDIR /app
COPY --from=manifests /manifests ./
# --ignore-scripts: the root's preinstall/prepare need the sources, which come next (npm run build).
RUN npm ci --ignore-scripts --no-audit --no-fund --loglevel=warn
COPY . .
# /out/<workspace>/{package.json,dist} for every workspace npm knows (the locations come from npm itself).
RUN npm run build \
 && for ws in $(npm query .workspace | node -e 'for (const w of JSON.parse(require("fs").readFileSync(0, "utf8"))) console.log(w.location)'); do \
      mkdir -p "/out/$ws" && cp "$ws/package.json" "/out/$ws/" \
      && if [ -d "$ws/dist" ]; then cp -a "$ws/dist" "/out/$ws/"; fi; \
    done \
 && find /out -name '*.tsbuildinfo' -delete

# --- <component>-deps: production dependencies of one workspace plus the workspace packages it links, with
# their dist/ (scripts/images/runtime-deps.sh). Everything the image needs ends up in /runtime.
FROM ${BASE} AS processor-deps
WORKDIR /app
COPY scripts/images/runtime-deps.sh /usr/local/bin/
COPY --from=manifests /manifests ./
RUN runtime-deps.sh install services/processor
COPY --from=build /out ./built
RUN runtime-deps.sh assemble services/processor/dist/main.js

FROM ${BASE} AS producer-deps
WORKDIR /app
COPY scripts/images/runtime-deps.sh /usr/local/bin/
COPY --from=manifests /manifests ./
RUN runtime-deps.sh install services/producer
COPY --from=build /out ./built
RUN runtime-deps.sh assemble services/producer/dist/main.js

FROM ${BASE} AS trainer-deps
WORKDIR /app
COPY scripts/images/runtime-deps.sh /usr/local/bin/
COPY --from=manifests /manifests ./
RUN runtime-deps.sh install services/trainer
COPY --from=build /out ./built
RUN runtime-deps.sh assemble services/trainer/dist/main.js

FROM ${BASE} AS dashboard-deps
WORKDIR /app
COPY scripts/images/runtime-deps.sh /usr/local/bin/
COPY --from=manifests /manifests ./
RUN runtime-deps.sh install dashboard
COPY --from=build /out ./built
RUN runtime-deps.sh assemble dashboard/dist/server/main.js

# --- runtime targets: root-owned, read-only application files; numeric user 1000 (the image's `node`)
# so Kubernetes' runAsNonRoot can verify it. The services trap SIGTERM themselves; run with an init
# (`--init`, or the kubelet's pid namespace) so PID 1 forwards signals.
FROM ${BASE} AS processor
ENV NODE_ENV=production
WORKDIR /app
COPY --from=processor-deps /runtime ./
USER 1000:1000
EXPOSE 8081
CMD ["node", "services/processor/dist/main.js"]

FROM ${BASE} AS producer
ENV NODE_ENV=production
WORKDIR /app
COPY --from=producer-deps /runtime ./
USER 1000:1000
EXPOSE 8082
CMD ["node", "services/producer/dist/main.js"]

# The training Job passes its own arguments: `train --samples N --seed S --out /tmp/model.json --configmap NAME`.
FROM ${BASE} AS trainer
ENV NODE_ENV=production
WORKDIR /app
COPY --from=trainer-deps /runtime ./
USER 1000:1000
ENTRYPOINT ["node", "services/trainer/dist/main.js"]
CMD ["--help"]

FROM ${BASE} AS dashboard
ENV NODE_ENV=production
WORKDIR /app
COPY --from=dashboard-deps /runtime ./
USER 1000:1000
EXPOSE 8080
CMD ["node", "dashboard/dist/server/main.js"]
