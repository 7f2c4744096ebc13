/**
 * A Postgres set up the way Cloud SQL sets one up, for the tests and `npm run dev`: nobody the stack uses is superuser.
 * Cloud SQL's API users (here `hasura` and each `svc_<name>`) are LOGIN roles with CREATEROLE and CREATEDB, members of
 * `cloudsqlsuperuser` (NOLOGIN, CREATEDB, CREATEROLE, not SUPERUSER), which owns the databases the API creates
 * (https://cloud.google.com/sql/docs/postgres/users). The migrations then run as `hasura`, as Hasura's run_sql runs them
 * at deploy, and the services' roles are granted with the SQL the deploy runs (infra/dynamic/database-roles.ts).
 */
import { roleGrantSql } from "../../infra/dynamic/database-roles";
import { serviceDatabaseRoles, serviceDatabaseUser } from "../../infra/database-roles";

/** The role Cloud SQL makes every API user a member of. */
export const CLOUD_SQL_SUPERUSER_ROLE = "cloudsqlsuperuser";
/** Hasura's database user, as the program names it (infra/index.ts). */
export const HASURA_DATABASE_USER = "hasura";

export interface LoginUser {
  name: string;
  password: string;
}

const quoteLiteral = (value: string) => `'${value.replace(/'/g, "''")}'`;

/**
 * SQL for the cluster's superuser: the Cloud SQL-like roles and users (created if missing, passwords set) and the
 * database handed to `cloudsqlsuperuser`. Idempotent, so `npm run dev` runs it on every start.
 */
export function cloudSqlLikeSetupSql(databases: string[], users: LoginUser[]): string {
  const statements = [
    `do $$ begin
       if not exists (select from pg_roles where rolname = '${CLOUD_SQL_SUPERUSER_ROLE}') then
         create role ${CLOUD_SQL_SUPERUSER_ROLE} nologin createdb createrole nosuperuser;
       end if;
     end $$;`,
    ...users.map(
      (user) => `do $$ begin
       if not exists (select from pg_roles where rolname = ${quoteLiteral(user.name)}) then
         create role "${user.name}" login createdb createrole nosuperuser in role ${CLOUD_SQL_SUPERUSER_ROLE};
       end if;
     end $$;
     alter role "${user.name}" password ${quoteLiteral(user.password)};`,
    ),
    // Only a database the superuser just made: a migrated one belongs to hasura (1735689600400_service_roles) and stays so.
    ...databases.map(
      (database) => `do $$ begin
       if (select pg_get_userbyid(datdba) from pg_database where datname = ${quoteLiteral(database)}) = current_user then
         alter database "${database}" owner to ${CLOUD_SQL_SUPERUSER_ROLE};
       end if;
     end $$;`,
    ),
  ];
  return statements.join("\n");
}

/** The grants of each service's database user (run as `hasura`, after the migrations), as the deploy runs them. */
export function serviceGrantSql(services: string[]): string {
  return roleGrantSql(services.map((service) => ({ user: serviceDatabaseUser(service), roles: serviceDatabaseRoles(service) })));
}

/** `url` with another user and password. */
export function urlAs(url: string, user: LoginUser): string {
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(user.name);
  parsed.password = encodeURIComponent(user.password);
  return parsed.toString();
}
