/**
 * The one thing {@link PostgresStore} needs of a database client: a parameterised query that
 * resolves to its rows. A `pg` `Pool` or `Client` fits, and so does a PGlite instance.
 * @example
 * new PostgresStore({ client: new pg.Pool({ connectionString }) })
 * new PostgresStore({ client: new PGlite('./data/keyward') })
 */
export interface Queryable {
	query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>
}
