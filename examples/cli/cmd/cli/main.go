// Command cli is airlock's example of a real program with third-party dependencies, vendored so that it
// builds with the network off: a cobra command tree, UUIDs and human-readable sizes.
package main

import (
	"fmt"
	"os"

	"github.com/dustin/go-humanize"
	"github.com/google/uuid"
	"github.com/spf13/cobra"
)

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "cli",
		Short:         "A small command built by airlock from vendored modules",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(&cobra.Command{
		Use:   "id",
		Short: "Print a random UUID",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), uuid.NewString())
			return err
		},
	})
	var base int
	size := &cobra.Command{
		Use:   "size BYTES",
		Short: "Print a byte count in human units",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var n uint64
			if _, err := fmt.Sscan(args[0], &n); err != nil {
				return fmt.Errorf("not a byte count: %q", args[0])
			}
			if base == 2 {
				_, err := fmt.Fprintln(cmd.OutOrStdout(), humanize.IBytes(n))
				return err
			}
			_, err := fmt.Fprintln(cmd.OutOrStdout(), humanize.Bytes(n))
			return err
		},
	}
	size.Flags().IntVar(&base, "base", 10, "10 for kB/MB, 2 for KiB/MiB")
	root.AddCommand(size)
	return root
}

func main() {
	if err := newRootCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "cli:", err)
		os.Exit(1)
	}
}
