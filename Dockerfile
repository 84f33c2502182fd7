# syntax=docker/dockerfile:1
# One image for every role: `docker run hookstream <all|api|router|sender …>`.

FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
# V8 heap caps that keep a role at full speed under ~256 MB RSS (the chart's nodeOptions; bench/run.mjs
# runs hookstream with the same flags). Override NODE_OPTIONS to give a role more memory.
ENV NODE_OPTIONS="--max-old-space-size=192 --max-semi-space-size=8"
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY bin ./bin
COPY schemas ./schemas
COPY console ./console
RUN groupadd --system --gid 10001 hookstream \
 && useradd --system --uid 10001 --gid hookstream --no-create-home --shell /usr/sbin/nologin hookstream
USER 10001:10001
EXPOSE 8080 9464
ENTRYPOINT ["node", "/app/bin/hookstream.js"]
CMD ["all"]
