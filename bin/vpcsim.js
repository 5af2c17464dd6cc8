#!/usr/bin/env -S node --max-semi-space-size=128
// The young generation's semi-spaces at 128 MiB (V8's default is 16): simulated traffic makes
// many objects that live for a batch, and a small young generation copies them over and over
// (docs/benchmarks.md, "Simulated traffic"). `npm start` passes the same flag.
import { main } from '../dist/src/cli.js';

main(process.argv.slice(2)).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
