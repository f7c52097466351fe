/**
 * A parser for go.mod that keeps what airlock needs: the module path, the go and toolchain lines,
 * requirements and replacements. It follows the go.mod grammar (line comments, blocks, quoted strings);
 * anything it cannot read is an error that names the line.
 */
import { LineSyntaxError } from './line-syntax-error.js';

export interface GoModRequire {
  path: string;
  version: string;
  indirect: boolean;
}

export interface GoModReplace {
  oldPath: string;
  oldVersion?: string;
  newPath: string;
  newVersion?: string;
}

export interface GoMod {
  module: string;
  go?: string;
  toolchain?: string;
  require: GoModRequire[];
  replace: GoModReplace[];
  exclude: Array<{ path: string; version: string }>;
}

export class GoModSyntaxError extends LineSyntaxError {}

interface Line {
  number: number;
  tokens: string[];
  comment: string;
}

function tokenize(text: string, lineNumber: number): { tokens: string[]; comment: string } {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\r') {
      i++;
    } else if (text.startsWith('//', i)) {
      return { tokens, comment: text.slice(i + 2).trim() };
    } else if (ch === '"') {
      let j = i + 1;
      let value = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < text.length) {
          value += text[j + 1];
          j += 2;
        } else {
          value += text[j];
          j++;
        }
      }
      if (j >= text.length) throw new GoModSyntaxError(lineNumber, 'unterminated quoted string');
      tokens.push(value);
      i = j + 1;
    } else if (ch === '`') {
      const end = text.indexOf('`', i + 1);
      if (end < 0) throw new GoModSyntaxError(lineNumber, 'unterminated raw string');
      tokens.push(text.slice(i + 1, end));
      i = end + 1;
    } else if (ch === '(' || ch === ')') {
      tokens.push(ch);
      i++;
    } else {
      let j = i;
      while (j < text.length && !' \t\r"`()'.includes(text[j]!) && !text.startsWith('//', j)) j++;
      tokens.push(text.slice(i, j));
      i = j;
    }
  }
  return { tokens, comment: '' };
}

const VERSION = /^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
const GO_VERSION = /^1(\.\d+){1,2}((rc|beta)\d+)?$/;

export function parseGoMod(source: string): GoMod {
  const lines: Line[] = source.split('\n').map((text, index) => ({ number: index + 1, ...tokenize(text, index + 1) }));
  const mod: GoMod = { module: '', require: [], replace: [], exclude: [] };
  let block: { verb: string; line: number } | undefined;

  const apply = (verb: string, args: string[], line: Line): void => {
    const fail = (message: string): never => {
      throw new GoModSyntaxError(line.number, message);
    };
    switch (verb) {
      case 'module':
        if (args.length !== 1) fail('usage: module module/path');
        mod.module = args[0]!;
        break;
      case 'go':
        if (args.length !== 1 || !GO_VERSION.test(args[0]!)) fail(`invalid go version ${JSON.stringify(args.join(' '))}: must match format 1.23.0`);
        mod.go = args[0]!;
        break;
      case 'toolchain':
        if (args.length !== 1 || !/^go1(\.\d+){1,2}/.test(args[0]!) && args[0] !== 'default') fail('usage: toolchain go1.23.0');
        mod.toolchain = args[0]!;
        break;
      case 'require':
      case 'exclude': {
        if (args.length !== 2) fail(`usage: ${verb} module/path v1.2.3`);
        if (!VERSION.test(args[1]!)) fail(`invalid version ${JSON.stringify(args[1])} for ${args[0]}`);
        if (verb === 'require') {
          mod.require.push({ path: args[0]!, version: args[1]!, indirect: /^indirect(;|$)/.test(line.comment) });
        } else {
          mod.exclude.push({ path: args[0]!, version: args[1]! });
        }
        break;
      }
      case 'replace': {
        const arrow = args.indexOf('=>');
        if (arrow < 1 || arrow > 2 || args.length - arrow - 1 < 1 || args.length - arrow - 1 > 2) {
          fail('usage: replace module/path [v1.2.3] => other/module v1.4 or => ../local/directory');
        }
        const replace: GoModReplace = { oldPath: args[0]!, newPath: args[arrow + 1]! };
        if (arrow === 2) replace.oldVersion = args[1]!;
        if (args.length - arrow - 1 === 2) replace.newVersion = args[arrow + 2]!;
        mod.replace.push(replace);
        break;
      }
      case 'retract':
      case 'godebug':
      case 'tool':
      case 'ignore':
        break;
      default:
        fail(`unknown directive: ${verb}`);
    }
  };

  for (const line of lines) {
    if (line.tokens.length === 0) continue;
    if (block) {
      if (line.tokens.length === 1 && line.tokens[0] === ')') {
        block = undefined;
        continue;
      }
      apply(block.verb, line.tokens, line);
      continue;
    }
    const [verb, ...args] = line.tokens as [string, ...string[]];
    if (args.length === 2 && args[0] === '(' && args[1] === ')') continue;
    if (args.length === 1 && args[0] === '(') {
      block = { verb, line: line.number };
      continue;
    }
    if (args.includes('(') || args.includes(')')) throw new GoModSyntaxError(line.number, 'unexpected parenthesis');
    apply(verb, args, line);
  }
  if (block) throw new GoModSyntaxError(block.line, `unterminated ${block.verb} block`);
  if (mod.module === '') throw new GoModSyntaxError(1, 'no module directive');
  return mod;
}
