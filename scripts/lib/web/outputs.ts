/**
 * Reading a stack's outputs for the web tooling (`flutter:configure`, `deploy:web`) and checking that the outputs a
 * command needs are there and well-formed.
 *
 * Outputs come from `pulumi stack output --json --stack <name>` when the Pulumi CLI is on PATH, or from a JSON file:
 * either what that command prints, or what the offline plan prints with `--json` (its `outputs` member is used).
 */
import { execFile } from "node:child_process";
import { accessSync, constants, readFileSync, statSync } from "node:fs";
import { delimiter, join } from "node:path";

/** Stack names as Pulumi accepts them (and as `Pulumi.<stack>.yaml` names them). */
export const STACK_NAME = /^[A-Za-z0-9_.-]+$/;

/** What `pulumi stack output` prints for a secret output unless asked to show secrets. */
const SECRET_PLACEHOLDER = "[secret]";
/** What the offline plan prints for a value that is only known after deployment. */
const UNKNOWN_PLACEHOLDER = "[unknown]";

/** The stack outputs cannot be read at all (no Pulumi CLI and no file, unreadable file, failing CLI). */
export class OutputsSourceError extends Error {
  override name = "OutputsSourceError";
}

/** Outputs a command needs are missing or unusable. `problems` names each one (dotted path → what is wrong). */
export class MissingOutputsError extends Error {
  override name = "MissingOutputsError";
  constructor(
    readonly stackName: string,
    readonly command: string,
    readonly problems: { output: string; reason: string }[],
  ) {
    super(
      [
        `Stack "${stackName}" lacks ${problems.length} output${problems.length === 1 ? "" : "s"} that ${command} needs:`,
        ...problems.map((p) => `  - ${p.output}: ${p.reason}`),
        "Deploy the stack (pulumi up) so that it exports them, or pass --outputs with a file that has them.",
      ].join("\n"),
    );
  }

  /** The dotted names of the missing or unusable outputs. */
  get outputs(): string[] {
    return this.problems.map((p) => p.output);
  }
}

export interface StackOutputs {
  /** The outputs as a flat object: output name → value. */
  values: Record<string, unknown>;
  /** Where they came from, for messages: `pulumi stack output` or the file's path. */
  source: string;
}

export interface ReadOutputsOptions {
  stack: string;
  /** A JSON file with the outputs; without it the Pulumi CLI is asked. */
  outputsFile?: string;
  /** Environment for finding and running `pulumi` (PATH, credentials); defaults to this process's. */
  env?: NodeJS.ProcessEnv;
}

/** Finds an executable on PATH the way a shell would; undefined when there is none. */
export function findOnPath(command: string, pathVariable = process.env.PATH ?? ""): string | undefined {
  for (const directory of pathVariable.split(delimiter)) {
    if (!directory) continue;
    const candidate = join(directory, command);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here: keep looking.
    }
  }
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Whether an outputs file is the offline plan's `--json` output (whose outputs are the mocks' stand-ins). */
export function isOfflinePlanFile(path: string): boolean {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
    return isPlainObject(parsed) && isPlainObject(parsed.outputs) && Array.isArray(parsed.resources);
  } catch {
    return false;
  }
}

