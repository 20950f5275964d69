/**
 * Node flags the media gateway runs with (scripts/dev, docker-compose.yml, bench:gateway).
 *
 * A larger young generation: the gateway allocates a little for every 20 ms frame of every call
 * (base64, JSON, buffers), nearly all of it dead within a frame. With V8's default 16 MB
 * semi-space, scavenges ran often enough to promote short-lived objects and add pauses in the
 * audio path; at 32 MB, bench:gateway at 200 calls used ~10% less CPU and its p99 overhead fell
 * from ~55 to ~40 ms (docs/media-gateway.md). Costs up to 64 MB more memory per process.
 */
export const GATEWAY_NODE_FLAGS = ['--max-semi-space-size=32'];
