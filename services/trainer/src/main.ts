#!/usr/bin/env node
import { Command } from 'commander';
import { registerTrainerCommands } from './commands.js';

const program = new Command('scam-trainer').description('Train and evaluate the scam-call KNN model.');
registerTrainerCommands(program);
await program.parseAsync();
