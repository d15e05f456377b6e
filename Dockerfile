# syntax=docker/dockerfile:1
# Multi-stage build on Debian 12. The runtime stage carries only the shared libraries the
# binary links (scripts/check-image-deps.sh checks RUNTIME_PACKAGES against `ldd` in CI)
# and runs as a non-root user; nothing in it needs a shell.

FROM debian:12 AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config git ca-certificates \
      libcpprest-dev libboost-dev libssl-dev nlohmann-json3-dev libpqxx-dev libyaml-cpp-dev zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY operator ./operator
COPY tests ./tests
COPY bench ./bench
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DPMO_BUILD_TESTS=OFF \
 && cmake --build /build -j"$(nproc)" --target phase-maintenance-operator \
 && strip /build/operator/phase-maintenance-operator

# The pg_repack client (vacuum --method repack). Its Debian package depends on the whole
# PostgreSQL server, so only the client binary is copied; it links libpq5, which the
# runtime stage installs anyway (scripts/check-image-deps.sh checks it too).
FROM debian:12 AS repack
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15-repack \
 && rm -rf /var/lib/apt/lists/*

FROM debian:12-slim
# RUNTIME_PACKAGES (kept in sync with scripts/check-image-deps.sh). tzdata: the operator
# checks spec.auditLogs.timeZone against the tz database, as the API server does.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates tzdata libcpprest2.10 libpqxx-6.4 libpq5 libyaml-cpp0.7 libssl3 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/operator/phase-maintenance-operator /usr/local/bin/phase-maintenance-operator
COPY --from=repack /usr/lib/postgresql/15/bin/pg_repack /usr/local/bin/pg_repack
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/phase-maintenance-operator"]
CMD ["run"]
