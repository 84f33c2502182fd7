#!/usr/bin/env node
import { main } from '../dist/main.js';

// Exit as soon as the command is done: a client that gave up at --timeout may still be retrying.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`hookstream: ${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
