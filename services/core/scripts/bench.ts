/**
 * `npm run bench -w services/core [-- --baseline <fastapi_core.py>]`: in one run, against one real Postgres
 * (embedded, hasura/ migrations applied), starts and loads the servers answering the same two Hasura actions:
 *
 * - the core service, from its built bundle, exactly as the image runs it;
 * - a bare node:http server (bench-bare-server.ts), the ceiling;
 * - only with `--baseline <file>`: an external baseline server started as `python3 <file> <port> <database url>
 *   <secret>` (e.g. a Pysura-style FastAPI app; needs python3-fastapi, python3-uvicorn, python3-asyncpg).
 *
 * Everything it needs is in this repository. It prints, for each: requests/s and p50/p99 latency for whoami (no
 * database) and createOrganization (one transaction) at 50 connections, process start to first /healthz 200, and
 * the bundle size; then goals as ratios from this run (against the ceiling, and against the baseline when one was
 * given), with pass/fail. With `--json` it prints one JSON document instead (settings, machine, figures, goals), for a
 * later run to be compared with. It prints figures and asserts nothing: exit code 0 unless a server could not be
 * started, 2 for a command line that is not understood.
 *
 * The load generator (autocannon, bench-load.ts) runs in a process of its own for each load run, so neither the
 * server nor this script shares a JavaScript thread with it; createOrganization's callers rotate over 5,000 users.
 *
 * Build machines are shared and their load changes by the second, so the targets take turns: cold starts go
 * round-robin, and load runs in rounds (each target, each action, per round). Figures are medians over rounds.
 *
 * Options (each also as an environment variable): --duration (BENCH_DURATION, seconds per load run, default 3),
 * --rounds (BENCH_ROUNDS, default 3), --cold-starts (BENCH_COLD_STARTS, per target, default 7), --baseline
 * (BENCH_BASELINE), --python (BENCH_PYTHON, default /usr/bin/python3), --json, --profile <dir> (the core service
 * writes a V8 CPU profile of its whole run there, for `--cpu-prof`-style reading).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import * as fs from "node:fs";
import * as http from "node:http";
import { createServer } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import type autocannon from "autocannon";
import type { LoadRun } from "./bench-load";

type AutocannonResult = autocannon.Result;
import { build } from "esbuild";
import { Client } from "pg";
import { buildService } from "@pulsura/kit/build";
import { runCli, UsageError, type CliSpec, type ParsedArgs } from "../../../scripts/lib/cli";
import { startPostgres, type TestDatabase } from "../../../test/support/postgres";

const serviceDir = path.resolve(__dirname, "..");
const repoRoot = path.resolve(serviceDir, "../..");

const benchCli = {
  command: "npm run bench -w services/core --",
  summary: "Loads the core service and the bare node:http ceiling (and an external baseline, if given) against one real Postgres; prints figures.",
  usage: ["[--baseline <file>] [--python <path>] [--duration <s>] [--rounds <n>] [--cold-starts <n>]"],
  options: {
    baseline: { type: "string", value: "<file>", description: "an external baseline server to compare with (python3 <file> <port> <database url> <secret>). Also BENCH_BASELINE" },
    python: { type: "string", value: "<path>", description: "the Python that runs the baseline. Also BENCH_PYTHON. Default /usr/bin/python3" },
    duration: { type: "string", value: "<s>", description: "seconds per load run. Also BENCH_DURATION. Default 3" },
    rounds: { type: "string", value: "<n>", description: "load rounds (figures are medians over them). Also BENCH_ROUNDS. Default 3" },
    "cold-starts": { type: "string", value: "<n>", description: "cold starts per target. Also BENCH_COLD_STARTS. Default 7" },
    json: { type: "boolean", description: "print the figures and goals as one JSON document (progress goes to stderr)" },
    profile: { type: "string", value: "<dir>", description: "write a V8 CPU profile of the core service's load run into <dir>" },
  },
} as const satisfies CliSpec;

function positiveNumber(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`--${name}: expected a positive number, got ${JSON.stringify(text)}`);
  return value;
}

interface BenchSettings {
  durationSeconds: number;
  rounds: number;
  coldStartRuns: number;
  /** The external baseline's script, only when asked for. */
  baselineScript: string | undefined;
  python: string;
  json: boolean;
  /** Where the core service writes its CPU profile, only when asked for. */
  profileDir: string | undefined;
}

/** The settings from the command line, then the environment, then the defaults. */
function settingsFrom(values: ParsedArgs<typeof benchCli>["values"], env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const baseline = values.baseline ?? env.BENCH_BASELINE;
  return {
    durationSeconds: positiveNumber("duration", values.duration ?? env.BENCH_DURATION, 3),
    rounds: Math.round(positiveNumber("rounds", values.rounds ?? env.BENCH_ROUNDS, 3)),
    coldStartRuns: Math.round(positiveNumber("cold-starts", values["cold-starts"] ?? env.BENCH_COLD_STARTS, 7)),
    baselineScript: baseline ? path.resolve(baseline) : undefined,
    python: values.python ?? env.BENCH_PYTHON ?? "/usr/bin/python3",
    json: values.json === true,
    profileDir: values.profile ? path.resolve(values.profile) : undefined,
  };
}

