/**
 * Reads one `strace -f -qq` log of test/seccomp/measure-tests.sh and writes what the measurement keeps of it:
 *
 *   node build/test/seccomp/analyse-trace.js LOG PROFILE.json NAMES DROPPED BEYOND
 *
 *   NAMES    every syscall name the traced processes called, one a line, sorted: a name counts when at least
 *            one of its calls returned (exit and exit_group never do). strace 6.1 sometimes prints a value from
 *            another thread's registers as the number of a call that a concurrent exit_group interrupts
 *            (seen: syscall_0x28a, syscall_0x7f273f200000, and once a valid number, timerfd_settime, with no
 *            timerfd_create anywhere); such a call never returns, so a name whose every call was cut off is
 *            not counted.
 *   DROPPED  those names, each with its first line, for the report (a real call that was cut off every time
 *            would show here too: a person decides).
 *   BEYOND   "name<TAB>program" for every counted name PROFILE does not allow, sorted and unique: which program
 *            made it (a test binary, the go command, vet, ...). A process's program is the last file it
 *            executed, or its parent's when it was cloned (threads, and children before they exec).
 */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { SeccompProfile } from './seccomp-profile.js';

const [logFile, profileFile, namesFile, droppedFile, beyondFile] = process.argv.slice(2);
if (!logFile || !profileFile || !namesFile || !droppedFile || !beyondFile) {
  console.error('usage: analyse-trace.js STRACE_LOG PROFILE.json NAMES_OUT DROPPED_OUT BEYOND_OUT');
  process.exit(2);
}
const profile = JSON.parse(fs.readFileSync(profileFile, 'utf8')) as SeccompProfile;
const allowed = new Set(profile.syscalls.filter((rule) => rule.action === 'SCMP_ACT_ALLOW').flatMap((rule) => rule.names));

/** A call's start ("PID name(") or its resumption ("PID <... name resumed>"), then the rest of the line. */
const CALL = /^(\d+) +(?:<\.\.\. ([a-z_][a-z0-9_]*) resumed>|([a-z_][a-z0-9_]*)\()(.*)$/;
const NEVER_RETURN = new Set(['exit', 'exit_group']);
const SPAWN = new Set(['clone', 'clone3', 'fork', 'vfork']);

/** The return value of a finished call's line ("... = 3", "... = -1 ENOENT (...)"), or undefined (unfinished, or "= ?"). */
function returned(rest: string): string | undefined {
  if (rest.endsWith('<unfinished ...>')) return undefined;
  // strace pads between the arguments and "= ": the last ")   = " on the line ends the arguments.
  const last = [...rest.matchAll(/\) += /g)].at(-1);
  if (last?.index === undefined) return undefined;
  const tail = rest.slice(last.index + last[0].length);
  // "= ? ERESTARTSYS (To be restarted ...)": the call ran and a signal interrupted it; a bare "= ?" never returned.
  if (tail.startsWith('?')) return /^\? ERESTART/.test(tail) ? '?' : undefined;
  const value = tail.split(' ')[0];
  return value === undefined || value === '' ? undefined : value;
}

const parent = new Map<number, number>();
const firstSeen = new Map<number, number>();
const execs = new Map<number, Array<{ index: number; program: string }>>();
const pendingExec = new Map<number, string>();
const called = new Map<string, string>();
const returning = new Set<string>();
const beyond: Array<{ index: number; pid: number; name: string }> = [];

let index = 0;
const lines = readline.createInterface({ input: fs.createReadStream(logFile), crlfDelay: Infinity });
for await (const line of lines) {
  index++;
  const match = CALL.exec(line);
  if (!match) continue;
  const pid = Number(match[1]);
  if (!firstSeen.has(pid)) firstSeen.set(pid, index);
  const resumed = match[2];
  const name = (resumed ?? match[3])!;
  const rest = match[4]!;
  if (resumed === undefined) {
    if (!called.has(name)) called.set(name, line);
    if (!allowed.has(name)) beyond.push({ index, pid, name });
  }
  const result = returned(rest);
  if (result !== undefined || NEVER_RETURN.has(name)) returning.add(name);
  if (name === 'execve') {
    if (resumed === undefined) {
      const file = /^"([^"]*)"/.exec(rest)?.[1];
      if (file !== undefined) pendingExec.set(pid, file);
    }
    if (result === '0' && pendingExec.has(pid)) {
      const list = execs.get(pid) ?? [];
      list.push({ index, program: pendingExec.get(pid)! });
      execs.set(pid, list);
    }
  } else if (SPAWN.has(name) && result !== undefined && /^\d+$/.test(result)) {
    const child = Number(result);
    if (child > 0 && !parent.has(child)) parent.set(child, pid);
  }
}

function programAt(pid: number, at: number, depth = 0): string {
  const own = (execs.get(pid) ?? []).filter((exec) => exec.index <= at).at(-1);
  if (own) return own.program;
  const up = parent.get(pid);
  if (up === undefined || depth > 64) return 'unknown';
  return programAt(up, firstSeen.get(pid) ?? at, depth + 1);
}

/** Tools and test binaries by their name (go-build directories are random); anything else by its path, digits runs folded. */
function short(program: string): string {
  if (program.startsWith('/usr/local/go/')) return path.basename(program);
  if (/\/go-build\d+\/b\d+\//.test(program)) return path.basename(program);
  return program.replace(/\d{6,}/g, 'N');
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const names = [...called.keys()].filter((name) => returning.has(name)).sort(byName);
const dropped = [...called.keys()].filter((name) => !returning.has(name)).sort(byName);
const counted = new Set(names);
const attributed = new Set(beyond.filter((call) => counted.has(call.name)).map((call) => `${call.name}\t${short(programAt(call.pid, call.index))}`));

const text = (list: Iterable<string>): string => [...list].map((entry) => `${entry}\n`).join('');
fs.writeFileSync(namesFile, text(names));
fs.writeFileSync(droppedFile, text(dropped.map((name) => `${name}: ${called.get(name)}`)));
fs.writeFileSync(beyondFile, text([...attributed].sort(byName)));
