import type { Connection } from 'mongoose';

/**
 * The database server's clock in ms since the epoch (`hello.localTime`, answered by MongoDB and
 * FerretDB alike). Leases compare expiries with it, so instances whose clocks disagree still
 * agree on who holds a lease.
 */
export async function databaseNow(connection: Connection): Promise<number> {
  const hello = await connection.db!.admin().command({ hello: 1 });
  return (hello.localTime as Date).getTime();
}
