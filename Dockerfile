# syntax=docker/dockerfile:1
#
# The chat server in a small image:
#
#     docker build -t chat-server .
#     docker run -d --name chat -p 7878:7878 -v chatdata:/data chat-server
#
# Accounts and the self-signed TLS certificate live in the /data volume. Settings come from
# CHAT_* variables (-e CHAT_MAX_CONNECTIONS_PER_IP=50), flags after the image name, or a
# configuration file: -v ./chat-server.toml:/etc/chat-server/chat-server.toml:ro
# -e CHAT_CONFIG=/etc/chat-server/chat-server.toml. See docs/DEPLOY.md.

# ---- build: the same command as the release workflow ----
FROM rust:1.95.0-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p chat-server \
    && install -m 0755 target/release/chat-server /usr/local/bin/chat-server

# ---- run: Debian slim (the same glibc as the build image), no compiler, no root ----
FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin chat \
    && mkdir -p /data /etc/chat-server \
    && chown chat:chat /data
COPY --from=build /usr/local/bin/chat-server /usr/local/bin/chat-server
COPY deploy/chat-server.toml /etc/chat-server/chat-server.toml.example
ENV CHAT_DATA_DIR=/data \
    CHAT_BIND=0.0.0.0:7878
VOLUME ["/data"]
EXPOSE 7878/tcp
USER chat:chat
# The probe connects like a client (TLS unless CHAT_NO_TLS is set) and needs nothing else.
HEALTHCHECK --interval=60s --timeout=10s --start-period=10s --retries=3 \
    CMD ["chat-server", "probe"]
# SIGTERM (docker stop) tells clients, flushes the store and exits 0 within a few seconds.
STOPSIGNAL SIGTERM
ENTRYPOINT ["chat-server"]
