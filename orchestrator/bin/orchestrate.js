#!/usr/bin/env node
// The `orchestrate` command: runs the TypeScript sources through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
const { entry } = await import('../src/cli.ts');
await entry();
