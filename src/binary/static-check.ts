/**
 * Decides whether an executable runs without a dynamic loader or host C libraries.
 *
 * ELF answers from its own structure (no PT_INTERP, no DT_NEEDED). PE and Mach-O executables always
 * load system libraries (kernel32.dll, libSystem), so the question there is whether Go linked any C code,
 * which only the binary's own build info can answer: it must record CGO_ENABLED=0.
 */
import { oneLine } from '../errors.js';
import { inspectElfLinkage } from './elf-linkage.js';
import { type ExecutableFormat, detectExecutableFormat } from './executable-format.js';
import { buildSetting, readGoBuildInfo } from './go-buildinfo.js';

export interface StaticCheckResult {
  format: ExecutableFormat;
  static: boolean;
  /** Why the executable is not static; absent when it is. */
  reason?: string;
}

export function checkStaticExecutable(bytes: Uint8Array): StaticCheckResult {
  const format = detectExecutableFormat(bytes);
  switch (format) {
    case 'unknown':
      return { format, static: false, reason: 'not an ELF, PE or Mach-O executable' };
    case 'elf': {
      const { interpreter, needed } = inspectElfLinkage(bytes);
      if (interpreter === null && needed.length === 0) return { format, static: true };
      const parts: string[] = [];
      if (interpreter !== null) parts.push(`needs the program interpreter ${interpreter}`);
      if (needed.length > 0) parts.push(`needs shared libraries ${needed.join(', ')}`);
      return { format, static: false, reason: `dynamically linked: ${oneLine(parts.join('; '))}` };
    }
    case 'pe':
    case 'macho': {
      const info = readGoBuildInfo(bytes);
      if (info === null) return { format, static: false, reason: 'no Go build info found' };
      const cgo = buildSetting(info, 'CGO_ENABLED');
      if (cgo === '0') return { format, static: true };
      return {
        format,
        static: false,
        reason: cgo === undefined ? 'build info does not record CGO_ENABLED' : `build info says CGO_ENABLED=${oneLine(cgo)}`,
      };
    }
  }
}
