import { describe, expect, it } from "vitest";
import { runPolicies } from "../../policy/offline";
import { projectPolicies } from "../../policy/rules/project";
import { resource } from "./support";

const policy = (name: string) => [projectPolicies.find((p) => p.name === name)!];

describe("api-kept-on-destroy", () => {
  it("passes an API that stays enabled on destroy", async () => {
    const api = resource("gcp:projects/service:Service", { service: "run.googleapis.com", disableOnDestroy: false, disableDependentServices: false });
    expect(await runPolicies([api], "prod", policy("api-kept-on-destroy"))).toEqual([]);
  });

  it("fails an API left to the provider default or disabling dependents", async () => {
    const api = resource("gcp:projects/service:Service", { service: "run.googleapis.com", disableDependentServices: true });
    const violations = await runPolicies([api], "prod", policy("api-kept-on-destroy"));
    expect(violations.map((v) => v.message)).toEqual([
      "API run.googleapis.com must set disableOnDestroy: false",
      "API run.googleapis.com must not disable dependent services",
    ]);
    expect(violations[0]).toMatchObject({ policy: "api-kept-on-destroy", enforcement: "mandatory", urn: api.urn });
  });
});

describe("api-enabled-before-use", () => {
  const sqlApi = resource("gcp:projects/service:Service", { service: "sqladmin.googleapis.com", disableOnDestroy: false });

  it("passes a resource that depends on its API", async () => {
    const instance = resource("gcp:sql/databaseInstance:DatabaseInstance", {}, { dependencies: [sqlApi.urn] });
    expect(await runPolicies([sqlApi, instance], "prod", policy("api-enabled-before-use"))).toEqual([]);
  });

  it("fails a resource that could be created before its API is on", async () => {
    const instance = resource("gcp:sql/databaseInstance:DatabaseInstance", {}, { name: "db" });
    const violations = await runPolicies([sqlApi, instance], "prod", policy("api-enabled-before-use"));
    expect(violations).toEqual([
      { policy: "api-enabled-before-use", enforcement: "mandatory", urn: instance.urn, message: 'gcp:sql/databaseInstance:DatabaseInstance "db" does not depend on the sqladmin.googleapis.com API being enabled' },
    ]);
  });
});