const connections = 50;
const secret = "bench-event-secret-0123456789abcdef";
const benchUser = "bench-user";

interface Target {
  name: string;
  start(port: number, databaseUrl: string): ChildProcess;
}

/** Medians over the rounds. */
interface LoadFigures {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  failures: number;
}

interface Measurement {
  target: string;
  coldStartMs: number;
  whoami: LoadFigures;
  createOrganization: LoadFigures;
  /** whoami requests/s of each round, in round order (ratios against the ceiling are taken per round). */
  whoamiPerRound: number[];
}

/** Progress and the table; with --json, stdout carries the JSON document only and progress goes to stderr. */
let sayTo: NodeJS.WriteStream = process.stdout;
function say(line: string): void {
  sayTo.write(`${line}\n`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function healthzStatus(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const request = http.get({ host: "127.0.0.1", port, path: "/healthz", agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on("error", () => resolve(undefined));
  });
}

/** Milliseconds from spawn to the first 200 from /healthz, polling every 2 ms; rejects if the process exits first. */
async function startAndWaitHealthy(target: Target, port: number, databaseUrl: string): Promise<{ child: ChildProcess; ms: number }> {
  const startedAt = performance.now();
  const child = target.start(port, databaseUrl);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const deadline = startedAt + 60_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${target.name} exited with ${child.exitCode}:\n${output}`);
    if ((await healthzStatus(port)) === 200) return { child, ms: performance.now() - startedAt };
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  child.kill("SIGKILL");
  throw new Error(`${target.name} did not answer /healthz within 60 s:\n${output}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Callers of createOrganization, one after another (bench-load.ts): each may create 20 organizations (row_quotas). */
const benchUserCount = 5_000;

/** The load generator: bench-load.ts, bundled into the run's work folder, one process for the whole run. */
let loadProcess: ChildProcess | undefined;

function startLoadProcess(script: string): ChildProcess {
  // autocannon is required from the repository's node_modules, not bundled.
  const NODE_PATH = path.dirname(path.dirname(require.resolve("autocannon/package.json")));
  return spawn(process.execPath, [script], { stdio: ["ignore", "inherit", "inherit", "ipc"], env: { ...process.env, NODE_PATH } });
}

/** One load run by the load process; resolves with autocannon's result. */
async function load(port: number, action: "whoami" | "createOrganization", seconds: number): Promise<AutocannonResult> {
  const child = loadProcess!;
  const run: LoadRun = { url: `http://127.0.0.1:${port}/actions/${action}`, action, connections, seconds, secret, userPrefix: benchUser, userCount: benchUserCount };
  const answer = new Promise<{ result?: AutocannonResult; error?: string }>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`the load process (bench-load.ts) exited with ${code}`));
    child.once("exit", onExit);
    child.once("message", (message: { result?: AutocannonResult; error?: string }) => {
      child.off("exit", onExit);
      resolve(message);
    });
  });
  child.send(run);
  const { result, error } = await answer;
  if (!result) throw new Error(`the load run failed: ${error}`);
  return result;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function figures(results: AutocannonResult[]): LoadFigures {
  return {
    requestsPerSecond: median(results.map((result) => result.requests.average)),
    p50: median(results.map((result) => result.latency.p50)),
    p99: median(results.map((result) => result.latency.p99)),
    failures: results.reduce((sum, result) => sum + result.non2xx + result.errors + result.timeouts, 0),
  };
}

async function measureAll(targets: Target[], databaseUrl: string, { coldStartRuns, rounds, durationSeconds }: BenchSettings): Promise<Measurement[]> {
  const coldStarts = new Map<Target, number[]>(targets.map((target) => [target, []]));
  for (let run = 0; run < coldStartRuns; run++) {
    for (const target of targets) {
      const { child, ms } = await startAndWaitHealthy(target, await freePort(), databaseUrl);
      coldStarts.get(target)!.push(ms);
      await stop(child);
    }
  }

  const running = new Map<Target, { child: ChildProcess; port: number }>();
  try {
    for (const target of targets) {
      const port = await freePort();
      running.set(target, { child: (await startAndWaitHealthy(target, port, databaseUrl)).child, port });
    }
    // Warm-up, not recorded: JIT, connection pools.
    for (const { port } of running.values()) {
      await load(port, "whoami", 1);
      await load(port, "createOrganization", 1);
    }
    const runs = new Map<Target, { whoami: AutocannonResult[]; createOrganization: AutocannonResult[] }>(
      targets.map((target) => [target, { whoami: [], createOrganization: [] }]),
    );
    for (let round = 1; round <= rounds; round++) {
      say(`  round ${round}/${rounds}`);
      // Every other round in reverse order, so a target is not always the one measured while the load drifts.
      const order = round % 2 === 1 ? targets : [...targets].reverse();
      for (const action of ["whoami", "createOrganization"] as const) {
        for (const target of order) runs.get(target)![action].push(await load(running.get(target)!.port, action, durationSeconds));
      }
    }
    return targets.map((target) => ({
      target: target.name,
      coldStartMs: median(coldStarts.get(target)!),
      whoami: figures(runs.get(target)!.whoami),
      createOrganization: figures(runs.get(target)!.createOrganization),
      whoamiPerRound: runs.get(target)!.whoami.map((result) => result.requests.average),
    }));
  } finally {
    for (const { child } of running.values()) await stop(child);
  }
}

