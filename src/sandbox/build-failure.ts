/** A hint for the commonest failures of an offline `go build`, read from the go command's own messages. */
export function explainGoBuildFailure(stderr: string): string {
  if (/GOPROXY=off|module lookup disabled|cannot find module providing package|missing go\.sum entry|no required module provides package/.test(stderr)) {
    return 'the build is offline: vendor the dependencies with `go mod vendor` on a connected machine and commit vendor/';
  }
  if (/inconsistent vendoring/.test(stderr)) {
    return 'vendor/ does not match go.mod: run `go mod vendor` on a connected machine';
  }
  if (/requires go >= |go\.mod requires go/.test(stderr)) {
    return 'the module needs a newer Go: import a newer toolchain and select it with --go';
  }
  return 'fix the errors the go command reports above and build again';
}
