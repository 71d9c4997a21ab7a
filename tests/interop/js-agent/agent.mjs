// An OrbitMesh agent in JavaScript, on the official @microsoft/signalr client, written from
// docs/protocol.md alone. It proves that the server speaks standard SignalR and that the document
// is enough to write an agent.
//
//   node agent.mjs --server http://127.0.0.1:5080 --token TOKEN --id js-1
//   node agent.mjs --server http://127.0.0.1:5080 --enroll-token omb_... --id js-node
//   node agent.mjs ... --protocol messagepack
//
// With --protocol messagepack it speaks SignalR's MessagePack hub protocol (@microsoft/signalr-protocol-msgpack):
// the same messages with the same keys, but JSON documents (parameters, results, items) travel as bin holding
// their UTF-8 JSON text (protocol §2.2), so it decodes and encodes those itself.
//
// With --enroll-token it enrolls as a node (protocol §1.1): it generates an ECDSA P-256 key (kept in
// memory only), asks to join, polls until an admin approves, then proves its key at every connection.
//
// Handlers: "js.echo" (an invocation: returns its parameters plus runtime "node") and "js.count"
// (a durable job: acknowledges, reports progress, streams the integers 1..n, completes with {count}).
import * as signalR from "@microsoft/signalr";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, value, i, all) => (i % 2 === 0 ? [...pairs, [value.replace(/^--/, ""), all[i + 1]]] : pairs), []));
for (const required of ["server", "id"]) {
  if (!args[required]) {
    console.error(`error: --${required} is required`);
    process.exit(2);
  }
}
if (!args.token && !args["enroll-token"]) {
  console.error("error: --token or --enroll-token is required");
  process.exit(2);
}

if (args.protocol && !["json", "messagepack"].includes(args.protocol)) {
  console.error("error: --protocol is json or messagepack");
  process.exit(2);
}
const messagePack = args.protocol === "messagepack";
// A JSON document as it travels: itself on JSON; on MessagePack, bin of its UTF-8 JSON text (§2.2).
const fromWire = (value) => (messagePack && value instanceof Uint8Array ? JSON.parse(new TextDecoder().decode(value)) : value);
const toWire = (value) => (messagePack && value !== undefined && value !== null ? new TextEncoder().encode(JSON.stringify(value)) : value);

const base = args.server.replace(/\/$/, "");
const seenNonces = new Set(); // assignment nonces already handled (§5.2 AssignJob)
let serverClockOffsetMs = 0; // server time minus ours, from Register's serverTime

async function postJson(path, body) {
  const response = await fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!response.ok) {
    throw new Error(`${path}: ${response.status} ${json?.detail ?? text}`);
  }
  return json;
}

// §1.1: sign "orbitmesh-node-proof-v1\n<purpose>\n<nodeId>\n<nonce>" with ECDSA P-256 / SHA-256; WebCrypto
// produces the IEEE P1363 form (r||s) the server expects.
async function proof(key, purpose) {
  const { nonce } = await postJson("/api/enroll/challenge", { nodeId: args.id });
  const payload = new TextEncoder().encode(`orbitmesh-node-proof-v1\n${purpose}\n${args.id}\n${nonce}`);
  const signature = Buffer.from(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key.privateKey, payload)).toString("base64url");
  return { nonce, signature };
}

let nodeKey = null;
if (args["enroll-token"]) {
  nodeKey = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
  const spki = Buffer.from(await crypto.subtle.exportKey("spki", nodeKey.publicKey)).toString("base64");
  const pending = await postJson("/api/enroll", { token: args["enroll-token"], nodeId: args.id, publicKey: spki, capabilities: ["node", "javascript"] });
  console.log(`PENDING ${pending.nodeId}`);
  for (;;) {
    const { nonce, signature } = await proof(nodeKey, "status");
    const status = await postJson("/api/enroll/status", { nodeId: args.id, nonce, signature });
    if (status.status === "Approved") {
      console.log(`APPROVED ${status.nodeId} ${status.capabilities.join(",")}`);
      break;
    }
    if (status.status !== "Pending") {
      console.error(`error: enrollment ${status.status}: ${status.reason ?? ""}`);
      process.exit(1);
    }
    await new Promise((resolve) => setTimeout(resolve, 100)); // poll interval
  }
}

