# One image for both roles: `npm start` (API + scheduler) and `npm run worker`.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY tsconfig.json tsconfig.build.json ./
COPY engine engine
COPY nodes nodes
COPY db db
COPY server server
COPY seeds seeds
COPY bin bin
COPY editor editor
RUN npm ci --no-audit --no-fund && npm run build && npm run build:editor && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
COPY --from=build /app /app
EXPOSE 3000
CMD ["node", "--no-node-snapshot", "dist/bundle/main.mjs"]
