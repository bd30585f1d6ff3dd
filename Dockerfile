# One image for every service; docker-compose.yml picks the service per container.

# Build: every dependency, the TypeScript compiled to dist/.
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci applies patches/ (patch-package, the postinstall script) to the dependencies they name.
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json moleculer.config.ts ./
COPY contracts ./contracts
COPY lib ./lib
COPY mixins ./mixins
COPY services ./services
COPY migrations ./migrations
COPY connect ./connect
COPY stack ./stack
COPY ops ./ops
RUN npm run build

# Runtime: the compiled JavaScript and the production dependencies only, run by an unprivileged user.
FROM node:20.20.2-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# The build's patched dependencies, pruned to the production ones (a fresh install here would not be patched).
COPY --from=build /app/node_modules ./node_modules
RUN npm prune --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
# Every service serves its metrics on METRICS_PORT once its broker has started (compose asks the gateway for /ready instead).
HEALTHCHECK --interval=10s --start-period=60s --retries=6 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.METRICS_PORT || 3030) + '/metrics').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "node_modules/moleculer/bin/moleculer-runner.js", "--config", "dist/moleculer.config.js"]
