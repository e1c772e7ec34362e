# syntax=docker/dockerfile:1
# ccgw-conformance in a container: a build stage with the Rust toolchain, and
# a small final image holding the binary only, run as a non-root user.
#
#   docker build --build-arg CCGW_BUILD_COMMIT="$(git rev-parse --short=12 HEAD)" -t ccgw-conformance .
#   docker run --rm --user "$(id -u):$(id -g)" -e CCGW_GUID -v "$PWD/reports:/reports" \
#       ccgw-conformance run --target https://10.0.0.5:8043 --agent-id 1001 --out /reports
#
# Build arguments:
# - CCGW_BUILD_COMMIT names the commit in `--version` and in every report
#   (the build context has no .git);
# - FEATURES="" builds the runner without the embedded reference gateway
#   (then `run` needs --target); the default keeps it, so the image can also
#   serve as a CI service container (`serve --bind 0.0.0.0:8443`).
# The registry and the target folder are BuildKit cache mounts: a source
# change rebuilds this crate, not its dependencies.

FROM rust:1.95.0-slim-bookworm AS build
ARG FEATURES=gateway
ARG CCGW_BUILD_COMMIT=
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    CCGW_BUILD_COMMIT="${CCGW_BUILD_COMMIT}" \
    cargo build --release --locked --no-default-features --features "${FEATURES}" \
 && strip target/release/ccgw-conformance \
 && cp target/release/ccgw-conformance /usr/local/bin/ccgw-conformance

FROM debian:12.12-slim
# CA certificates for --target gateways with a publicly trusted certificate.
# The package is not pinned to a version (hadolint DL3008): Debian replaces
# a version in its archive at each point release, so a pin would break the
# build; the base image's pinned point release fixes what is installed.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /reports --create-home ccgw
COPY --from=build /usr/local/bin/ccgw-conformance /usr/local/bin/ccgw-conformance
USER 10001:10001
WORKDIR /reports
ENTRYPOINT ["ccgw-conformance"]
CMD ["--help"]
