/**
 * Who calls whom, as the program reads it from the targets' internal routes (infra/service-calls.ts), on a scratch tree.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callersOf, internalRouteCallers, stackServiceCallers } from "../../infra/service-calls";

let root: string;
const route = (service: string, name: string, source: string) => {
  fs.mkdirSync(path.join(root, "services", service, "src", "internal"), { recursive: true });
  fs.writeFileSync(path.join(root, "services", service, "src", "internal", `${name}.ts`), source);
};

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "pulsura-service-calls-"));
  route("billing", "charge", 'import { defineInternal } from "@pulsura/kit";\nexport default defineInternal({ callers: ["core", "reports"], handler: () => ({}) });\n');
  route("billing", "refund", 'export default defineInternal({ callers: ["core"] as const, input: z.object({}), handler: () => ({}) });\n');
  route("billing", "_shared", "export const notARoute = 1;\n");
  route("reports", "totals", 'export default defineInternal({ callers: ["billing"], handler: () => ({}) });\n');
});

afterAll(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe("internal route callers", () => {
  it("reads each route's literal callers, leaving helpers (_*.ts) out", () => {
    expect(internalRouteCallers("billing", root)).toEqual({ charge: ["core", "reports"], refund: ["core"] });
    expect(internalRouteCallers("core", root)).toEqual({});
  });

  it("gives each deployed service the deployed services it admits, once each", () => {
    expect(stackServiceCallers(["core", "billing", "reports"], root)).toEqual({ core: [], billing: ["core", "reports"], reports: ["billing"] });
    // A caller the stack does not deploy gets no binding.
    expect(stackServiceCallers(["core", "billing"], root)).toEqual({ core: [], billing: ["core"] });
  });

  it("refuses callers that are not a literal list of names, naming the file", () => {
    expect(() => callersOf("export default defineInternal({ callers: allowed, handler });", "services/x/src/internal/y.ts")).toThrow(
      /services\/x\/src\/internal\/y\.ts: callers must be a literal list/,
    );
    expect(() => callersOf("export default 1;", "services/x/src/internal/z.ts")).toThrow(/no defineInternal/);
  });
});
