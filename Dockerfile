# ccgw-conformance in a container: a build stage with the Rust toolchain, and
# a small final image holding the binary only, run as a non-root user.
#
#   docker build -t ccgw-conformance .
#   docker run --rm -e CCGW_GUID -v "$PWD/reports:/reports" ccgw-conformance \
#       run --target https://10.0.0.5:8043 --agent-id 1001 --out /reports
#
# Build arguments: FEATURES="" builds the runner without the embedded
# reference gateway (then `run` needs --target); the default keeps it, so the
# image can also serve as a CI service container (`serve --bind 0.0.0.0:8443`).

FROM rust:1-slim-bookworm AS build
ARG FEATURES=gateway
WORKDIR /src
COPY . .
RUN cargo build --release --locked --no-default-features --features "${FEATURES}" \
 && strip target/release/ccgw-conformance

FROM debian:bookworm-slim
# CA certificates for --target gateways with a publicly trusted certificate.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /reports --create-home ccgw
COPY --from=build /src/target/release/ccgw-conformance /usr/local/bin/ccgw-conformance
USER 10001:10001
WORKDIR /reports
ENTRYPOINT ["ccgw-conformance"]
CMD ["--help"]
