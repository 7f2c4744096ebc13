/**
 * The program reads each workload account the bootstrap created, so `pulumi preview` and `pulumi up` stop with the fix
 * when the bootstrap has not run since a service or tenant was added. Under Pulumi's mocks, with the getAccount data
 * source answering as Google does for an account that exists, and failing (404) for one that does not.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import type * as IdentitiesModule from "../../infra/components/identities";
import type * as WorkloadsModule from "../../infra/workloads";

const repoRoot = path.resolve(__dirname, "../..");
const MISSING = "acme-svc-billing@acme-dev.iam.gserviceaccount.com";

// Mocks first, then the module under test, so that its data source calls reach the mocks.
const mocksReady = pulumi.runtime.setMocks(
  {
    newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
    call: (args) => {
      if (args.token !== "gcp:serviceaccount/getAccount:getAccount") throw new Error(`unexpected call ${args.token}`);
      const email = String(args.inputs.accountId);
      // What the provider reports for an account that does not exist.
      if (email === MISSING) throw new Error(`Error 404: Service account projects/acme-dev/serviceAccounts/${email} not found`);
      return { email, accountId: email.split("@")[0] };
    },
  },
  "pulsura",
  "dev",
  false,
);

const valueOf = <T>(output: pulumi.Output<T>) => new Promise<T>((resolve) => output.apply(resolve));

async function modules() {
  await mocksReady;
  return {
    ...((await import(path.join(repoRoot, "infra/components/identities.ts"))) as typeof IdentitiesModule),
    ...((await import(path.join(repoRoot, "infra/workloads.ts"))) as typeof WorkloadsModule),
  };
}

describe("workload identities", () => {
  it("use each account the bootstrap created, as Google returns it", async () => {
    const { Identities, stackWorkloadAccounts } = await modules();
    const accounts = stackWorkloadAccounts({ tenant: "acme", services: [{ name: "core" }], gcp: { project: "acme-dev" } } as never);
    const identities = new Identities("acme", { projectId: "acme-dev", accounts });
    await expect(valueOf(identities.account("hasura").email)).resolves.toBe("acme-hasura@acme-dev.iam.gserviceaccount.com");
    await expect(valueOf(identities.account("svc-core").member)).resolves.toBe("serviceAccount:acme-svc-core@acme-dev.iam.gserviceaccount.com");
  });

  // Pulumi's mocks hand the program a bare "Error" for a failed call; the real engine passes the provider's message
  // (the 404) through, which the parentheses then carry.
  it("stop with the fix when the bootstrap has not created an account yet", async () => {
    const { readWorkloadAccount } = await modules();
    await expect(readWorkloadAccount({ id: "svc-billing", email: MISSING }, "acme-dev")).rejects.toThrow(
      /^the service account acme-svc-billing@acme-dev\.iam\.gserviceaccount\.com of workload "svc-billing" cannot be read \(.+\): an administrator creates every stack's workload accounts with the bootstrap/,
    );
  });
});
