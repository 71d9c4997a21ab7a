// An OrbitMesh agent in JavaScript, on the official @microsoft/signalr client, written from
// docs/protocol.md alone. It proves that the server speaks standard SignalR and that the document
// is enough to write an agent.
//
//   node agent.mjs --server http://127.0.0.1:5080 --token TOKEN --id js-1
//
// Handlers: "js.echo" (an invocation: returns its parameters plus runtime "node") and "js.count"
// (a durable job: acknowledges, reports progress, streams the integers 1..n, completes with {count}).
import * as signalR from "@microsoft/signalr";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, value, i, all) => (i % 2 === 0 ? [...pairs, [value.replace(/^--/, ""), all[i + 1]]] : pairs), []));
for (const required of ["server", "token", "id"]) {
  if (!args[required]) {
    console.error(`error: --${required} is required`);
    process.exit(2);
  }
}

const maxConcurrentJobs = 2;
const seen = new Set(); // (job id, attempt) pairs already handled: never run one twice (protocol §6).
const running = new Map(); // job id -> { assignment, stopped }
let heartbeatMs = 5000;
let heartbeatTimer = null;

const connection = new signalR.HubConnectionBuilder()
  .withUrl(`${args.server.replace(/\/$/, "")}/mesh`, { accessTokenFactory: () => args.token })
  .withAutomaticReconnect({ nextRetryDelayInMilliseconds: (ctx) => Math.min(30000, 500 * 2 ** ctx.previousRetryCount * Math.random() + 100) })
  .configureLogging(signalR.LogLevel.Warning)
  .build();

// §5.2 Invoke: a client result carrying an InvokeResult.
connection.on("Invoke", async (request) => {
  if (request.command !== "js.echo") {
    return { success: false, error: { code: "unknown_command", message: `No handler for '${request.command}'.` } };
  }
  return { success: true, result: { ...(request.parameters ?? {}), runtime: "node" } };
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
  if (seen.has(key)) {
    return;
  }
  seen.add(key);
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

    const n = assignment.parameters?.n ?? 3;
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
      const sent = await connection.invoke("SendJobItems", { ...ids, sequence: 0, items });
      itemCount = items.length;
      if (sent.stop) {
        return;
      }
    }

    const completion = job.stopped
      ? { ...ids, attempt: assignment.attempt, success: false, error: { code: job.stopped, message: "Stopped." }, itemCount }
      : { ...ids, attempt: assignment.attempt, success: true, result: { count: items.length, runtime: "node" }, itemCount };
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
  console.log(`REGISTERED ${result.agentId} heartbeat=${heartbeatMs}`);
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
