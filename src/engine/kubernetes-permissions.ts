/**
 * What the identity that drives builds must be allowed in its namespace, one access check each, and the
 * words for what is missing. Pure; kubernetes-connect.ts asks the API server (SelfSubjectAccessReview).
 */
export interface Permission {
  verb: string;
  resource: string;
  subresource?: string;
  group?: string;
}

/**
 * Every request a build makes. Exec and attach are WebSocket upgrades, which the API server authorises as
 * `get` (and, from 1.35 with AuthorizePodWebsocketUpgradeCreatePermission, `create` too): both are asked for.
 * pods/log is left out: it is read only to explain a fill that failed.
 */
export const REQUIRED_PERMISSIONS: readonly Permission[] = [
  ...['create', 'get', 'list', 'delete'].map((verb) => ({ verb, resource: 'pods' })),
  ...['get', 'create'].flatMap((verb) => ['attach', 'exec'].map((subresource) => ({ verb, resource: 'pods', subresource }))),
  ...['create', 'delete'].map((verb) => ({ verb, resource: 'networkpolicies', group: 'networking.k8s.io' })),
];

export function permissionName(permission: Permission): string {
  return `${permission.verb} ${permission.resource}${permission.subresource ? `/${permission.subresource}` : ''}`;
}
