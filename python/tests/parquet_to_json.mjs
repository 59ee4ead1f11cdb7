// Prints a Parquet file's columns as JSON ({"column": [values...]}) with the project's own reader
// (hyparquet). Debian's python3 has no Parquet reader (no pyarrow, no fastparquet), so the Python
// tests read `index export` files through this; JSON keeps every double exact (shortest round trip).
import fs from 'node:fs';
import { parquetReadObjects } from 'hyparquet';

const buf = fs.readFileSync(process.argv[2]);
const rows = await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) });
const columns = {};
for (const name of Object.keys(rows[0] ?? {})) columns[name] = rows.map((r) => (typeof r[name] === 'bigint' ? Number(r[name]) : r[name]));
process.stdout.write(JSON.stringify(columns));
