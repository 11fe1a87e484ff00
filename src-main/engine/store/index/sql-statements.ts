/**
 * Prepared statements of the index database (index-db.ts), kept for reuse: the worker runs the same few statements
 * thousands of times a second, and preparing one costs more than running it.
 */
import type { Database, SqlValue, Statement } from 'sql.js';

export class SqlStatements {
  private readonly statements = new Map<string, Statement>();

  constructor(readonly db: Database) {}

  private statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  all(sql: string, params: SqlValue[]): SqlValue[][] {
    return allRows(this.statement(sql), params);
  }

  first(sql: string, params: SqlValue[]): SqlValue[] | undefined {
    return firstRow(this.statement(sql), params);
  }

  /** Returns the rows it changed. */
  run(sql: string, params: SqlValue[]): number {
    this.statement(sql).run(params);
    return this.db.getRowsModified();
  }

  /** Frees the statements on `table` (before it is dropped). */
  forgetTable(table: string): void {
    for (const [sql, statement] of this.statements) {
      if (sql.includes(` ${table}`)) {
        statement.free();
        this.statements.delete(sql);
      }
    }
  }

  freeAll(): void {
    for (const statement of this.statements.values()) statement.free();
    this.statements.clear();
  }
}

/** Runs a prepared statement to completion and returns its rows; it is reset for the next use. */
export function allRows(statement: Statement, params: SqlValue[]): SqlValue[][] {
  try {
    statement.bind(params);
    const rows: SqlValue[][] = [];
    while (statement.step()) rows.push(statement.get());
    return rows;
  } finally {
    statement.reset();
  }
}

/** Runs a prepared statement to its first row, if any; it is reset for the next use. */
export function firstRow(statement: Statement, params: SqlValue[]): SqlValue[] | undefined {
  try {
    statement.bind(params);
    return statement.step() ? statement.get() : undefined;
  } finally {
    statement.reset();
  }
}
