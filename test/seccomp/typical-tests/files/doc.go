// Package files holds tests that use the file system the way ordinary test suites do.
package files
