#!/usr/bin/env node
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
// Everything airlock does is finished and cleaned up once main returns; a connection the engine left
// half-open must not keep the process (and a CI job) waiting.
setTimeout(() => process.exit(), 3000).unref();