/** Reads an outputs file: the JSON of `pulumi stack output --json`, or the offline plan's `--json` output. */
export function readOutputsFile(path: string, stack: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new OutputsSourceError(`cannot read the outputs file ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new OutputsSourceError(`the outputs file ${path} is not JSON: ${(error as Error).message}`);
  }
  if (!isPlainObject(parsed)) throw new OutputsSourceError(`the outputs file ${path} must hold a JSON object of outputs`);
  // The offline plan's JSON: {stack, project, resources, outputs, violations}.
  if (isPlainObject(parsed.outputs) && Array.isArray(parsed.resources)) {
    if (typeof parsed.stack === "string" && parsed.stack !== stack) {
      throw new OutputsSourceError(`the outputs file ${path} is the plan of stack "${parsed.stack}", not of "${stack}"`);
    }
    return parsed.outputs;
  }
  return parsed;
}

/** Runs `pulumi stack output --json --stack <stack>` and parses its answer. */
function pulumiStackOutput(pulumi: string, stack: string, env: NodeJS.ProcessEnv): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(pulumi, ["stack", "output", "--json", "--stack", stack], { env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        reject(new OutputsSourceError(`pulumi stack output --json --stack ${stack} failed: ${(stderr || error.message).trim()}`));
        return;
      }
      try {
        const parsed: unknown = JSON.parse(stdout);
        if (!isPlainObject(parsed)) throw new Error("expected a JSON object");
        resolve(parsed);
      } catch (parseError) {
        reject(new OutputsSourceError(`pulumi stack output --json --stack ${stack} did not print a JSON object: ${(parseError as Error).message}`));
      }
    });
  });
}

/**
 * Reads a stack's outputs from `options.outputsFile`, or from the Pulumi CLI when no file is given.
 *
 * @throws OutputsSourceError when neither is possible, naming the way out (`--outputs`).
 */
export async function readStackOutputs(options: ReadOutputsOptions): Promise<StackOutputs> {
  const { stack } = options;
  if (!STACK_NAME.test(stack)) throw new OutputsSourceError(`"${stack}" is not a stack name (letters, digits, _ . - only)`);
  if (options.outputsFile) return { values: readOutputsFile(options.outputsFile, stack), source: options.outputsFile };
  const env = options.env ?? process.env;
  const pulumi = findOnPath("pulumi", env.PATH ?? "");
  if (!pulumi) {
    throw new OutputsSourceError(
      `the Pulumi CLI is not on PATH, so the outputs of stack "${stack}" must come from a file: pass --outputs <file.json> ` +
        `(what \`pulumi stack output --json --stack ${stack}\` prints, or \`npm run plan -- --stack ${stack} --json --out <file.json>\` for the offline plan)`,
    );
  }
  return { values: await pulumiStackOutput(pulumi, stack, env), source: "pulumi stack output" };
}

// ---------------------------------------------------------------------------------------------------------------------
// Picking and checking the outputs a command needs.
// ---------------------------------------------------------------------------------------------------------------------

/** The web app's Firebase options, as the stack exports them in `firebaseWebOptions`. */
export interface FirebaseWebOptions {
  apiKey: string;
  appId: string;
  authDomain: string;
  projectId: string;
  messagingSenderId: string;
  /**
   * The default Cloud Storage for Firebase bucket, absent when the project has none: Firebase documents that "the
   * default bucket for the Project might not yet be provisioned" (WebAppConfig.storageBucket), and creating one needs
   * the Blaze plan, so the stack does not.
   */
  storageBucket?: string;
}

const FIREBASE_WEB_OPTION_KEYS = ["apiKey", "appId", "authDomain", "projectId", "messagingSenderId"] as const satisfies readonly (keyof FirebaseWebOptions)[];

/** The outputs the Flutter app is configured from. */
export interface ClientOutputs {
  firebaseWebOptions: FirebaseWebOptions;
  hasuraGraphqlUrl: string;
  hasuraWebsocketUrl: string;
  /** `signInProviders` when the stack exports it; undefined when it does not (callers fall back to the stack file). */
  signInProviders?: unknown;
}

/** The outputs a hosting deploy needs. */
export interface HostingOutputs {
  gcpProject: string;
  hostingSiteId: string;
  hasuraGraphqlUrl: string;
  hasuraWebsocketUrl: string;
  /** `firebaseWebOptions.authDomain`: where Firebase Auth serves its sign-in helper pages. */
  authDomain: string;
  /** `filesBucket`: the stack's files bucket, whose signed URLs the app uploads to and shows images from (stacks with core). */
  filesBucket?: string;
}

/** Cloud Storage bucket names without dots (https://cloud.google.com/storage/docs/buckets#naming): they go into the CSP. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$/;

type Problem = { output: string; reason: string };

/** Hosts a local Hasura may run on; only they may be reached without TLS. */
const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);
/** Google Cloud project ids: 6–30 characters, lower-case letters, digits and dashes, starting with a letter. */
const GCP_PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
/** Firebase Hosting site ids become the first label of `<site>.web.app`. */
const HOSTING_SITE_ID = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

class OutputReader {
  readonly problems: Problem[] = [];
  constructor(private readonly values: Record<string, unknown>) {}

  private lookup(path: string): unknown {
    let value: unknown = this.values;
    for (const part of path.split(".")) {
      if (!isPlainObject(value)) return undefined;
      value = value[part];
    }
    return value;
  }