/** Why the baseline given with --baseline cannot run, or undefined. */
function pythonBaselineProblem(baselineScript: string, python: string): string | undefined {
  if (!fs.existsSync(baselineScript)) return `${baselineScript} not found`;
  const probe = spawnSync(python, ["-c", "import fastapi, uvicorn, asyncpg"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    return `${python} cannot import fastapi/uvicorn/asyncpg (apt-get install -y python3-fastapi python3-uvicorn python3-asyncpg)`;
  }
  return undefined;
}

const fixed = (value: number, digits = 0) => value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

function row(cells: string[], widths: number[]): string {
  return cells.map((cell, index) => (index === 0 ? cell.padEnd(widths[index]!) : cell.padStart(widths[index]!))).join("  ");
}

async function main(settings: BenchSettings): Promise<void> {
  const { baselineScript, python, coldStartRuns, rounds, durationSeconds, profileDir } = settings;
  if (settings.json) sayTo = process.stderr;
  // The baseline is optional and external: asked for by --baseline, and refused before anything starts when it cannot run.
  const baselineProblem = baselineScript ? pythonBaselineProblem(baselineScript, python) : undefined;
  if (baselineProblem) throw new UsageError(`--baseline ${baselineScript}: ${baselineProblem}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pulsura-bench-"));
  let database: TestDatabase | undefined;
  try {
    const loadBefore = os.loadavg();
    say(`machine: ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim()}), load average ${os.loadavg().map((load) => load.toFixed(2)).join(" ")}`);
    say("building the core bundle and the bare server, starting Postgres...");
    const [bundle, , startedDatabase] = await Promise.all([
      buildService({ serviceDir }),
      build({
        entryPoints: { "bare-server": path.join(__dirname, "bench-bare-server.ts"), "bench-load": path.join(__dirname, "bench-load.ts") },
        outdir: work,
        bundle: true,
        platform: "node",
        target: "node24",
        minify: true,
        // autocannon is required from the repository's node_modules (NODE_PATH of the load process), not bundled.
        external: ["pg-native", "autocannon"],
        logLevel: "warning",
      }),
      startPostgres(),
    ]);
    database = startedDatabase;
    loadProcess = startLoadProcess(path.join(work, "bench-load.js"));
    const sql = new Client({ connectionString: database.url });
    await sql.connect();
    await sql.query("insert into users (id) select $1 || '-' || n from generate_series(0, $2::int - 1) as n", [benchUser, benchUserCount]);
    await sql.end();

    const serviceEnv = (port: number, databaseUrl: string) => ({
      PATH: process.env.PATH ?? "",
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      PULSURA_EVENT_SECRET: secret,
      HASURA_GRAPHQL_URL: "http://127.0.0.1:9/v1/graphql",
      HASURA_GRAPHQL_ADMIN_SECRET: "bench",
      GOOGLE_CLOUD_PROJECT: "demo-bench",
      LOG_LEVEL: "info",
      NODE_ENV: "production",
    });
    const stdio: ["ignore", "pipe", "pipe"] = ["ignore", "pipe", "pipe"];
    // The profile covers the core service that takes the load: started last, after the cold starts (each of which
    // would otherwise write a profile of its own).
    let coreStarts = 0;
    const profileArgs = () => (profileDir && ++coreStarts > coldStartRuns ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []);
    const targets: Target[] = [
      {
        name: "pulsura core",
        // As the image runs it (Dockerfile CMD).
        start: (port, databaseUrl) => spawn(process.execPath, [...profileArgs(), bundle.entry], { env: serviceEnv(port, databaseUrl), stdio }),
      },
    ];
    if (baselineScript) {
      targets.push({
        name: "baseline",
        start: (port, databaseUrl) => spawn(python, [baselineScript, String(port), databaseUrl, secret], { stdio }),
      });
    }
    targets.push({
      name: "bare node:http",
      start: (port, databaseUrl) => spawn(process.execPath, [path.join(work, "bare-server.js")], { env: serviceEnv(port, databaseUrl), stdio }),
    });

    say(
      `measuring ${targets.map((target) => target.name).join(", ")}: ${coldStartRuns} cold starts each (round-robin), ` +
        `then ${rounds} rounds of ${durationSeconds} s per action at ${connections} connections...`,
    );
    // Every target as svc_core, with only the roles the deploy grants it, as on Cloud SQL (test/support/postgres.ts).
    const results = await measureAll(targets, database.serviceUrl, settings);

    say("");
    const widths = [18, 12, 8, 8, 16, 8, 8, 14];
    say(row(["", "whoami req/s", "p50 ms", "p99 ms", "createOrg req/s", "p50 ms", "p99 ms", "cold start ms"], widths));
    for (const result of results) {
      say(
        row(
          [
            result.target,
            fixed(result.whoami.requestsPerSecond),
            fixed(result.whoami.p50, 1),
            fixed(result.whoami.p99, 1),
            fixed(result.createOrganization.requestsPerSecond),
            fixed(result.createOrganization.p50, 1),
            fixed(result.createOrganization.p99, 1),
            fixed(result.coldStartMs, 0),
          ],
          widths,
        ),
      );
    }
    const bundleMiB = bundle.bytes / (1024 * 1024);
    say(`\ncore bundle: ${path.relative(repoRoot, bundle.outfile)} ${fixed(bundle.bytes)} bytes (${fixed(bundleMiB, 2)} MiB)`);

    for (const result of results) {
      for (const action of ["whoami", "createOrganization"] as const) {
        if (result[action].failures > 0) say(`warning: ${result.target} ${action}: ${result[action].failures} non-2xx answers, errors or timeouts`);
      }
    }

    const core = results.find((result) => result.target === "pulsura core")!;
    const baseline = results.find((result) => result.target === "baseline");
    const bare = results.find((result) => result.target === "bare node:http")!;
    const goals: { goal: string; value: string; pass: boolean }[] = [];
    const goal = (label: string, value: string, pass: boolean) => goals.push({ goal: label, value, pass });
    const ratio = (a: number, b: number) => a / b;
    // The median of the rounds' ratios: each round's two figures were measured back to back, under about the same load.
    const ceilingShare = median(core.whoamiPerRound.map((coreRate, round) => ratio(coreRate, bare.whoamiPerRound[round]!)));
    goal("whoami >= 50 % of the bare node:http ceiling", `${fixed(ceilingShare * 100, 0)} %`, ceilingShare >= 0.5);
    goal("createOrganization p99 <= 10 ms at 50 connections", `${fixed(core.createOrganization.p99, 1)} ms`, core.createOrganization.p99 <= 10);
    if (baseline) {
      const whoamiRatio = ratio(core.whoami.requestsPerSecond, baseline.whoami.requestsPerSecond);
      goal("whoami >= 10x the baseline", `${fixed(whoamiRatio, 1)}x`, whoamiRatio >= 10);
      const createRatio = ratio(core.createOrganization.requestsPerSecond, baseline.createOrganization.requestsPerSecond);
      goal("createOrganization >= 2.5x the baseline", `${fixed(createRatio, 1)}x`, createRatio >= 2.5);
      const coldRatio = ratio(core.coldStartMs, baseline.coldStartMs);
      goal("cold start <= half the baseline's", `${fixed(core.coldStartMs)} ms vs ${fixed(baseline.coldStartMs)} ms (${fixed(coldRatio * 100, 0)} %)`, coldRatio <= 0.5);
    }
    const worstP99 = Math.max(core.whoami.p99, core.createOrganization.p99);
    goal("p99 under 25 ms (core, both actions)", `whoami ${fixed(core.whoami.p99, 1)} ms, createOrganization ${fixed(core.createOrganization.p99, 1)} ms`, worstP99 < 25);
    goal("bundle under 2 MB", `${fixed(bundle.bytes / 1_000_000, 2)} MB`, bundle.bytes < 2_000_000);
    say("\ngoals (ratios from this run):");
    for (const { goal: label, value, pass } of goals) say(`  ${pass ? "PASS" : "FAIL"}  ${label}: ${value}`);
    if (settings.json) {
      const document = {
        date: new Date().toISOString(),
        machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model.trim(), node: process.version, loadAverage: { before: loadBefore, after: os.loadavg() } },
        settings: { connections, durationSeconds, rounds, coldStartRuns, baseline: baselineScript !== undefined },
        results,
        ceilingShare,
        bundleBytes: bundle.bytes,
        goals,
      };
      process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    }
  } finally {
    loadProcess?.disconnect();
    await database?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

runCli(benchCli, async ({ values }) => {
  await main(settingsFrom(values));
  return 0;
});
