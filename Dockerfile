# One image for every aicall process; the compose file picks the command.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error
COPY . .
USER node
# api: node --import tsx api/server.ts | worker: workers/orchestrator.ts | dialer: workers/dialer.ts
# media gateway: media-gateway/server.ts | migrations: scripts/migrate.ts
CMD ["node", "--import", "tsx", "api/server.ts"]
