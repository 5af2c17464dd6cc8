/**
 * Flow log files in Apache Parquet (a flow log with `FileFormat` parquet): one column per field
 * of the flow log's format, named as AWS names them (`account_id`, `pkt_srcaddr`: hyphens
 * become underscores), with AWS's types (INT_32: version, ports, protocol, tcp-flags,
 * traffic-path; INT_64: packets, bytes, start, end; STRING: the rest), GZIP-compressed pages.
 * A field with no value for a record (`-` in plain text) is null.
 */
import { parquetWriteBuffer } from 'hyparquet-writer';
import { gzipSync } from 'node:zlib';
import { compileFormat, type FlowRecord } from './flow-records.js';

const INT32 = new Set(['version', 'srcport', 'dstport', 'protocol', 'tcp-flags', 'traffic-path']);
const INT64 = new Set(['packets', 'bytes', 'start', 'end']);

/** The column of a field in a Parquet file. */
export function parquetColumnName(field: string): string {
  return field.replace(/-/g, '_');
}

type ColumnType = 'INT32' | 'INT64' | 'STRING';

function columnType(field: string): ColumnType {
  return INT32.has(field) ? 'INT32' : INT64.has(field) ? 'INT64' : 'STRING';
}

/** A field's value as its column holds it: from the field's text, null for `-`. */
function columnValue(text: string, type: ColumnType): string | number | bigint | null {
  if (text === '-') return null;
  return type === 'STRING' ? text : type === 'INT32' ? Number(text) : BigInt(text);
}

/** The Parquet file of records (in the order given) in a flow log's fields, of format `version`. */
export function parquetFile(fields: readonly string[], version: number, records: readonly FlowRecord[]): Buffer {
  const seen = new Set<string>();
  const columnData = [];
  for (const field of fields) {
    // A field named twice in the format is one column.
    if (seen.has(field)) continue;
    seen.add(field);
    const type = columnType(field);
    const data = new Array<string | number | bigint | null>(records.length);
    if (field === 'version') data.fill(version);
    else {
      const fmt = compileFormat([field]);
      for (let i = 0; i < records.length; i++) data[i] = columnValue(fmt.format(records[i]!), type);
    }
    columnData.push({ name: parquetColumnName(field), data, type, nullable: field !== 'version' });
  }
  const out = parquetWriteBuffer({ columnData, codec: 'GZIP', compressors: { GZIP: (b: Uint8Array) => gzipSync(b) } });
  return Buffer.from(out);
}
