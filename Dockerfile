# syntax=docker/dockerfile:1
# Build: the toolchain image compiles the gateway (SQLite is bundled, TLS is rustls: no OpenSSL).
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY connectors ./connectors
COPY bench ./bench
COPY fuzz ./fuzz
COPY config ./config
COPY src ./src
RUN cargo build --release --locked --bin omnigate \
 && strip target/release/omnigate

# Run: a small Debian with CA certificates, as an unprivileged user, data in /data.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin omnigate \
 && mkdir -p /data /app/config \
 && chown omnigate:omnigate /data
WORKDIR /app
COPY --from=build /src/target/release/omnigate /usr/local/bin/omnigate
COPY config /app/config
ENV OMNIGATE__SERVER__HOST=0.0.0.0 \
    OMNIGATE__SERVER__PORT=8080 \
    OMNIGATE__STORE__PATH=/data
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/omnigate"]
CMD ["serve"]