// The credential for one connection: a shared token, or a fresh proof of the node's key.
async function credential() {
  if (!nodeKey) {
    return args.token;
  }
  const { nonce, signature } = await proof(nodeKey, "connect");
  return `node.${Buffer.from(args.id, "utf8").toString("base64url")}.${nonce}.${signature}`;
}

const maxConcurrentJobs = 2;
const seen = new Set(); // (job id, attempt) pairs already handled: never run one twice (protocol §6).
const running = new Map(); // job id -> { assignment, stopped }
let heartbeatMs = 5000;
let heartbeatTimer = null;

const builder = new signalR.HubConnectionBuilder()
  .withUrl(`${base}/mesh`, { accessTokenFactory: credential })
  .withAutomaticReconnect({ nextRetryDelayInMilliseconds: (ctx) => Math.min(30000, 500 * 2 ** ctx.previousRetryCount * Math.random() + 100) })
  .configureLogging(signalR.LogLevel.Warning);
const connection = (messagePack ? builder.withHubProtocol(new MessagePackHubProtocol()) : builder).build();

// §5.2 Invoke: a client result carrying an InvokeResult.
connection.on("Invoke", async (request) => {
  if (request.command !== "js.echo") {
    return { success: false, error: { code: "unknown_command", message: `No handler for '${request.command}'.` } };
  }
  return { success: true, result: toWire({ ...(fromWire(request.parameters) ?? {}), runtime: "node" }) };
});

connection.on("Notify", () => {});
connection.on("Raw", () => {});
connection.on("JobInput", () => {});

connection.on("DesiredPropertiesChanged", (desired) => {
  connection.send("AcknowledgeDesired", { version: desired.version }).catch(() => {});
});

connection.on("Disconnect", (notice) => {
  console.error(`disconnect: ${notice.code}: ${notice.reason}`);
  if (!notice.reconnect) {
    stop(3);
  }
});

connection.on("CancelJob", (cancellation) => {
  const job = running.get(cancellation.jobId);
  if (job && job.assignment.fencingToken === cancellation.fencingToken) {
    job.stopped = cancellation.reason;
  }
});

// §5.2 AssignJob: dedupe, reject what cannot run, acknowledge, run, report, complete.
connection.on("AssignJob", (assignment) => {
  const key = `${assignment.jobId}#${assignment.attempt}`;
  if (seen.has(key) || (assignment.nonce && seenNonces.has(assignment.nonce))) {
    return;
  }
  seen.add(key);
  if (assignment.nonce) {
    seenNonces.add(assignment.nonce);
  }
  if (assignment.expiresAt && Date.now() + serverClockOffsetMs > Date.parse(assignment.expiresAt)) {
    connection.invoke("RejectJob", { jobId: assignment.jobId, attempt: assignment.attempt, fencingToken: assignment.fencingToken, code: "not_allowed", message: "The assignment expired." }).catch(() => {});
    return;
  }
  runJob(assignment).catch((error) => console.error(`job ${assignment.jobId} failed: ${error}`));
});

