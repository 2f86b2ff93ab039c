# Switchyard: one image for every role (embedded gateway, control plane, data-plane node).
FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles its native addon during npm ci.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
# `prepare` generates the Prisma clients and builds dist/ (no network beyond the registry).
RUN npm ci && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app /app
EXPOSE 8000 4000
# Embedded mode by default; docker-compose.yml runs `control-plane` and `data-plane`.
CMD ["node", "dist/cli/main.js", "--config", "/app/examples/config.yaml", "--port", "8000"]
