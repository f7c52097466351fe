import { type BuildPlan, type PlanToolchainInput, resolvePlan } from '../../src/plan/build-plan.js';
import { parseTarget } from '../../src/plan/targets.js';

/**
 * A plan resolved from made-up but well-formed inputs: up to three toolchains (each supporting PORTS), MAINS
 * main packages and the first TARGETS of PORTS. The shard and merge tests cut and reassemble such plans.
 */
export function syntheticPlan(ports: readonly string[], toolchains: number, mains: number, targets: number): BuildPlan {
  const toolchain = (version: string): PlanToolchainInput => ({
    version,
    goos: 'linux',
    goarch: 'amd64',
    treeDigest: `h1:digest-of-${version}`,
    ports,
    verification: 'pinned',
    image: `airlock-sandbox:${version}-0123456789abcdef`,
  });
  return resolvePlan({
    module: { path: 'example.com/tool', go: '1.26', vendored: false },
    mainPackages: Array.from({ length: mains }, (_, index) => `./cmd/tool${index}`),
    targets: ports.slice(0, targets).map(parseTarget),
    toolchains: ['go1.26.8', 'go1.27.3', 'go1.25.9'].slice(0, toolchains).map(toolchain),
    ldflags: [],
    tags: [],
  });
}
