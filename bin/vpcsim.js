#!/usr/bin/env -S node --max-semi-space-size=128 --min-semi-space-size=128
// The young generation's semi-spaces at 128 MiB from the start (V8 starts small and grows to 16
// at most): simulated traffic makes many objects that live for a batch, and a small young
// generation copies them over and over (docs/benchmarks.md, "Simulated traffic"). It costs
// about 150 MiB more memory once traffic has run. `npm start` passes the same flags.
import { main } from '../dist/src/cli.js';

main(process.argv.slice(2)).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
