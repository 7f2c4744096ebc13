/**
 * `HasuraDatabaseRoles`: makes each microservice's database user a member of the roles the migrations define
 * (`GRANT pulsura_service TO svc_core`), through Hasura's `/v2/query` run_sql, so the grant comes from the program and
 * no one opens the database by hand. Hasura's user created the roles in a migration, so it holds ADMIN OPTION on them
 * (PostgreSQL 16+ grants a role's creator that: https://www.postgresql.org/docs/17/sql-createrole.html).
 *
 * Create it after `HasuraMigrations` (the roles exist then) and after the `gcp.sql.User`s (the users exist then).
 * `GRANT` of a membership a user already has only notices, so applying twice is harmless. A role it no longer lists is
 * revoked on update; deleting the resource leaves the memberships (the users are abandoned with the stack).
 */
import * as pulumi from "@pulumi/pulumi";
import { redactSecret, runSql, waitForHealthy } from "./hasura-api";
import type { HasuraConnection, HealthCheckOptions } from "./hasura-api";
import { connectionFailures, errorText } from "./provider-inputs";

/** One database user and the roles it is granted. */
export interface RoleGrant {
  user: string;
  roles: string[];
}

export interface HasuraDatabaseRolesInputs {
  endpoint: string;
  adminSecret: string;
  source: string;
  grants: RoleGrant[];
  healthCheck?: HealthCheckOptions;
}

export interface HasuraDatabaseRolesOutputs {
  endpoint: string;
  source: string;
  grants: RoleGrant[];
}

const identifierPattern = /^[a-z_][a-z0-9_]{0,62}$/;

/** A Postgres identifier in double quotes (names are also checked against {@link identifierPattern}). */
function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The SQL that grants every listed role to its user; tests and `npm run dev` run the same statements. */
export function roleGrantSql(grants: ReadonlyArray<RoleGrant>): string {
  return grants
    .filter((grant) => grant.roles.length > 0)
    .map((grant) => `grant ${grant.roles.map(quoteIdentifier).join(", ")} to ${quoteIdentifier(grant.user)};`)
    .join("\n");
}

/** The SQL that revokes the memberships `before` had and `after` no longer lists. */
export function roleRevokeSql(before: ReadonlyArray<RoleGrant>, after: ReadonlyArray<RoleGrant>): string {
  const kept = new Set(after.flatMap((grant) => grant.roles.map((role) => `${grant.user}\u0000${role}`)));
  const revoked = before
    .map((grant) => ({ user: grant.user, roles: grant.roles.filter((role) => !kept.has(`${grant.user}\u0000${role}`)) }))
    .filter((grant) => grant.roles.length > 0);
  // A user that is gone already (its sql.User was deleted first) has nothing left to revoke.
  return revoked
    .map(
      (grant) =>
        `do $$ begin if exists (select from pg_roles where rolname = '${grant.user}') then ` +
        `revoke ${grant.roles.map(quoteIdentifier).join(", ")} from ${quoteIdentifier(grant.user)}; end if; end $$;`,
    )
    .join("\n");
}

function grantFailures(grants: unknown): pulumi.dynamic.CheckFailure[] {
  if (!Array.isArray(grants)) return [{ property: "grants", reason: "grants must be a list of { user, roles }" }];
  const failures: pulumi.dynamic.CheckFailure[] = [];
  for (const [index, grant] of (grants as Partial<RoleGrant>[]).entries()) {
    const names = [grant?.user, ...(Array.isArray(grant?.roles) ? grant.roles : [undefined])];
    for (const name of names) {
      if (typeof name !== "string" || !identifierPattern.test(name)) {
        failures.push({ property: `grants[${index}]`, reason: `${JSON.stringify(name)} is not a lower-case Postgres identifier` });
      }
    }
  }
  return failures;
}

async function applyGrants(inputs: HasuraDatabaseRolesInputs, revokeSql = ""): Promise<HasuraDatabaseRolesOutputs> {
  const connection: HasuraConnection = { endpoint: inputs.endpoint, adminSecret: inputs.adminSecret };
  await waitForHealthy(inputs.endpoint, inputs.healthCheck);
  const sql = [revokeSql, roleGrantSql(inputs.grants)].filter((part) => part !== "").join("\n");
  try {
    if (sql !== "") await runSql(connection, sql, { source: inputs.source });
  } catch (error) {
    throw new Error(redactSecret(`Granting the services' database roles failed; nothing was granted.\n${errorText(error)}`, inputs.adminSecret));
  }
  return { endpoint: inputs.endpoint, source: inputs.source, grants: inputs.grants };
}

/** The provider; serialized with what it captures, like the migrations provider (see ./migrations.ts). */
export const databaseRolesProvider: pulumi.dynamic.ResourceProvider<HasuraDatabaseRolesInputs, HasuraDatabaseRolesOutputs> = {
  check: async (_olds, news) => ({ inputs: news, failures: [...connectionFailures(news), ...grantFailures(news.grants)] }),

  diff: async (_id, olds, news) => ({
    changes: news.endpoint !== olds.endpoint || news.source !== olds.source || roleGrantSql(news.grants) !== roleGrantSql(olds.grants ?? []),
  }),

  create: async (inputs) => ({ id: `database-roles/${inputs.source}`, outs: await applyGrants(inputs) }),

  update: async (_id, olds, news) => ({ outs: await applyGrants(news, roleRevokeSql(olds.grants ?? [], news.grants)) }),

  // The outputs hold no admin secret to call Hasura with, and the users are abandoned with the stack (database.ts):
  // removing the resource only stops managing the memberships.
  delete: async () => {},
};

export interface HasuraDatabaseRolesArgs {
  /** Base URL of the Hasura engine (not the /v1/graphql URL). */
  endpoint: pulumi.Input<string>;
  /** The engine's admin secret. Stored as a Pulumi secret whatever is passed. */
  adminSecret: pulumi.Input<string>;
  /** Each database user and its roles, e.g. `{ user: "svc_core", roles: ["pulsura_service", ...] }`. */
  grants: RoleGrant[];
  /** The Hasura database source whose database the roles are used in. @default "default" */
  source?: string;
  /** How long to wait for `/healthz` before granting. @default as HasuraMigrations */
  healthCheck?: HealthCheckOptions;
}

/** Grants the services' database roles at deploy time. Type token `pulumi-nodejs:dynamic/pulsura:HasuraDatabaseRoles`. */
export class HasuraDatabaseRoles extends pulumi.dynamic.Resource {
  constructor(name: string, args: HasuraDatabaseRolesArgs, opts?: pulumi.CustomResourceOptions) {
    const failures = grantFailures(args.grants);
    if (failures.length > 0) {
      throw new Error(`HasuraDatabaseRoles ${name}: ${failures.map((failure) => `${failure.property}: ${failure.reason}`).join("; ")}`);
    }
    super(
      databaseRolesProvider,
      name,
      { endpoint: args.endpoint, adminSecret: pulumi.secret(args.adminSecret), source: args.source ?? "default", grants: args.grants, healthCheck: args.healthCheck },
      opts,
      "pulsura",
      "HasuraDatabaseRoles",
    );
  }
}
