import { loadConfig } from '../lib/config';
import { ensureDatabase, migrate } from '../lib/migrate';

const config = loadConfig();
const created = await ensureDatabase(config.DATABASE_URL);
if (created) console.log(`created database ${new URL(config.DATABASE_URL).pathname.slice(1)}`);
const applied = await migrate(config.DATABASE_URL);
console.log(applied.length ? `applied ${applied.map((m) => m.name).join(', ')}` : 'schema up to date');
