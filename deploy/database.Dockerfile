# Immich's PostgreSQL image with the immich_maint extension added.
# The build stage compiles the extension with PGXS for the image's own PostgreSQL major, using
# the same scripts/build the tests use; the final stage only adds the built files.
ARG BASE_IMAGE=ghcr.io/immich-app/postgres:14-vectorchord0.4.3-pgvectors0.2.0
FROM ${BASE_IMAGE} AS build
ARG PG_MAJOR=14
COPY . /src
WORKDIR /src
RUN PG_MAJOR=${PG_MAJOR} IMMICH_MAINT_ONLY=extension scripts/build \
 && mkdir -p /out/lib /out/extension \
 && cp immich_maint.so /out/lib/ \
 && cp control/immich_maint.control control/immich_maint--*.sql /out/extension/

FROM ${BASE_IMAGE}
ARG PG_MAJOR=14
COPY --from=build /out/lib/immich_maint.so /usr/lib/postgresql/${PG_MAJOR}/lib/
COPY --from=build /out/extension/ /usr/share/postgresql/${PG_MAJOR}/extension/
# libcctz is the only runtime library the extension adds (time zones for schedules).
COPY --from=build /usr/lib/x86_64-linux-gnu/libcctz.so.2* /usr/lib/x86_64-linux-gnu/