  /** A non-empty string output, or a recorded problem. */
  string(path: string): string {
    const value = this.lookup(path);
    if (value === undefined || value === null || value === "") {
      this.problems.push({ output: path, reason: "missing" });
    } else if (value === SECRET_PLACEHOLDER) {
      this.problems.push({ output: path, reason: "shown as [secret]: export it in plain text or pass an outputs file that has its value" });
    } else if (value === UNKNOWN_PLACEHOLDER) {
      this.problems.push({ output: path, reason: "not known before the stack is deployed" });
    } else if (typeof value !== "string") {
      this.problems.push({ output: path, reason: `expected a string, got ${JSON.stringify(value)}` });
    } else {
      return value;
    }
    return "";
  }

  /** A URL output with `scheme` (or `plainScheme`, only for a local host), or a recorded problem. */
  url(path: string, scheme: "https:" | "wss:", plainScheme: "http:" | "ws:"): string {
    const value = this.string(path);
    if (!value) return "";
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      this.problems.push({ output: path, reason: `not a URL: ${JSON.stringify(value)}` });
      return "";
    }
    const local = LOCAL_HOSTS.has(url.hostname);
    if (url.protocol !== scheme && !(local && url.protocol === plainScheme)) {
      this.problems.push({ output: path, reason: `expected a ${scheme}// URL${local ? ` (or ${plainScheme}// for a local host)` : ""}, got ${JSON.stringify(value)}` });
      return "";
    }
    if (url.username || url.password) {
      this.problems.push({ output: path, reason: "must not carry credentials" });
      return "";
    }
    return value;
  }

  /** A string output that must match `pattern` (it ends up in command lines and headers), or a recorded problem. */
  matching(path: string, pattern: RegExp, expected: string): string {
    const value = this.string(path);
    if (value && !pattern.test(value)) {
      this.problems.push({ output: path, reason: `expected ${expected}, got ${JSON.stringify(value)}` });
      return "";
    }
    return value;
  }

  hostname(path: string): string {
    return this.matching(path, HOSTNAME, "a host name such as my-project.firebaseapp.com");
  }

  optional(path: string): unknown {
    return this.lookup(path);
  }

  done(stack: string, command: string): void {
    if (this.problems.length > 0) throw new MissingOutputsError(stack, command, this.problems);
  }
}

/**
 * The outputs the Flutter app is configured from.
 *
 * @throws MissingOutputsError naming every missing or malformed output.
 */
export function clientOutputs(values: Record<string, unknown>, stack: string, command = "flutter:configure"): ClientOutputs {
  const reader = new OutputReader(values);
  const firebaseWebOptions = Object.fromEntries(
    FIREBASE_WEB_OPTION_KEYS.map((key) => [key, key === "authDomain" ? reader.hostname(`firebaseWebOptions.${key}`) : reader.string(`firebaseWebOptions.${key}`)]),
  ) as unknown as FirebaseWebOptions;
  const storageBucket = reader.optional("firebaseWebOptions.storageBucket");
  if (storageBucket !== undefined && storageBucket !== null && storageBucket !== "") {
    const bucket = reader.string("firebaseWebOptions.storageBucket");
    if (bucket) firebaseWebOptions.storageBucket = bucket;
  }
  const result: ClientOutputs = {
    firebaseWebOptions,
    hasuraGraphqlUrl: reader.url("hasuraGraphqlUrl", "https:", "http:"),
    hasuraWebsocketUrl: reader.url("hasuraWebsocketUrl", "wss:", "ws:"),
    signInProviders: reader.optional("signInProviders"),
  };
  reader.done(stack, command);
  return result;
}

/**
 * The outputs a hosting deploy needs.
 *
 * @throws MissingOutputsError naming every missing or malformed output.
 */
export function hostingOutputs(values: Record<string, unknown>, stack: string, command = "deploy:web"): HostingOutputs {
  const reader = new OutputReader(values);
  const result: HostingOutputs = {
    gcpProject: reader.matching("gcpProject", GCP_PROJECT_ID, "a Google Cloud project id"),
    hostingSiteId: reader.matching("hostingSiteId", HOSTING_SITE_ID, "a Firebase Hosting site id (lower-case letters, digits, dashes)"),
    hasuraGraphqlUrl: reader.url("hasuraGraphqlUrl", "https:", "http:"),
    hasuraWebsocketUrl: reader.url("hasuraWebsocketUrl", "wss:", "ws:"),
    authDomain: reader.hostname("firebaseWebOptions.authDomain"),
  };
  if (reader.optional("filesBucket") !== undefined) result.filesBucket = reader.matching("filesBucket", BUCKET_NAME, "a Cloud Storage bucket name without dots");
  reader.done(stack, command);
  return result;
}
