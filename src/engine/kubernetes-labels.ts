import { createHash } from 'node:crypto';

/**
 * Labels as Kubernetes takes them. airlock's label values are free text on Docker (an owner "host/1234", a
 * 64-digit digest); a Kubernetes label value is at most 63 characters of [A-Za-z0-9._-], beginning and ending
 * with a letter or digit. Pure, so the same label always maps to the same value and a selector finds it.
 */
const MAX_VALUE = 63;
const VALID_VALUE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/;

/** A valid label value: the value itself when it is one, else a readable part of it and a digest of all of it. */
export function labelValue(value: string): string {
  if (VALID_VALUE.test(value)) return value;
  const digest = createHash('sha256').update(value).digest('hex').slice(0, 10);
  const readable = value
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, MAX_VALUE - digest.length - 1)
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/[^A-Za-z0-9]+$/, '');
  return readable === '' ? digest : `${readable}-${digest}`;
}

/** Every value made valid; the keys are airlock's own (`airlock.run`, ...), valid as they are. */
export function kubernetesLabels(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).map(([key, value]) => [key, labelValue(value)]));
}

/** An equality selector matching every label given (values made valid the same way). */
export function labelSelector(labels: Record<string, string>): string {
  return Object.entries(kubernetesLabels(labels))
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

/** Whether an object's labels hold every label asked for, compared as Kubernetes stores them. */
export function matchesLabels(objectLabels: Record<string, string>, wanted: Record<string, string>): boolean {
  return Object.entries(kubernetesLabels(wanted)).every(([key, value]) => objectLabels[key] !== undefined && labelValue(objectLabels[key]) === value);
}
