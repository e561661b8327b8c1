# kommodore's image: Debian bookworm's Python 3.11, the wheel with the [postgres,redis] extras in
# a venv, run as the non-root user kommodore (uid 10001), data in the /data volume, port 8000.
#
#   podman build -t kommodore .      (or docker build; `Containerfile` is a link to this file)
#   podman run -p 8000:8000 -e KOMMODORE_DEMO=1 kommodore
#
# HEALTHCHECK is part of the Docker image format only: buildah and podman drop it from their
# default OCI format, so build with `--format docker` to keep it (docker build always keeps it).
# The CI builds this file against a local stand-in of the base (deploy/container/check.sh).

ARG BASE=debian:bookworm-slim

# ---- builder: a venv at /opt/kommodore, the same path and Python as in the final stage ----
FROM ${BASE} AS builder
ARG DEBIAN_FRONTEND=noninteractive
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore
# Behind a proxy that re-signs TLS, give pip the CA bundle for the build only; it reaches no
# layer: podman build -v /etc/ssl/certs/ca-certificates.crt:/run/build-ca.crt:ro \
#   --build-arg BUILD_CA_BUNDLE=/run/build-ca.crt -t kommodore .   (as the CI does)
ARG BUILD_CA_BUNDLE=
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The dependencies first, in a layer that a change of the sources alone does not rebuild: the
# project's dependencies and its postgres and redis extras, pinned by constraints.txt.
COPY pyproject.toml constraints.txt ./
RUN python3 -m venv /opt/kommodore \
 && python3 -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; x = p.get("optional-dependencies", {}); print("\n".join(p["dependencies"] + x.get("postgres", []) + x.get("redis", [])))' > /tmp/requirements.txt \
 && ${BUILD_CA_BUNDLE:+env PIP_CERT=$BUILD_CA_BUNDLE} \
    /opt/kommodore/bin/pip install --quiet -c constraints.txt -r /tmp/requirements.txt
# Then the project itself, built into a wheel and installed with the extras a deployment needs;
# pip and setuptools leave the venv, which the final stage copies as it is.
COPY README.md ./
COPY src ./src
RUN ${BUILD_CA_BUNDLE:+env PIP_CERT=$BUILD_CA_BUNDLE} \
    /opt/kommodore/bin/pip install --quiet -c constraints.txt '.[postgres,redis]' \
 && /opt/kommodore/bin/python -c 'import kommodore.app, kommodore.cli' \
 && /opt/kommodore/bin/python -m pip uninstall --quiet -y pip setuptools

# ---- final: Debian's python3 and the venv; no compiler, no pip, no package lists ----
FROM ${BASE}
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends python3 ca-certificates >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log \
 && groupadd --system --gid 10001 kommodore \
 && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin kommodore \
 && mkdir -p /data \
 && chown 10001:10001 /data
COPY --from=builder /opt/kommodore /opt/kommodore
COPY deploy/container/entrypoint.sh /usr/local/bin/kommodore-entrypoint
ENV PATH=/opt/kommodore/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    KOMMODORE_DATA_DIR=/data \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER 10001:10001
WORKDIR /data
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["/opt/kommodore/bin/python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["/usr/local/bin/kommodore-entrypoint"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
