# immich-maintd, the immich_maint sidecar: a slim Debian image with the binary and the
# PostgreSQL client (pg_dump, psql) of the server's major version.
ARG PG_MAJOR=14
FROM debian:12 AS build
COPY . /src
WORKDIR /src
RUN IMMICH_MAINT_ONLY=sidecar scripts/build

FROM debian:12-slim
ARG PG_MAJOR=14
# Debian 12 ships only the PostgreSQL 15 client; other majors come from the PostgreSQL apt
# repository, which must be reachable when this image is built.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl gnupg libpq5 zlib1g libisal2 \
      libcctz2 libcpp-httplib0.11 \
 && if [ "${PG_MAJOR}" != 15 ]; then \
      curl -fsSL https://www.postgresql.org/media/keys/ACCC4CF8.asc | gpg --dearmor -o /usr/share/keyrings/pgdg.gpg \
      && echo "deb [signed-by=/usr/share/keyrings/pgdg.gpg] http://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" \
           >/etc/apt/sources.list.d/pgdg.list && apt-get update; \
    fi \
 && apt-get install -y --no-install-recommends postgresql-client-${PG_MAJOR} \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/bin/immich-maintd /usr/local/bin/immich-maintd
ENV IMMICH_MEDIA_LOCATION=/data
HEALTHCHECK --interval=60s --timeout=10s --start-period=30s CMD ["immich-maintd", "health"]
ENTRYPOINT ["immich-maintd"]
CMD ["serve", "--http", "0.0.0.0:9431"]
