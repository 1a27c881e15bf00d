# syntax=docker/dockerfile:1
# Two stages: `build` compiles the TypeScript (with a toolchain for any native addon without a
# Node-API prebuild; better-sqlite3 13 ships its own in the npm package, nothing is fetched from
# GitHub); `runtime` holds only production dependencies,
# dist/ and the JSON schemas, and runs as the unprivileged `node` user.
ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build
# Production dependencies only; better-sqlite3's prebuilt addon is kept from the install above.
RUN npm prune --omit=dev

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 SCIM_PORT=8443 ADMIN_PORT=8444 DATA_DIR=/data
# Under load V8 grows its young generation to 2 x 64 MiB, nearly all garbage: at 2 x 16 MiB the
# service stays under 300 MiB RSS while Entra provisions 100k users (bench/rss.ts: peak 383 -> 265
# MiB, the same time taken). bench/ reads this line to run the service as the image does.
ENV NODE_OPTIONS=--max-semi-space-size=16
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY schemas ./schemas
COPY bin ./bin
# DATA_DIR holds the embedded store and the generated admin token: a volume, owned by `node`.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 8443 8444
# /healthz on the admin listener: the process is alive and serving (no credentials needed).
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 CMD ["node", "bin/healthcheck.js"]
CMD ["node", "dist/server.js"]
