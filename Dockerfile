# syntax=docker/dockerfile:1
# Federa's image: one image for the API and the worker (control workers and site agents), run with
# tsx as `npm start` does (no build step for the Node code). Multi-stage: dependencies are installed
# in `deps`, the web console is built by Vite in `console`, and only the installed tree, the sources
# and the console's static files reach the runtime stage, which runs as a non-root user.
#   docker build -t federa:0.1.0 .
#   docker run federa:0.1.0                                   # the API (CMD)
#   docker run federa:0.1.0 --max-old-space-size=384 --import tsx apps/worker/src/main.ts
ARG NODE_IMAGE=node:20.20-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
# manifests first: the dependency layer is rebuilt only when they change
COPY package.json package-lock.json ./
COPY apps/api/package.json apps/api/
COPY apps/cli/package.json apps/cli/
COPY apps/console/package.json apps/console/
COPY apps/site-emulator/package.json apps/site-emulator/
COPY apps/worker/package.json apps/worker/
COPY packages/auth/package.json packages/auth/
COPY packages/domain/package.json packages/domain/
COPY packages/ledger/package.json packages/ledger/
COPY packages/registry/package.json packages/registry/
COPY packages/redis/package.json packages/redis/
COPY packages/sealing/package.json packages/sealing/
COPY packages/settlement/package.json packages/settlement/
COPY packages/telemetry/package.json packages/telemetry/
COPY packages/tokenizer/package.json packages/tokenizer/
COPY workflows/package.json workflows/
# production dependencies only (tsx comes with the CLI workspace's dependencies)
RUN npm ci --omit=dev && npm cache clean --force
COPY tsconfig.base.json tsconfig.json ./
COPY apps ./apps
COPY packages ./packages
COPY workflows ./workflows
COPY deploy/dev/topology.json ./deploy/dev/topology.json

# the web console: built with its toolchain (dev dependencies) in a stage of its own; only the
# static files it produces reach the runtime, where the API serves them at /console
FROM deps AS console
RUN npm ci --ignore-scripts && npm run build -w @federa/console

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# owned by root and not writable by the process; its only writable path is /tmp (tsx's cache)
COPY --from=deps --chown=root:root /app /app
COPY --from=console --chown=root:root /app/apps/console/dist /app/apps/console/dist
# the node image's unprivileged user, by number so that runAsNonRoot can verify it
USER 1000:1000
EXPOSE 8787 9464 9465 8790
ENTRYPOINT ["node"]
CMD ["--import", "tsx", "apps/api/src/main.ts"]
