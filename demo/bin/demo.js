#!/usr/bin/env node
import { demoMain } from '../dist/main.js';

process.exitCode = await demoMain(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  isTTY: process.stdout.isTTY === true,
  env: process.env,
});
