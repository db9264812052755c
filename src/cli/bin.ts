#!/usr/bin/env node
// The `btfsnoop` executable: runs the CLI on this process's arguments.
import { hideBin } from "yargs/helpers";
import { main } from "./main.js";

process.exitCode = await main(hideBin(process.argv));
