#!/usr/bin/env node
import { runBrokerCli } from './broker/cli.js';

void runBrokerCli(process.argv.slice(2));
