import { startPostgres } from './helpers/postgres.js';
const pg = await startPostgres();
const url = await pg.createDatabase();
console.log(url);
console.log(pg.dir);
await new Promise((r) => setTimeout(r, 3600_000));
