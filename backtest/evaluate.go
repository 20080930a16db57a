package backtest

import (
	"context"
	"runtime"
	"sync"

	"github.com/newsroom/commentd/moderation"
)

// evaluator runs the rule set on submissions on as many goroutines as
// there are cores, while the replay goes on folding the facts. Each job
// carries its own Input, captured when its submission was replayed.
type evaluator struct {
	ctx  context.Context
	jobs chan job
	wg   sync.WaitGroup
}

type job struct {
	o  *outcome
	in moderation.Input
}

func newEvaluator(ctx context.Context, rs *moderation.Ruleset) *evaluator {
	ev := &evaluator{ctx: ctx, jobs: make(chan job, 1024)}
	for range runtime.GOMAXPROCS(0) {
		ev.wg.Go(func() {
			for j := range ev.jobs {
				v := rs.Evaluate(j.in)
				j.o.now, j.o.rules, j.o.shadow = v.Action, v.Rules, v.Shadow
			}
		})
	}
	return ev
}

// submit queues one evaluation; it fails only when ctx ends.
func (ev *evaluator) submit(o *outcome, in moderation.Input) error {
	select {
	case ev.jobs <- job{o, in}:
		return nil
	case <-ev.ctx.Done():
		return ev.ctx.Err()
	}
}

// wait finishes the evaluations queued; after it the outcomes are final.
func (ev *evaluator) wait() error {
	close(ev.jobs)
	ev.wg.Wait()
	return ev.ctx.Err()
}
