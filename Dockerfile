# One image for every role; KONG_ROLE picks the process (scripts/docker-entrypoint.sh):
#   control_plane  Admin API :8001 + cluster endpoints :8005 (needs Postgres, Redis, cluster token)
#   data_plane     proxy :8000 + status :8100 (needs KONG_CLUSTER_CONTROL_PLANE, Redis, cluster token)
#   traditional    both in one process, the default, like `npm start`
# The image runs the compiled JavaScript (`npm run build`, docs/decisions/0006) with production
# dependencies only: no TypeScript, tsx, turbo or drizzle-kit inside.
#
#   docker build -t switchyard:local .
#   docker run --rm -p 8000:8000 -p 127.0.0.1:8001:8001 -e KONG_ADMIN_LISTEN=0.0.0.0:8001 switchyard:local

# Only the manifests `npm ci` reads, so the dependency layers are rebuilt when they change and
# not on every source edit. Workspaces are found by their package.json, whatever folders exist.
FROM node:20-slim AS manifests
WORKDIR /src
COPY . .
RUN mkdir /out \
 && cp package.json package-lock.json /out/ \
 && find apps packages -mindepth 2 -maxdepth 2 -name package.json -exec cp --parents {} /out/ \;

# Compiles every workspace into its dist/ (TypeScript is a dev dependency, so this stage has them all),
# then gathers the dist folders, without source maps, for the runtime stage.
FROM node:20-slim AS build
WORKDIR /src
COPY --from=manifests /out/ ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && mkdir /out \
 && for d in apps/*/dist packages/*/dist; do mkdir -p "/out/$d" && cp -R "$d/." "/out/$d/"; done \
 && find /out \( -name '*.map' -o -name '.tsbuildinfo' \) -delete

FROM node:20-slim
WORKDIR /app
COPY --from=manifests /out/ ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /out/ ./
# Applied by the control plane at start; the entrypoint picks the role's compiled main.
COPY migrations ./migrations
COPY scripts/docker-entrypoint.sh ./scripts/docker-entrypoint.sh
RUN mkdir -p /app/.data && chown node:node /app/.data

ENV NODE_ENV=production
USER node
EXPOSE 8000 8001 8005 8100
ENTRYPOINT ["sh", "scripts/docker-entrypoint.sh"]
