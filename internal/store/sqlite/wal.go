package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// Checkpointing copies committed WAL frames back into the database file. It is
// not needed for durability: a commit is durable once its frames are synced to
// the WAL (synchronous=FULL), and recovery replays the WAL after a crash. Left
// to SQLite's auto-checkpoint it runs inside the commit that crosses the
// threshold, on the single write connection, so every commit waits for it.
//
// The checkpointer moves that work to its own connection and goroutine: after
// each commit it runs a PASSIVE checkpoint, which never blocks the writer or
// readers. The write connection keeps a high auto-checkpoint threshold as a
// backstop, so the WAL stays bounded even if the checkpointer falls behind.
const (
	// writerAutoCheckpoint is the WAL size, in pages, at which the write
	// connection checkpoints itself (SQLite's default is 1000).
	writerAutoCheckpoint = 8000
	// checkpointInterval is the least time between background checkpoints, so
	// a stream of small commits does not sync the database file after each.
	checkpointInterval = 25 * time.Millisecond
)

type walCheckpointer struct {
	conn *sql.DB
	kick chan struct{}
	stop chan struct{}
	done sync.WaitGroup
}

func newWALCheckpointer(conn *sql.DB) *walCheckpointer {
	c := &walCheckpointer{conn: conn, kick: make(chan struct{}, 1), stop: make(chan struct{})}
	c.done.Go(c.loop)
	return c
}

// committed tells the checkpointer a transaction added frames to the WAL.
func (c *walCheckpointer) committed() {
	select {
	case c.kick <- struct{}{}:
	default: // a checkpoint is already due
	}
}

func (c *walCheckpointer) loop() {
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		}
		// A failed checkpoint is harmless: the frames stay in the WAL and the
		// next one (or the writer's backstop) copies them.
		c.conn.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
		select {
		case <-c.stop:
			return
		case <-time.After(checkpointInterval):
		}
	}
}

// close stops the checkpointer and closes its connection.
func (c *walCheckpointer) close() error {
	close(c.stop)
	c.done.Wait()
	return c.conn.Close()
}
