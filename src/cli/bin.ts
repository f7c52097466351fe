#!/usr/bin/env node
import { airlockVersion } from '../util/package-root.js';

const args = process.argv.slice(2);
if (args.length === 1 && args[0] === '--version') {
  // What scripts ask most often, answered without loading the argument parser or any command.
  process.stdout.write(`${airlockVersion()}\n`);
} else {
  const { main } = await import('./main.js');
  process.exitCode = await main(args);
  // Everything airlock does is finished and cleaned up once main returns; a connection the engine left
  // half-open must not keep the process (and a CI job) waiting.
  setTimeout(() => process.exit(), 3000).unref();
}
