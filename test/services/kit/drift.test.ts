/**
 * No drift between Hasura and the code: the core service's handlers agree with hasura/metadata, and the checker
 * reports every kind of disagreement on a deliberately drifted fixture (test/services/fixtures/drifted).
 */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { assertNoDrift, checkDrift, DriftError, runService } from "@pulsura/kit";
import { loadService } from "@pulsura/kit/dev";
import { handlerNamesOf } from "../support/handler-files";
import { eventSecret } from "../support/harness";

const repoRoot = path.resolve(__dirname, "../../..");
const driftedDir = path.join(__dirname, "../fixtures/drifted/services/drifted");

describe("drift check", () => {
  it("finds the core service and hasura/metadata in agreement", async () => {
    const core = await loadService(path.join(repoRoot, "services/core"), { hasuraDir: path.join(repoRoot, "hasura") });
    // Every handler file is routed (the tree decides, so a scaffolded handler joins the list), core's own among them.
    const files = handlerNamesOf(path.join(repoRoot, "services/core"));
    expect(Object.keys(core.routes.actions).sort()).toEqual([...files.actions].sort());
    expect(Object.keys(core.routes.events).sort()).toEqual([...files.events].sort());
    expect(Object.keys(core.routes.crons).sort()).toEqual([...files.crons].sort());
    expect(Object.keys(core.routes.push ?? {}).sort()).toEqual([...files.push].sort());
    expect(Object.keys(core.routes.jobs ?? {}).sort()).toEqual([...files.jobs].sort());
    expect(Object.keys(core.routes.internal ?? {}).sort()).toEqual([...files.internal].sort());
    expect(Object.keys(core.routes.jobs ?? {})).toContain("export-organization");
    expect(Object.keys(core.routes.actions)).toEqual(expect.arrayContaining(["createOrganization", "whoami"]));
    expect(Object.keys(core.routes.events)).toContain("user_role_changed");
    expect(Object.keys(core.routes.crons)).toContain("purge_processed_deliveries");
    expect(checkDrift(core, core.metadata)).toEqual([]);
  });

  it("reports every disagreement of a drifted service, and nothing for the entries that agree", async () => {
    const drifted = await loadService(driftedDir);
    expect(checkDrift(drifted, drifted.metadata).sort()).toEqual(
      [
        // Handler files and metadata entries without their counterpart
        "action orphanHandler: src/actions/orphanHandler.ts exists but actions.yaml has no action named orphanHandler",
        "actions.yaml: action ghostAction points to the drifted service, which has no src/actions/ghostAction.ts",
        "event trigger ghost_trigger on public.things points to the drifted service, which has no src/events/ghost_trigger.ts",
        "cron_triggers.yaml: weekly_report points to the drifted service, which has no src/crons/weekly_report.ts",
        "cron_triggers.yaml: weekly_report points to {{PULSURA_SERVICE_DRIFTED_URL}}/crons/weekly; it must end in /crons/weekly_report",
        // zod input against actions.graphql
        "action renameThing: argument name is String! in actions.graphql but optional in the zod input",
        "action renameThing: argument count is Int in actions.graphql (an integer: use z.number().int()) but string in the zod input",
        "action renameThing: argument note (String) is declared in actions.graphql but missing from the zod input",
        "action renameThing: argument label is nullable (String) in actions.graphql, so Hasura may send null or leave it out: make it .nullish() in the zod input",
        "action renameThing: the zod input has extra, which actions.graphql does not declare",
        // Roles against permissions
        "action listThings: the handler allows role manager, but actions.yaml grants it no permission",
        "action listThings: actions.yaml lets role viewer call it, but the handler's roles do not include it",
        "action listThings: actions.yaml lets role anonymous call it, but actions never admit anonymous (its session variables, x-hasura-user-id too, come from the request's headers): remove that permission",
        // The webhook secret header
        "actions.yaml: action search sends no X-Pulsura-Event-Secret header, so the service would refuse every call",
        "actions.yaml: action listThings: X-Pulsura-Event-Secret must come from value_from_env: PULSURA_EVENT_SECRET",
        // Event table and cron payload
        "event thing_changed: the handler expects table public.widgets, but the trigger is on public.things",
        "cron nightly_cleanup: the payload in cron_triggers.yaml does not match the handler's schema (days: Invalid input: expected number, received string)",
      ].sort(),
    );
  });

  it("refuses to start a service whose handlers drifted from the metadata", async () => {
    const drifted = await loadService(driftedDir);
    expect(() => assertNoDrift(drifted, drifted.metadata)).toThrow(DriftError);
    const starting = runService({
      ...drifted,
      env: {
        PORT: "0",
        DATABASE_URL: "postgres://postgres@127.0.0.1:9/none",
        PULSURA_EVENT_SECRET: eventSecret,
        HASURA_GRAPHQL_URL: "http://127.0.0.1:9/v1/graphql",
        HASURA_GRAPHQL_ADMIN_SECRET: "x",
        GOOGLE_CLOUD_PROJECT: "demo-x",
      },
    });
    await expect(starting).rejects.toThrow(/Hasura metadata and the drifted service's handlers disagree:\n {2}- /);
  });
});
