import { describe, expect, it } from "vitest";
import { findTransactionControl } from "../../../infra/dynamic/sql-transaction-control";

describe("findTransactionControl", () => {
  it("finds top-level BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK and ABORT with their lines", () => {
    const sql = [
      "BEGIN;",
      "create table a (id int);",
      "commit;",
      "start transaction isolation level serializable;",
      "end;",
      "rollback; abort;",
      "prepare transaction 'x';",
    ].join("\n");

    expect(findTransactionControl(sql)).toEqual([
      { statement: "BEGIN", line: 1 },
      { statement: "COMMIT", line: 3 },
      { statement: "START TRANSACTION", line: 4 },
      { statement: "END", line: 5 },
      { statement: "ROLLBACK", line: 6 },
      { statement: "ABORT", line: 6 },
      { statement: "PREPARE TRANSACTION", line: 7 },
    ]);
  });

  it("ignores BEGIN and END inside dollar-quoted function bodies and DO blocks", () => {
    const sql = `
create function touch() returns trigger language plpgsql as $$
begin
  new.updated_at = now();
  return new;
end;
$$;
do $body$ begin perform 1; end $body$;
create function f() returns int language plpgsql as $fn$ begin return 1; end; $fn$;
`;
    expect(findTransactionControl(sql)).toEqual([]);
  });

  it("ignores comments, strings, quoted identifiers and savepoint rollbacks", () => {
    const sql = `
-- commit;
/* begin; /* nested */ commit; */
insert into notes values ('commit; begin;'), (E'it\\'s; commit;');
create table "commit;" (id int);
savepoint s1;
rollback to savepoint s1;
`;
    expect(findTransactionControl(sql)).toEqual([]);
  });

  it("ignores the END of a SQL-standard BEGIN ATOMIC body but not a COMMIT after it", () => {
    const sql = `
create function one() returns int language sql
begin atomic
  select 1;
end;
commit;
`;
    expect(findTransactionControl(sql)).toEqual([{ statement: "COMMIT", line: 6 }]);
  });
});
