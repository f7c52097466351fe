// Package processes holds tests that start, signal and profile processes the way ordinary test suites do.
package processes
