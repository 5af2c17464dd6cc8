import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { operationsDoc } from './operations-doc.js';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'operations.md');
writeFileSync(out, operationsDoc());
console.log(`wrote ${out}`);
