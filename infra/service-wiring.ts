/**
 * Checks that a stack's services and the repository agree, before any resource is declared: every service in
 * `pulsura:services` has its folder (`services/<name>/` with package.json and Dockerfile, which the image build needs),
 * and every handler the Hasura metadata points at (`{{PULSURA_SERVICE_<NAME>_URL}}` in actions, event triggers and cron
 * triggers) belongs to a service the stack deploys. Hasura gets `PULSURA_SERVICE_<NAME>_URL` only for the stack's
 * services (infra/components/hasura.ts), so a handler of any other service makes `replace_metadata` fail at deploy.
 *
 * Reads local files only (no Pulumi, no network), so `pulumi up`, `pulumi preview` and the offline plan all run it
 * through infra/stack-config.ts (which passes it to parseStackConfig in infra/config.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { serviceUrlEnvName } from "../services/kit/src/drift/metadata";
import { readMetadata } from "./hasura/project";

/** A problem in the shape of infra/config.ts's ConfigProblem (kept structural to avoid an import cycle). */
export interface WiringProblem {
  key: string;
  got: string;
  expected: string;
}

/** A webhook of the Hasura metadata that names a service through its URL variable. */
export interface ServiceHandler {
  /** How a person finds it: `action createInvoice`, `event trigger user_role_changed on table public.users`. */
  handler: string;
  /** Where it is written, relative to the repository root (the Hasura CLI's layout). */
  file: string;
  /** The URL as written, e.g. `{{PULSURA_SERVICE_CORE_URL}}/actions/whoami`. */
  url: string;
  /** The service it names (`core` for `PULSURA_SERVICE_CORE_URL`). */
  service: string;
}

const SERVICE_URL_VARIABLE = /PULSURA_SERVICE_([A-Z0-9]+(?:_[A-Z0-9]+)*)_URL/;

/** Service name of a URL variable: the inverse of serviceUrlEnvName (service names are lower-case, with dashes). */
function serviceOfVariable(text: string): string | undefined {
  const match = SERVICE_URL_VARIABLE.exec(text);
  if (!match) return undefined;
  const service = match[1]!.toLowerCase().replace(/_/g, "-");
  return serviceUrlEnvName(service) === `PULSURA_SERVICE_${match[1]}_URL` ? service : undefined;
}

interface ActionEntry {
  name?: string;
  definition?: { handler?: unknown };
}
interface EventTriggerEntry {
  name?: string;
  webhook?: unknown;
  webhook_from_env?: unknown;
}
interface TableEntry {
  table?: { schema?: string; name?: string };
  event_triggers?: EventTriggerEntry[];
}
interface SourceEntry {
  name?: string;
  tables?: TableEntry[];
}
interface CronTriggerEntry {
  name?: string;
  webhook?: unknown;
}

/** Every action handler, event trigger webhook and cron trigger webhook of the metadata that names a service. */
export function serviceHandlers(metadata: Record<string, unknown>): ServiceHandler[] {
  const handlers: ServiceHandler[] = [];
  const add = (handler: string, file: string, url: unknown) => {
    if (typeof url !== "string") return;
    const service = serviceOfVariable(url);
    if (service) handlers.push({ handler, file, url, service });
  };
  for (const action of (metadata.actions as ActionEntry[] | undefined) ?? []) {
    add(`action ${action.name}`, "hasura/metadata/actions.yaml", action.definition?.handler);
  }
  for (const source of (metadata.sources as SourceEntry[] | undefined) ?? []) {
    for (const table of source.tables ?? []) {
      const schema = table.table?.schema ?? "public";
      const file = `hasura/metadata/databases/${source.name}/tables/${schema}_${table.table?.name}.yaml`;
      for (const trigger of table.event_triggers ?? []) {
        const handler = `event trigger ${trigger.name} on table ${schema}.${table.table?.name}`;
        add(handler, file, trigger.webhook);
        add(handler, file, trigger.webhook_from_env);
      }
    }
  }
  for (const cron of (metadata.cron_triggers as CronTriggerEntry[] | undefined) ?? []) {
    add(`cron trigger ${cron.name}`, "hasura/metadata/cron_triggers.yaml", cron.webhook);
  }
  return handlers;
}

/** The stack's services, as the config check knows them: the key that names each one. */
export interface StackService {
  name: string;
  /** `pulsura:services[1].name`, or `pulsura:services` when the list is the default. */
  key: string;
}

/**
 * Problems between the stack's services and the repository at `root`: a service without its folder, a handler of a
 * service the stack does not deploy.
 */
export function checkServiceWiring(stack: string, services: readonly StackService[], root: string): WiringProblem[] {
  const problems: WiringProblem[] = [];
  for (const service of services) {
    const folder = `services/${service.name}`;
    const missing = ["package.json", "Dockerfile"].filter((file) => !fs.existsSync(path.join(root, folder, file)));
    if (missing.length === 0) continue;
    problems.push({
      key: service.key,
      got: JSON.stringify(service.name),
      expected:
        `a service folder ${folder}/ with package.json and Dockerfile (missing: ${missing.map((f) => `${folder}/${f}`).join(", ")}); ` +
        `stack "${stack}" would build its image from it. Scaffold it with: npm run new -- service ${service.name}`,
    });
  }

  let metadata: Record<string, unknown>;
  try {
    metadata = readMetadata(path.join(root, "hasura"));
  } catch {
    // Unreadable metadata is the program's error to report (infra/index.ts reads it for the deploy), with its file.
    return problems;
  }
  const deployed = new Set(services.map((s) => s.name));
  const listed = JSON.stringify(services.map((s) => s.name));
  for (const handler of serviceHandlers(metadata)) {
    if (deployed.has(handler.service)) continue;
    const variable = serviceUrlEnvName(handler.service);
    problems.push({
      key: "pulsura:services",
      got: listed,
      expected:
        `the service "${handler.service}" that ${handler.handler} calls (${handler.url} in ${handler.file}): stack "${stack}" deploys no ` +
        `service "${handler.service}", so Hasura has no ${variable} and the metadata would not apply. Add { name: ${handler.service} } to ` +
        `pulsura:services, or remove the handler`,
    });
  }
  return problems;
}
