import test from 'ava';
import { resolveExecutor } from '../../../src/cli/executor-options.js';
import { InputError } from '../../../src/errors.js';

test('the executor: command line, then environment, then airlock.json, then docker', (t) => {
  t.deepEqual(resolveExecutor({}, {}, {}), { executor: 'docker' });
  t.deepEqual(resolveExecutor({}, {}, { executor: 'kubernetes' }), { executor: 'kubernetes', namespace: 'airlock' });
  t.deepEqual(resolveExecutor({}, { AIRLOCK_EXECUTOR: 'kubernetes' }, {}), { executor: 'kubernetes', namespace: 'airlock' });
  t.deepEqual(resolveExecutor({ executor: 'docker' }, { AIRLOCK_EXECUTOR: 'kubernetes' }, { executor: 'kubernetes' }), { executor: 'docker' });
  t.deepEqual(resolveExecutor({}, { AIRLOCK_EXECUTOR: 'docker' }, { executor: 'kubernetes' }), { executor: 'docker' });
  t.deepEqual(resolveExecutor({}, { AIRLOCK_EXECUTOR: '' }, { executor: 'kubernetes' }), { executor: 'kubernetes', namespace: 'airlock' });
});

test('the namespace: --namespace, then AIRLOCK_K8S_NAMESPACE, then kubernetes.namespace, then airlock', (t) => {
  const config = { executor: 'kubernetes' as const, kubernetes: { namespace: 'from-config', runtimeClass: 'airlock-nonet' } };
  t.deepEqual(resolveExecutor({ namespace: 'from-flag' }, { AIRLOCK_K8S_NAMESPACE: 'from-env' }, config), { executor: 'kubernetes', namespace: 'from-flag', runtimeClassName: 'airlock-nonet' });
  t.like(resolveExecutor({}, { AIRLOCK_K8S_NAMESPACE: 'from-env' }, config), { namespace: 'from-env' });
  t.like(resolveExecutor({}, {}, config), { namespace: 'from-config' });
});

test('a bad executor or namespace is bad input', (t) => {
  t.throws(() => resolveExecutor({}, { AIRLOCK_EXECUTOR: 'k8s' }, {}), { instanceOf: InputError, message: /AIRLOCK_EXECUTOR=k8s/ });
  t.throws(() => resolveExecutor({ executor: 'kubernetes', namespace: 'Builds_1' }, {}, {}), { instanceOf: InputError, message: /--namespace Builds_1/ });
});

test('the registry: --registry, then kubernetes.registry; none by default', (t) => {
  t.like(resolveExecutor({ executor: 'kubernetes', registry: 'http://127.0.0.1:5000' }, {}, { kubernetes: { registry: 'registry.example.com' } }), { registry: 'http://127.0.0.1:5000' });
  t.like(resolveExecutor({ executor: 'kubernetes' }, {}, { kubernetes: { registry: 'registry.example.com' } }), { registry: 'registry.example.com' });
  t.false('registry' in resolveExecutor({ executor: 'kubernetes' }, {}, {}));
});
