/** The smallest Go toolchain airlock accepts, as a golang.org/toolchain module zip and as an official-style .tar.gz. */
import { type TarEntryInput, type ZipEntryInput, makeTar, makeZip } from './archives.js';

export const TOOLCHAIN_MODULE_PREFIX = 'golang.org/toolchain@v0.0.1-go1.26.8.linux-amd64/';

/** GOROOT-relative files: what readToolchainTree needs (VERSION, one pkg/tool directory) and a go.mod. */
export const TOOLCHAIN_TREE: Readonly<Record<string, string>> = {
  VERSION: 'go1.26.8\ntime 2026-01-01T00:00:00Z\n',
  'bin/go': '#!/bin/sh\n',
  'pkg/tool/linux_amd64/compile': 'compile',
  'src/go.mod': 'module std\n',
  'src/internal/platform/zosarch.go': 'package platform\n',
};

/** The module zip spells every go.mod as _go.mod. */
const toModuleName = (name: string) => name.replace(/(^|\/)go\.mod$/, '$1_go.mod');

export function toolchainZipEntries(): ZipEntryInput[] {
  return Object.entries(TOOLCHAIN_TREE).map(([name, data]) => ({ name: TOOLCHAIN_MODULE_PREFIX + toModuleName(name), data }));
}

export function toolchainTarEntries(): TarEntryInput[] {
  return [{ name: 'go/', type: 'directory' }, ...Object.entries(TOOLCHAIN_TREE).map(([name, data]) => ({ name: `go/${name}`, data }))];
}

export const toolchainModuleZip = (): Buffer => makeZip(toolchainZipEntries());
export const toolchainTar = (): Promise<Buffer> => makeTar(toolchainTarEntries());
