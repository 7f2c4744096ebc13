import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseStackConfig, StackConfigError } from "../../infra/config";
import { hasuraProjectDir, readMetadata } from "../../infra/hasura/project";
import { checkServiceWiring, serviceHandlers } from "../../infra/service-wiring";
import { loadStackConfig, repoRoot, stackNameOf } from "../../scripts/lib/stack-files";

const fixtures = join(repoRoot, "test", "infra", "fixtures");
/** Metadata calling core (action whoami) and billing (action createInvoice, event trigger invoice_paid, cron send_reminders). */
const wiringRepository = join(fixtures, "wiring-repository");

/** The problems of a fixture stack file, checked against `repository` as the program checks against its own. */
function wiringProblemsOf(stackFile: string, repository: string): string[] {
  const path = join(fixtures, stackFile);
  const stack = stackNameOf(path);
  const { config, secretKeys } = loadStackConfig(path, "pulsura");
  try {
    parseStackConfig(stack, config, () => undefined, { isSecret: (key) => secretKeys.includes(key), checkServices: (services) => checkServiceWiring(stack, services, repository) });
  } catch (error) {
    expect(error).toBeInstanceOf(StackConfigError);
    return (error as StackConfigError).problems.map((p) => `${p.key}: got ${p.got}, expected ${p.expected}`);
  }
  return [];
}

describe("service wiring", () => {
  it("refuses every handler of a service the stack does not deploy, naming the handler, the service and the stack", () => {
    const problems = wiringProblemsOf("Pulumi.billing-not-deployed.yaml", wiringRepository);
    const notDeployed = (handler: string, url: string, file: string) =>
      `pulsura:services: got ["core"], expected the service "billing" that ${handler} calls (${url} in ${file}): stack "billing-not-deployed" deploys no ` +
      `service "billing", so Hasura has no PULSURA_SERVICE_BILLING_URL and the metadata would not apply. Add { name: billing } to pulsura:services, or remove the handler`;
    expect(problems).toEqual([
      notDeployed("action createInvoice", "{{PULSURA_SERVICE_BILLING_URL}}/actions/createInvoice", "hasura/metadata/actions.yaml"),
      notDeployed("event trigger invoice_paid on table public.invoices", "{{PULSURA_SERVICE_BILLING_URL}}/events/invoice_paid", "hasura/metadata/databases/default/tables/public_invoices.yaml"),
      notDeployed("cron trigger send_reminders", "{{PULSURA_SERVICE_BILLING_URL}}/crons/send_reminders", "hasura/metadata/cron_triggers.yaml"),
    ]);
  });

  it("refuses a stack that drops core while the metadata still calls it", () => {
    const problems = wiringProblemsOf("Pulumi.drops-core.yaml", wiringRepository);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('pulsura:services: got ["billing"], expected the service "core" that action whoami calls');
    expect(problems[0]).toContain('stack "drops-core" deploys no service "core", so Hasura has no PULSURA_SERVICE_CORE_URL');
  });

  it("refuses a service whose folder does not exist, saying what is missing and how to scaffold it", () => {
    expect(wiringProblemsOf("Pulumi.missing-service-folder.yaml", repoRoot)).toEqual([
      'pulsura:services[1].name: got "reports", expected a service folder services/reports/ with package.json and Dockerfile (missing: ' +
        'services/reports/package.json, services/reports/Dockerfile); stack "missing-service-folder" would build its image from it. ' +
        "Scaffold it with: npm run new -- service reports",
    ]);
  });

  it("accepts the repository's own metadata with the default services, and finds every handler in it", () => {
    expect(checkServiceWiring("dev", [{ name: "core", key: "pulsura:services" }], repoRoot)).toEqual([]);
    const metadata = readMetadata(hasuraProjectDir) as { actions?: unknown[]; cron_triggers?: unknown[]; sources: Array<{ tables: Array<{ event_triggers?: unknown[] }> }> };
    const triggers = metadata.sources.flatMap((s) => s.tables.flatMap((t) => t.event_triggers ?? []));
    // Every webhook of the repository names its service through PULSURA_SERVICE_<NAME>_URL (test/hasura/metadata.test.ts).
    expect(serviceHandlers(metadata)).toHaveLength((metadata.actions ?? []).length + triggers.length + (metadata.cron_triggers ?? []).length);
  });

  it("reads webhook_from_env as well as a templated URL", () => {
    const metadata = { sources: [{ name: "default", tables: [{ table: { schema: "public", name: "files" }, event_triggers: [{ name: "file_added", webhook_from_env: "PULSURA_SERVICE_MEDIA_STORE_URL" }] }] }] };
    expect(serviceHandlers(metadata)).toEqual([
      { handler: "event trigger file_added on table public.files", file: "hasura/metadata/databases/default/tables/public_files.yaml", url: "PULSURA_SERVICE_MEDIA_STORE_URL", service: "media-store" },
    ]);
  });
});