async function runJob(assignment) {
  const ids = { jobId: assignment.jobId, fencingToken: assignment.fencingToken };
  if (assignment.command !== "js.count") {
    await connection.invoke("RejectJob", { ...ids, attempt: assignment.attempt, code: "unknown_command", message: `No handler for '${assignment.command}'.` });
    return;
  }
  if (running.size >= maxConcurrentJobs) {
    await connection.invoke("RejectJob", { ...ids, attempt: assignment.attempt, code: "busy", message: "At the concurrency limit." });
    return;
  }

  const job = { assignment, stopped: null };
  running.set(assignment.jobId, job);
  try {
    const ack = await connection.invoke("AcknowledgeJob", { ...ids, attempt: assignment.attempt });
    if (!ack.accepted) {
      return; // Not ours to run.
    }

    const n = fromWire(assignment.parameters)?.n ?? 3;
    const items = [];
    for (let i = 1; i <= n && !job.stopped; i++) {
      items.push(i);
      const progress = await connection.invoke("ReportProgress", { ...ids, percent: (100 * i) / n, message: `counted ${i} of ${n}` });
      if (progress.stop) {
        job.stopped = progress.code ?? "stale";
      }
    }

    if (job.stopped === "stale") {
      return;
    }

    let itemCount = 0;
    if (!job.stopped && items.length > 0) {
      const sent = await connection.invoke("SendJobItems", { ...ids, sequence: 0, items: items.map(toWire) });
      itemCount = items.length;
      if (sent.stop) {
        return;
      }
    }

    const completion = job.stopped
      ? { ...ids, attempt: assignment.attempt, success: false, error: { code: job.stopped, message: "Stopped." }, itemCount }
      : { ...ids, attempt: assignment.attempt, success: true, result: toWire({ count: items.length, runtime: "node" }), itemCount };
    const result = await connection.invoke("CompleteJob", completion);
    if (!result.accepted) {
      console.error(`completion of ${assignment.jobId} refused: ${result.code}: ${result.message}`);
    }
  } finally {
    running.delete(assignment.jobId);
  }
}

function heldJobs() {
  return [...running.values()].map((j) => ({ jobId: j.assignment.jobId, attempt: j.assignment.attempt, fencingToken: j.assignment.fencingToken }));
}

function scheduleHeartbeat() {
  clearTimeout(heartbeatTimer);
  heartbeatTimer = setTimeout(async () => {
    try {
      const ack = await connection.invoke("Heartbeat", {
        activeJobs: running.size,
        maxConcurrentJobs,
        cpuPercent: 0,
        workingSetBytes: process.memoryUsage().rss,
        jobs: heldJobs(),
      });
      heartbeatMs = ack.heartbeatIntervalMs || heartbeatMs;
    } catch (error) {
      console.error(`heartbeat failed: ${error.message ?? error}`);
    }
    if (connection.state === signalR.HubConnectionState.Connected) {
      scheduleHeartbeat();
    }
  }, heartbeatMs);
}

// §5.1 Register, first thing on every connection.
async function register() {
  const result = await connection.invoke("Register", {
    id: args.id,
    name: `JavaScript agent ${args.id}`,
    capabilities: ["node", "javascript"],
    groups: ["interop"],
    commands: ["js.echo", "js.count"],
    metadata: { runtime: `node ${process.version}` },
    maxConcurrentJobs,
    version: "1.0.0",
    jobs: heldJobs(),
    desiredVersion: 0,
    protocolVersion: 1,
  });
  heartbeatMs = result.heartbeatIntervalMs;
  serverClockOffsetMs = Date.parse(result.serverTime) - Date.now();
  console.log(`REGISTERED ${result.agentId} heartbeat=${heartbeatMs} protocol=${messagePack ? "messagepack" : "json"}`);
  scheduleHeartbeat();
}

connection.onreconnected(() => register().catch((error) => console.error(`register failed: ${error}`)));
connection.onclose((error) => {
  if (error) {
    console.error(`closed: ${error.message ?? error}`);
  }
});

async function stop(code) {
  clearTimeout(heartbeatTimer);
  await connection.stop().catch(() => {});
  process.exit(code);
}

process.on("SIGTERM", () => stop(0));
process.on("SIGINT", () => stop(0));

try {
  await connection.start();
  await register();
} catch (error) {
  console.error(`error: ${error.message ?? error}`);
  process.exit(1);
}
