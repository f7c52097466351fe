import fs from 'node:fs/promises';
import path from 'node:path';
import { packageRoot } from '../util/package-root.js';
import type { SandboxTemplate } from './image-spec.js';

export async function loadSandboxTemplate(directory = path.join(packageRoot(), 'templates', 'sandbox')): Promise<SandboxTemplate> {
  const read = (name: string) => fs.readFile(path.join(directory, name), 'utf8');
  const [dockerfile, passwd, group] = await Promise.all([read('Dockerfile'), read('passwd'), read('group')]);
  return { dockerfile, passwd, group };
}
