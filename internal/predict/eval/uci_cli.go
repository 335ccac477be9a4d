package eval

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/presage-dev/presage/internal/predict"
)

// RunUCICLI runs `presage eval --uci FILE [--folds 10] [--seed N] [--epochs 4]
// [--alpha A --beta B --l1 L1 --l2 L2 --bits N] [--learner ftrl|gbt|blend
// --trees N --depth N --lr R]`.
func RunUCICLI(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("uci", "", "path of online_shoppers_intention.csv")
	folds := fs.Int("folds", 10, "cross-validation folds")
	seed := fs.Uint64("seed", 1, "random seed of folds and training order")
	epochs := fs.Int("epochs", 4, "passes over the training data")
	p := predict.DefaultFTRLParams()
	fs.Float64Var(&p.Alpha, "alpha", p.Alpha, "FTRL alpha")
	fs.Float64Var(&p.Beta, "beta", p.Beta, "FTRL beta")
	fs.Float64Var(&p.L1, "l1", p.L1, "FTRL L1")
	fs.Float64Var(&p.L2, "l2", p.L2, "FTRL L2")
	fs.UintVar(&p.Bits, "bits", p.Bits, "log2 of the number of hashed weights")
	learner := fs.String("learner", "ftrl", "ftrl (what the server runs), gbt or blend")
	g := DefaultGBTParams()
	fs.IntVar(&g.Trees, "trees", g.Trees, "GBT trees")
	fs.IntVar(&g.Depth, "depth", g.Depth, "GBT tree depth")
	fs.Float64Var(&g.LearningRate, "lr", g.LearningRate, "GBT learning rate")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *file == "" {
		fs.Usage()
		return fmt.Errorf("eval: --uci FILE is required")
	}
	f, err := os.Open(*file)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	defer f.Close()
	rep, err := UCI(f, UCIOptions{Folds: *folds, Seed: *seed, Epochs: *epochs, Params: p,
		Learner: *learner, GBT: g})
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	_, err = io.WriteString(stdout, rep.String())
	return err
}
