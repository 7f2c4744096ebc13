/**
 * Which Postgres roles (hasura/migrations/default/1735689600400_service_roles and later migrations) each
 * microservice's database user gets.
 * The migrations define the roles and their privileges; the deploy makes `svc_<name>` a member of its roles through
 * Hasura's run_sql (infra/dynamic/database-roles.ts), and the tests and `npm run dev` grant them the same way.
 */

/** Every service: the kit's delivery bookkeeping (processed_deliveries). */
export const BASE_SERVICE_ROLE = "pulsura_service";

/** Roles a service needs beyond the base role, by service name; a new service adds its entry with its migration. */
export const SERVICE_DATABASE_ROLES: Readonly<Record<string, readonly string[]>> = {
  // createOrganization inserts organizations and the owner membership; user_role_changed reads the current
  // users.role (1735689600800_operator_role); the files actions, push and event (1735689600900_file_uploads); the
  // export-organization job (1735689601100_background_jobs).
  core: ["pulsura_organization_writer", "pulsura_user_role_reader", "pulsura_file_manager", "pulsura_organization_exporter"],
};

/** The database user of a microservice: `svc_<name>` with dashes as underscores. */
export function serviceDatabaseUser(service: string): string {
  return `svc_${service.replace(/-/g, "_")}`;
}

/** The roles a service's database user is granted, base role first. */
export function serviceDatabaseRoles(service: string): string[] {
  return [BASE_SERVICE_ROLE, ...(SERVICE_DATABASE_ROLES[service] ?? [])];
}
