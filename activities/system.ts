import type { Sql } from '../lib/db';

export function createSystemActivities(sql: Sql) {
  return {
    async databaseTime(): Promise<string> {
      const [row] = await sql<{ now: Date }[]>`select now() as now`;
      return row!.now.toISOString();
    },
  };
}
export type SystemActivities = ReturnType<typeof createSystemActivities>;
