# One image for every service; docker-compose.yml picks the service per container.
FROM node:20.20.2-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json moleculer.config.ts ./
COPY contracts ./contracts
COPY lib ./lib
COPY mixins ./mixins
COPY services ./services
COPY migrations ./migrations
COPY connect ./connect
COPY stack ./stack
COPY ops ./ops
ENV NODE_ENV=production
USER node
ENTRYPOINT ["node", "--import", "tsx", "node_modules/moleculer/bin/moleculer-runner.js", "--config", "moleculer.config.ts"]
