# SPDX-License-Identifier: MIT
# A runtime image of flux: Debian slim, the packages tools/package builds
# (flux-migrations, libflux3 and both backends, with what apt resolves for
# them), python3 for .py migrations, tini as PID 1 so SIGTERM reaches flux
# (which then cancels the running migration on the server), a non-root user
# and /project as the volume holding flux.toml and the migrations.
#
#   tools/package --no-root                  # the .debs in /tmp/flux-package
#   docker build -t flux -f Dockerfile /tmp/flux-package
#   docker run --rm -v "$PWD:/project" -e FLUX_DATABASE_URL=postgresql://... flux status
#
# The build context is the directory holding the .debs (only *.deb is used).
FROM debian:bookworm-slim

COPY *.deb /tmp/debs/
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends \
        /tmp/debs/flux-migrations_*.deb /tmp/debs/libflux3_*.deb \
        /tmp/debs/flux-backend-sqlite_*.deb /tmp/debs/flux-backend-postgres_*.deb \
        python3 tini; \
    rm -rf /tmp/debs /var/lib/apt/lists/*; \
    useradd --system --uid 10001 --create-home --home-dir /home/flux flux; \
    mkdir -p /project; \
    chown flux:flux /project; \
    flux backends --check

# The connection URI for every command; set it at `docker run -e`.
ENV FLUX_DATABASE_URL=""
VOLUME ["/project"]
WORKDIR /project
USER flux
ENTRYPOINT ["/usr/bin/tini", "--", "flux"]
CMD ["--help"]
